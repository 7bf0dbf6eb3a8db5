// SPDX-License-Identifier: GPL-2.0
/*
 * rxlat: request-response latency of a receive path, as netperf's TCP_RR
 * measures it: the client sends a request of SIZE bytes, the server
 * receives all of it with the receive path under test and answers with
 * SIZE bytes; the client times each round trip.
 *
 *   rxlat server PATH PORT ROUNDS SIZE   PATH as for rxbench
 *   rxlat client HOST PORT ROUNDS SIZE   prints one line of JSON
 *
 * Only the server's receive differs between paths: the client, its
 * blocking recv(MSG_WAITALL) and the server's send() are the same code.
 * Under -icount the clock counts instructions, so a round trip is the
 * length of the code path, not the host's scheduling noise.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <linux/tcp.h>
#include <liburing/postrx.h>
#include "bench.h"

#define POSTED		4	/* postrx: requests' buffers posted ahead */
#define RING_BUFS	16	/* uring_recv_ring: provided buffers */
#define WARMUP		50	/* rounds not counted: connection set-up */

/*
 * A server-side receive path.  recv() returns when some bytes of the
 * request arrived (at most @want), like one completion of the path.
 */
struct server {
	int fd, devfd, ep;
	char *buf;
	size_t size;
	struct io_uring ring;
	struct io_uring_buf_ring *br;
	void *map;
	bool armed;
	__u32 post_flags;	/* postrx: WAITALL, or 0 (postrx_push) */
	size_t (*recv)(struct server *s, size_t want);
};

static void wait_readable(struct server *s)
{
	struct epoll_event out;

	epoll_wait(s->ep, &out, 1, -1);
}

static size_t recv_epoll(struct server *s, size_t want)
{
	for (;;) {
		ssize_t n = recv(s->fd, s->buf, want, 0);

		if (n > 0)
			return n;
		if (n == 0)
			die("recv", ECONNRESET);
		if (errno != EAGAIN)
			die("recv", errno);
		wait_readable(s);
	}
}

/* Wait for one completion and return its result. */
static int one_cqe(struct io_uring *ring, __u32 *flags, __u64 *ud)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit_and_wait(ring, 1) < 0 || io_uring_wait_cqe(ring, &cqe))
		die("io_uring wait", errno);
	res = cqe->res;
	if (flags)
		*flags = cqe->flags;
	if (ud)
		*ud = cqe->user_data;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static size_t recv_uring(struct server *s, size_t want)
{
	int res;

	io_uring_prep_recv(io_uring_get_sqe(&s->ring), s->fd, s->buf, want, 0);
	res = one_cqe(&s->ring, NULL, NULL);
	if (res <= 0)
		die("IORING_OP_RECV", res ? -res : ECONNRESET);
	return res;
}

static size_t recv_uring_ring(struct server *s, size_t want)
{
	__u32 flags;
	int res;

	for (;;) {
		if (!s->armed) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);

			io_uring_prep_recv_multishot(sqe, s->fd, NULL, 0, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = 1;
			s->armed = true;
		}
		res = one_cqe(&s->ring, &flags, NULL);
		if (!(flags & IORING_CQE_F_MORE))
			s->armed = false;
		if (res == -ENOBUFS)
			continue;
		if (res <= 0)
			die("multishot recv", res ? -res : ECONNRESET);
		break;
	}
	/* Hand the buffer back at once. */
	io_uring_buf_ring_add(s->br, s->buf + (flags >> IORING_CQE_BUFFER_SHIFT) * s->size,
			      s->size, flags >> IORING_CQE_BUFFER_SHIFT,
			      io_uring_buf_ring_mask(RING_BUFS), 0);
	io_uring_buf_ring_advance(s->br, 1);
	return res;
}

static size_t recv_tcp_zerocopy(struct server *s, size_t want)
{
	for (;;) {
		struct tcp_zerocopy_receive zc = {
			.address = (uintptr_t)s->map,
			.length = want & ~4095ul,
			.copybuf_address = (uintptr_t)s->buf,
			.copybuf_len = 4095,
		};
		socklen_t zl = sizeof(zc);
		size_t n;

		if (getsockopt(s->fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &zl))
			die("TCP_ZEROCOPY_RECEIVE", errno);
		if (zc.err)
			die("TCP_ZEROCOPY_RECEIVE", -zc.err);
		n = zc.length + (zc.copybuf_len > 0 ? zc.copybuf_len : 0);
		if (!n && zc.recv_skip_hint) {
			ssize_t r = recv(s->fd, s->buf, zc.recv_skip_hint, 0);

			n = r > 0 ? r : 0;
		}
		if (n)
			return n;
		wait_readable(s);
	}
}

/*
 * postrx: POSTED request-sized buffers posted with WAITALL (postrx_push:
 * without, each completes at the request's push); a completed
 * one is posted again at once (the SQE goes in with the next wait, before
 * the next request can arrive, since the client waits for the answer).
 */
static size_t recv_postrx(struct server *s, size_t want)
{
	__u64 slot;
	int res = one_cqe(&s->ring, NULL, &slot);

	if (res <= 0)
		die("POSTRX_CMD_RECV", res ? -res : ECONNRESET);
	prep_post(&s->ring, s->devfd, s->fd, s->buf + slot * s->size, s->size, slot,
		  s->post_flags);
	return res;
}

static void setup_ring_paths(struct server *s, const char *path)
{
	struct iovec iov = { s->buf, s->size * POSTED };
	unsigned int i;

	if (ring_init(64, &s->ring))
		die("io_uring", errno);
	if (!strcmp(path, "uring_recv")) {
		s->recv = recv_uring;
	} else if (!strcmp(path, "postrx_dropin")) {
		/* The uring_recv loop unchanged; liburing-ext upgrades it. */
		if (io_uring_postrx_enable(&s->ring) ||
		    io_uring_register_buffers(&s->ring, &iov, 1))
			die("drop-in", errno);
		s->recv = recv_uring;
	} else if (!strcmp(path, "uring_recv_ring")) {
		struct io_uring_buf_reg reg = { .ring_entries = RING_BUFS, .bgid = 1 };

		s->br = mmap(NULL, RING_BUFS * sizeof(struct io_uring_buf),
			     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		reg.ring_addr = (uintptr_t)s->br;
		if (s->br == MAP_FAILED || io_uring_register_buf_ring(&s->ring, &reg, 0))
			die("io_uring_register_buf_ring", EINVAL);
		io_uring_buf_ring_init(s->br);
		for (i = 0; i < RING_BUFS; i++)
			io_uring_buf_ring_add(s->br, s->buf + i * s->size, s->size, i,
					      io_uring_buf_ring_mask(RING_BUFS), i);
		io_uring_buf_ring_advance(s->br, RING_BUFS);
		s->recv = recv_uring_ring;
	} else if (!strcmp(path, "postrx") || !strcmp(path, "postrx_push")) {
		s->post_flags = strcmp(path, "postrx") ? 0 : POSTRX_RECV_WAITALL;
		s->devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
		if (s->devfd < 0 || io_uring_register_buffers(&s->ring, &iov, 1))
			die("postrx", errno);
		for (i = 0; i < POSTED; i++)
			prep_post(&s->ring, s->devfd, s->fd, s->buf + i * s->size,
				  s->size, i, s->post_flags);
		s->recv = recv_postrx;
	} else {
		die(path, EINVAL);
	}
}

static void setup_path(struct server *s, const char *path)
{
	struct epoll_event ev = { .events = EPOLLIN };

	s->buf = mmap(NULL, s->size * RING_BUFS, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->buf == MAP_FAILED)
		die("mmap", errno);
	memset(s->buf, 0, s->size * RING_BUFS);
	if (strcmp(path, "epoll") && strcmp(path, "tcp_zerocopy")) {
		setup_ring_paths(s, path);
		return;
	}
	fcntl(s->fd, F_SETFL, O_NONBLOCK);
	s->ep = epoll_create1(0);
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->fd, &ev);
	s->recv = recv_epoll;
	if (!strcmp(path, "tcp_zerocopy")) {
		s->map = mmap(NULL, s->size, PROT_READ, MAP_SHARED, s->fd, 0);
		if (s->map == MAP_FAILED)
			die("mmap of the socket", errno);
		s->recv = recv_tcp_zerocopy;
	}
}

/* A blocking send of all of @len; the answer is the same for every path. */
static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, 0);

		if (n < 0 && errno == EAGAIN) {
			/* Nonblocking paths (epoll, tcp_zerocopy): wait. */
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n <= 0)
			die("send", errno);
		buf += n;
		len -= n;
	}
}

static int do_server(const char *path, int port, long rounds, size_t size)
{
	struct server s = { .size = size };
	char *answer = calloc(1, size);
	int one = 1, lfd = tcp_listen(port, 1);
	long r;

	printf("ready\n");
	fflush(stdout);
	s.fd = accept(lfd, NULL, NULL);
	if (s.fd < 0)
		die("accept", errno);
	setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setup_path(&s, path);
	for (r = 0; r < rounds; r++) {
		size_t got = 0;

		while (got < size)
			got += s.recv(&s, size - got);
		send_all(s.fd, answer, size);
	}
	close(s.fd);
	close(lfd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int do_client(const char *host, int port, long rounds, size_t size)
{
	double *rtt = calloc(rounds, sizeof(*rtt));
	char *req = calloc(1, size), *resp = malloc(size);
	int one = 1, fd = tcp_connect(host, port);
	long r, n = 0;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (r = 0; r < rounds; r++) {
		double t0 = now();

		if (send(fd, req, size, 0) != (ssize_t)size ||
		    recv(fd, resp, size, MSG_WAITALL) != (ssize_t)size)
			die("round trip", errno ? errno : EPIPE);
		if (r >= WARMUP)
			rtt[n++] = (now() - t0) * 1e6;
	}
	close(fd);
	qsort(rtt, n, sizeof(*rtt), cmp_double);
	printf("{\"size\": %zu, \"rounds\": %ld, \"lat_p50_us\": %.2f, "
	       "\"lat_p99_us\": %.2f}\n", size, n, rtt[n / 2], rtt[n * 99 / 100]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "server"))
		return do_server(argv[2], atoi(argv[3]), atol(argv[4]),
				 strtoull(argv[5], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "client") && atol(argv[4]) > WARMUP)
		return do_client(argv[2], atoi(argv[3]), atol(argv[4]),
				 strtoull(argv[5], NULL, 0));
	fprintf(stderr, "usage: rxlat server PATH PORT ROUNDS SIZE\n"
			"       rxlat client HOST PORT ROUNDS SIZE  (ROUNDS > %d)\n",
		WARMUP);
	return 2;
}
