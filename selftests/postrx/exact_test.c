// SPDX-License-Identifier: GPL-2.0
/*
 * The stream stays exact, and the socket stays the application's, against
 * what else can happen to a socket with posted buffers:
 *
 *  - a reader blocked in recv() before the first post, woken while the
 *    buffers wait for data (it must find nothing to take);
 *  - a transient error (an ICMP host unreachable with IP_RECVERR): it is
 *    reported once, and the stream goes on;
 *  - connect(AF_UNSPEC), then listen(): refused, since the children would
 *    run postrx's proto without a channel; connect and post again work;
 *  - POSTRX_CMD_CANCEL of one empty buffer: the order of completions that
 *    docs/uapi.md promises.
 */
#include <linux/icmp.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define SEED 0xe8ac7

FIXTURE(ex)
{
	struct px_rx rx;	/* rx.peer: the sending end, over loopback */
};

FIXTURE_SETUP(ex)
{
	PX_RX_OPEN(&self->rx, &px_lo4, 64, 0);
	ASSERT_EQ(0, px_rx_register(&self->rx, 1 << 20));
	ASSERT_EQ(0, px_rx_connect(&self->rx));
}

FIXTURE_TEARDOWN(ex)
{
	px_rx_close(&self->rx);
}

static void send_stream(int fd, uint64_t off, size_t n)
{
	uint8_t *tmp = malloc(n);

	px_pattern(SEED, off, tmp, n);
	if (write(fd, tmp, n) != (ssize_t)n)
		abort();
	free(tmp);
}

static int post(struct io_uring *ring, int devfd, int fd, void *buf,
		__u32 len, __u32 flags, __u64 ud)
{
	if (!px_prep_recv(ring, devfd, fd, buf, len, 0, flags, ud))
		return -1;
	return io_uring_submit(ring) == 1 ? 0 : -1;
}

static int cancel(struct io_uring *ring, int devfd, int fd, __u64 user_data)
{
	if (!px_prep_cancel(ring, devfd, fd, user_data, 0, 1000))
		return -1;
	return io_uring_submit(ring) == 1 ? 0 : -1;
}

static int wait_posted(struct io_uring *ring, int devfd, int fd,
		       __u32 posted)
{
	struct postrx_stats st;
	int i;

	for (i = 0; i < 2000; i++) {
		if (px_stats(ring, devfd, fd, &st) != sizeof(st))
			return -1;
		if (st.posted == posted)
			return 0;
		usleep(1000);
	}
	return -1;
}

/* ---- a reader blocked in recv() before the first post */

struct blocked_reader {
	int fd;
	ssize_t ret;
	int err;
	bool started;
};

static void on_signal(int sig)
{
}

static void *reader_main(void *arg)
{
	struct blocked_reader *br = arg;
	static char tmp[1 << 16];

	__atomic_store_n(&br->started, true, __ATOMIC_RELEASE);
	br->ret = recv(br->fd, tmp, sizeof(tmp), 0);
	br->err = errno;
	return NULL;
}

/*
 * The reader sleeps in recv() when the buffer is posted; data comes, less
 * than the WAITALL buffer wants; a signal wakes the reader.  It must find
 * nothing (EINTR), and the buffer must hold the stream from its first byte.
 */
TEST_F_TIMEOUT(ex, reader_blocked_before_post, 120)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct blocked_reader br = { .fd = self->rx.fd };
	const size_t len = 1 << 20, first = 10000;
	pthread_t th;
	__u64 ud;
	int res;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&th, NULL, reader_main, &br));
	while (!__atomic_load_n(&br.started, __ATOMIC_ACQUIRE))
		usleep(1000);
	usleep(200000);		/* into sk_wait_data() */

	ASSERT_EQ(0, post(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf, len,
			  POSTRX_RECV_WAITALL, 1));
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 1));
	send_stream(self->rx.peer, 0, first);
	usleep(200000);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	EXPECT_EQ(-1, br.ret);
	EXPECT_EQ(EINTR, br.err);

	send_stream(self->rx.peer, first, len - first);
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 20000, &ud, &res));
	EXPECT_EQ(1, ud);
	EXPECT_EQ((int)len, res);
	EXPECT_EQ(-1, px_verify(SEED, 0, self->rx.buf, len));
}

/* ---- a transient error */

/*
 * The IP and TCP headers of the next segment @fd sends, as a packet
 * socket on lo sees them: what an ICMP error about that segment quotes.
 * @kick makes it send one (an ACK of data written to its peer).
 */
static int capture_segment(int fd, int peer, uint8_t *quote, size_t qlen)
{
	struct sockaddr_in me;
	socklen_t alen = sizeof(me);
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = 1,	/* lo */
	};
	struct timeval tv = { 5, 0 };
	uint8_t pkt[2048];
	int ps, i;

	if (getsockname(fd, (void *)&me, &alen))
		return -1;
	ps = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (ps < 0)
		return -1;
	if (bind(ps, (void *)&ll, sizeof(ll)) ||
	    setsockopt(ps, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		goto err;
	send_stream(peer, 0, 100);
	for (i = 0; i < 100; i++) {
		ssize_t n = recv(ps, pkt, sizeof(pkt), 0);
		const struct iphdr *iph = (void *)pkt;
		const uint16_t *ports;

		if (n < 0)
			goto err;
		if (n < 40 || iph->protocol != IPPROTO_TCP)
			continue;
		ports = (const uint16_t *)(pkt + iph->ihl * 4);
		if (ports[0] != me.sin_port)
			continue;
		memcpy(quote, pkt, qlen);	/* IP header + 8 bytes of TCP */
		close(ps);
		return 0;
	}
err:
	close(ps);
	return -1;
}

static uint16_t inet_csum(const void *data, size_t len)
{
	const uint16_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *p++;
	if (len)
		sum += *(const uint8_t *)p;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Send "host unreachable" about the segment @quote to 127.0.0.1. */
static int send_host_unreach(const uint8_t *quote, size_t qlen)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint8_t msg[sizeof(struct icmphdr) + 64];
	struct icmphdr *icmp = (void *)msg;
	int s, ret;

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	memset(msg, 0, sizeof(msg));
	icmp->type = ICMP_DEST_UNREACH;
	icmp->code = ICMP_HOST_UNREACH;
	memcpy(msg + sizeof(*icmp), quote, qlen);
	icmp->checksum = inet_csum(msg, sizeof(*icmp) + qlen);
	s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (s < 0)
		return -1;
	ret = sendto(s, msg, sizeof(*icmp) + qlen, 0, (void *)&to, sizeof(to));
	close(s);
	return ret == (ssize_t)(sizeof(*icmp) + qlen) ? 0 : -1;
}

/*
 * recv() reports a soft error once and reads on; a posted buffer takes
 * the error the same way, and the buffers behind it and posted later
 * receive the rest of the stream.
 */
TEST_F_TIMEOUT(ex, transient_error_reported_once, 120)
{
	uint8_t quote[20 + 8];
	int one = 1, res, i;
	__u64 ud;

	ASSERT_EQ(0, setsockopt(self->rx.fd, SOL_IP, IP_RECVERR, &one,
				sizeof(one)));
	ASSERT_EQ(0, post(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf, 4096,
			  0, 0));
	ASSERT_EQ(0, post(&self->rx.ring, self->rx.devfd, self->rx.fd,
			  self->rx.buf + 4096, 4096, 0, 1));
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 2));
	/* The 100 bytes fill buffer 0; their ACK is the segment quoted. */
	ASSERT_EQ(0, capture_segment(self->rx.fd, self->rx.peer, quote,
				     sizeof(quote)));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(0, ud);
	EXPECT_EQ(100, res);
	usleep(100000);

	ASSERT_EQ(0, send_host_unreach(quote, sizeof(quote)));
	/* STATS runs the consumer: the error goes to buffer 1, once. */
	for (i = 0; i < 100; i++) {
		struct postrx_stats st;

		ASSERT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd,
					       self->rx.fd, &st));
		if (!st.posted)
			break;
		usleep(10000);
	}
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(-EHOSTUNREACH, res);

	/* The stream goes on, into buffers posted after the error. */
	ASSERT_EQ(0, post(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf,
			  1 << 16, POSTRX_RECV_WAITALL, 2));
	ASSERT_EQ(0, post(&self->rx.ring, self->rx.devfd, self->rx.fd,
			  self->rx.buf + (1 << 16), 4096, 0, 3));
	send_stream(self->rx.peer, 100, (1 << 16) + 300);
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(2, ud);
	EXPECT_EQ(1 << 16, res);
	EXPECT_EQ(-1, px_verify(SEED, 100, self->rx.buf, 1 << 16));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(3, ud);
	EXPECT_EQ(300, res);
	EXPECT_EQ(-1, px_verify(SEED, 100 + (1 << 16), self->rx.buf + (1 << 16),
				300));
}

/* ---- cancel order */

/*
 * docs/uapi.md: a buffer cancelled while it holds no data completes at
 * once, ahead of earlier buffers still waiting; completions with data
 * come in posting order.
 */
TEST_F_TIMEOUT(ex, cancel_empty_completes_first, 120)
{
	int res, i;
	__u64 ud;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, post(&self->rx.ring, self->rx.devfd, self->rx.fd,
				  self->rx.buf + i * 4096, 4096,
				  POSTRX_RECV_WAITALL, i));
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 4));
	ASSERT_EQ(0, cancel(&self->rx.ring, self->rx.devfd, self->rx.fd, 2));
	/* The cancel's own result and buffer 2's, before any other. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		if (ud == 1000) {
			EXPECT_EQ(1, res);
		} else {
			EXPECT_EQ(2, ud);
			EXPECT_EQ(-ECANCELED, res);
		}
	}
	send_stream(self->rx.peer, 0, 3 * 4096);
	for (i = 0; i < 3; i++) {
		__u64 want = i < 2 ? i : 3;

		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		EXPECT_EQ(want, ud);
		EXPECT_EQ(4096, res);
		EXPECT_EQ(-1, px_verify(SEED, i * 4096, self->rx.buf + want * 4096,
					4096));
	}
}

/* ---- listen after connect(AF_UNSPEC) */

static int load_module(void)
{
	const char *ko = getenv("POSTRX_KO");
	int fd, ret;

	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret && errno != EEXIST ? -1 : 0;
}

/* Unload postrx; asynchronous teardown may hold it for a moment. */
static int unload_module(void)
{
	int i;

	for (i = 0; i < 1000; i++) {
		if (!syscall(SYS_delete_module, "postrx", O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EBUSY)
			return -1;
		usleep(10000);
	}
	return -1;
}

/*
 * A socket that had buffers posted and was disconnected may not listen
 * (-EBUSY): its children would run postrx's proto without a channel and
 * without the module pinned (docs/design.md).  It may connect again and
 * post again.  Once every socket and ring is closed, nothing holds the
 * module: it unloads, and the ordinary sockets go on.
 */
TEST(listen_after_disconnect_refused)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int devfd, lfd, port, c, s, res;
	struct io_uring ring;
	struct iovec iov;
	uint8_t *buf, tmp[1000];
	__u64 ud;

	if (geteuid() != 0 || !getenv("POSTRX_KO"))
		SKIP(return, "needs root and POSTRX_KO (unloads the module)");
	devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	ASSERT_GE(devfd, 0);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	buf = px_alloc(1 << 16);
	iov.iov_base = buf;
	iov.iov_len = 1 << 16;
	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));

	lfd = px_listen(&px_lo4, &port);
	ASSERT_GE(lfd, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	a.sin_port = htons(port);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	ASSERT_EQ(0, post(&ring, devfd, c, buf, 4096, POSTRX_RECV_WAITALL, 1));
	send_stream(s, 0, 10);
	ASSERT_EQ(0, wait_posted(&ring, devfd, c, 1));

	ASSERT_EQ(0, connect(c, &unspec, sizeof(unspec)));
	ASSERT_EQ(0, px_wait_cqe(&ring, 10000, &ud, &res));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(10, res);
	close(s);

	EXPECT_EQ(-1, listen(c, 8));
	EXPECT_EQ(EBUSY, errno);

	/* Connected again, it receives into posted buffers again. */
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	ASSERT_EQ(0, post(&ring, devfd, c, buf, 1000, POSTRX_RECV_WAITALL, 2));
	send_stream(s, 0, 1000);
	ASSERT_EQ(0, px_wait_cqe(&ring, 10000, &ud, &res));
	EXPECT_EQ(2, ud);
	EXPECT_EQ(1000, res);
	EXPECT_EQ(-1, px_verify(SEED, 0, buf, 1000));

	close(c);
	io_uring_queue_exit(&ring);
	close(devfd);
	ASSERT_EQ(0, unload_module());
	/* The ordinary sockets go on without the module. */
	c = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(c, (void *)&a, sizeof(a)));
	close(s);
	s = accept(lfd, NULL, NULL);
	ASSERT_GE(s, 0);
	send_stream(s, 0, sizeof(tmp));
	EXPECT_EQ((ssize_t)sizeof(tmp), recv(c, tmp, sizeof(tmp), MSG_WAITALL));
	EXPECT_EQ(-1, px_verify(SEED, 0, tmp, sizeof(tmp)));
	close(c);
	close(s);
	close(lfd);
	ASSERT_EQ(0, load_module());
}

TEST_HARNESS_MAIN
