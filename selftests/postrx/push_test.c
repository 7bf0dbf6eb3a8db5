// SPDX-License-Identifier: GPL-2.0
/*
 * When a buffer posted without POSTRX_RECV_WAITALL completes (docs/uapi.md):
 * when full, at a push (a segment carrying PSH, which ends each write of
 * the sender), or when no new byte came for postrx.push_timeout_us while it
 * held some.  Over pxnic the device places into those buffers as if each
 * were filled whole, and a push ends one only where the device has placed
 * nothing beyond it: here, where the sender waits, every push does.
 *
 * The sender writes one message at a time and waits for the receiver's go
 * before the next, so every message ends in a push the receiver has seen
 * alone: each buffer must then complete exactly at a message's end (or
 * full), every byte the stream's.
 */
#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define SEED		0x9054
#define NBUFS		8

static long long px_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

FIXTURE(push)
{
	struct px_rx rx;	/* rx.pid: the sender */
	int go[2];		/* receiver to sender: size of the next write */
	int rep[2];		/* sender to receiver: a write is done */
	uint8_t *mem;
	size_t bufsize;
	unsigned int posted, completed;
	uint64_t off;		/* stream bytes received and verified */
	uint64_t off0;		/* ... when st0 was taken */
	struct postrx_stats st0;	/* the counters after the warm-up */
	long saved_timeout;
};

FIXTURE_VARIANT(push)
{
	const struct px_link *link;
};

FIXTURE_VARIANT_ADD(push, lo4)
{
	.link = &px_lo4,
};

FIXTURE_VARIANT_ADD(push, veth6)
{
	.link = &px_veth6,
};

FIXTURE_VARIANT_ADD(push, pxnic4)
{
	.link = &px_pxnic4,
};

FIXTURE_SETUP(push)
{
	self->mem = NULL;
	self->saved_timeout = -1;
	PX_RX_OPEN(&self->rx, variant->link, 64, 0);
	ASSERT_EQ(0, pipe(self->go));
	ASSERT_EQ(0, pipe(self->rep));
}

FIXTURE_TEARDOWN(push)
{
	if (self->saved_timeout >= 0)
		px_postrx_param("push_timeout_us", self->saved_timeout);
	px_rx_close(&self->rx);
}

/*
 * The sender, in the child: for each size read from @go write that many
 * stream bytes in one write() (with MSG_MORE if the size has bit 31 set:
 * no push), then report on @rep.  Size 0 ends it.
 */
static int push_sender(int fd, void *arg)
{
	const int *p = arg;
	int one = 1;
	uint64_t off = 0;
	uint32_t want;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (read(p[0], &want, sizeof(want)) == sizeof(want) && want) {
		int flags = want & (1U << 31) ? MSG_MORE : 0;
		size_t n = want & ~(1U << 31), done = 0;
		char *buf = malloc(n);

		if (!buf)
			return 10;
		px_pattern(SEED, off, buf, n);
		while (done < n) {
			ssize_t w = send(fd, buf + done, n - done, flags);

			if (w <= 0)
				return 11;
			done += w;
		}
		free(buf);
		off += n;
		if (write(p[1], &one, 1) != 1)
			return 12;
	}
	close(fd);
	return 0;
}

static void begin(struct __test_metadata *_metadata, FIXTURE_DATA(push) *self,
		  const FIXTURE_VARIANT(push) *variant, size_t bufsize,
		  long timeout_us, int mss)
{
	static int pipes[2];
	unsigned int i;

	self->saved_timeout = px_postrx_param("push_timeout_us", timeout_us);
	ASSERT_LE(0, self->saved_timeout);
	ASSERT_EQ(timeout_us, px_postrx_param("push_timeout_us", timeout_us));
	pipes[0] = self->go[0];
	pipes[1] = self->rep[1];
	self->rx.pid = px_peer(variant->link, self->rx.port, mss, push_sender,
			       pipes);
	ASSERT_LT(0, self->rx.pid);
	self->rx.fd = accept(self->rx.lfd, NULL, NULL);
	ASSERT_LE(0, self->rx.fd);
	self->bufsize = bufsize;
	ASSERT_EQ(0, px_rx_register(&self->rx, bufsize * NBUFS));
	self->mem = self->rx.buf;
	for (i = 0; i < NBUFS; i++, self->posted++)
		ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd,
					     self->rx.fd, self->mem + i * bufsize,
					     bufsize, 0, 0, self->posted));
	ASSERT_EQ(NBUFS, io_uring_submit(&self->rx.ring));
}

/* Let the sender write @n bytes (no push if @more). */
static void send_start(struct __test_metadata *_metadata,
		       FIXTURE_DATA(push) *self, uint32_t n, bool more)
{
	uint32_t want = n | (more ? 1U << 31 : 0);

	ASSERT_EQ(sizeof(want), write(self->go[1], &want, sizeof(want)));
}

/* Wait until the sender's write returned. */
static void send_wait(struct __test_metadata *_metadata,
		      FIXTURE_DATA(push) *self)
{
	char c;

	ASSERT_EQ(1, read(self->rep[0], &c, 1));
}

/* Let the sender write @n bytes and wait until it did. */
static void send_msg(struct __test_metadata *_metadata,
		     FIXTURE_DATA(push) *self, uint32_t n, bool more)
{
	send_start(_metadata, self, n, more);
	send_wait(_metadata, self);
}

/*
 * The next completion, within @ms: in posting order, verified against the
 * stream, its buffer posted again.  Returns its result.
 */
static int next_done(struct __test_metadata *_metadata,
		     FIXTURE_DATA(push) *self, int ms)
{
	unsigned int slot = self->completed % NBUFS;
	uint8_t *buf = self->mem + slot * self->bufsize;
	__u64 ud;
	int res;

	if (px_wait_cqe(&self->rx.ring, ms, &ud, &res))
		return -ETIME;
	EXPECT_EQ(self->completed, ud);
	self->completed++;
	if (res > 0) {
		EXPECT_EQ(-1, px_verify(SEED, self->off, buf, res));
		self->off += res;
	}
	EXPECT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd, buf,
				     self->bufsize, 0, 0, self->posted));
	self->posted++;
	io_uring_submit(&self->rx.ring);
	return res;
}

/* Nothing completes within @ms. */
static void none_within(struct __test_metadata *_metadata,
			FIXTURE_DATA(push) *self, int ms)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;

	EXPECT_EQ(-ETIME, io_uring_wait_cqe_timeout(&self->rx.ring, &cqe, &ts));
}

/*
 * How long a push may take to complete a buffer: well below the timer
 * (PUSH_TIMER_US), so that a buffer the push did not end shows.
 */
#define PUSH_TIMER_US	20000000
static int push_wait_ms(void)
{
	size_t ms = 8000 * px_scale();

	return ms < 15000 ? ms : 15000;
}

/*
 * A message of @n bytes, starting a fresh buffer: its buffers complete
 * without waiting for the timer, and the last one ends exactly at the
 * message's end (the receiver waits for it before the next is written).
 * Inside a message TCP may push too, and a buffer then ends there: every
 * half window (forced_push()) and on every TSO/GSO packet, which is two
 * segments at a low pacing rate (tcp_tso_autosize(); the debug kernel).
 */
static void expect_message(struct __test_metadata *_metadata,
			   FIXTURE_DATA(push) *self, size_t n)
{
	size_t left = n;

	while (left) {
		int res = next_done(_metadata, self, push_wait_ms());

		ASSERT_LT(0, res);
		ASSERT_GE(left, (size_t)res);
		left -= res;
	}
}

static void check_placed(struct __test_metadata *_metadata,
			 FIXTURE_DATA(push) *self,
			 const FIXTURE_VARIANT(push) *variant)
{
	struct postrx_stats st = {};

	ASSERT_EQ(64, px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd, &st));
	st.placed_bytes -= self->st0.placed_bytes;
	st.copied_rx_bytes -= self->st0.copied_rx_bytes;
	st.copied_late_bytes -= self->st0.copied_late_bytes;
	fprintf(stderr, "# %llu bytes after the warm-up: placed %llu, copied at receive %llu, late %llu\n",
		(unsigned long long)(self->off - self->off0),
		(unsigned long long)st.placed_bytes,
		(unsigned long long)st.copied_rx_bytes,
		(unsigned long long)st.copied_late_bytes);
	/*
	 * Over pxnic, what came while a buffer was posted was placed: none
	 * of it copied at receive.  (Bytes that came while all eight were
	 * completed and not yet posted again are copied late: a message
	 * that TCP pushes many times over, on the debug kernel, can do it.)
	 */
	if (px_link_is_pxnic(variant->link)) {
		EXPECT_EQ(0, st.copied_rx_bytes);
		EXPECT_EQ(self->off - self->off0,
			  st.placed_bytes + st.copied_late_bytes);
	}
}

/*
 * Stream @n bytes in one write and take them: TCP pushes every half of
 * the largest window the peer offered (forced_push()), and a young
 * connection's window is ten segments, so a push lands inside every
 * 7,240 bytes at first.  Once the window has grown, the messages below
 * mostly complete whole.
 */
static void warm_up(struct __test_metadata *_metadata,
		    FIXTURE_DATA(push) *self, size_t n)
{
	uint64_t end = self->off + n;

	/* More than the buffers and the socket hold: take it as it comes. */
	send_start(_metadata, self, n, false);
	while (self->off < end)
		ASSERT_LT(0, next_done(_metadata, self, 30000));
	send_wait(_metadata, self);
	ASSERT_EQ(end, self->off);
	ASSERT_EQ(64, px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd,
			       &self->st0));
	self->off0 = self->off;
}

/* Messages that end inside a buffer: each completes at its push. */
TEST_F_TIMEOUT(push, psh_inside_buffer, 300)
{
	static const uint32_t sizes[] = { 1, 1000, 1448, 3000, 20000, 65535,
					  7, 40000 };
	unsigned int i;

	begin(_metadata, self, variant, 65536, PUSH_TIMER_US, 0);
	warm_up(_metadata, self, 1 << 20);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		send_msg(_metadata, self, sizes[i], false);
		expect_message(_metadata, self, sizes[i]);
	}
	check_placed(_metadata, self, variant);
}

/*
 * Messages that end exactly where a buffer ends, and span several: the
 * buffers complete full, and no empty one follows the push.
 */
TEST_F_TIMEOUT(push, psh_at_buffer_end, 300)
{
	static const uint32_t sizes[] = { 4096, 8192, 4095, 4097, 16384 };
	unsigned int i;

	begin(_metadata, self, variant, 4096, PUSH_TIMER_US, 0);
	warm_up(_metadata, self, 256 << 10);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		send_msg(_metadata, self, sizes[i], false);
		expect_message(_metadata, self, sizes[i]);
		none_within(_metadata, self, 100);
	}
	check_placed(_metadata, self, variant);
}

/*
 * A sender that does not push and then falls silent: with MSG_MORE one
 * whole segment leaves without PSH (Linux forces PSH only on TSO/GSO
 * packets of more than one segment), and the tail without PSH either
 * once an ACK comes (MSG_MORE corks one call only).  The buffer completes
 * when the timer runs out after the last byte came, not before; the next
 * push brings the rest.
 */
TEST_F_TIMEOUT(push, no_psh_then_silence, 300)
{
	const uint32_t n = 1050;
	long long t0;
	int res;

	/* Segments of at most 1000 bytes, on loopback too. */
	begin(_metadata, self, variant, 65536, 1000000, 1000);
	send_msg(_metadata, self, n, true);
	t0 = px_now_ms();
	/* The timer is 1 s: nothing completes in the first 200 ms. */
	none_within(_metadata, self, 200);
	res = next_done(_metadata, self, 30000);
	fprintf(stderr, "# %d bytes without a push completed after %lld ms\n",
		res, px_now_ms() - t0);
	ASSERT_LT(0, res);
	ASSERT_GE((int)n, res);
	/* Not before the timer (the tail may follow on the next ACK). */
	ASSERT_LE(900, px_now_ms() - t0);
	/* One more byte, pushed: what is left and it, in the next one. */
	send_msg(_metadata, self, 1, false);
	ASSERT_EQ((int)(n + 1 - res), next_done(_metadata, self, 30000));
	check_placed(_metadata, self, variant);
}

/* pxnic holds a reference on postrx: unload it when the program ends. */
int main(int argc, char **argv)
{
	px_unload_pxnic_at_exit();
	return test_harness_run(argc, argv);
}
