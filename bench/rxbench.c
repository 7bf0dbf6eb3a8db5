// SPDX-License-Identifier: GPL-2.0
/*
 * rxbench: receive one TCP stream with a chosen receive path and report
 * throughput and the receive side's CPU time per GiB.
 *
 *   rxbench send HOST PORT BYTES          sender (run in another namespace)
 *   rxbench recv PATH PORT BYTES BUFSIZE  receiver; PATH is epoll,
 *                                         uring_recv, uring_recv_ring,
 *                                         tcp_zerocopy, postrx,
 *                                         postrx_push (no WAITALL) or
 *                                         postrx_dropin
 *
 * The receiver accepts one connection, receives BYTES into BUFSIZE buffers
 * and prints one line of JSON.  CPU time is measured precisely: busy time
 * of all CPUs (wall time minus /proc/stat's idle and iowait, which are
 * exact with NO_HZ; busy_seconds()) over the transfer, minus the sender's
 * own run time from its schedstat (the sender writes its pid to
 * RXBENCH_SENDER_PIDFILE before it connects) and its device's NAPI thread
 * (RXBENCH_SENDER_TASKS), and the device engine's (RXBENCH_ENGINE_PIDS,
 * pxnic).  What remains is the receive side: the application, softirq and
 * completions; the application's own run time is reported apart
 * (app_cpu_s).  RXBENCH_SEND_ZC makes the sender use MSG_ZEROCOPY.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <linux/errqueue.h>
#include <linux/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <liburing/postrx.h>
#include "bench.h"

#define NBUFS	4	/* buffers in flight for the io_uring paths */
/*
 * postrx posts at least this many bytes: posted buffers are where the
 * stream goes, so they play the part of the socket's receive buffer and
 * should cover TCP's window (tcp_rmem's maximum is 6 MiB).
 */
#define POSTED_BYTES	(8u << 20)
#define MAX_POSTED	1024

static unsigned int postrx_nbufs(size_t bufsize)
{
	size_t n = POSTED_BYTES / bufsize;

	return n < NBUFS ? NBUFS : n > MAX_POSTED ? MAX_POSTED : n;
}

/* Reap MSG_ZEROCOPY notifications; returns how many sends completed. */
static size_t zc_reap(int fd, int flags)
{
	char control[128];
	size_t n = 0;

	for (;;) {
		struct msghdr msg = { .msg_control = control,
				      .msg_controllen = sizeof(control) };
		struct sock_extended_err *ee;
		struct cmsghdr *cm;

		if (recvmsg(fd, &msg, MSG_ERRQUEUE | flags) < 0)
			return n;
		cm = CMSG_FIRSTHDR(&msg);
		ee = cm ? (void *)CMSG_DATA(cm) : NULL;
		if (ee && ee->ee_origin == SO_EE_ORIGIN_ZEROCOPY)
			n += ee->ee_data - ee->ee_info + 1;
		flags |= MSG_DONTWAIT;
	}
}

/*
 * The sender with MSG_ZEROCOPY (RXBENCH_SEND_ZC=1): the same unchanging
 * buffer is sent again and again, so nothing needs to wait for a send's
 * completion before the buffer is reused.
 */
static void send_zerocopy(int fd, char *buf, size_t chunk, size_t total)
{
	size_t off = 0, sends = 0, done = 0;
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		die("SO_ZEROCOPY", errno);
	while (off < total) {
		size_t want = total - off < chunk ? total - off : chunk;
		ssize_t n = send(fd, buf, want, MSG_ZEROCOPY);

		if (n < 0 && errno == ENOBUFS) {
			done += zc_reap(fd, 0);
			continue;
		}
		if (n <= 0)
			die("send", errno);
		sends++;
		off += n;
		done += zc_reap(fd, MSG_DONTWAIT);
	}
	while (done < sends)
		done += zc_reap(fd, 0);
}

static int do_send(const char *host, int port, size_t total)
{
	size_t chunk = 1 << 20, off = 0;
	char *buf = malloc(chunk);
	int fd;

	memset(buf, 0x5a, chunk);
	fd = tcp_connect(host, port);
	if (getenv("RXBENCH_SEND_ZC")) {
		send_zerocopy(fd, buf, chunk, total);
		off = total;
	}
	while (off < total) {
		size_t want = total - off < chunk ? total - off : chunk, i;
		ssize_t n;

		/*
		 * Stamp each 4 KiB of the stream with its offset, so that a
		 * receiver's hash tells a misplaced block from the right one
		 * (256 stores per MiB: nothing next to the copy).
		 */
		for (i = 0; i + 8 <= want; i += 4096) {
			uint64_t at = off + i;

			memcpy(buf + i, &at, 8);
		}
		n = write(fd, buf, want);

		if (n <= 0)
			die("write", errno);
		off += n;
	}
	sender_close(fd, buf, chunk);
	return 0;
}

static size_t recv_epoll(int fd, char *buf, size_t bufsize, size_t total)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0);
	size_t got = 0;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	while (got < total) {
		ssize_t n = recv(fd, buf, bufsize, 0);

		if (n > 0) {
			got += n;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN)
			die("recv", errno);
		epoll_wait(ep, &out, 1, -1);
	}
	close(ep);
	return got;
}

/*
 * TCP_ZEROCOPY_RECEIVE: map whole pages of payload into a window of the
 * socket's mapping; what cannot be mapped (partial pages, linear data) the
 * kernel copies into @buf (copybuf).  Each call unmaps the previous pages.
 */
static size_t zc_mapped, zc_copied;

static size_t recv_tcp_zerocopy(int fd, char *buf, size_t bufsize,
				size_t total)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0);
	size_t got = 0;
	void *map;

	map = mmap(NULL, bufsize, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap of the socket", errno);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	while (got < total) {
		struct tcp_zerocopy_receive zc = {
			.address = (uintptr_t)map,
			.length = bufsize,
			/*
			 * Only sub-page leftovers: with a copybuf as large as
			 * what is queued, the kernel copies everything.
			 */
			.copybuf_address = (uintptr_t)buf,
			.copybuf_len = 4095,
		};
		socklen_t zl = sizeof(zc);
		size_t n;

		if (getsockopt(fd, IPPROTO_TCP, TCP_ZEROCOPY_RECEIVE, &zc, &zl))
			die("TCP_ZEROCOPY_RECEIVE", errno);
		if (zc.err)
			die("TCP_ZEROCOPY_RECEIVE", -zc.err);
		n = zc.length + (zc.copybuf_len > 0 ? zc.copybuf_len : 0);
		zc_mapped += zc.length;
		zc_copied += zc.copybuf_len > 0 ? zc.copybuf_len : 0;
		if (!n && zc.recv_skip_hint) {
			ssize_t r = recv(fd, buf, zc.recv_skip_hint, 0);

			if (r > 0) {
				n = r;
				zc_copied += r;
			}
		}
		got += n;
		if (!n)
			epoll_wait(ep, &out, 1, -1);
	}
	munmap(map, bufsize);
	close(ep);
	return got;
}

/* The usual io_uring loop: one IORING_OP_RECV in flight, re-armed. */
static size_t uring_recv_loop(struct io_uring *ring, int fd, char *buf,
			      size_t bufsize, size_t total)
{
	struct io_uring_cqe *cqe;
	size_t got = 0;

	while (got < total) {
		io_uring_prep_recv(io_uring_get_sqe(ring), fd, buf, bufsize, 0);
		io_uring_submit_and_wait(ring, 1);
		if (io_uring_wait_cqe(ring, &cqe))
			die("wait", errno);
		int res = cqe->res;

		io_uring_cqe_seen(ring, cqe);
		if (res < 0)
			die("IORING_OP_RECV", -res);
		if (res == 0)
			break;
		got += res;
	}
	return got;
}

/* POSTRX_CMD_STATS of @fd (on a private ring: @ring may hold CQEs). */
static void query_stats(int fd, struct postrx_stats *st)
{
	int devfd = io_uring_postrx_open();
	int ret;

	if (devfd < 0)
		die(POSTRX_DEVICE_PATH, -devfd);
	ret = io_uring_postrx_sock_stats(devfd, fd, st);
	if (ret)
		die("POSTRX_CMD_STATS", -ret);
	close(devfd);
}

static size_t recv_uring(int fd, char *buf, size_t bufsize, size_t total)
{
	struct io_uring ring;
	size_t got;

	if (ring_init(8, &ring))
		die("io_uring", errno);
	got = uring_recv_loop(&ring, fd, buf, bufsize, total);
	io_uring_queue_exit(&ring);
	return got;
}

/*
 * io_uring with a provided buffer ring: one multishot IORING_OP_RECV,
 * the kernel picks a buffer of @bufsize per completion; each is handed
 * back at once.
 */
#define RING_BUFS 16
static size_t recv_uring_ring(int fd, char *buf, size_t bufsize, size_t total)
{
	struct io_uring_buf_reg reg = { .ring_entries = RING_BUFS, .bgid = 1 };
	struct io_uring_buf_ring *br;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	size_t got = 0;
	bool armed = false;
	int i;

	br = mmap(NULL, RING_BUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (br == MAP_FAILED || ring_init(64, &ring))
		die("io_uring", errno);
	reg.ring_addr = (uintptr_t)br;
	if (io_uring_register_buf_ring(&ring, &reg, 0))
		die("io_uring_register_buf_ring", EINVAL);
	io_uring_buf_ring_init(br);
	for (i = 0; i < RING_BUFS; i++)
		io_uring_buf_ring_add(br, buf + i * bufsize, bufsize, i,
				      io_uring_buf_ring_mask(RING_BUFS), i);
	io_uring_buf_ring_advance(br, RING_BUFS);
	while (got < total) {
		if (!armed) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
			sqe->flags |= IOSQE_BUFFER_SELECT;
			sqe->buf_group = 1;
			io_uring_submit(&ring);
			armed = true;
		}
		if (io_uring_wait_cqe(&ring, &cqe))
			die("wait", errno);
		int res = cqe->res;
		unsigned int flags = cqe->flags;

		io_uring_cqe_seen(&ring, cqe);
		if (!(flags & IORING_CQE_F_MORE))
			armed = false;
		if (res == -ENOBUFS)
			continue;
		if (res < 0)
			die("multishot recv", -res);
		if (res == 0)
			break;
		got += res;
		i = flags >> IORING_CQE_BUFFER_SHIFT;
		io_uring_buf_ring_add(br, buf + i * bufsize, bufsize, i,
				      io_uring_buf_ring_mask(RING_BUFS), 0);
		io_uring_buf_ring_advance(br, 1);
	}
	io_uring_queue_exit(&ring);
	return got;
}

/*
 * The io_uring loop above, unchanged, in liburing-ext's drop-in mode: the
 * buffers are registered, so each IORING_OP_RECV becomes a posted receive.
 */
static size_t recv_dropin(int fd, char *buf, size_t bufsize, size_t total,
			  struct postrx_stats *st)
{
	struct iovec iov = { buf, bufsize };
	struct io_uring ring;
	size_t got;

	if (io_uring_queue_init(8, &ring, 0) || io_uring_postrx_enable(&ring) ||
	    io_uring_register_buffers(&ring, &iov, 1))
		die("drop-in", errno);
	got = uring_recv_loop(&ring, fd, buf, bufsize, total);
	query_stats(fd, st);
	io_uring_queue_exit(&ring);
	return got;
}

/*
 * postrx: postrx_nbufs() registered buffers posted with @flags (WAITALL,
 * or 0: each completes at the sender's push), re-posted as they complete.
 */
static size_t recv_postrx(int fd, char *buf, size_t bufsize, size_t total,
			  __u32 flags, struct postrx_stats *st)
{
	unsigned int nbufs = postrx_nbufs(bufsize);
	struct iovec iov = { buf, bufsize * nbufs };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	size_t got = 0;
	int devfd, inflight = 0;
	unsigned int i;
	bool eof = false;

	devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (devfd < 0)
		die(POSTRX_DEVICE_PATH, errno);
	if (ring_init(MAX_POSTED, &ring) ||
	    io_uring_register_buffers(&ring, &iov, 1))
		die("io_uring", errno);
	for (i = 0; i < nbufs; i++, inflight++)
		prep_post(&ring, devfd, fd, buf + i * bufsize, bufsize, i,
			  flags);
	/*
	 * Each round submits the re-posts of the previous one and waits:
	 * every completion that is there is taken in one go, as an io_uring
	 * application would.
	 */
	while (inflight) {
		unsigned int head, seen = 0;

		if (io_uring_submit_and_wait(&ring, 1) < 0)
			die("wait", errno);
		io_uring_for_each_cqe(&ring, head, cqe) {
			int res = cqe->res;
			__u64 ud = cqe->user_data;

			seen++;
			inflight--;
			if (res < 0)
				die("POSTRX_CMD_RECV", -res);
			got += res;
			/* A short WAITALL buffer or 0: the end of the stream. */
			if (!res || ((flags & POSTRX_RECV_WAITALL) &&
				     res < (int)bufsize))
				eof = true;
			if (eof || got >= total ||
			    ((flags & POSTRX_RECV_WAITALL) &&
			     got + (size_t)inflight * bufsize >= total))
				continue;
			prep_post(&ring, devfd, fd, buf + ud * bufsize, bufsize,
				  ud, flags);
			inflight++;
		}
		io_uring_cq_advance(&ring, seen);
	}
	query_stats(fd, st);
	io_uring_queue_exit(&ring);
	close(devfd);
	return got;
}

static int do_recv(const char *path, int port, size_t total, size_t bufsize)
{
	struct postrx_stats st = { 0 };
	char sender_buf[32], *sender;
	double t0, t1, b0, b1, s0, s1, e0, e1, a0, a1, secs, gib;
	size_t region;
	int lfd, fd;
	size_t got;
	char *buf;

	region = bufsize * RING_BUFS;
	if (region < bufsize * postrx_nbufs(bufsize))
		region = bufsize * postrx_nbufs(bufsize);
	buf = mmap(NULL, region, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap", errno);
	memset(buf, 0, region);
	lfd = tcp_listen(port, 1);
	printf("ready\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept", errno);
	/* The sender wrote its pid before it connected. */
	sender = sender_pid(sender_buf, sizeof(sender_buf));

	t0 = now();
	b0 = busy_seconds();
	s0 = task_seconds(sender) + sender_extra_seconds();
	e0 = engine_seconds();
	a0 = task_seconds("self");	/* this thread: rxbench has no other */
	if (!strcmp(path, "epoll"))
		got = recv_epoll(fd, buf, bufsize, total);
	else if (!strcmp(path, "uring_recv"))
		got = recv_uring(fd, buf, bufsize, total);
	else if (!strcmp(path, "uring_recv_ring"))
		got = recv_uring_ring(fd, buf, bufsize, total);
	else if (!strcmp(path, "postrx"))
		got = recv_postrx(fd, buf, bufsize, total, POSTRX_RECV_WAITALL,
				  &st);
	else if (!strcmp(path, "postrx_push"))
		got = recv_postrx(fd, buf, bufsize, total, 0, &st);
	else if (!strcmp(path, "postrx_dropin"))
		got = recv_dropin(fd, buf, bufsize, total, &st);
	else if (!strcmp(path, "tcp_zerocopy"))
		got = recv_tcp_zerocopy(fd, buf, bufsize, total);
	else
		die(path, EINVAL);
	t1 = now();
	b1 = busy_seconds();
	s1 = task_seconds(sender) + sender_extra_seconds();
	e1 = engine_seconds();
	a1 = task_seconds("self");

	secs = t1 - t0;
	gib = got / (double)(1ULL << 30);
	printf("{\"path\": \"%s\", \"size\": %zu, \"bytes\": %zu, "
	       "\"seconds\": %.4f, \"throughput_gbps\": %.3f, "
	       "\"cpu_s_per_gib\": %.4f, \"sender_cpu_s\": %.4f, "
	       "\"app_cpu_s\": %.4f, "
	       "\"device_cpu_s_per_gib\": %.4f, "
	       "\"copied_bytes\": %llu, \"copied_rx_bytes\": %llu, "
	       "\"copied_late_bytes\": %llu, \"placed_bytes\": %llu, "
	       "\"mapped_bytes\": %zu}\n",
	       path, bufsize, got, secs, got * 8 / secs / 1e9,
	       ((b1 - b0) - (s1 - s0) - (e1 - e0)) / gib, s1 - s0, a1 - a0,
	       (e1 - e0) / gib,
	       (unsigned long long)(st.copied_rx_bytes +
				    st.copied_late_bytes + zc_copied),
	       (unsigned long long)st.copied_rx_bytes,
	       (unsigned long long)st.copied_late_bytes,
	       (unsigned long long)st.placed_bytes, zc_mapped);
	close(fd);
	close(lfd);
	return got == total ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0),
			       strtoull(argv[5], NULL, 0));
	fprintf(stderr, "usage: rxbench send HOST PORT BYTES\n"
			"       rxbench recv epoll|uring_recv|uring_recv_ring|tcp_zerocopy|\n"
			"                    postrx|postrx_push|postrx_dropin\n"
			"                    PORT BYTES BUFSIZE\n");
	return 2;
}
