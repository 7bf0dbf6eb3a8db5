// SPDX-License-Identifier: GPL-2.0
/*
 * rxbench: receive one TCP stream with a chosen receive path and report
 * throughput and the receive side's CPU time per GiB.
 *
 *   rxbench send HOST PORT BYTES          sender (run in another namespace)
 *   rxbench recv PATH PORT BYTES BUFSIZE  receiver; PATH is epoll,
 *                                         uring_recv, uring_recv_ring,
 *                                         postrx or postrx_dropin
 *
 * The receiver accepts one connection, receives BYTES into BUFSIZE buffers
 * and prints one line of JSON.  CPU time is measured precisely: busy time
 * of all CPUs from /proc/stat (total minus idle; idle is exact with NO_HZ)
 * over the transfer, minus the sender's own run time from its schedstat
 * (the sender writes its pid to RXBENCH_SENDER_PIDFILE before it connects).  What remains
 * is the receive side: the application, softirq and completions.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <liburing/postrx.h>

#define NBUFS	4	/* buffers in flight for the io_uring paths */

static void die(const char *what, int err)
{
	fprintf(stderr, "rxbench: %s: %s\n", what, strerror(err));
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sum over CPUs of non-idle time, in seconds, from /proc/stat. */
static double busy_seconds(void)
{
	unsigned long long v[10] = { 0 }, total = 0;
	FILE *f = fopen("/proc/stat", "r");
	int i;

	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			 &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
			 &v[8], &v[9]) < 8)
		die("/proc/stat", EIO);
	fclose(f);
	for (i = 0; i < 8; i++)	/* guest and guest_nice are inside user */
		if (i != 3 && i != 4)	/* idle, iowait */
			total += v[i];
	return total / (double)sysconf(_SC_CLK_TCK);
}

/* Run time of a task in seconds from /proc/PID/schedstat (exact, ns). */
static double task_seconds(const char *pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/schedstat", pid);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	if (f)
		fclose(f);
	return ns / 1e9;
}

static int do_send(const char *host, int port, size_t total)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	size_t chunk = 1 << 20, off = 0;
	char *buf = malloc(chunk);
	socklen_t len;
	int fd;

	memset(buf, 0x5a, chunk);
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else {
		inet_pton(AF_INET6, host, &a6->sin6_addr);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (void *)&ss, len))
		die("connect", errno);
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
	close(fd);
	return 0;
}

static void prep_post(struct io_uring *ring, int devfd, int fd, void *addr,
		      __u32 len, __u64 ud)
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
	((struct postrx_sock_cmd *)sqe->cmd)->flags = POSTRX_RECV_WAITALL;
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

/* POSTRX_CMD_STATS of @fd, waited for on @ring. */
static void query_stats(struct io_uring *ring, int fd, struct postrx_stats *st)
{
	struct io_uring_cqe *cqe;
	int devfd = io_uring_postrx_open();

	if (devfd < 0)
		die(POSTRX_DEVICE_PATH, -devfd);
	io_uring_prep_postrx_stats(io_uring_get_sqe(ring), devfd, fd, st);
	io_uring_submit_and_wait(ring, 1);
	if (!io_uring_wait_cqe(ring, &cqe))
		io_uring_cqe_seen(ring, cqe);
	close(devfd);
}

static size_t recv_uring(int fd, char *buf, size_t bufsize, size_t total)
{
	struct io_uring ring;
	size_t got;

	if (io_uring_queue_init(8, &ring, 0))
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
	if (br == MAP_FAILED || io_uring_queue_init(64, &ring, 0))
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
	query_stats(&ring, fd, st);
	io_uring_queue_exit(&ring);
	return got;
}

/* postrx: NBUFS registered buffers posted with WAITALL, re-posted. */
static size_t recv_postrx(int fd, char *buf, size_t bufsize, size_t total,
			  struct postrx_stats *st)
{
	struct iovec iov = { buf, bufsize * NBUFS };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	size_t got = 0;
	int devfd, i, inflight = 0;
	bool eof = false;

	devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (devfd < 0)
		die(POSTRX_DEVICE_PATH, errno);
	if (io_uring_queue_init(64, &ring, 0) ||
	    io_uring_register_buffers(&ring, &iov, 1))
		die("io_uring", errno);
	for (i = 0; i < NBUFS; i++, inflight++)
		prep_post(&ring, devfd, fd, buf + i * bufsize, bufsize, i);
	io_uring_submit(&ring);
	while (inflight) {
		if (io_uring_wait_cqe(&ring, &cqe))
			die("wait", errno);
		int res = cqe->res;
		__u64 ud = cqe->user_data;

		io_uring_cqe_seen(&ring, cqe);
		inflight--;
		if (res < 0)
			die("POSTRX_CMD_RECV", -res);
		got += res;
		if (res < (int)bufsize)
			eof = true;
		if (!eof && got + (size_t)inflight * bufsize < total) {
			prep_post(&ring, devfd, fd, buf + ud * bufsize, bufsize, ud);
			io_uring_submit(&ring);
			inflight++;
		}
	}
	query_stats(&ring, fd, st);
	io_uring_queue_exit(&ring);
	close(devfd);
	return got;
}

static int do_recv(const char *path, int port, size_t total, size_t bufsize)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	struct postrx_stats st = { 0 };
	const char *pidfile = getenv("RXBENCH_SENDER_PIDFILE");
	char sender_buf[32] = "", *sender = NULL;
	double t0, t1, b0, b1, s0, s1, secs, gib;
	int one = 1, lfd, fd;
	size_t got;
	char *buf;

	buf = mmap(NULL, bufsize * RING_BUFS, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap", errno);
	memset(buf, 0, bufsize * RING_BUFS);
	lfd = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&a, sizeof(a)) || listen(lfd, 1))
		die("listen", errno);
	printf("ready\n");
	fflush(stdout);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept", errno);
	/* The sender wrote its pid before it connected. */
	if (pidfile) {
		FILE *f = fopen(pidfile, "r");

		if (f && fgets(sender_buf, sizeof(sender_buf), f))
			sender = strtok(sender_buf, "\n");
		if (f)
			fclose(f);
	}

	t0 = now();
	b0 = busy_seconds();
	s0 = task_seconds(sender);
	if (!strcmp(path, "epoll"))
		got = recv_epoll(fd, buf, bufsize, total);
	else if (!strcmp(path, "uring_recv"))
		got = recv_uring(fd, buf, bufsize, total);
	else if (!strcmp(path, "uring_recv_ring"))
		got = recv_uring_ring(fd, buf, bufsize, total);
	else if (!strcmp(path, "postrx"))
		got = recv_postrx(fd, buf, bufsize, total, &st);
	else if (!strcmp(path, "postrx_dropin"))
		got = recv_dropin(fd, buf, bufsize, total, &st);
	else
		die(path, EINVAL);
	t1 = now();
	b1 = busy_seconds();
	s1 = task_seconds(sender);

	secs = t1 - t0;
	gib = got / (double)(1ULL << 30);
	printf("{\"path\": \"%s\", \"size\": %zu, \"bytes\": %zu, "
	       "\"seconds\": %.4f, \"throughput_gbps\": %.3f, "
	       "\"cpu_s_per_gib\": %.4f, \"sender_cpu_s\": %.4f, "
	       "\"copied_bytes\": %llu, \"placed_bytes\": %llu}\n",
	       path, bufsize, got, secs, got * 8 / secs / 1e9,
	       ((b1 - b0) - (s1 - s0)) / gib, s1 - s0,
	       (unsigned long long)(st.copied_rx_bytes + st.copied_late_bytes),
	       (unsigned long long)st.placed_bytes);
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
			"       rxbench recv epoll|uring_recv|uring_recv_ring|postrx|postrx_dropin\n"
			"                    PORT BYTES BUFSIZE\n");
	return 2;
}
