// SPDX-License-Identifier: GPL-2.0
/*
 * rxscale: postrx with many connected sockets at once.
 *
 *   rxscale recv postrx|epoll PORT SOCKETS BYTES BUFSIZE POSTED
 *   rxscale send HOST PORT SOCKETS BYTES BUFSIZE CHUNK
 *
 * The receiver accepts SOCKETS connections, posts POSTED buffers of
 * BUFSIZE on each (WAITALL; all in one registered region, one ring) and
 * tells the sender to go; the sender spreads BYTES over the sockets in
 * whole buffers, CHUNK at a time, round robin.  Each completed buffer
 * is posted again on its socket.  One line of JSON: throughput, receive
 * CPU per GiB (as rxbench measures it), and memory: per connection (both
 * ends, since the sender is in the same guest), per socket for postrx's
 * first post (its channel and hooks), and per further posted buffer.
 * The epoll path is the baseline: recv() of up to what postrx would have
 * posted from each readable socket, so that growth in the cost per byte
 * that TCP itself shows with many sockets is told apart from postrx's.  Memory is MemFree
 * from /proc/meminfo, the buffers themselves touched and registered
 * before the first reading, so what is counted is the kernel's.
 *
 * After the run (outside the timed part) postrx's POSTRX_CMD_STATS of
 * every socket is summed: bytes the device placed, bytes the receiving
 * CPU copied (at receive and late), and how many sockets a device steers
 * (flow = 1); for epoll every byte is copied.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <liburing/postrx.h>
#include "bench.h"
#include "paths.h"
#include "sender.h"

#define SQ_ENTRIES	4096
#define STATS_TAG	(1ULL << 63)	/* user_data of a STATS command */

static long memfree_kib(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* Enough descriptors for both ends of every connection. */
static void raise_nofile(long sockets)
{
	struct rlimit r = { sockets * 2 + 64, sockets * 2 + 64 };

	if (setrlimit(RLIMIT_NOFILE, &r))
		die("RLIMIT_NOFILE", errno);
}

/*
 * Bytes per socket: whole buffers, so that every buffer completes full
 * and the run ends on data, not on the connections' FINs.
 */
static size_t bench_share(size_t total, long sockets, size_t bufsize)
{
	return total / sockets / bufsize * bufsize;
}

struct scale {
	long sockets, posted;
	size_t bufsize;
	int *fds, devfd;
	char *region;
	struct io_uring ring;
};

/* Buffer @slot of socket @i; its user_data is its index in the region. */
static void post(struct scale *s, long i, long slot)
{
	long idx = i * s->posted + slot;

	if (!io_uring_sq_space_left(&s->ring))
		io_uring_submit(&s->ring);
	prep_post(&s->ring, s->devfd, s->fds[i], s->region + idx * s->bufsize,
		  s->bufsize, idx, POSTRX_RECV_WAITALL);
}

static void setup(struct scale *s)
{
	size_t len = s->sockets * s->posted * s->bufsize;
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			 IORING_SETUP_CQSIZE,
	};
	struct iovec iov;

	/* Every posted buffer may complete before the next wait. */
	p.cq_entries = s->sockets * s->posted;
	if (p.cq_entries < SQ_ENTRIES)
		p.cq_entries = SQ_ENTRIES;
	s->region = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (s->region == MAP_FAILED)
		die("mmap", errno);
	memset(s->region, 0, len);
	iov = (struct iovec){ s->region, len };
	s->devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (s->devfd < 0)
		die(POSTRX_DEVICE_PATH, errno);
	if (io_uring_queue_init_params(SQ_ENTRIES, &s->ring, &p) ||
	    io_uring_register_buffers(&s->ring, &iov, 1))
		die("io_uring", errno);
}

/* Receive until @total bytes came in, re-posting each completed buffer. */
static size_t receive(struct scale *s, size_t total)
{
	struct io_uring_cqe *cqe;
	size_t got = 0;

	while (got < total) {
		unsigned int head, seen = 0;

		if (io_uring_submit_and_wait(&s->ring, 1) < 0)
			die("wait", errno);
		io_uring_for_each_cqe(&s->ring, head, cqe) {
			long idx = cqe->user_data;

			seen++;
			if (cqe->res < 0)
				die("POSTRX_CMD_RECV", -cqe->res);
			got += cqe->res;
			if (cqe->res == (int)s->bufsize)
				post(s, idx / s->posted, idx % s->posted);
		}
		io_uring_cq_advance(&s->ring, seen);
	}
	return got;
}

/*
 * POSTRX_CMD_STATS of every socket, summed into @sum; *@steered: how many
 * sockets a device steers.  Batched on the run's ring: one private ring
 * per socket would take long with 10,000 of them.  Buffers still posted
 * may complete meanwhile (the senders' FINs); those CQEs are skipped.
 */
static void sum_stats(struct scale *s, struct postrx_stats *sum, long *steered)
{
	struct postrx_stats *st = calloc(s->sockets, sizeof(*st));
	struct io_uring_cqe *cqe;
	long i, done = 0;

	if (!st)
		die("calloc", ENOMEM);
	for (i = 0; i < s->sockets; i++) {
		struct io_uring_sqe *sqe;

		if (!io_uring_sq_space_left(&s->ring))
			io_uring_submit(&s->ring);
		sqe = io_uring_get_sqe(&s->ring);
		if (!sqe)
			die("io_uring_get_sqe", EBUSY);
		io_uring_prep_postrx_stats(sqe, s->devfd, s->fds[i], &st[i]);
		sqe->user_data = STATS_TAG | i;
	}
	while (done < s->sockets) {
		unsigned int head, seen = 0;

		if (io_uring_submit_and_wait(&s->ring, 1) < 0)
			die("wait", errno);
		io_uring_for_each_cqe(&s->ring, head, cqe) {
			seen++;
			if (!(cqe->user_data & STATS_TAG))
				continue;
			if (cqe->res < 0)
				die("POSTRX_CMD_STATS", -cqe->res);
			done++;
		}
		io_uring_cq_advance(&s->ring, seen);
	}
	memset(sum, 0, sizeof(*sum));
	*steered = 0;
	for (i = 0; i < s->sockets; i++) {
		sum->placed_bytes += st[i].placed_bytes;
		sum->copied_rx_bytes += st[i].copied_rx_bytes;
		sum->copied_late_bytes += st[i].copied_late_bytes;
		*steered += st[i].flow == 1;
	}
	free(st);
}

/*
 * The baseline: recv() of up to what postrx would have posted, from each
 * socket epoll reports readable, into one buffer.
 */
static size_t receive_epoll(struct scale *s, size_t total)
{
	size_t len = s->bufsize * s->posted, got = 0;
	struct epoll_event ev = { .events = EPOLLIN }, out[256];
	int ep = epoll_create1(0), n, j;
	char *buf = malloc(len);
	long i;

	for (i = 0; i < s->sockets; i++) {
		ev.data.fd = s->fds[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fds[i], &ev))
			die("epoll_ctl", errno);
	}
	while (got < total) {
		n = epoll_wait(ep, out, 256, -1);
		for (j = 0; j < n; j++) {
			ssize_t r = recv(out[j].data.fd, buf, len, MSG_DONTWAIT);

			if (r < 0 && errno != EAGAIN)
				die("recv", errno);
			/* A socket whose share is all here may end first. */
			if (r == 0)
				epoll_ctl(ep, EPOLL_CTL_DEL, out[j].data.fd, NULL);
			got += r > 0 ? r : 0;
		}
	}
	close(ep);
	free(buf);
	return got;
}

static int do_recv(const char *path, int port, long sockets, size_t total,
		   size_t bufsize, long posted)
{
	struct scale s = { .sockets = sockets, .posted = posted,
			   .bufsize = bufsize };
	bool postrx = !strcmp(path, "postrx");
	char sender_buf[32], *sender;
	double t0, b0, s0, s1, e0, e1, secs, gib, cpu;
	struct postrx_stats st = { 0 };
	long m0, m1, m2, m3, i, slot, steered = 0;
	unsigned long long copied;
	int lfd;
	size_t got;

	if (!postrx && strcmp(path, "epoll"))
		die(path, EINVAL);
	raise_nofile(sockets);
	if (postrx)
		setup(&s);
	s.fds = calloc(sockets, sizeof(*s.fds));
	lfd = tcp_listen(port, sockets < 4096 ? sockets : 4096);
	printf("ready\n");
	fflush(stdout);
	m0 = memfree_kib();
	for (i = 0; i < sockets; i++) {
		s.fds[i] = accept(lfd, NULL, NULL);
		if (s.fds[i] < 0)
			die("accept", errno);
	}
	m1 = m2 = m3 = memfree_kib();
	if (postrx) {
		for (i = 0; i < sockets; i++)
			post(&s, i, 0);
		io_uring_submit(&s.ring);
		m2 = memfree_kib();
		for (slot = 1; slot < posted; slot++)
			for (i = 0; i < sockets; i++)
				post(&s, i, slot);
		io_uring_submit(&s.ring);
		m3 = memfree_kib();
	}

	sender = sender_pid(sender_buf, sizeof(sender_buf));
	t0 = now();
	b0 = busy_seconds();
	s0 = task_seconds(sender) + sender_extra_seconds();
	e0 = engine_seconds();
	if (write(s.fds[0], "g", 1) != 1)	/* go */
		die("go", errno);
	total = bench_share(total, sockets, bufsize) * sockets;
	got = postrx ? receive(&s, total) : receive_epoll(&s, total);
	secs = now() - t0;
	gib = got / (double)(1ULL << 30);
	s1 = task_seconds(sender) + sender_extra_seconds() - s0;
	e1 = engine_seconds() - e0;
	cpu = (busy_seconds() - b0) - s1 - e1;
	if (postrx) {
		sum_stats(&s, &st, &steered);
		copied = st.copied_rx_bytes + st.copied_late_bytes;
	} else {
		copied = got;	/* recv() copies every byte */
	}
	fprintf(stderr, "rxscale: %s, %ld sockets: %zu bytes, placed %llu, copied %llu (at receive %llu, late %llu), %ld steered\n",
		path, sockets, got, (unsigned long long)st.placed_bytes,
		copied, (unsigned long long)st.copied_rx_bytes,
		(unsigned long long)st.copied_late_bytes, steered);
	printf("{\"path\": \"%s\", \"sockets\": %ld, \"size\": %zu, "
	       "\"posted_per_socket\": %ld, \"bytes\": %zu, \"seconds\": %.4f, "
	       "\"throughput_gbps\": %.3f, \"cpu_s_per_gib\": %.4f, "
	       "\"sender_cpu_s\": %.4f, \"device_cpu_s_per_gib\": %.4f, "
	       "\"mem_per_conn_kib\": %.2f, \"mem_first_post_kib\": %.2f, "
	       "\"mem_per_buffer_kib\": %.3f, \"placed_bytes\": %llu, "
	       "\"copied_bytes\": %llu, \"copied_rx_bytes\": %llu, "
	       "\"copied_late_bytes\": %llu, \"steered_sockets\": %ld}\n",
	       path, sockets, bufsize, posted, got, secs, got * 8 / secs / 1e9,
	       cpu / gib, s1, e1 / gib,
	       (m0 - m1) / (double)sockets, (m1 - m2) / (double)sockets,
	       posted > 1 ? (m2 - m3) / (double)(sockets * (posted - 1)) : 0.0,
	       (unsigned long long)st.placed_bytes, copied,
	       (unsigned long long)st.copied_rx_bytes,
	       (unsigned long long)st.copied_late_bytes, steered);
	for (i = 0; i < sockets; i++)
		close(s.fds[i]);
	close(lfd);
	if (postrx)
		io_uring_queue_exit(&s.ring);
	return got == total ? 0 : 1;
}

/*
 * The receiver answers "go" on the first connection it accepted, which
 * need not be the first one connected: wait on all of them.
 */
static void wait_for_go(struct send_conn *c, long sockets)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	int ep = epoll_create1(0);
	char go;
	long i;

	for (i = 0; i < sockets; i++) {
		ev.data.fd = c[i].fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev))
			die("epoll_ctl", errno);
	}
	if (epoll_wait(ep, &out, 1, -1) != 1 || read(out.data.fd, &go, 1) != 1)
		die("waiting for the receiver", errno ? errno : EPIPE);
	close(ep);
}

/*
 * Each socket's share in writes of @chunk (the last one shorter), round
 * robin: with a chunk of what a socket has posted, segments are as large
 * with 10,000 sockets as with one, so the cost per byte compares.
 */
static int do_send(const char *host, int port, long sockets, size_t total,
		   size_t bufsize, size_t chunk)
{
	struct send_conn *c = calloc(sockets, sizeof(*c));
	size_t per = bench_share(total, sockets, bufsize), off;
	struct sender s;
	long i;

	if (!c)
		die("calloc", ENOMEM);
	raise_nofile(sockets);
	sender_init(&s, chunk, false, false);
	for (i = 0; i < sockets; i++)
		sender_connect(&s, &c[i], host, port);
	wait_for_go(c, sockets);
	for (off = 0; off < per; off += chunk)
		for (i = 0; i < sockets; i++)
			sender_write(&s, &c[i], per - off < chunk ? per - off : chunk);
	for (i = 0; i < sockets; i++)
		sender_end(&s, &c[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 8 && !strcmp(argv[1], "recv") && atol(argv[4]) > 0 &&
	    atol(argv[7]) > 0)
		return do_recv(argv[2], atoi(argv[3]), atol(argv[4]),
			       strtoull(argv[5], NULL, 0),
			       strtoull(argv[6], NULL, 0), atol(argv[7]));
	if (argc == 8 && !strcmp(argv[1], "send") && atol(argv[4]) > 0)
		return do_send(argv[2], atoi(argv[3]), atol(argv[4]),
			       strtoull(argv[5], NULL, 0),
			       strtoull(argv[6], NULL, 0),
			       strtoull(argv[7], NULL, 0));
	fprintf(stderr, "usage: rxscale recv postrx|epoll PORT SOCKETS BYTES BUFSIZE POSTED\n"
			"       rxscale send HOST PORT SOCKETS BYTES BUFSIZE CHUNK\n");
	return 2;
}
