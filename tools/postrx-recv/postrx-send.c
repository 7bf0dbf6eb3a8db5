// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-send: send the project's pseudo-random stream over TCP, the
 * counterpart of postrx-recv for tests and demonstrations.  See --help.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <liburing.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/stream.h"

#define PROG		"postrx-send"
#define DEFAULT_PORT	"5210"

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Newer than liburing 2.3's copy of the uAPI header; in Linux since 6.2. */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE	(1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED	(1U << 31)
#endif

#define FILE_ALIGN	4096	/* O_DIRECT: buffer, offset and length */
#define MAX_QDEPTH	256

struct opts {
	const char *host;
	const char *port;
	uint64_t size;
	uint64_t chunk;
	uint64_t seed;
	uint64_t reset_after;	/* ~0: orderly close */
	uint64_t qdepth;	/* --file: registered buffers */
	const char *file;	/* send this file instead of the pattern */
	bool size_set;
	bool listen;
	bool to_stdout;
	bool plain;
	bool json;
	bool quiet;
};

/* What a run did, for the summary. */
struct result {
	uint64_t sent;		/* bytes the socket took */
	uint64_t zc_sends;	/* SEND_ZC requests that sent data */
	uint64_t copied;	/* bytes a CPU copied into socket buffers */
	double secs;
	int err;		/* first error, -errno */
	const char *what;	/* where it happened */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char usage_text[] =
"usage: " PROG " [OPTIONS] [HOST]\n"
"\n"
"Connect to HOST (default 127.0.0.1) and send SIZE bytes of the postrx\n"
"test stream: the pseudo-random pattern of tools/common/stream.h\n"
"(px_pattern) for SEED, from stream offset 0, with send().  Then close the\n"
"connection (FIN), or reset it with --reset-after.\n"
"\n"
"  -H, --host HOST        peer (or local address with --listen)\n"
"  -p, --port PORT        TCP port (default " DEFAULT_PORT ", as postrx-recv)\n"
"  -s, --size BYTES       bytes to send (default 1G); suffixes K M G T\n"
"  -C, --chunk BYTES      bytes per send() (default 1M)\n"
"      --seed N           stream seed (default 0)\n"
"      --reset-after BYTES  send this many bytes (at most SIZE), then\n"
"                         close with SO_LINGER 0: the peer sees a reset\n"
"  -l, --listen           listen on HOST:PORT (default any address) and\n"
"                         send to the first connection (for postrx-recv -c)\n"
"      --stdout           write the stream to standard output instead of a\n"
"                         socket (a reference file for tests)\n"
"  -q, --quiet            no summary line on stderr\n"
"  -h, --help             this text\n"
"\n"
"Exit status: 0 all bytes sent (or the reset done), 1 failure (the peer\n"
"reset, the file is short or unreadable, ...), 2 bad arguments.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '" PROG " --help'.\n");
	return EXIT_USAGE;
}

static int size_arg(const char *name, const char *arg, uint64_t *out)
{
	if (st_parse_size(arg, out))
		return usage_error("bad size for %s", name);
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { OPT_SEED = 256, OPT_RESET, OPT_STDOUT, OPT_PLAIN, OPT_JSON };
	static const struct option lopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'p' },
		{ "size", required_argument, NULL, 's' },
		{ "chunk", required_argument, NULL, 'C' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "reset-after", required_argument, NULL, OPT_RESET },
		{ "listen", no_argument, NULL, 'l' },
		{ "stdout", no_argument, NULL, OPT_STDOUT },
		{ "file", required_argument, NULL, 'f' },
		{ "queue", required_argument, NULL, 'Q' },
		{ "plain", no_argument, NULL, OPT_PLAIN },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, ret = 0;

	while (!ret && (c = getopt_long(argc, argv, "H:p:s:C:f:Q:lqh", lopts, NULL)) != -1) {
		switch (c) {
		case 'H': o->host = optarg; break;
		case 'p': o->port = optarg; break;
		case 's':
			ret = size_arg("--size", optarg, &o->size);
			o->size_set = true;
			break;
		case 'f': o->file = optarg; break;
		case 'Q': ret = size_arg("--queue", optarg, &o->qdepth); break;
		case OPT_PLAIN: o->plain = true; break;
		case OPT_JSON: o->json = true; break;
		case 'C': ret = size_arg("--chunk", optarg, &o->chunk); break;
		case OPT_SEED: ret = size_arg("--seed", optarg, &o->seed); break;
		case OPT_RESET:
			ret = size_arg("--reset-after", optarg, &o->reset_after);
			break;
		case 'l': o->listen = true; break;
		case OPT_STDOUT: o->to_stdout = true; break;
		case 'q': o->quiet = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: return usage_error("%s", "unknown option or missing argument");
		}
	}
	if (ret)
		return ret;
	if (optind < argc)
		o->host = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->chunk || o->chunk > (1ULL << 30))
		return usage_error("%s", "--chunk must be 1 byte to 1G");
	if (o->file && o->chunk % FILE_ALIGN)
		return usage_error("%s", "--chunk must be a multiple of 4096 with --file");
	if (o->file && o->to_stdout)
		return usage_error("%s", "--file and --stdout do not go together");
	if (!o->qdepth || o->qdepth > MAX_QDEPTH)
		return usage_error("%s", "--queue must be 1 to 256");
	if (o->plain && !o->file)
		return usage_error("%s", "--plain needs --file");
	return 0;
}

static int listen_and_accept(const struct opts *o, struct addrinfo *ai)
{
	int one = 1, lfd, fd;

	lfd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (lfd < 0)
		return -1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 1)) {
		fprintf(stderr, PROG ": listen on port %s: %s\n", o->port,
			strerror(errno));
		close(lfd);
		return -1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fprintf(stderr, PROG ": accept: %s\n", strerror(errno));
	close(lfd);
	return fd;
}

/* A connected TCP socket, or -1 (reported). */
static int open_socket(const struct opts *o)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	const char *host = o->host;
	struct addrinfo *ai;
	int fd = -1, err;

	if (o->listen)
		hints.ai_flags |= AI_PASSIVE;
	else if (!host)
		host = "127.0.0.1";
	err = getaddrinfo(host, o->port, &hints, &ai);
	if (err) {
		fprintf(stderr, PROG ": %s port %s: %s\n", host ? host : "*",
			o->port, gai_strerror(err));
		return -1;
	}
	if (o->listen) {
		fd = listen_and_accept(o, ai);
	} else {
		fd = socket(ai->ai_family, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
			fprintf(stderr, PROG ": connect to %s port %s: %s\n",
				host, o->port, strerror(errno));
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(ai);
	return fd;
}

/* Write all of @buf; 0 or -errno. */
static int send_all(int fd, bool is_sock, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = is_sock ? send(fd, buf, len, MSG_NOSIGNAL) :
				      write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Abortive close: SO_LINGER 0 makes close() send RST, not FIN. */
static void reset_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

static void fail(struct result *r, int err, const char *what)
{
	if (!r->err) {
		r->err = err;
		r->what = what;
	}
}

/* The test stream, generated here, with send() (or write() to stdout). */
static void send_stream(int fd, bool is_sock, const struct opts *o,
			uint64_t total, struct result *r)
{
	uint8_t *buf = malloc(o->chunk);

	if (!buf)
		return fail(r, -ENOMEM, "malloc");
	while (!r->err && r->sent < total) {
		size_t n = total - r->sent < o->chunk ? total - r->sent : o->chunk;
		int err;

		st_pattern(o->seed, r->sent, buf, n);
		err = send_all(fd, is_sock, buf, n);
		if (err)
			fail(r, err, is_sock ? "send" : "write");
		else
			r->sent += n;
	}
	if (is_sock)
		r->copied = r->sent;	/* send() copies every byte */
	free(buf);
}

/*
 * Open @path for reading with O_DIRECT, or without it where the file
 * system refuses (then the page cache copies, and we say so).
 */
static int open_input(const char *path, bool quiet)
{
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0 && errno == EINVAL) {
		fd = open(path, O_RDONLY);
		if (fd >= 0 && !quiet)
			fprintf(stderr, PROG ": %s: no O_DIRECT here, reading through the page cache\n",
				path);
	}
	if (fd < 0)
		fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
	return fd;
}

static uint64_t round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/*
 * --file --plain: read() into one aligned buffer, send() it.  A read that
 * returns less than asked for is the end of the file.
 */
static void send_file_plain(int sock, int file, const struct opts *o,
			    uint64_t total, struct result *r)
{
	uint8_t *buf;

	if (posix_memalign((void **)&buf, FILE_ALIGN, o->chunk))
		return fail(r, -ENOMEM, "posix_memalign");
	while (!r->err && r->sent < total) {
		uint64_t want = total - r->sent < o->chunk ? total - r->sent : o->chunk;
		ssize_t n = pread(file, buf, round_up(want, FILE_ALIGN), r->sent);
		int err;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(r, -errno, "read");
			break;
		}
		if ((uint64_t)n > want)
			n = want;
		if (n) {
			err = send_all(sock, true, buf, n);
			if (err) {
				fail(r, err, "send");
				break;
			}
			r->sent += n;
			r->copied += n;
		}
		if ((uint64_t)n < want)
			fail(r, -ENODATA, "read");	/* the file ended early */
	}
	free(buf);
}

/*
 * --file with io_uring.  Chunk k of the stream goes through buffer k % Q:
 * READ_FIXED fills it, SEND_ZC sends it from the same registered pages,
 * and the buffer is read into again only after the notification CQE of
 * every send from it (until then the NIC, or an skb somewhere, may still
 * read those pages).  Reads run up to Q chunks ahead; one send is in
 * flight at a time, since two sends on one socket may be reordered when
 * the first has to wait for room.
 */
enum zbuf_state { ZB_FREE, ZB_READING, ZB_READY, ZB_SENDING, ZB_NOTIF };

struct zbuf {
	uint8_t *mem;
	enum zbuf_state state;
	uint64_t chunk;		/* which chunk of the stream */
	uint64_t off;		/* stream offset of its data */
	uint32_t len;		/* bytes in it (read so far) */
	uint32_t want;		/* bytes the stream needs from it */
	uint32_t done;		/* bytes sent from it */
	unsigned int notifs;	/* notifications still to come */
	uint32_t unnotified;	/* bytes sent whose notification is to come */
};

struct zsend {
	struct io_uring ring;
	struct zbuf *bufs;
	unsigned int nbufs;
	uint64_t next_read;	/* chunk index */
	uint64_t next_send;
	uint64_t nchunks;
	unsigned int inflight;	/* reads, sends and notifications to come */
	bool sending;
	bool short_file;	/* a read ended before the chunk did */
};

/*
 * user_data: the operation, the buffer, and the bytes asked for (a
 * notification carries its send's user_data, and so its length).
 */
#define UD_READ		1ULL
#define UD_SEND		2ULL
#define UD(op, idx, len)	((op) << 62 | (uint64_t)(idx) << 32 | (len))
#define UD_OP(ud)		((ud) >> 62)
#define UD_IDX(ud)		((unsigned int)((ud) >> 32) & 0xfffffff)
#define UD_LEN(ud)		((uint32_t)(ud))

static struct io_uring_sqe *zs_sqe(struct zsend *z)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&z->ring);

	if (!sqe) {
		io_uring_submit(&z->ring);
		sqe = io_uring_get_sqe(&z->ring);
	}
	return sqe;	/* the ring has room for every buffer's requests */
}

static void zs_read(struct zsend *z, int file, const struct opts *o,
		    uint64_t total)
{
	while (z->next_read < z->nchunks) {
		unsigned int i = z->next_read % z->nbufs;
		struct zbuf *b = &z->bufs[i];
		struct io_uring_sqe *sqe;
		uint64_t off = z->next_read * o->chunk;

		if (b->state != ZB_FREE)
			return;
		b->chunk = z->next_read;
		b->off = off;
		b->want = total - off < o->chunk ? total - off : o->chunk;
		b->len = 0;
		b->done = 0;
		b->unnotified = 0;
		b->state = ZB_READING;
		sqe = zs_sqe(z);
		io_uring_prep_read_fixed(sqe, file, b->mem,
					 round_up(b->want, FILE_ALIGN), off, i);
		sqe->user_data = UD(UD_READ, i, 0);
		z->inflight++;
		z->next_read++;
	}
}

static void zs_send(struct zsend *z, int sock)
{
	struct zbuf *b;
	struct io_uring_sqe *sqe;
	unsigned int i;

	if (z->sending || z->next_send >= z->nchunks)
		return;
	i = z->next_send % z->nbufs;
	b = &z->bufs[i];
	if (b->state != ZB_READY)
		return;
	if (b->done == b->want) {	/* nothing left in the file for it */
		b->state = ZB_FREE;
		z->next_send++;
		return;
	}
	sqe = zs_sqe(z);
	io_uring_prep_send_zc_fixed(sqe, sock, b->mem + b->done,
				    b->want - b->done, MSG_NOSIGNAL | MSG_WAITALL,
				    0, i);
	sqe->ioprio |= IORING_SEND_ZC_REPORT_USAGE;
	sqe->user_data = UD(UD_SEND, i, b->want - b->done);
	b->state = ZB_SENDING;
	z->sending = true;
	z->inflight++;
}

/* A buffer whose sends are all done and notified is free again. */
static void zs_release(struct zsend *z, struct zbuf *b)
{
	if (b->state == ZB_NOTIF && !b->notifs && b->done == b->want)
		b->state = ZB_FREE;
}

static void zs_cqe(struct zsend *z, struct io_uring_cqe *cqe, struct result *r)
{
	unsigned int i = UD_IDX(cqe->user_data);
	struct zbuf *b = &z->bufs[i];
	int res = cqe->res;
	uint32_t n;

	if (UD_OP(cqe->user_data) == UD_READ) {
		z->inflight--;
		if (res < 0)
			return fail(r, res, "read");
		b->len = (uint32_t)res < b->want ? (uint32_t)res : b->want;
		b->state = ZB_READY;
		if (b->len < b->want) {
			/*
			 * The end of the file (a short O_DIRECT read is
			 * one): send up to here, then fail.
			 */
			b->want = b->len;
			z->short_file = true;
			if (z->nchunks > b->chunk + 1)
				z->nchunks = b->chunk + 1;
		}
		return;
	}
	if (cqe->flags & IORING_CQE_F_NOTIF) {
		z->inflight--;
		b->notifs--;
		/*
		 * The kernel says per request whether it copied any of it
		 * (a device without scatter/gather, delivery to a local
		 * socket): count the bytes that request sent.
		 */
		n = UD_LEN(cqe->user_data) < b->unnotified ?
		    UD_LEN(cqe->user_data) : b->unnotified;
		b->unnotified -= n;
		if (res & IORING_NOTIF_USAGE_ZC_COPIED)
			r->copied += n;
		zs_release(z, b);
		return;
	}
	/* The send's own completion; F_MORE: a notification follows. */
	z->inflight--;
	z->sending = false;
	if (cqe->flags & IORING_CQE_F_MORE) {
		b->notifs++;
		z->inflight++;
	}
	if (res < 0)
		return fail(r, res, "send");
	if (!res)	/* no progress and no error: do not spin on it */
		return fail(r, -EIO, "send");
	r->zc_sends++;
	b->done += res;
	b->unnotified += res;
	r->sent += res;
	if (b->done < b->want) {	/* a partial send: the rest again */
		b->state = ZB_READY;
		return;
	}
	b->state = ZB_NOTIF;
	z->next_send++;
	zs_release(z, b);
}

static int zs_setup(struct zsend *z, const struct opts *o)
{
	struct io_uring_params p = { .flags = IORING_SETUP_SINGLE_ISSUER |
					      IORING_SETUP_DEFER_TASKRUN };
	struct iovec *iov;
	unsigned int entries = 2 * z->nbufs + 4;
	int err;

	err = io_uring_queue_init_params(entries, &z->ring, &p);
	if (err)	/* older kernels: a plain ring does the same */
		err = io_uring_queue_init(entries, &z->ring, 0);
	if (err) {
		fprintf(stderr, PROG ": io_uring: %s\n", strerror(-err));
		return err;
	}
	z->bufs = calloc(z->nbufs, sizeof(*z->bufs));
	iov = calloc(z->nbufs, sizeof(*iov));
	if (!z->bufs || !iov)
		err = -ENOMEM;
	for (unsigned int i = 0; !err && i < z->nbufs; i++) {
		if (posix_memalign((void **)&z->bufs[i].mem, FILE_ALIGN, o->chunk))
			err = -ENOMEM;
		else
			iov[i] = (struct iovec){ z->bufs[i].mem, o->chunk };
	}
	if (!err)
		err = io_uring_register_buffers(&z->ring, iov, z->nbufs);
	free(iov);
	if (err)
		fprintf(stderr, PROG ": registering %u buffers of %llu bytes: %s\n",
			z->nbufs, (unsigned long long)o->chunk, strerror(-err));
	return err;
}

static void send_file_zc(int *sockp, int file, const struct opts *o,
			 uint64_t total, struct result *r)
{
	int sock = *sockp;
	struct zsend z = { .nchunks = (total + o->chunk - 1) / o->chunk };
	int err;

	z.nbufs = z.nchunks < o->qdepth ? z.nchunks : o->qdepth;
	if (!z.nbufs)
		return;
	err = zs_setup(&z, o);
	if (err)
		return fail(r, err, "set-up");
	/*
	 * After a failure, only wait for what is in flight: the pages of
	 * every send stay the kernel's until its notification, and a reset
	 * connection frees its skbs, so the notifications come.
	 */
	for (;;) {
		struct io_uring_cqe *cqe;
		unsigned int head, seen = 0;

		if (!r->err) {
			zs_read(&z, file, o, total);
			zs_send(&z, sock);
		}
		if (!r->err && z.short_file && z.next_send >= z.nchunks)
			fail(r, -ENODATA, "read");
		if (r->err && *sockp >= 0 && !z.sending) {
			/*
			 * Reset now: a dead connection drops its queued
			 * skbs, and with them the pages of our buffers, so
			 * the notifications we wait for come.
			 */
			reset_close(*sockp);
			*sockp = -1;
		}
		if (!z.inflight && (r->err || z.next_send >= z.nchunks))
			break;
		err = io_uring_submit_and_wait(&z.ring, 1);
		if (err < 0 && err != -EINTR) {
			fail(r, err, "io_uring_enter");
			break;
		}
		io_uring_for_each_cqe(&z.ring, head, cqe) {
			zs_cqe(&z, cqe, r);
			seen++;
		}
		io_uring_cq_advance(&z.ring, seen);
	}
	io_uring_queue_exit(&z.ring);
	for (unsigned int i = 0; i < z.nbufs; i++)
		free(z.bufs[i].mem);
	free(z.bufs);
}

/*
 * Orderly end: FIN, then wait for the peer's own close, so that it has
 * taken every byte (and a receiver that measures this process's run time
 * finds it still there).  A reset from the peer now is still a failure.
 */
static int finish(int fd)
{
	char scratch[4096];
	ssize_t n;

	if (shutdown(fd, SHUT_WR))
		return -errno;
	do {
		n = read(fd, scratch, sizeof(scratch));
	} while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		return -errno;
	return close(fd) ? -errno : 0;
}

static void report(const struct opts *o, const struct result *r, bool reset)
{
	const char *mode = !o->file ? "stream" : o->plain ? "plain" : "send_zc";

	if (o->json)
		printf("{\"mode\": \"%s\", \"bytes\": %llu, \"seconds\": %.4f, "
		       "\"zc_sends\": %llu, \"copied_bytes\": %llu, "
		       "\"error\": \"%s%s%s\"}\n", mode,
		       (unsigned long long)r->sent, r->secs,
		       (unsigned long long)r->zc_sends,
		       (unsigned long long)r->copied, r->err ? r->what : "",
		       r->err ? ": " : "", r->err ? strerror(-r->err) : "");
	if (r->err) {
		fprintf(stderr, PROG ": %s at byte %llu: %s\n", r->what,
			(unsigned long long)r->sent,
			r->err == -ENODATA ? "the file ended early" :
			r->err == -ECONNRESET || r->err == -EPIPE ?
			"the peer reset the connection" : strerror(-r->err));
		return;
	}
	if (!o->quiet)
		fprintf(stderr, PROG ": sent %llu bytes (%s, %llu copied by the CPU)%s\n",
			(unsigned long long)r->sent, mode,
			(unsigned long long)r->copied, reset ? ", then reset" : "");
}

int main(int argc, char **argv)
{
	struct opts o = { .port = DEFAULT_PORT, .size = 1ULL << 30,
			  .chunk = 1 << 20, .reset_after = ~0ULL, .qdepth = 8 };
	struct result r = { 0 };
	int fd, file = -1, ret;
	uint64_t total;
	bool reset;
	double t0;

	ret = parse_args(argc, argv, &o);
	if (ret)
		return ret;
	if (o.file) {
		struct stat st;

		file = open_input(o.file, o.quiet);
		if (file < 0 || fstat(file, &st))
			return EXIT_FAIL;
		if (!o.size_set)	/* -s more than the file: caught as it reads */
			o.size = st.st_size;
	}
	reset = o.reset_after != ~0ULL;
	total = reset && o.reset_after < o.size ? o.reset_after : o.size;
	if (o.to_stdout) {
		send_stream(STDOUT_FILENO, false, &o, total, &r);
		if (r.err)
			report(&o, &r, false);
		return r.err ? EXIT_FAIL : 0;
	}

	signal(SIGPIPE, SIG_IGN);
	fd = open_socket(&o);
	if (fd < 0)
		return EXIT_FAIL;
	t0 = now();
	if (!o.file)
		send_stream(fd, true, &o, total, &r);
	else if (o.plain)
		send_file_plain(fd, file, &o, total, &r);
	else
		send_file_zc(&fd, file, &o, total, &r);
	if (r.err || reset) {
		/* a cut stream must not look whole to the peer */
		if (fd >= 0)
			reset_close(fd);
	} else {
		ret = finish(fd);
		if (ret)
			fail(&r, ret, "close");
	}
	r.secs = now() - t0;
	report(&o, &r, reset && !r.err);
	if (file >= 0)
		close(file);
	return r.err ? EXIT_FAIL : 0;
}
