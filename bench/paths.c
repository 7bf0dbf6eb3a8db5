// SPDX-License-Identifier: GPL-2.0
/*
 * The receive paths of the benchmarks (paths.h):
 *
 *   epoll            recv() of up to a buffer in an epoll loop
 *   uring_recv       one IORING_OP_RECV in flight, re-armed
 *   uring_recv_ring  one multishot IORING_OP_RECV over a provided buffer
 *                    ring of RX_RING_BUFS buffers
 *   tcp_zerocopy     TCP_ZEROCOPY_RECEIVE into a mapping of the socket
 *   postrx           rx->posted registered buffers posted with WAITALL,
 *                    re-posted as they complete
 *   postrx_push      the same without WAITALL: each completes when full
 *                    or at the sender's push
 *   postrx_dropin    the uring_recv loop unchanged, in liburing-ext's
 *                    drop-in mode
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/tcp.h>
#include <liburing/postrx.h>
#include "bench.h"
#include "paths.h"

void prep_post(struct io_uring *ring, int devfd, int fd, void *addr,
	       __u32 len, __u64 ud, __u32 flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		die("io_uring_get_sqe", EBUSY);
	memset(sqe, 0, sizeof(*sqe));
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, devfd, addr, len, 0);
	sqe->cmd_op = POSTRX_CMD_RECV;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->user_data = ud;
	((struct postrx_sock_cmd *)sqe->cmd)->sockfd = fd;
	((struct postrx_sock_cmd *)sqe->cmd)->flags = flags;
}

/*
 * A ring as a current io_uring application sets it up: one submitter,
 * completions' task work run when the application waits for them
 * (DEFER_TASKRUN), so a completion costs no wake-up of its own.
 */
static void ring_init(struct rx *rx, unsigned int entries)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER |
			 IORING_SETUP_DEFER_TASKRUN,
	};

	if (io_uring_queue_init_params(entries, &rx->ring, &p) &&
	    io_uring_queue_init(entries, &rx->ring, 0))
		die("io_uring", errno);
	rx->has_ring = true;
}

/* Register @n buffers of the region as one. */
static void register_region(struct rx *rx, unsigned int n)
{
	struct iovec iov = { rx->buf, rx->bufsize * n };
	int ret = io_uring_register_buffers(&rx->ring, &iov, 1);

	if (ret)
		die("io_uring_register_buffers", -ret);
}

/* ---- epoll and tcp_zerocopy: a nonblocking socket ---------------------- */

static void setup_epoll(struct rx *rx)
{
	struct epoll_event ev = { .events = EPOLLIN };

	fcntl(rx->fd, F_SETFL, O_NONBLOCK);
	rx->ep = epoll_create1(0);
	epoll_ctl(rx->ep, EPOLL_CTL_ADD, rx->fd, &ev);
}

static void wait_readable(struct rx *rx)
{
	struct epoll_event out;

	epoll_wait(rx->ep, &out, 1, -1);
}

static size_t receive_epoll(struct rx *rx, size_t want)
{
	for (;;) {
		ssize_t n = recv(rx->fd, rx->buf, want, 0);

		if (n >= 0)
			return n;
		if (errno != EAGAIN)
			die("recv", errno);
		wait_readable(rx);
	}
}

/*
 * TCP_ZEROCOPY_RECEIVE: map whole pages of payload into a window of the
 * socket's mapping; what cannot be mapped (partial pages, linear data) the
 * kernel copies into the buffer (copybuf).  Each call unmaps the previous
 * pages.
 */
static void setup_tcp_zerocopy(struct rx *rx)
{
	setup_epoll(rx);
	rx->map = mmap(NULL, rx->bufsize, PROT_READ, MAP_SHARED, rx->fd, 0);
	if (rx->map == MAP_FAILED)
		die("mmap of the socket", errno);
}

static size_t receive_tcp_zerocopy(struct rx *rx, size_t want)
{
	for (;;) {
		struct tcp_zerocopy_receive zc = {
			.address = (uintptr_t)rx->map,
			.length = want & ~4095ul,
			/*
			 * Only sub-page leftovers: with a copybuf as large as
			 * what is queued, the kernel copies everything.
			 */
			.copybuf_address = (uintptr_t)rx->buf,
			.copybuf_len = 4095,
		};
		socklen_t zl = sizeof(zc);
		size_t n;

		if (getsockopt(rx->fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &zl))
			die("TCP_ZEROCOPY_RECEIVE", errno);
		if (zc.err)
			die("TCP_ZEROCOPY_RECEIVE", -zc.err);
		n = zc.length + (zc.copybuf_len > 0 ? zc.copybuf_len : 0);
		rx->zc_mapped += zc.length;
		rx->zc_copied += zc.copybuf_len > 0 ? zc.copybuf_len : 0;
		if (!n && zc.recv_skip_hint) {
			ssize_t r = recv(rx->fd, rx->buf, zc.recv_skip_hint, 0);

			if (r > 0) {
				n = r;
				rx->zc_copied += r;
			}
		}
		if (n)
			return n;
		wait_readable(rx);
	}
}

/* ---- io_uring ------------------------------------------------------------ */

static void setup_uring(struct rx *rx)
{
	ring_init(rx, 8);
}

/* The usual io_uring loop: one IORING_OP_RECV in flight, re-armed. */
static size_t receive_uring(struct rx *rx, size_t want)
{
	struct io_uring_cqe *cqe;
	int res;

	io_uring_prep_recv(io_uring_get_sqe(&rx->ring), rx->fd, rx->buf, want, 0);
	io_uring_submit_and_wait(&rx->ring, 1);
	if (io_uring_wait_cqe(&rx->ring, &cqe))
		die("wait", errno);
	res = cqe->res;
	io_uring_cqe_seen(&rx->ring, cqe);
	if (res < 0)
		die("IORING_OP_RECV", -res);
	return res;
}

/*
 * The loop above, unchanged, in liburing-ext's drop-in mode: the buffer
 * is registered, so each IORING_OP_RECV becomes a posted receive.  Drop-in
 * mode stays out of DEFER_TASKRUN rings (io_uring_postrx_enable(3)), so
 * this ring is a plain one.
 */
static void setup_dropin(struct rx *rx)
{
	int ret;

	if (io_uring_queue_init(8, &rx->ring, 0))
		die("io_uring", errno);
	rx->has_ring = true;
	rx->postrx = true;
	ret = io_uring_postrx_enable(&rx->ring);
	if (ret)
		die("io_uring_postrx_enable", -ret);
	register_region(rx, 1);
}

/*
 * A provided buffer ring of RX_RING_BUFS buffers of the buffer size and
 * one multishot IORING_OP_RECV: the kernel picks a buffer per completion;
 * each is handed back at once.
 */
static void setup_uring_ring(struct rx *rx)
{
	struct io_uring_buf_reg reg = { .ring_entries = RX_RING_BUFS, .bgid = 1 };
	int i;

	rx->br = mmap(NULL, RX_RING_BUFS * sizeof(struct io_uring_buf),
		      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rx->br == MAP_FAILED)
		die("mmap", errno);
	ring_init(rx, 64);
	reg.ring_addr = (uintptr_t)rx->br;
	if (io_uring_register_buf_ring(&rx->ring, &reg, 0))
		die("io_uring_register_buf_ring", EINVAL);
	io_uring_buf_ring_init(rx->br);
	for (i = 0; i < RX_RING_BUFS; i++)
		io_uring_buf_ring_add(rx->br, rx->buf + i * rx->bufsize, rx->bufsize,
				      i, io_uring_buf_ring_mask(RX_RING_BUFS), i);
	io_uring_buf_ring_advance(rx->br, RX_RING_BUFS);
}

static size_t receive_uring_ring(struct rx *rx, size_t want)
{
	struct io_uring_cqe *cqe;
	unsigned int flags, i;
	int res;

	for (;;) {
		if (!rx->armed) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&rx->ring);

			io_uring_prep_recv_multishot(sqe, rx->fd, NULL, 0, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = 1;
			io_uring_submit(&rx->ring);
			rx->armed = true;
		}
		if (io_uring_wait_cqe(&rx->ring, &cqe))
			die("wait", errno);
		res = cqe->res;
		flags = cqe->flags;
		io_uring_cqe_seen(&rx->ring, cqe);
		if (!(flags & IORING_CQE_F_MORE))
			rx->armed = false;
		if (res != -ENOBUFS)
			break;
	}
	if (res < 0)
		die("multishot recv", -res);
	if (res == 0)
		return 0;
	i = flags >> IORING_CQE_BUFFER_SHIFT;
	io_uring_buf_ring_add(rx->br, rx->buf + i * rx->bufsize, rx->bufsize, i,
			      io_uring_buf_ring_mask(RX_RING_BUFS), 0);
	io_uring_buf_ring_advance(rx->br, 1);
	return res;
}

/* ---- postrx ---------------------------------------------------------------- */

/* rx->posted registered buffers, posted with rx->post_flags. */
static void setup_postrx_flags(struct rx *rx, __u32 flags)
{
	unsigned int i;

	rx->post_flags = flags;
	rx->postrx = true;
	rx->devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (rx->devfd < 0)
		die(POSTRX_DEVICE_PATH, errno);
	ring_init(rx, RX_MAX_POSTED);
	register_region(rx, rx->posted);
	for (i = 0; i < rx->posted; i++, rx->inflight++)
		prep_post(&rx->ring, rx->devfd, rx->fd, rx->buf + i * rx->bufsize,
			  rx->bufsize, i, flags);
}

static void setup_postrx(struct rx *rx)
{
	setup_postrx_flags(rx, POSTRX_RECV_WAITALL);
}

static void setup_postrx_push(struct rx *rx)
{
	setup_postrx_flags(rx, 0);
}

/*
 * Submit the re-posts of the previous wait and wait: every completion
 * that is there is taken in one go, as an io_uring application would,
 * and its buffer posted again unless the stream ends before it could be
 * filled.  0 once no buffer is posted.
 */
static size_t receive_postrx(struct rx *rx, size_t want)
{
	bool waitall = rx->post_flags & POSTRX_RECV_WAITALL;
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;
	size_t n = 0;

	if (!rx->inflight)
		return 0;
	if (io_uring_submit_and_wait(&rx->ring, 1) < 0)
		die("wait", errno);
	io_uring_for_each_cqe(&rx->ring, head, cqe) {
		int res = cqe->res;
		__u64 slot = cqe->user_data;
		size_t got;

		seen++;
		rx->inflight--;
		if (res < 0)
			die("POSTRX_CMD_RECV", -res);
		n += res;
		got = rx->got + n;
		/* A short WAITALL buffer or 0: the end of the stream. */
		if (!res || (waitall && res < (int)rx->bufsize))
			rx->eof = true;
		if (rx->eof || got >= rx->total ||
		    (waitall && rx->total - got <= (size_t)rx->inflight * rx->bufsize))
			continue;
		prep_post(&rx->ring, rx->devfd, rx->fd, rx->buf + slot * rx->bufsize,
			  rx->bufsize, slot, rx->post_flags);
		rx->inflight++;
	}
	io_uring_cq_advance(&rx->ring, seen);
	return n;
}

/* ---- the table ----------------------------------------------------------- */

const struct rx_path rx_paths[] = {
	{ "epoll",		setup_epoll,		receive_epoll },
	{ "uring_recv",		setup_uring,		receive_uring },
	{ "uring_recv_ring",	setup_uring_ring,	receive_uring_ring },
	{ "tcp_zerocopy",	setup_tcp_zerocopy,	receive_tcp_zerocopy },
	{ "postrx",		setup_postrx,		receive_postrx },
	{ "postrx_push",	setup_postrx_push,	receive_postrx },
	{ "postrx_dropin",	setup_dropin,		receive_uring },
	{ NULL },
};

const struct rx_path *rx_path_find(const char *name)
{
	const struct rx_path *p;

	for (p = rx_paths; p->name; p++)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

size_t rx_region(size_t bufsize, unsigned int posted)
{
	return bufsize * (posted > RX_RING_BUFS ? posted : RX_RING_BUFS);
}

void rx_setup(struct rx *rx, const char *name)
{
	rx->path = rx_path_find(name);
	if (!rx->path)
		die(name, EINVAL);
	rx->devfd = rx->ep = -1;
	rx->path->setup(rx);
}

size_t rx_receive(struct rx *rx, size_t want)
{
	size_t n = rx->path->receive(rx, want);

	rx->got += n;
	return n;
}

/* POSTRX_CMD_STATS of the socket (on a private ring: ours may hold CQEs). */
static void query_stats(struct rx *rx)
{
	int devfd = io_uring_postrx_open();
	int ret;

	if (devfd < 0)
		die(POSTRX_DEVICE_PATH, -devfd);
	ret = io_uring_postrx_sock_stats(devfd, rx->fd, &rx->st);
	if (ret)
		die("POSTRX_CMD_STATS", -ret);
	close(devfd);
}

void rx_end(struct rx *rx)
{
	while (rx->inflight)
		rx_receive(rx, 0);
	if (rx->postrx)
		query_stats(rx);
	if (rx->has_ring)
		io_uring_queue_exit(&rx->ring);
	if (rx->devfd >= 0)
		close(rx->devfd);
	if (rx->map)
		munmap(rx->map, rx->bufsize);
	if (rx->ep >= 0)
		close(rx->ep);
}
