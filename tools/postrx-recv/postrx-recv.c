// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: TCP streams to files, through posted receive buffers.
 *
 * Each connection gets QDEPTH registered, 4 KiB-aligned buffers of BUFSIZE
 * bytes, all posted with POSTRX_CMD_RECV (liburing-ext).  The stream fills
 * them in posting order; a filled buffer is written to the connection's
 * file at its stream offset with IORING_OP_WRITE_FIXED from the same
 * registered buffer, O_DIRECT where the file system allows it, and posted
 * again once the write is done.  User space never copies a byte: the data
 * is copied once by the kernel at receive (or placed by the NIC), and
 * O_DIRECT hands the same pages to the block layer.
 *
 * Everything runs in one thread on one ring; user_data says what a
 * completion belongs to.  See --help and README.md for the interface.
 *
 * --plain is the baseline to compare with: the same connections, files,
 * checks and summary, but each connection receives with recv() into one
 * ordinary aligned buffer, which the kernel copies every byte into, and
 * writes it with pwrite(), O_DIRECT where postrx would use it.  It runs in
 * a poll() loop and needs neither /dev/postrx nor io_uring.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <liburing/postrx.h>

#include "../common/stream.h"
#include "../common/busytime.h"

#define PROG		"postrx-recv"
#define DEFAULT_PORT	"5210"
#define ALIGN		4096u	/* O_DIRECT offset, length and memory alignment */
#define MAX_BUFS	4096u	/* registered buffers, all connections */
#define MAX_CONNS	1024u
#define SQ_ENTRIES	128u	/* get_sqe() submits when it is full */

enum { EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_SETUP = 3 };

/* What a completion is for: the top byte of user_data. */
enum op { OP_RECV = 1, OP_WRITE, OP_STATS, OP_CANCEL, OP_ACCEPT };

static inline __u64 ud_make(enum op op, unsigned int buf, unsigned int piece)
{
	return (__u64)op << 56 | (__u64)buf << 8 | piece;
}

struct opts {
	const char *port;
	const char *bind_addr;
	const char *connect;
	const char *output;
	uint64_t bufsize;
	uint64_t qdepth;
	uint64_t nconn;
	uint64_t seed;
	uint64_t prealloc;	/* --preallocate: bytes per file, 0: none */
	bool v6, waitall, fsync, verify, json, quiet, plain;
	/* the machine's CPU split (--sender-pidfile, ...): busytime.h */
	const char *sender_pidfile;
	struct bt_roles roles;
	char sender_pid[32];
};

/* One write of part of a buffer: O_DIRECT, or through the page cache. */
struct piece {
	uint64_t foff;		/* file offset */
	uint32_t boff;		/* offset in the buffer */
	uint32_t len;		/* bytes to write (may include zero padding) */
	uint32_t data;		/* stream bytes among them, not yet counted */
	bool direct;
};

struct buf {
	uint8_t *mem;
	unsigned int idx;	/* registered buffer index */
	uint64_t off;		/* stream offset of its data */
	uint32_t len;		/* stream bytes in it */
	unsigned int pending;	/* pieces being written (planned, --plain) */
	struct piece piece[2];
};

struct conn {
	unsigned int id;
	int sock, fd_direct, fd_buf;	/* fd_direct -1: no O_DIRECT */
	char *path, *part;
	struct buf *bufs;
	unsigned int *fifo, head, tail;	/* posting order */
	unsigned int posted, writes;
	uint64_t rx_bytes, direct_bytes, fallback_bytes;
	bool started, eof, ended_short, failed, finished;
	bool cancel_pending, stats_pending, stats_done;
	int err;
	char errmsg[256];	/* what went wrong, as printed */
	struct postrx_stats st;
};

struct rx {
	struct opts o;
	struct io_uring ring;
	int devfd, lfd;
	bool out_is_dir, odirect_warned, stop, progress;
	unsigned int accepted, active, nfailed;
	struct conn *conns;
	uint8_t *mem;
	uint64_t total_rx;
	double t0, t1, last_progress;
	double cpu0;		/* CPU time of the process at t0 */
	struct bt_snap snap0, snap1;	/* the machine at t0, at the end */
	bool snapped;
};

static volatile sig_atomic_t interrupted;

static const char usage_text[] =
"usage: " PROG " -o OUTPUT [OPTIONS]\n"
"\n"
"Receive TCP streams through postrx posted buffers and write them to\n"
"OUTPUT with O_DIRECT, from the same registered buffers, through io_uring:\n"
"no copy in user space.  Needs the postrx module (/dev/postrx), except\n"
"with --plain.\n"
"\n"
"By default " PROG " listens on port " DEFAULT_PORT " (any IPv4 address) and\n"
"receives N connections (-n, default 1), all at the same time.  OUTPUT is\n"
"a file for one connection, or an existing directory: connection k (in\n"
"accept order, from 0) goes to OUTPUT/conn-k.dat.  Each file is written\n"
"as NAME.part and renamed to NAME only when its stream ended cleanly; on\n"
"any failure the .part file is removed.\n"
"\n"
"  -o, --output PATH       file, or directory for conn-<k>.dat files\n"
"  -p, --port PORT         TCP port to listen on (default " DEFAULT_PORT ")\n"
"  -B, --bind ADDR         local address to listen on (IPv4 or IPv6)\n"
"  -6                      listen on IPv6 (::, also takes IPv4-mapped)\n"
"  -c, --connect HOST[:PORT]  connect N times instead of listening;\n"
"                          [IPv6]:PORT; PORT defaults to --port\n"
"  -n, --connections N     connections to receive (default 1, max 1024)\n"
"  -b, --buffer-size BYTES buffer size, a multiple of 4096 up to 1G\n"
"                          (default 1M); suffixes K M G\n"
"  -q, --queue-depth N     buffers per connection (default 16)\n"
"      --no-waitall        complete buffers with whatever has arrived\n"
"                          (recv() semantics) instead of when full;\n"
"                          pieces that are not 4 KiB-aligned in the file\n"
"                          then go through the page cache\n"
"      --plain             receive with recv() into an ordinary buffer and\n"
"                          write with pwrite() instead: the comparison\n"
"                          without postrx (one -b buffer per connection,\n"
"                          -q ignored; no /dev/postrx, no io_uring)\n"
"      --preallocate BYTES allocate each file at this length first (it is\n"
"                          trimmed to the stream's at the end): O_DIRECT\n"
"                          writes within the file run side by side, where\n"
"                          writes that extend it may be serialised (ext4)\n"
"      --fsync             fsync each file (and its directory) before the\n"
"                          rename\n"
"      --verify            check every byte against the postrx test\n"
"                          stream (postrx-send's), from offset 0\n"
"      --seed N            seed of that stream (default 0)\n"
"      --json              one JSON object on stdout instead of the summary\n"
"      --sender-pidfile F  the sending process (on this machine) wrote its\n"
"                          pid to F before connecting: its run time is\n"
"                          the send side of the machine's CPU split\n"
"      --sender-tasks PIDS more send-side tasks (its NIC's NAPI threads)\n"
"      --device-tasks PIDS the NIC's own threads (pxnic engines), apart"
"      --quiet             no progress, no summary (errors still printed)\n"
"  -h, --help              this text\n"
"\n"
"Writes: a filled buffer at a 4 KiB-aligned file offset is written with\n"
"O_DIRECT; the final partial buffer of a stream is written rounded up to\n"
"4 KiB and the file is then truncated to the stream's length.  Pieces\n"
"that cannot be written with O_DIRECT (unaligned with --no-waitall, or a\n"
"file system that refuses O_DIRECT, e.g. ramfs: a warning is printed) are\n"
"written from the same registered buffer with IORING_OP_WRITE_FIXED on a\n"
"descriptor without O_DIRECT and counted as fallback bytes.\n"
"\n"
"Summary: bytes, seconds, Gbit/s, CPU seconds per GiB (user + system time\n"
"of this process from getrusage(), from the first connection to the end;\n"
"softirq receive processing is not included), the whole machine's CPU\n"
"seconds per GiB over the same interval, split into receive side (all\n"
"busy time but the send side's and the device's: this process, softirq,\n"
"NAPI, interrupts), send side and device (the tasks named by the three\n"
"options above, by their exact run time), bytes placed by the device /\n"
"copied by the kernel at receive / copied late (POSTRX_CMD_STATS, asked\n"
"before each socket is closed; with --plain 0 / all bytes / 0, since\n"
"recv() copies every byte), bytes written with O_DIRECT / fallback, and\n"
"the mode (postrx or plain).\n"
"A progress line is printed every second when stderr is a terminal.\n"
"\n"
"Exit status: 0 every stream received and its file renamed into place;\n"
"1 a stream or write failed (peer reset, disk full, --verify mismatch,\n"
"interrupted); 2 bad arguments; 3 setup failed (no /dev/postrx, port in\n"
"use, cannot connect, cannot allocate or register buffers).\n";

/* ---- messages and arguments --------------------------------------------- */

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	va_end(ap);
	return EXIT_USAGE;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* User + system time of the process (all threads, io-wq workers too). */
static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int num_arg(const char *name, const char *arg, uint64_t *out)
{
	if (st_parse_size(arg, out))
		return usage_error("bad number for %s: '%s'", name, arg);
	return 0;
}

static int parse_opt(struct opts *o, int c)
{
	switch (c) {
	case 'o': o->output = optarg; return 0;
	case 'p': o->port = optarg; return 0;
	case 'B': o->bind_addr = optarg; return 0;
	case '6': o->v6 = true; return 0;
	case 'c': o->connect = optarg; return 0;
	case 'n': return num_arg("--connections", optarg, &o->nconn);
	case 'b': return num_arg("--buffer-size", optarg, &o->bufsize);
	case 'q': return num_arg("--queue-depth", optarg, &o->qdepth);
	case 'W': o->waitall = false; return 0;
	case 'F': o->fsync = true; return 0;
	case 'V': o->verify = true; return 0;
	case 'S': return num_arg("--seed", optarg, &o->seed);
	case 'J': o->json = true; return 0;
	case 'Q': o->quiet = true; return 0;
	case 'P': o->plain = true; return 0;
	case 'A': return num_arg("--preallocate", optarg, &o->prealloc);
	case 'T': o->sender_pidfile = optarg; return 0;
	case 'U': o->roles.sender_tasks = optarg; return 0;
	case 'D': o->roles.device_tasks = optarg; return 0;
	case 'h': fputs(usage_text, stdout); exit(0);
	}
	return usage_error("unknown option or missing argument");
}

static int check_opts(const struct opts *o)
{
	if (!o->output)
		return usage_error("--output is required");
	if (!o->bufsize || o->bufsize % ALIGN || o->bufsize > POSTRX_RECV_MAX)
		return usage_error("--buffer-size must be a non-zero multiple of 4096, at most 1G");
	if (!o->qdepth || !o->nconn || o->nconn > MAX_CONNS)
		return usage_error("--queue-depth and --connections must be 1 or more (connections at most %u)",
				   MAX_CONNS);
	if (o->qdepth * o->nconn > MAX_BUFS)
		return usage_error("--queue-depth x --connections is %llu buffers, at most %u",
				   (unsigned long long)(o->qdepth * o->nconn), MAX_BUFS);
	if (o->connect && o->bind_addr)
		return usage_error("--bind and --connect exclude each other");
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "port", required_argument, NULL, 'p' },
		{ "bind", required_argument, NULL, 'B' },
		{ "connect", required_argument, NULL, 'c' },
		{ "connections", required_argument, NULL, 'n' },
		{ "buffer-size", required_argument, NULL, 'b' },
		{ "queue-depth", required_argument, NULL, 'q' },
		{ "no-waitall", no_argument, NULL, 'W' },
		{ "fsync", no_argument, NULL, 'F' },
		{ "verify", no_argument, NULL, 'V' },
		{ "seed", required_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'J' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "plain", no_argument, NULL, 'P' },
		{ "preallocate", required_argument, NULL, 'A' },
		{ "sender-pidfile", required_argument, NULL, 'T' },
		{ "sender-tasks", required_argument, NULL, 'U' },
		{ "device-tasks", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:p:B:6c:n:b:q:h", lopts, NULL)) != -1) {
		ret = parse_opt(o, c);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	/* recv() and pwrite() are synchronous: a second buffer would sit idle. */
	if (o->plain)
		o->qdepth = 1;
	return check_opts(o);
}

/* ---- set-up --------------------------------------------------------------- */

/* Is the module there, and does it take what we are about to post? */
static int check_postrx(const struct opts *o)
{
	struct postrx_query q;
	int ret = io_uring_postrx_probe(&q);

	if (ret == -ENOENT) {
		fprintf(stderr, PROG ": " POSTRX_DEVICE_PATH " does not exist: the postrx module is not loaded (insmod postrx.ko)\n");
		return EXIT_SETUP;
	}
	if (ret) {
		fprintf(stderr, PROG ": cannot query " POSTRX_DEVICE_PATH ": %s\n",
			strerror(-ret));
		return EXIT_SETUP;
	}
	if (o->waitall && !(q.recv_flags & POSTRX_RECV_WAITALL))
		return usage_error("this postrx module has no POSTRX_RECV_WAITALL; use --no-waitall");
	if (q.max_posted && o->qdepth > q.max_posted)
		return usage_error("--queue-depth %llu is more than the module's %u buffers per socket",
				   (unsigned long long)o->qdepth, q.max_posted);
	if (q.max_recv_len && o->bufsize > q.max_recv_len)
		return usage_error("--buffer-size is more than the module's limit of %u bytes",
				   q.max_recv_len);
	return 0;
}

/* The output: an existing directory, or one file (then only -n 1). */
static int check_output(struct rx *rx)
{
	struct stat st;

	rx->out_is_dir = !stat(rx->o.output, &st) && S_ISDIR(st.st_mode);
	if (!rx->out_is_dir && rx->o.nconn > 1)
		return usage_error("with %llu connections, --output must be an existing directory",
				   (unsigned long long)rx->o.nconn);
	return 0;
}

/* One mapping for all buffers: page-aligned, as O_DIRECT wants. */
static int alloc_buffers(struct rx *rx)
{
	unsigned int n = rx->o.qdepth * rx->o.nconn;
	size_t bsz = rx->o.bufsize;

	rx->mem = mmap(NULL, bsz * n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rx->mem == MAP_FAILED) {
		fprintf(stderr, PROG ": cannot allocate %u buffers of %zu bytes\n",
			n, bsz);
		return EXIT_SETUP;
	}
	return 0;
}

/* One registered buffer per posted buffer. */
static int setup_buffers(struct rx *rx)
{
	unsigned int n = rx->o.qdepth * rx->o.nconn, i;
	size_t bsz = rx->o.bufsize;
	struct iovec *iov;
	int ret;

	ret = alloc_buffers(rx);
	if (ret)
		return ret;
	iov = calloc(n, sizeof(*iov));
	if (!iov)
		return EXIT_SETUP;
	for (i = 0; i < n; i++)
		iov[i] = (struct iovec){ rx->mem + i * bsz, bsz };
	ret = io_uring_register_buffers(&rx->ring, iov, n);
	free(iov);
	if (ret) {
		fprintf(stderr, PROG ": cannot register %u buffers of %zu bytes: %s%s\n",
			n, bsz, strerror(-ret),
			ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low?)" : "");
		return EXIT_SETUP;
	}
	return 0;
}

static unsigned int pow2_at_least(unsigned int v)
{
	unsigned int p = 8;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * The completion queue holds what can be outstanding at once: per buffer
 * one receive or two writes, per connection a stats and a cancel.
 */
static int setup_ring(struct rx *rx)
{
	unsigned int nbufs = rx->o.qdepth * rx->o.nconn;
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE };
	int ret;

	/* CQSIZE must not be below the SQ size (EINVAL). */
	p.cq_entries = pow2_at_least(2 * nbufs + 2 * rx->o.nconn + 8);
	if (p.cq_entries < 2 * SQ_ENTRIES)
		p.cq_entries = 2 * SQ_ENTRIES;
	ret = io_uring_queue_init_params(SQ_ENTRIES, &rx->ring, &p);
	if (ret) {
		fprintf(stderr, PROG ": io_uring_queue_init: %s\n", strerror(-ret));
		return EXIT_SETUP;
	}
	rx->devfd = io_uring_postrx_open();
	if (rx->devfd < 0) {
		fprintf(stderr, PROG ": open " POSTRX_DEVICE_PATH ": %s\n",
			strerror(-rx->devfd));
		return EXIT_SETUP;
	}
	return setup_buffers(rx);
}

static int setup_conns(struct rx *rx)
{
	unsigned int i, j, q = rx->o.qdepth;

	rx->conns = calloc(rx->o.nconn, sizeof(*rx->conns));
	if (!rx->conns)
		return EXIT_SETUP;
	for (i = 0; i < rx->o.nconn; i++) {
		struct conn *c = &rx->conns[i];

		c->id = i;
		c->sock = c->fd_direct = c->fd_buf = -1;
		c->bufs = calloc(q, sizeof(*c->bufs));
		c->fifo = calloc(q, sizeof(*c->fifo));
		if (!c->bufs || !c->fifo)
			return EXIT_SETUP;
		for (j = 0; j < q; j++) {
			c->bufs[j].idx = i * q + j;
			c->bufs[j].mem = rx->mem + (size_t)c->bufs[j].idx * rx->o.bufsize;
		}
	}
	return 0;
}

/* "host", "host:port", "[v6]:port", "v6": host and port strings. */
static int split_hostport(const char *s, const char *defport, char *host,
			  size_t hlen, const char **port)
{
	const char *colon = strrchr(s, ':');
	size_t n;

	*port = defport;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		n = end - s - 1;
		s++;
		if (end[1] == ':')
			*port = end + 2;
	} else if (colon && colon == strchr(s, ':')) {
		n = colon - s;	/* exactly one colon: host:port */
		*port = colon + 1;
	} else {
		n = strlen(s);	/* no colon, or a bare IPv6 address */
	}
	if (n >= hlen || !**port)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	return 0;
}

static struct addrinfo *resolve(const char *host, const char *port,
				int family, bool passive)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	int err;

	if (passive)
		hints.ai_flags |= AI_PASSIVE;
	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, PROG ": %s port %s: %s\n", host ? host : "*",
			port, gai_strerror(err));
		return NULL;
	}
	return ai;
}

static int setup_listen(struct rx *rx)
{
	int family = rx->o.bind_addr ? AF_UNSPEC : rx->o.v6 ? AF_INET6 : AF_INET;
	struct addrinfo *ai = resolve(rx->o.bind_addr, rx->o.port, family, true);
	int one = 1, err;

	if (!ai)
		return EXIT_SETUP;
	rx->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rx->lfd >= 0)
		setsockopt(rx->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rx->lfd < 0 || bind(rx->lfd, ai->ai_addr, ai->ai_addrlen) ||
	    listen(rx->lfd, rx->o.nconn)) {
		err = errno;
		freeaddrinfo(ai);
		if (err == EADDRINUSE)
			fprintf(stderr, PROG ": port %s is already in use\n",
				rx->o.port);
		else
			fprintf(stderr, PROG ": listen on port %s: %s\n",
				rx->o.port, strerror(err));
		return EXIT_SETUP;
	}
	freeaddrinfo(ai);
	return 0;
}

/* -c: N connections, made before anything is posted. */
static int connect_all(struct rx *rx, int *socks)
{
	const char *port;
	struct addrinfo *ai;
	char host[256];
	unsigned int i;

	if (split_hostport(rx->o.connect, rx->o.port, host, sizeof(host), &port))
		return usage_error("bad --connect address '%s'", rx->o.connect);
	ai = resolve(host, port, AF_UNSPEC, false);
	if (!ai)
		return EXIT_SETUP;
	for (i = 0; i < rx->o.nconn; i++) {
		socks[i] = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (socks[i] < 0 || connect(socks[i], ai->ai_addr, ai->ai_addrlen)) {
			fprintf(stderr, PROG ": connect to %s port %s: %s\n",
				host, port, strerror(errno));
			freeaddrinfo(ai);
			return EXIT_SETUP;
		}
	}
	freeaddrinfo(ai);
	return 0;
}

/* ---- submission ------------------------------------------------------- */

static struct io_uring_sqe *get_sqe(struct rx *rx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rx->ring);

	if (!sqe) {	/* SQ full: hand what is queued to the kernel first */
		io_uring_submit(&rx->ring);
		sqe = io_uring_get_sqe(&rx->ring);
	}
	if (!sqe) {
		fprintf(stderr, PROG ": no submission queue entry\n");
		exit(EXIT_FAIL);
	}
	return sqe;
}

static void post_buf(struct rx *rx, struct conn *c, struct buf *b)
{
	struct io_uring_sqe *sqe = get_sqe(rx);

	io_uring_prep_postrx_recv(sqe, rx->devfd, c->sock, b->mem,
				  rx->o.bufsize, b->idx,
				  rx->o.waitall ? POSTRX_RECV_WAITALL : 0);
	sqe->user_data = ud_make(OP_RECV, b->idx, 0);
	c->fifo[c->tail++ % rx->o.qdepth] = b->idx;
	c->posted++;
}

static void submit_piece(struct rx *rx, struct conn *c, struct buf *b,
			 unsigned int pi)
{
	struct piece *p = &b->piece[pi];
	struct io_uring_sqe *sqe = get_sqe(rx);

	io_uring_prep_write_fixed(sqe, p->direct ? c->fd_direct : c->fd_buf,
				  b->mem + p->boff, p->len, p->foff, b->idx);
	sqe->user_data = ud_make(OP_WRITE, b->idx, pi);
	c->writes++;
}

static void add_piece(struct buf *b, bool direct, uint32_t boff, uint32_t len,
		      uint32_t data)
{
	b->piece[b->pending++] = (struct piece){ .foff = b->off + boff,
		.boff = boff, .len = len, .data = data, .direct = direct };
}

/*
 * Write the buffer's b->len stream bytes at file offset b->off.  O_DIRECT
 * takes whole 4 KiB blocks at an aligned offset (the buffer itself is
 * aligned); the last, partial buffer of a stream is padded with zeros to
 * a block (the file is truncated to the stream length at the end).  What
 * is left goes through the page cache.  Page-cache and O_DIRECT pieces
 * never share a block, so they cannot race in the page cache.
 */
static void plan_pieces(struct conn *c, struct buf *b, bool last)
{
	uint32_t len = b->len, dlen = 0;

	if (c->fd_direct >= 0 && !(b->off % ALIGN))
		dlen = last ? (len + ALIGN - 1) / ALIGN * ALIGN : len / ALIGN * ALIGN;
	if (dlen > len)
		memset(b->mem + len, 0, dlen - len);
	b->pending = 0;
	if (dlen)
		add_piece(b, true, 0, dlen, dlen < len ? dlen : len);
	if (len > dlen)
		add_piece(b, false, dlen, len - dlen, len - dlen);
}

static void write_buf(struct rx *rx, struct conn *c, struct buf *b, bool last)
{
	plan_pieces(c, b, last);
	for (unsigned int i = 0; i < b->pending; i++)
		submit_piece(rx, c, b, i);
}

static void request_stats(struct rx *rx, struct conn *c)
{
	struct io_uring_sqe *sqe = get_sqe(rx);

	io_uring_prep_postrx_stats(sqe, rx->devfd, c->sock, &c->st);
	sqe->user_data = ud_make(OP_STATS, c->id, 0);
	c->stats_pending = true;
}

static void arm_accept(struct rx *rx)
{
	struct io_uring_sqe *sqe;

	if (rx->o.plain)	/* the poll() loop accepts */
		return;
	sqe = get_sqe(rx);
	io_uring_prep_accept(sqe, rx->lfd, NULL, NULL, SOCK_CLOEXEC);
	sqe->user_data = ud_make(OP_ACCEPT, 0, 0);
}

/* ---- connection life ---------------------------------------------------- */

static void conn_finish(struct rx *rx, struct conn *c);

/*
 * A connection is done once nothing of it is in flight and its stream
 * ended or failed.  The statistics are asked for first, while the socket
 * is still open.
 */
static void maybe_finish(struct rx *rx, struct conn *c)
{
	if (c->finished || c->posted || c->writes || c->cancel_pending ||
	    c->stats_pending || (!c->eof && !c->failed))
		return;
	if (!c->stats_done && c->sock >= 0) {
		request_stats(rx, c);
		return;
	}
	conn_finish(rx, c);
}

/*
 * Fail @c: say why (@err 0: the message is complete without an errno),
 * take its buffers back from the socket, and let it finish; its .part
 * file is removed then.
 */
static void conn_fail(struct rx *rx, struct conn *c, int err,
		      const char *fmt, ...)
{
	struct io_uring_sqe *sqe;
	size_t n;
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	c->err = err;
	va_start(ap, fmt);
	n = vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	if (err && n < sizeof(c->errmsg))
		snprintf(c->errmsg + n, sizeof(c->errmsg) - n, ": %s",
			 strerror(err));
	fprintf(stderr, "%s" PROG ": connection %u: %s\n",
		rx->progress ? "\n" : "", c->id, c->errmsg);
	if (c->posted) {	/* take our buffers back from the socket */
		sqe = get_sqe(rx);
		io_uring_prep_postrx_cancel(sqe, rx->devfd, c->sock, 0,
					    POSTRX_CANCEL_ALL);
		sqe->user_data = ud_make(OP_CANCEL, c->id, 0);
		c->cancel_pending = true;
	}
	maybe_finish(rx, c);
}

static int path_of(struct rx *rx, struct conn *c)
{
	int n;

	if (rx->out_is_dir)
		n = asprintf(&c->path, "%s/conn-%u.dat", rx->o.output, c->id);
	else
		n = asprintf(&c->path, "%s", rx->o.output);
	if (n < 0 || asprintf(&c->part, "%s.part", c->path) < 0)
		return -ENOMEM;
	return 0;
}

/* Would O_DIRECT on @fd need more than our 4 KiB alignment? */
static bool dio_align_too_big(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) ||
	    !(stx.stx_mask & STATX_DIOALIGN) || !stx.stx_dio_offset_align)
		return false;	/* unknown: let the writes tell */
	return stx.stx_dio_offset_align > ALIGN || stx.stx_dio_mem_align > ALIGN;
}

static void warn_no_direct(struct rx *rx, const char *why)
{
	if (rx->odirect_warned)
		return;
	rx->odirect_warned = true;
	fprintf(stderr, PROG ": warning: %s: %s; writing through the page cache instead (still IORING_OP_WRITE_FIXED from the registered buffers)\n",
		rx->o.output, why);
}

/*
 * Two descriptors on NAME.part: one with O_DIRECT for aligned blocks, one
 * without for the rest.  A file system that refuses O_DIRECT (EINVAL at
 * open) gets the second only.
 */
static int open_output(struct rx *rx, struct conn *c)
{
	if (path_of(rx, c))
		return -ENOMEM;
	c->fd_buf = open(c->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c->fd_buf < 0)
		return -errno;
	/*
	 * A file of its final size takes O_DIRECT writes beside each other:
	 * ext4 waits for each write beyond the end of the file before the
	 * next (IOMAP_DIO_FORCE_WAIT), so io_uring's writes would go to the
	 * disk one at a time.  The length is trimmed to the stream's at the
	 * end.  A file system without fallocate() just does without.
	 */
	if (rx->o.prealloc &&
	    fallocate(c->fd_buf, 0, 0, (rx->o.prealloc + ALIGN - 1) / ALIGN * ALIGN) &&
	    errno != EOPNOTSUPP)
		return -errno;
	c->fd_direct = open(c->part, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (c->fd_direct < 0 && errno != EINVAL)
		return -errno;
	if (c->fd_direct < 0) {
		warn_no_direct(rx, "the file system refuses O_DIRECT (EINVAL)");
	} else if (dio_align_too_big(c->fd_direct)) {
		warn_no_direct(rx, "O_DIRECT needs more than 4 KiB alignment");
		close(c->fd_direct);
		c->fd_direct = -1;
	}
	return 0;
}

static void conn_start(struct rx *rx, unsigned int id, int sock)
{
	struct conn *c = &rx->conns[id];
	int err;

	c->sock = sock;
	c->started = true;
	c->stats_done = rx->o.plain;	/* no POSTRX_CMD_STATS for recv() */
	rx->active++;
	if (!rx->t0) {		/* the transfer starts: time and CPU from here */
		rx->t0 = now();
		rx->cpu0 = cpu_seconds();
		/* the sender wrote its pid before it connected */
		rx->o.roles.sender = bt_read_pid(rx->o.sender_pidfile,
						 rx->o.sender_pid,
						 sizeof(rx->o.sender_pid));
		bt_snap(&rx->o.roles, &rx->snap0);
	}
	err = open_output(rx, c);
	if (err) {
		conn_fail(rx, c, -err, "cannot create %s",
			  c->part ? c->part : rx->o.output);
		return;
	}
	if (rx->o.plain)	/* plain_loop() reads when the socket is ready */
		return;
	for (unsigned int i = 0; i < rx->o.qdepth; i++)
		post_buf(rx, c, &c->bufs[i]);
}

/* Make NAME.part the file NAME: exact length, durable if asked. */
static int commit_output(struct rx *rx, struct conn *c)
{
	if (ftruncate(c->fd_buf, c->rx_bytes))
		return -errno;
	if (rx->o.fsync && fsync(c->fd_buf))
		return -errno;
	if (close(c->fd_buf)) {
		c->fd_buf = -1;
		return -errno;
	}
	c->fd_buf = -1;
	if (rename(c->part, c->path))
		return -errno;
	if (rx->o.fsync) {	/* the rename itself */
		char *dir = strdup(c->path), *slash = strrchr(dir, '/');
		int dfd;

		if (slash)
			*(slash == dir ? slash + 1 : slash) = 0;
		dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dir);
	}
	return 0;
}

static void conn_finish(struct rx *rx, struct conn *c)
{
	int err;

	c->finished = true;
	rx->active--;
	/*
	 * The machine's CPU split ends here, while the sender still waits
	 * for this close: once it exits, its run time can no longer be read.
	 */
	if (!rx->active) {
		bt_snap(&rx->o.roles, &rx->snap1);
		rx->snapped = true;
	}
	if (c->sock >= 0)
		close(c->sock);
	if (c->fd_direct >= 0)
		close(c->fd_direct);
	if (!c->failed && (err = commit_output(rx, c))) {
		conn_fail(rx, c, -err, "cannot complete %s", c->path);
	}
	if (c->fd_buf >= 0)
		close(c->fd_buf);
	if (c->failed) {
		rx->nfailed++;
		if (c->part)
			unlink(c->part);
	}
	rx->t1 = now();
}

/* ---- completions ---------------------------------------------------------- */

static struct buf *buf_of(struct rx *rx, unsigned int idx, struct conn **cp)
{
	*cp = &rx->conns[idx / rx->o.qdepth];
	return &(*cp)->bufs[idx % rx->o.qdepth];
}

/* Bytes of a buffer that arrived: check them, then write them. */
static void got_data(struct rx *rx, struct conn *c, struct buf *b, int res)
{
	int64_t bad;

	if (c->eof || c->ended_short) {
		conn_fail(rx, c, 0, "data after the end of the stream");
		return;
	}
	if (rx->o.verify) {
		bad = st_verify(rx->o.seed, c->rx_bytes, b->mem, res);
		if (bad >= 0) {
			conn_fail(rx, c, 0,
				  "stream differs from the pattern at byte %lld",
				  (long long)bad);
			return;
		}
	}
	b->off = c->rx_bytes;
	b->len = res;
	c->rx_bytes += res;
	rx->total_rx += res;
	/* With WAITALL only the stream's end leaves a buffer short. */
	if (rx->o.waitall && (uint64_t)res < rx->o.bufsize)
		c->ended_short = true;
	write_buf(rx, c, b, c->ended_short);
}

static void on_recv(struct rx *rx, unsigned int idx, int res)
{
	struct conn *c;
	struct buf *b = buf_of(rx, idx, &c);

	c->posted--;
	if (!c->failed && c->fifo[c->head++ % rx->o.qdepth] != idx)
		conn_fail(rx, c, 0, "buffer %u completed out of posting order", idx);
	if (c->failed) {
		maybe_finish(rx, c);
	} else if (res < 0) {
		conn_fail(rx, c, -res, "receive at byte %llu",
			  (unsigned long long)c->rx_bytes);
	} else if (res == 0) {
		c->eof = true;
		maybe_finish(rx, c);
	} else if ((uint64_t)res > rx->o.bufsize) {
		conn_fail(rx, c, 0, "completion of %d bytes, more than the buffer", res);
	} else {
		got_data(rx, c, b, res);
	}
}

/*
 * A written buffer goes back to the socket, until the stream's end is
 * known: after a short WAITALL completion, one posted buffer is enough to
 * learn whether that was end of stream (0) or an error (a reset).
 */
static void buf_written(struct rx *rx, struct conn *c, struct buf *b)
{
	if (!c->eof && !c->failed && !(c->ended_short && c->posted))
		post_buf(rx, c, b);
	maybe_finish(rx, c);
}

/* Count what a write completion wrote; true if the piece is all written. */
static bool piece_done(struct conn *c, struct piece *p, int res)
{
	uint32_t n = (uint32_t)res < p->data ? (uint32_t)res : p->data;

	p->data -= n;
	*(p->direct ? &c->direct_bytes : &c->fallback_bytes) += n;
	if ((uint32_t)res == p->len)
		return true;
	/* A short write (the file system is filling up): the rest again. */
	p->boff += res;
	p->foff += res;
	p->len -= res;
	if (res % ALIGN)	/* no longer aligned for O_DIRECT */
		p->direct = false;
	return false;
}

static void on_write(struct rx *rx, unsigned int idx, unsigned int pi, int res)
{
	struct conn *c;
	struct buf *b = buf_of(rx, idx, &c);
	struct piece *p = &b->piece[pi];

	c->writes--;
	if (c->failed)
		maybe_finish(rx, c);
	else if (res <= 0)
		conn_fail(rx, c, res ? -res : EIO, "write to %s at byte %llu",
			  c->part, (unsigned long long)p->foff);
	else if (!piece_done(c, p, res))
		submit_piece(rx, c, b, pi);
	else if (!--b->pending)
		buf_written(rx, c, b);
}

static void on_accept(struct rx *rx, int res)
{
	if (res == -EINTR || res == -ECONNABORTED || res == -EAGAIN) {
		if (!rx->stop)
			arm_accept(rx);
		return;
	}
	if (res < 0) {
		fprintf(stderr, PROG ": accept: %s\n", strerror(-res));
		rx->stop = true;
		rx->nfailed++;
		return;
	}
	if (rx->stop) {
		close(res);
		return;
	}
	conn_start(rx, rx->accepted++, res);
	if (rx->accepted < rx->o.nconn)
		arm_accept(rx);
}

static void on_cqe(struct rx *rx, __u64 ud, int res)
{
	unsigned int idx = (ud >> 8) & 0xffffffffffULL, pi = ud & 0xff;
	struct conn *c = &rx->conns[idx < rx->o.nconn ? idx : 0];

	switch (ud >> 56) {
	case OP_RECV:
		on_recv(rx, idx, res);
		break;
	case OP_WRITE:
		on_write(rx, idx, pi, res);
		break;
	case OP_STATS:	/* a reset socket answers -ENOTCONN: zeros then */
		c->stats_pending = false;
		c->stats_done = true;
		maybe_finish(rx, c);
		break;
	case OP_CANCEL:
		c->cancel_pending = false;
		maybe_finish(rx, c);
		break;
	case OP_ACCEPT:
		on_accept(rx, res);
		break;
	}
}

/* ---- the loop --------------------------------------------------------------- */

static void on_signal(int sig)
{
	interrupted = sig;
}

static void stop_all(struct rx *rx)
{
	rx->stop = true;
	for (unsigned int i = 0; i < rx->accepted; i++)
		if (!rx->conns[i].finished)
			conn_fail(rx, &rx->conns[i], 0, "interrupted by a signal");
}

static void show_progress(struct rx *rx)
{
	double t = now(), secs = rx->t0 ? t - rx->t0 : 0;

	if (!rx->progress || t - rx->last_progress < 1)
		return;
	rx->last_progress = t;
	fprintf(stderr, "\r" PROG ": %u/%llu connections, %.1f MiB, %.3f Gbit/s   ",
		rx->accepted, (unsigned long long)rx->o.nconn,
		rx->total_rx / 1048576.0,
		secs > 0 ? rx->total_rx * 8 / secs / 1e9 : 0.0);
}

static int event_loop(struct rx *rx)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct io_uring_cqe *cqe;
	int ret;

	while (rx->active || (rx->accepted < rx->o.nconn && !rx->stop)) {
		ret = io_uring_submit_and_wait_timeout(&rx->ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR) {
			fprintf(stderr, PROG ": io_uring: %s\n", strerror(-ret));
			return EXIT_FAIL;
		}
		while (!io_uring_peek_cqe(&rx->ring, &cqe)) {
			__u64 ud = cqe->user_data;
			int res = cqe->res;

			io_uring_cqe_seen(&rx->ring, cqe);
			on_cqe(rx, ud, res);
		}
		if (interrupted && !rx->stop)
			stop_all(rx);
		show_progress(rx);
	}
	if (rx->progress)
		fprintf(stderr, "\n");
	return 0;
}

/* ---- --plain: recv() and pwrite() in a poll() loop ------------------------ */

/*
 * Write the buffer's b->len bytes at file offset b->off with pwrite(): the
 * same pieces as write_buf() (O_DIRECT for whole blocks at an aligned
 * offset, the padded tail, the rest through the page cache), so that the
 * two modes differ in the receive path only.
 */
static void pwrite_buf(struct conn *c, struct buf *b, bool last)
{
	struct piece *p;
	ssize_t res;

	plan_pieces(c, b, last);
	for (unsigned int i = 0; i < b->pending; i++) {
		p = &b->piece[i];
		do {
			res = pwrite(p->direct ? c->fd_direct : c->fd_buf,
				     b->mem + p->boff, p->len, p->foff);
			if (res < 0 && errno == EINTR)
				continue;
			if (res <= 0) {
				c->err = res ? errno : EIO;
				return;
			}
		} while (!piece_done(c, p, res));
	}
}

/* Write what the buffer holds and start it again at the next offset. */
static void plain_flush(struct rx *rx, struct conn *c, struct buf *b, bool last)
{
	uint64_t foff = b->off;

	if (!b->len)
		return;
	c->err = 0;
	pwrite_buf(c, b, last);
	if (c->err) {
		conn_fail(rx, c, c->err, "write to %s at byte %llu", c->part,
			  (unsigned long long)foff);
		return;
	}
	b->off += b->len;
	b->len = 0;
}

/* Bytes that recv() returned: check them; write the buffer once full. */
static void plain_data(struct rx *rx, struct conn *c, struct buf *b, size_t n)
{
	int64_t bad;

	if (rx->o.verify) {
		bad = st_verify(rx->o.seed, c->rx_bytes, b->mem + b->len, n);
		if (bad >= 0) {
			conn_fail(rx, c, 0,
				  "stream differs from the pattern at byte %lld",
				  (long long)bad);
			return;
		}
	}
	b->len += n;
	c->rx_bytes += n;
	rx->total_rx += n;
	/* Without WAITALL every recv() is written as it came, as postrx does. */
	if (b->len == rx->o.bufsize || !rx->o.waitall)
		plain_flush(rx, c, b, false);
}

/*
 * The socket is readable: recv() until it would block, the stream ends, or
 * a buffer was written (then the other sockets get their turn).
 */
static void plain_recv(struct rx *rx, struct conn *c)
{
	struct buf *b = &c->bufs[0];
	uint64_t written = b->off;
	ssize_t res;

	while (!c->failed && b->off == written) {
		res = recv(c->sock, b->mem + b->len, rx->o.bufsize - b->len,
			   MSG_DONTWAIT);
		if (res < 0 && errno == EINTR)
			continue;
		if (res < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (res < 0) {
			conn_fail(rx, c, errno, "receive at byte %llu",
				  (unsigned long long)c->rx_bytes);
			return;
		}
		if (!res) {	/* end of stream: the partial buffer, padded */
			plain_flush(rx, c, b, true);
			c->eof = true;
			maybe_finish(rx, c);
			return;
		}
		plain_data(rx, c, b, res);
	}
}

static void plain_accept(struct rx *rx)
{
	int fd = accept4(rx->lfd, NULL, NULL, SOCK_CLOEXEC);

	on_accept(rx, fd < 0 ? -errno : fd);
}

/*
 * One pollfd per connection (fd -1, which poll() skips, when it is not
 * receiving) and the listener last.
 */
static int plain_loop(struct rx *rx)
{
	unsigned int n = rx->o.nconn, i;
	struct pollfd *pfd = calloc(n + 1, sizeof(*pfd));
	struct conn *c;
	int ret;

	if (!pfd)
		return EXIT_FAIL;
	while (rx->active || (rx->accepted < n && !rx->stop)) {
		for (i = 0; i < n; i++) {
			c = &rx->conns[i];
			pfd[i].fd = c->started && !c->finished ? c->sock : -1;
			pfd[i].events = POLLIN;
		}
		pfd[n].fd = rx->lfd >= 0 && rx->accepted < n && !rx->stop ?
			    rx->lfd : -1;
		pfd[n].events = POLLIN;
		ret = poll(pfd, n + 1, 1000);
		if (ret < 0 && errno != EINTR) {
			fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
			free(pfd);
			return EXIT_FAIL;
		}
		for (i = 0; ret > 0 && i < n; i++)
			if (pfd[i].revents && !rx->conns[i].finished)
				plain_recv(rx, &rx->conns[i]);
		if (ret > 0 && pfd[n].revents)
			plain_accept(rx);
		if (interrupted && !rx->stop)
			stop_all(rx);
		show_progress(rx);
	}
	if (rx->progress)
		fprintf(stderr, "\n");
	free(pfd);
	return 0;
}

/* ---- the report ------------------------------------------------------------ */

struct totals {
	uint64_t bytes, placed, copied_rx, copied_late, direct, fallback;
	double secs, cpu, gbps, cpu_per_gib;
	struct bt_split split;	/* seconds per GiB, each side */
};

static void sum_up(struct rx *rx, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < rx->accepted; i++) {
		struct conn *c = &rx->conns[i];

		t->bytes += c->rx_bytes;
		t->placed += c->st.placed_bytes;
		/* recv() copies every byte; there are no postrx stats. */
		t->copied_rx += rx->o.plain ? c->rx_bytes : c->st.copied_rx_bytes;
		t->copied_late += c->st.copied_late_bytes;
		t->direct += c->direct_bytes;
		t->fallback += c->fallback_bytes;
	}
	t->cpu = rx->t0 ? cpu_seconds() - rx->cpu0 : 0;
	t->secs = rx->t0 ? rx->t1 - rx->t0 : 0;
	t->gbps = t->secs > 0 ? t->bytes * 8 / t->secs / 1e9 : 0;
	t->cpu_per_gib = t->bytes ? t->cpu / (t->bytes / 1073741824.0) : 0;
	if (rx->snapped && t->bytes) {
		double gib = t->bytes / 1073741824.0;

		bt_split(&rx->snap0, &rx->snap1, &t->split);
		t->split.busy /= gib;
		t->split.receive /= gib;
		t->split.send /= gib;
		t->split.device /= gib;
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *mode_name(const struct rx *rx)
{
	return rx->o.plain ? "plain" : "postrx";
}

static void report_json(struct rx *rx, const struct totals *t)
{
	printf("{\"mode\": \"%s\", \"connections\": %u, \"failed\": %u, "
	       "\"bytes\": %llu, "
	       "\"seconds\": %.4f, \"throughput_gbps\": %.3f, "
	       "\"cpu_seconds\": %.4f, \"cpu_s_per_gib\": %.4f, "
	       "\"machine_cpu_s_per_gib\": %.4f, \"rx_cpu_s_per_gib\": %.4f, "
	       "\"tx_cpu_s_per_gib\": %.4f, \"device_cpu_s_per_gib\": %.4f, "
	       "\"placed_bytes\": %llu, \"copied_rx_bytes\": %llu, "
	       "\"copied_late_bytes\": %llu, \"write_direct_bytes\": %llu, "
	       "\"write_fallback_bytes\": %llu, \"odirect\": %s, "
	       "\"waitall\": %s, \"buffer_size\": %llu, \"queue_depth\": %llu, "
	       "\"files\": [",
	       mode_name(rx), rx->accepted, rx->nfailed,
	       (unsigned long long)t->bytes, t->secs, t->gbps, t->cpu, t->cpu_per_gib,
	       t->split.busy, t->split.receive, t->split.send, t->split.device,
	       (unsigned long long)t->placed, (unsigned long long)t->copied_rx,
	       (unsigned long long)t->copied_late, (unsigned long long)t->direct,
	       (unsigned long long)t->fallback,
	       rx->odirect_warned ? "false" : "true",
	       rx->o.waitall ? "true" : "false",
	       (unsigned long long)rx->o.bufsize,
	       (unsigned long long)rx->o.qdepth);
	for (unsigned int i = 0; i < rx->accepted; i++) {
		struct conn *c = &rx->conns[i];

		printf("%s{\"id\": %u, \"bytes\": %llu, \"path\": ", i ? ", " : "",
		       c->id, (unsigned long long)c->rx_bytes);
		json_string(c->failed ? NULL : c->path);
		printf(", \"error\": ");
		json_string(c->failed ? c->errmsg : "");
		printf("}");
	}
	printf("]}\n");
}

static void report_text(struct rx *rx, const struct totals *t)
{
	for (unsigned int i = 0; i < rx->accepted; i++) {
		struct conn *c = &rx->conns[i];

		printf("connection %u: %llu bytes, %s%s\n", c->id,
		       (unsigned long long)c->rx_bytes,
		       c->failed ? "FAILED: " : "", c->failed ? c->errmsg :
		       c->path);
	}
	printf("mode: %s\n", rx->o.plain ?
	       "plain (recv() into user memory, pwrite())" :
	       "postrx (posted buffers, IORING_OP_WRITE_FIXED)");
	printf("%llu bytes in %.3f s: %.3f Gbit/s; %u connection(s), %u failed\n",
	       (unsigned long long)t->bytes, t->secs, t->gbps, rx->accepted,
	       rx->nfailed);
	printf("cpu: %.3f s per GiB (user+sys of this process, %.3f s; softirq not included)\n",
	       t->cpu_per_gib, t->cpu);
	printf("machine cpu: %.3f s per GiB: receive side %.3f, send side %.3f, device %.3f\n",
	       t->split.busy, t->split.receive, t->split.send, t->split.device);
	printf("receive: placed by the device %llu, copied by the kernel at receive %llu, copied late %llu\n",
	       (unsigned long long)t->placed, (unsigned long long)t->copied_rx,
	       (unsigned long long)t->copied_late);
	printf("write: %llu bytes with O_DIRECT, %llu through the page cache (fallback)\n",
	       (unsigned long long)t->direct, (unsigned long long)t->fallback);
}

static void report(struct rx *rx)
{
	struct totals t;

	sum_up(rx, &t);
	if (rx->o.json)
		report_json(rx, &t);
	else if (!rx->o.quiet)
		report_text(rx, &t);
}

static int start(struct rx *rx)
{
	int *socks, ret;

	if (!rx->o.connect) {
		ret = setup_listen(rx);
		if (!ret)
			arm_accept(rx);
		return ret;
	}
	socks = calloc(rx->o.nconn, sizeof(*socks));
	if (!socks)
		return EXIT_SETUP;
	ret = connect_all(rx, socks);
	for (unsigned int i = 0; !ret && i < rx->o.nconn; i++)
		conn_start(rx, rx->accepted++, socks[i]);
	free(socks);
	return ret;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct rx rx = { .o = { .port = DEFAULT_PORT, .bufsize = 1 << 20,
				.qdepth = 16, .nconn = 1, .waitall = true },
			 .devfd = -1, .lfd = -1 };
	int ret;

	ret = parse_args(argc, argv, &rx.o);
	if (!ret)
		ret = check_output(&rx);
	if (!ret && rx.o.plain)	/* the buffers only: no ring, no registration */
		ret = alloc_buffers(&rx);
	if (!ret && !rx.o.plain)
		ret = check_postrx(&rx.o);
	if (!ret && !rx.o.plain)
		ret = setup_ring(&rx);
	if (!ret)
		ret = setup_conns(&rx);
	if (ret)
		return ret;
	/* No SA_RESTART: a signal must end the wait for completions. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rx.progress = !rx.o.quiet && isatty(STDERR_FILENO);
	ret = start(&rx);
	if (!ret || rx.accepted) {
		ret = (rx.o.plain ? plain_loop(&rx) : event_loop(&rx)) ?: ret;
		report(&rx);
	}
	if (!rx.o.plain)
		io_uring_queue_exit(&rx.ring);
	if (ret)
		return ret;
	if (interrupted || rx.nfailed || rx.accepted < rx.o.nconn)
		return EXIT_FAIL;
	return 0;
}
