/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Network helpers for the postrx selftests: a verifiable byte stream, a
 * sender process, links (loopback and a veth pair into a namespace of our
 * own, optionally with netem), and posting and streaming with postrx.
 */
#ifndef POSTRX_SELFTEST_NET_H
#define POSTRX_SELFTEST_NET_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "postrx_util.h"

/*
 * ---- the stream: byte i of stream @seed is a function of (seed, i).  One
 * definition, shared with the tools (postrx-send writes it, postrx-recv
 * --verify checks it).
 */
#include "../../tools/postrx-recv/stream.h"
#include "../../tools/common/zerocopy.h"

#define px_pattern	st_pattern
#define px_verify	st_verify

/*
 * Divide the volume of traffic by this much: the debug kernel (KASAN,
 * lockdep, kmemleak) under TCG moves data some 20 times slower.
 */
static inline size_t px_scale(void)
{
	const char *k = getenv("POSTRX_KERNEL");

	return k && !strcmp(k, "debug") ? 8 : 1;
}

/* The long suite (make check LONG=1) runs with POSTRX_LONG=1. */
static inline bool px_long(void)
{
	const char *l = getenv("POSTRX_LONG");

	return l && !strcmp(l, "1");
}

#define PX_LONG_BYTES	(1ULL << 30)	/* per fault path in the long suite */

/*
 * Bytes to move through one fault path: @bytes scaled down for the debug
 * kernel, or 1 GiB on any kernel in the long suite.
 */
static inline size_t px_fault_volume(size_t bytes)
{
	return px_long() ? PX_LONG_BYTES : bytes / px_scale();
}

/* ---- links */

struct px_link {
	const char *name;
	int family;
	const char *rx_addr;	/* where the receiver listens */
	bool veth;		/* sender in namespace PX_NETNS over a pair */
	const char *netem;	/* netem arguments on the sender's side */
	const char *kind;	/* the pair's link type: "veth" if NULL */
	int mtu;		/* the pair's MTU, if not 0 */
};

#define PX_NETNS	"pxtx"

static inline int px_sh(const char *cmd)
{
	int ret = system(cmd);

	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

/*
 * Set postrx.ko's module parameter @name to @val; returns the value it
 * had, or -1 if it cannot be read or written.
 */
static inline long px_postrx_param(const char *name, long val)
{
	char path[128];
	long old = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/postrx/parameters/%s", name);
	f = fopen(path, "r+");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &old) != 1 || fseek(f, 0, SEEK_SET) ||
	    fprintf(f, "%ld\n", val) < 0)
		old = -1;
	if (fclose(f))
		old = -1;
	return old;
}

/*
 * Load pxnic.ko from beside postrx.ko (and point ip(8) at our pxnic link
 * plugin); 0 if the module is there.
 */
static inline int px_pxnic_load(void)
{
	const char *ko = getenv("POSTRX_KO"), *top = getenv("POSTRX_TOP");
	char cmd[1024];

	if (top) {
		snprintf(cmd, sizeof(cmd), "%s/build/iproute2", top);
		setenv("IP_LIB_DIR", cmd, 1);
	}
	if (!access("/sys/module/pxnic", F_OK))
		return 0;
	if (!ko)
		return -1;
	snprintf(cmd, sizeof(cmd), "insmod \"$(dirname \"%s\")/pxnic/pxnic.ko\"",
		 ko);
	return px_sh(cmd) ? -1 : 0;
}

/*
 * /dev/postrx opened and pxnic loaded: the descriptor, or -1 with *@why
 * saying which is missing (the caller SKIPs).
 */
static inline int px_open_with_pxnic(const char **why)
{
	int fd = open(POSTRX_DEVICE_PATH, O_RDWR);

	*why = POSTRX_DEVICE_PATH " cannot be opened";
	if (fd < 0)
		return -1;
	*why = "pxnic.ko cannot be loaded";
	if (px_pxnic_load()) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The runner wants postrx's references back at 0 after each program, and
 * pxnic holds one.  A program that loads pxnic says PX_UNLOAD_PXNIC_AT_EXIT
 * once: tests run in children of the harness (which leave with _exit()),
 * forked senders return through main's destructors too, so only the
 * process that started the program unloads.
 */
#define PX_UNLOAD_PXNIC_AT_EXIT						\
static pid_t px_main_pid;						\
static void __attribute__((constructor)) px_remember_main(void)		\
{									\
	px_main_pid = getpid();						\
}									\
static void __attribute__((destructor)) px_unload_pxnic(void)		\
{									\
	if (getpid() == px_main_pid)					\
		px_sh("ip netns del " PX_NETNS " 2>/dev/null; "		\
		      "rmmod pxnic 2>/dev/null");			\
}

/* Remove the sender's namespace (and the pair with it), if there. */
static inline void px_link_down(const struct px_link *l)
{
	if (l->veth)
		px_sh("printf 'netns del " PX_NETNS "\\nlink del px0\\n' | "
		      "ip -force -b - 2>/dev/null");
}

/*
 * Create the sender's namespace and the pair; 0 on success.  One ip(8) in
 * batch mode per side: under TCG each program started costs a tenth of a
 * second or more, and the long suite sets links up thousands of times.
 */
static inline int px_link_up(const struct px_link *l)
{
	char mtu0[64] = "", mtu1[64] = "", cmd[1024];

	if (!l->veth)
		return 0;
	px_link_down(l);
	if (l->mtu) {
		snprintf(mtu0, sizeof(mtu0), "link set px0 mtu %d\\n", l->mtu);
		snprintf(mtu1, sizeof(mtu1), "link set px1 mtu %d\\n", l->mtu);
	}
	snprintf(cmd, sizeof(cmd),
		 "printf 'netns add " PX_NETNS "\\n"
		 "link add px0 type %s peer name px1 netns " PX_NETNS "\\n"
		 "%saddr add 10.99.0.1/24 dev px0\\n"
		 "addr add fd00:99::1/64 dev px0 nodad\\n"
		 "link set px0 up\\n' | ip -b - && "
		 "printf '%saddr add 10.99.0.2/24 dev px1\\n"
		 "addr add fd00:99::2/64 dev px1 nodad\\n"
		 "link set px1 up\\nlink set lo up\\n' | ip -n " PX_NETNS " -b -",
		 l->kind ? l->kind : "veth", mtu0, mtu1);
	if (px_sh(cmd))
		return -1;
	if (l->netem) {
		snprintf(cmd, sizeof(cmd),
			 "ip netns exec " PX_NETNS " tc qdisc add dev px1 root netem %s",
			 l->netem);
		if (px_sh(cmd))
			return -1;
	}
	return 0;
}

static inline socklen_t px_sockaddr(const struct px_link *l, const char *addr,
				    int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (l->family == AF_INET6) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		return sizeof(*a);
	}
	struct sockaddr_in *a = (void *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, addr, &a->sin_addr);
	return sizeof(*a);
}

/* A listening socket on the link's receive address; *port is set. */
static inline int px_listen(const struct px_link *l, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = px_sockaddr(l, l->rx_addr, 0, &ss);
	int one = 1, fd;

	fd = socket(l->family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&ss, len) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (void *)&ss, &len);
	*port = ntohs(l->family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
					      ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/*
 * Connect to @port on the link's receive address.  A non-zero @mss is set
 * as TCP_MAXSEG first: it only clamps the segment size when set before
 * the SYN.
 */
static inline int px_connect_mss(const struct px_link *l, int port, int mss)
{
	struct sockaddr_storage ss;
	socklen_t len = px_sockaddr(l, l->rx_addr, port, &ss);
	int fd = socket(l->family, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if ((mss && setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss))) ||
	    connect(fd, (void *)&ss, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline int px_connect(const struct px_link *l, int port)
{
	return px_connect_mss(l, port, 0);
}

static inline int px_enter_netns(const char *name)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	ret = setns(fd, CLONE_NEWNET);
	close(fd);
	return ret;
}

/* Anonymous memory for registered buffers, touched so it is present. */
static inline void *px_alloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, len);
	return p;
}

/* Set by a test: the sender sleeps this long after connecting. */
static unsigned int px_sender_delay_us;
/*
 * Set by a test: the sender writes with MSG_ZEROCOPY from one buffer that
 * holds the whole stream, and exits with 5 if the kernel copied every
 * send anyway (SO_EE_CODE_ZEROCOPY_COPIED).
 */
static bool px_sender_zerocopy;

/* The sender's loop with MSG_ZEROCOPY; returns its exit code. */
static inline int px_send_zerocopy(int fd, uint64_t seed, size_t total,
				   size_t chunk)
{
	char *buf = px_alloc(total ? total : 1);
	struct zc_sender zc = { 0 };
	size_t off;

	if (!buf || zc_enable(fd))
		return 6;
	px_pattern(seed, 0, buf, total);
	for (off = 0; off < total; ) {
		size_t n = total - off < chunk ? total - off : chunk;
		ssize_t w = zc_send(&zc, fd, buf + off, n);

		if (w <= 0)
			return 4;
		off += w;
	}
	zc_finish(&zc, fd, 10000);
	fprintf(stderr, "# zerocopy sender: %lu sends, %lu completed, %lu copied\n",
		zc.sends, zc.done, zc.copied);
	return zc.sends && zc.copied == zc.sends ? 5 : 0;
}

/*
 * Write bytes [@off, @off + @n) of stream @seed to @fd, in writes of up to
 * @chunk bytes; 0 once all are written, -1 if a write fails.
 */
static inline int px_write_stream(int fd, uint64_t seed, uint64_t off,
				  size_t n, size_t chunk)
{
	char *buf = malloc(chunk);
	uint64_t end = off + n;

	while (buf && off < end) {
		size_t k = end - off < chunk ? end - off : chunk;
		ssize_t w;

		px_pattern(seed, off, buf, k);
		w = write(fd, buf, k);
		if (w <= 0)
			break;
		off += w;
	}
	free(buf);
	return off == end ? 0 : -1;
}

enum px_end {
	PX_END_CLOSE,	/* orderly close: the receiver sees end of stream */
	PX_END_RESET,	/* abortive close: the receiver sees ECONNRESET */
	PX_END_HOLD,	/* keep the connection open until killed */
};

/*
 * Fork a sender that connects to @port over @l and writes @total bytes of
 * stream @seed in writes of up to @chunk bytes, then ends as @end says.
 */
static inline pid_t px_sender(const struct px_link *l, int port, uint64_t seed,
			      size_t total, size_t chunk, enum px_end end)
{
	pid_t pid = fork();

	if (pid)
		return pid;

	int fd;

	if (l->veth && px_enter_netns(PX_NETNS))
		_exit(2);
	fd = px_connect(l, port);
	if (fd < 0)
		_exit(3);
	if (px_sender_delay_us)
		usleep(px_sender_delay_us);
	if (px_sender_zerocopy) {
		int ret = px_send_zerocopy(fd, seed, total, chunk);

		if (ret)
			_exit(ret);
	} else if (px_write_stream(fd, seed, 0, total, chunk)) {
		_exit(4);
	}
	if (end == PX_END_RESET) {
		struct linger lg = { 1, 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	} else if (end == PX_END_HOLD) {
		for (;;)
			pause();
	}
	close(fd);
	_exit(0);
}

/*
 * Fork a peer that connects to @port over @l (from namespace PX_NETNS on a
 * veth link; TCP_MAXSEG @mss if not 0), runs @fn on the connected socket
 * and exits with what @fn returns: for peers that do more than write a
 * stream and close (half close, stalls, resets, tiny segments).
 */
static inline pid_t px_peer(const struct px_link *l, int port, int mss,
			    int (*fn)(int fd, void *arg), void *arg)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	if (l->veth && px_enter_netns(PX_NETNS))
		_exit(2);
	fd = px_connect_mss(l, port, mss);
	if (fd < 0)
		_exit(3);
	_exit(fn(fd, arg));
}

/*
 * struct tcp_info as Linux 6.12 fills it.  glibc's copy stops at
 * tcpi_total_retrans and <linux/tcp.h> cannot be included beside
 * <netinet/tcp.h>, so the later fields are spelled out in the kernel's
 * order (uapi <linux/tcp.h>).
 */
struct px_tcp_info {
	struct tcp_info base;
	uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, notsent_bytes, min_rtt;
	uint32_t data_segs_in, data_segs_out;
	uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t delivered, delivered_ce;
	uint64_t bytes_sent, bytes_retrans;
	uint32_t dsack_dups, reord_seen, rcv_ooopack, snd_wnd;
};

/* TCP_INFO of @fd up to snd_wnd; -1 if the kernel fills less. */
static inline int px_tcp_info(int fd, struct px_tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len))
		return -1;
	return len >= sizeof(*ti) ? 0 : -1;
}

static inline int px_wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Wait until @fd has at least @n bytes queued for reading. */
static inline int px_wait_queued(int fd, int n)
{
	int i, q = 0;

	for (i = 0; i < 5000; i++) {
		if (ioctl(fd, FIONREAD, &q) == 0 && q >= n)
			return q;
		usleep(1000);
	}
	return q;
}

/* ---- posting */

static inline struct io_uring_sqe *px_prep_recv(struct io_uring *ring,
						int devfd, int sockfd,
						void *addr, __u32 len,
						__u16 buf_index, __u32 flags,
						__u64 user_data)
{
	struct io_uring_sqe *sqe;
	struct postrx_sock_cmd *cmd;

	sqe = postrx_get_cmd_sqe(ring, devfd, POSTRX_CMD_RECV, addr, len);
	if (!sqe)
		return NULL;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = buf_index;
	sqe->user_data = user_data;
	cmd = (void *)sqe->cmd;
	cmd->sockfd = sockfd;
	cmd->flags = flags;
	return sqe;
}

static inline int px_stats(struct io_uring *ring, int devfd, int sockfd,
			   struct postrx_stats *st)
{
	struct io_uring_sqe *sqe;

	sqe = postrx_get_cmd_sqe(ring, devfd, POSTRX_CMD_STATS, st, sizeof(*st));
	if (!sqe)
		return -ENOMEM;
	((struct postrx_sock_cmd *)sqe->cmd)->sockfd = sockfd;
	sqe->user_data = ~0ULL;
	return postrx_submit_wait(ring);
}

/* Wait for a CQE with a timeout in ms; 0 and *res on success. */
static inline int px_wait_cqe(struct io_uring *ring, int ms, __u64 *user_data,
			      int *res)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;
	int ret;

	/* A signal (SIGCHLD of a helper run by another thread) is no end. */
	do
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	while (ret == -EINTR);
	if (ret)
		return ret;
	*user_data = cqe->user_data;
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}

/*
 * Receive a whole stream through postrx: @nbufs buffers of @bufsize bytes
 * (one registered region, buffer index 0), re-posted as they complete.
 * Checks that completions come in posting order and that every byte equals
 * stream @seed; returns the bytes received before end of stream, or a
 * negative value on the first error (printed).
 */
/*
 * Say how @buf (stream offset @off) differs from the stream: each stretch
 * of wrong bytes, its length, and whether it is the bitwise complement of
 * the stream (what pxnic's fault_forge delivers).  At most 8 stretches.
 */
static inline void px_describe_diff(uint64_t seed, uint64_t off,
				    const uint8_t *buf, size_t len)
{
	uint8_t *want = malloc(len);
	unsigned int shown = 0;
	size_t i = 0;

	if (!want)
		return;
	px_pattern(seed, off, want, len);
	while (i < len && shown < 8) {
		size_t j;
		bool inv = true;

		if (buf[i] == want[i]) {
			i++;
			continue;
		}
		for (j = i; j < len && buf[j] != want[j]; j++)
			inv &= buf[j] == (uint8_t)~want[j];
		fprintf(stderr, "# stream differs at byte %llu: %zu bytes%s\n",
			(unsigned long long)(off + i), j - i,
			inv ? ", the complement of the stream" : "");
		shown++;
		i = j;
	}
	free(want);
}

/*
 * How the last px_stream() ended: the first failed completion's result (0
 * if none failed), and how many bytes were verified before it.
 */
static int px_stream_err;
static uint64_t px_stream_verified;

/*
 * For px_stream()'s @flags: every other buffer waits for all, the others
 * complete at a push (POSTRX_RECV_WAITALL alternating on one socket).
 */
#define PX_RECV_MIXED	(1U << 31)

/* The POSTRX_RECV_* flags of buffer @idx under px_stream()'s @flags. */
static inline __u32 px_buf_flags(__u32 flags, unsigned int idx)
{
	if (!(flags & PX_RECV_MIXED))
		return flags;
	return idx & 1 ? 0 : POSTRX_RECV_WAITALL;
}

static inline int64_t px_stream(struct io_uring *ring, int devfd, int sockfd,
				size_t bufsize, unsigned int nbufs,
				__u32 flags, uint64_t seed)
{
	size_t region = bufsize * nbufs;
	uint8_t *mem = px_alloc(region);
	struct iovec iov = { mem, region };
	unsigned int *fifo, head = 0, tail = 0, i;
	uint64_t off = 0;
	int64_t ret = -1;
	bool eof = false;

	px_stream_err = 0;
	px_stream_verified = 0;
	fifo = calloc(nbufs + 1, sizeof(*fifo));
	if (!mem || !fifo || io_uring_register_buffers(ring, &iov, 1))
		goto out;
	for (i = 0; i < nbufs; i++) {
		if (!px_prep_recv(ring, devfd, sockfd, mem + i * bufsize,
				  bufsize, 0, px_buf_flags(flags, i), i))
			goto out;
		fifo[tail++ % (nbufs + 1)] = i;
	}
	io_uring_submit(ring);

	while (head != tail) {
		__u64 ud;
		int res;

		if (px_wait_cqe(ring, 60000, &ud, &res)) {
			fprintf(stderr, "# no completion within 60 s at %llu\n",
				(unsigned long long)off);
			goto out;
		}
		if (ud != fifo[head % (nbufs + 1)]) {
			fprintf(stderr, "# completion of buffer %llu out of order\n",
				(unsigned long long)ud);
			goto out;
		}
		head++;
		if (res < 0) {
			fprintf(stderr, "# buffer %llu: %s\n",
				(unsigned long long)ud, strerror(-res));
			px_stream_err = res;
			goto out;
		}
		if (res > (int)bufsize || (eof && res)) {
			fprintf(stderr, "# buffer %llu: res %d after eof %d\n",
				(unsigned long long)ud, res, eof);
			goto out;
		}
		if (res == 0) {
			eof = true;
			continue;
		}
		if ((px_buf_flags(flags, ud) & POSTRX_RECV_WAITALL) &&
		    res != (int)bufsize) {
			/* Only the last buffer before end of stream. */
			eof = true;
		}
		int64_t bad = px_verify(seed, off, mem + ud * bufsize, res);

		if (bad >= 0) {
			px_describe_diff(seed, off, mem + ud * bufsize, res);
			goto out;
		}
		off += res;
		px_stream_verified = off;
		if (eof)
			continue;
		if (!px_prep_recv(ring, devfd, sockfd, mem + ud * bufsize,
				  bufsize, 0, px_buf_flags(flags, ud), ud))
			goto out;
		fifo[tail++ % (nbufs + 1)] = ud;
		io_uring_submit(ring);
	}
	ret = off;
out:
	io_uring_unregister_buffers(ring);
	if (mem)
		munmap(mem, region);
	free(fifo);
	return ret;
}

#endif /* POSTRX_SELFTEST_NET_H */
