// SPDX-License-Identifier: GPL-2.0
/*
 * POSTRX_CMD_RECV end to end: buffers posted through io_uring fill with the
 * TCP stream, in order, byte for byte, over loopback and over a veth pair
 * into a namespace of our own, for IPv4 and IPv6; completion rules (recv()
 * semantics, WAITALL, end of stream, reset); data queued before the post;
 * the counters of POSTRX_CMD_STATS.
 */
#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define SEED 0x5eed

FIXTURE(recv)
{
	struct px_rx rx;
};

FIXTURE_VARIANT(recv)
{
	const struct px_link *link;
};

PX_LINK_VARIANTS(recv);

FIXTURE_SETUP(recv)
{
	PX_RX_OPEN(&self->rx, variant->link, 256, 0);
}

FIXTURE_TEARDOWN(recv)
{
	px_rx_close(&self->rx);
}

/* Start a sender of @total bytes and accept its connection. */
static int start(FIXTURE_DATA(recv) *self, size_t total, size_t chunk,
		 enum px_end end)
{
	return px_rx_start(&self->rx, SEED, total, chunk, end);
}

static int stream(FIXTURE_DATA(recv) *self, size_t total, size_t bufsize,
		  unsigned int nbufs, __u32 flags)
{
	int64_t got = px_stream(&self->rx.ring, self->rx.devfd, self->rx.fd, bufsize,
				nbufs, flags, SEED);

	if (got != (int64_t)total)
		fprintf(stderr, "# received %lld of %zu bytes\n",
			(long long)got, total);
	return got == (int64_t)total ? 0 : -1;
}

TEST_F_TIMEOUT(recv, one_buffer_partial, 120)
{
	ASSERT_GE(start(self, 1000, 1000, PX_END_HOLD), 0);
	ASSERT_EQ(1000, px_wait_queued(self->rx.fd, 1000));

	uint8_t *buf = px_alloc(4096);
	struct iovec iov = { buf, 4096 };
	__u64 ud;
	int res;

	ASSERT_EQ(0, io_uring_register_buffers(&self->rx.ring, &iov, 1));
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     4096, 0, 0, 7));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(7, ud);
	EXPECT_EQ(1000, res);
	EXPECT_EQ(-1, px_verify(SEED, 0, buf, 1000));
}

/* Sizes from 1 byte to 16 MiB, with and without WAITALL. */
TEST_F_TIMEOUT(recv, sizes_waitall, 600)
{
	static const struct { size_t size, total; unsigned int nbufs; } t[] = {
		{ 1, 4096, 64 }, { 7, 65536, 64 }, { 4096, 1 << 20, 32 },
		{ 65536, 8 << 20, 16 }, { 1 << 20, 16 << 20, 4 },
		{ 16 << 20, 48 << 20, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (self->rx.fd >= 0) {
			close(self->rx.fd);
			ASSERT_EQ(0, px_wait_child(self->rx.pid));
		}
		/* Ends a little short of a buffer: the last one is partial. */
		size_t total = t[i].total / px_scale();

		if (total < 2 * t[i].size)
			total = 2 * t[i].size;
		total -= t[i].size > 1 ? 1 : 0;

		ASSERT_GE(start(self, total, 1 << 16, PX_END_CLOSE), 0);
		EXPECT_EQ(0, stream(self, total, t[i].size, t[i].nbufs,
				    POSTRX_RECV_WAITALL))
			TH_LOG("buffer size %zu", t[i].size);
	}
}

TEST_F_TIMEOUT(recv, sizes_recv_semantics, 600)
{
	static const struct { size_t size, total; unsigned int nbufs; } t[] = {
		{ 1, 4096, 64 }, { 4096, 1 << 20, 32 }, { 1 << 20, 16 << 20, 4 },
		{ 16 << 20, 32 << 20, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (self->rx.fd >= 0) {
			close(self->rx.fd);
			ASSERT_EQ(0, px_wait_child(self->rx.pid));
		}
		size_t total = t[i].total / px_scale();

		if (total < 2 * t[i].size)
			total = 2 * t[i].size;
		ASSERT_GE(start(self, total, 1 << 16, PX_END_CLOSE), 0);
		EXPECT_EQ(0, stream(self, total, t[i].size, t[i].nbufs, 0))
			TH_LOG("buffer size %zu", t[i].size);
	}
}

/* Data queued before the post is consumed at once, and counted as late. */
TEST_F_TIMEOUT(recv, data_queued_before_post, 120)
{
	struct postrx_stats st;
	uint8_t *buf = px_alloc(1 << 16);
	struct iovec iov = { buf, 1 << 16 };
	__u64 ud;
	int res;

	ASSERT_GE(start(self, 1 << 16, 1 << 16, PX_END_HOLD), 0);
	ASSERT_EQ(1 << 16, px_wait_queued(self->rx.fd, 1 << 16));
	ASSERT_EQ(0, io_uring_register_buffers(&self->rx.ring, &iov, 1));
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     1 << 16, 0, POSTRX_RECV_WAITALL, 1));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(1 << 16, res);
	EXPECT_EQ(-1, px_verify(SEED, 0, buf, 1 << 16));
	ASSERT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd, &st));
	EXPECT_EQ(1 << 16, st.copied_late_bytes);
	EXPECT_EQ(0, st.copied_rx_bytes);
	EXPECT_EQ(0, st.placed_bytes);
	EXPECT_EQ(1, st.completed);
	EXPECT_EQ(0, st.posted);
}

/* Posted before the data: copied at receive time. */
TEST_F_TIMEOUT(recv, data_copied_at_receive, 120)
{
	struct postrx_stats st;
	uint8_t *buf = px_alloc(1 << 20);
	struct iovec iov = { buf, 1 << 20 };
	__u64 ud;
	int res;

	ASSERT_EQ(0, io_uring_register_buffers(&self->rx.ring, &iov, 1));
	/* The sender waits after connecting: the post goes first. */
	px_sender_delay_us = 300000;
	ASSERT_GE(start(self, 1 << 20, 1 << 16, PX_END_HOLD), 0);
	/* Nothing can be queued yet beyond what the handshake allows. */
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     1 << 20, 0, POSTRX_RECV_WAITALL, 1));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 30000, &ud, &res));
	EXPECT_EQ(1 << 20, res);
	EXPECT_EQ(-1, px_verify(SEED, 0, buf, 1 << 20));
	ASSERT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd, &st));
	EXPECT_EQ(1 << 20, st.copied_rx_bytes + st.copied_late_bytes);
	EXPECT_GT(st.copied_rx_bytes, 0);
}

/* End of stream: a partial WAITALL buffer reports its bytes, the rest 0. */
TEST_F_TIMEOUT(recv, end_of_stream, 120)
{
	uint8_t *buf = px_alloc(3 << 16);
	struct iovec iov = { buf, 3 << 16 };
	__u64 ud;
	int res, i;

	ASSERT_EQ(0, io_uring_register_buffers(&self->rx.ring, &iov, 1));
	ASSERT_GE(start(self, 1000, 1000, PX_END_HOLD), 0);
	for (i = 0; i < 3; i++)
		ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					     buf + (i << 16), 1 << 16, 0,
					     POSTRX_RECV_WAITALL, i));
	ASSERT_EQ(3, io_uring_submit(&self->rx.ring));
	ASSERT_EQ(-ETIME, px_wait_cqe(&self->rx.ring, 300, &ud, &res));
	kill(self->rx.pid, SIGKILL);	/* the kernel closes it: FIN */
	px_wait_child(self->rx.pid);
	self->rx.pid = 0;
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		EXPECT_EQ(i, ud);
		EXPECT_EQ(i ? 0 : 1000, res);
	}
	EXPECT_EQ(-1, px_verify(SEED, 0, buf, 1000));
	/* A buffer posted after end of stream completes at once with 0. */
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     4096, 0, 0, 9));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(0, res);
}

TEST_F_TIMEOUT(recv, reset_by_peer, 120)
{
	uint8_t *buf = px_alloc(2 << 16);
	struct iovec iov = { buf, 2 << 16 };
	__u64 ud;
	int res;

	ASSERT_EQ(0, io_uring_register_buffers(&self->rx.ring, &iov, 1));
	ASSERT_GE(start(self, 500, 500, PX_END_RESET), 0);
	ASSERT_EQ(0, px_wait_child(self->rx.pid));
	self->rx.pid = 0;
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     1 << 16, 0, POSTRX_RECV_WAITALL, 0));
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
				     buf + (1 << 16), 1 << 16, 0,
				     POSTRX_RECV_WAITALL, 1));
	ASSERT_EQ(2, io_uring_submit(&self->rx.ring));
	/*
	 * What arrived before the reset comes first (TCP keeps it, and
	 * peer_test checks that exactly); the sender's abortive close may
	 * have thrown the 500 bytes away before it sent them, though.
	 */
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	if (res > 0) {
		EXPECT_EQ(500, res);
		EXPECT_EQ(-1, px_verify(SEED, 0, buf, 500));
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	}
	EXPECT_TRUE(res == -ECONNRESET || res == -ENOTCONN) TH_LOG("res %d", res);
}

/* While buffers are posted, recv() is refused; afterwards it reads on. */
TEST_F_TIMEOUT(recv, plain_recv_while_posted, 120)
{
	uint8_t *buf = px_alloc(4096);
	struct iovec iov = { buf, 4096 };
	char tmp[4096];
	__u64 ud;
	int res;

	ASSERT_EQ(0, io_uring_register_buffers(&self->rx.ring, &iov, 1));
	ASSERT_GE(start(self, 6000, 6000, PX_END_HOLD), 0);
	ASSERT_EQ(6000, px_wait_queued(self->rx.fd, 6000));
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     4096, 0, POSTRX_RECV_WAITALL, 0));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	ASSERT_EQ(4096, res);
	/* Nothing posted: recv() serves what follows the posted bytes. */
	ASSERT_EQ(6000 - 4096, recv(self->rx.fd, tmp, sizeof(tmp), 0));
	EXPECT_EQ(-1, px_verify(SEED, 4096, tmp, 6000 - 4096));

	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     4096, 0, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	EXPECT_EQ(-1, recv(self->rx.fd, tmp, sizeof(tmp), MSG_DONTWAIT));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, recv(self->rx.fd, tmp, sizeof(tmp), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(EBUSY, errno);
}

TEST_HARNESS_MAIN
