// SPDX-License-Identifier: GPL-2.0
/*
 * Peers that misbehave, or just behave unlike a bulk sender: a reset in the
 * middle of a posted buffer, a half close, a window that closes because
 * nothing is posted, a peer that stops mid-buffer, one byte per segment,
 * a tiny MSS, and a sender much faster than the receiver posts.  Over
 * loopback and a veth pair into a namespace of our own, IPv4 and IPv6.
 * Every byte is checked against the stream, every completion's result and
 * order, the STATS counters, and that each peer and socket ends cleanly.
 */
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define SEED		0x9ee5
#define SEED_BACK	0xbac4	/* what the receiver sends back */
#define NSLOT		64

FIXTURE(peer)
{
	struct px_rx rx;	/* rx.pid: the peer */
	int go[2];		/* parent to peer: one byte per step */
	int rep[2];		/* peer to parent: reports */
	uint8_t *mem;		/* registered buffer 0: slots of bufsize */
	size_t bufsize;
	unsigned int fifo[NSLOT], head, tail;	/* posted slots, in order */
	uint64_t off;		/* stream bytes received and verified */
};

FIXTURE_VARIANT(peer)
{
	const struct px_link *link;
};

PX_LINK_VARIANTS(peer);

FIXTURE_SETUP(peer)
{
	px_rx_init(&self->rx);
	self->mem = NULL;
	/*
	 * The debug kernel is some 16 times slower: it runs IPv4 over
	 * loopback and IPv6 over veth, both families and both kinds of
	 * device; the stock kernel runs all four.
	 */
	if (px_scale() > 1 && (variant->link == &px_lo6 ||
			       variant->link == &px_veth4))
		SKIP(return, "the debug kernel runs lo4 and veth6 only");
	PX_RX_OPEN(&self->rx, variant->link, 64, 0);
	ASSERT_EQ(0, pipe(self->go));
	ASSERT_EQ(0, pipe(self->rep));
}

FIXTURE_TEARDOWN(peer)
{
	px_rx_close(&self->rx);
}

/* ---- the peer's side: runs in the child forked by px_peer() */

struct peer_arg {
	int go, rep;		/* the ends of the pipes the peer uses */
	size_t total;		/* bytes of stream SEED it sends */
	size_t part;		/* ... before it stops: reset, pause, FIN */
	size_t back;		/* bytes of SEED_BACK it must read back */
	size_t lead;		/* bytes sent in one go before the rest */
	bool nocork;		/* turn TCP autocorking off (own namespace) */
};

/* What the zero-window peer saw when its sends stopped. */
struct window_report {
	uint64_t written;	/* bytes accepted by send() so far */
	uint32_t snd_wnd, snd_mss, notsent, probes, backoff;
	int stalled;		/* EAGAIN, no room for 300 ms, window < MSS */
};

static int peer_wait(const struct peer_arg *a)
{
	char c;

	return read(a->go, &c, 1) == 1 ? 0 : -1;
}

/* Wait until the receiver acknowledged everything written on @fd. */
static int wait_acked(int fd)
{
	int i, outq = -1;

	for (i = 0; i < 20000; i++) {
		if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq == 0)
			return 0;
		usleep(1000);
	}
	return -1;
}

/*
 * Send @part bytes, wait until all are acknowledged (an abortive close
 * throws away what is not), then, at the second go, reset: SO_LINGER 0.
 */
static int reset_peer(int fd, void *arg)
{
	const struct peer_arg *a = arg;
	struct linger lg = { 1, 0 };

	if (peer_wait(a) || px_write_stream(fd, SEED, 0, a->part, 1 << 16))
		return 10;
	if (wait_acked(fd) || peer_wait(a))
		return 11;
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		return 12;
	close(fd);
	return 0;
}

/* Send @part bytes, shut down the write side, read @back bytes until EOF. */
static int half_close_peer(int fd, void *arg)
{
	const struct peer_arg *a = arg;
	static uint8_t buf[1 << 16];
	uint64_t got = 0;
	ssize_t n;

	if (peer_wait(a) || px_write_stream(fd, SEED, 0, a->part, 1 << 16))
		return 20;
	if (shutdown(fd, SHUT_WR))
		return 21;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (px_verify(SEED_BACK, got, buf, n) >= 0)
			return 22;
		got += n;
	}
	close(fd);
	return n == 0 && got == a->back ? 0 : 23;
}

/*
 * Send without blocking until the receiver's window is closed: send()
 * says EAGAIN, no room comes for 300 ms and the window the receiver
 * advertises does not take one more segment.  Report, then send the rest
 * blocking: the sends wait until the receiver posts buffers.  A fixed
 * SO_SNDBUF keeps what fits before the stall small, whatever the kernel.
 */
static int window_peer(int fd, void *arg)
{
	const struct peer_arg *a = arg;
	struct window_report r = { 0 };
	int sndbuf = 1 << 16, i;
	struct px_tcp_info ti = { 0 };
	char buf[4096];

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK))
		return 30;
	for (i = 0; i < 100 && r.written < a->total; ) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		size_t k = a->total - r.written < sizeof(buf) ?
			   a->total - r.written : sizeof(buf);
		ssize_t w;

		px_pattern(SEED, r.written, buf, k);
		w = send(fd, buf, k, 0);
		if (w > 0) {
			r.written += w;
			continue;
		}
		if (errno != EAGAIN)
			return 31;
		if (poll(&pfd, 1, 300) > 0)
			continue;
		i++;
		if (px_tcp_info(fd, &ti))
			return 32;
		if (ti.snd_wnd < ti.base.tcpi_snd_mss) {
			r.stalled = 1;
			break;
		}
	}
	r.snd_wnd = ti.snd_wnd;
	r.snd_mss = ti.base.tcpi_snd_mss;
	r.notsent = ti.notsent_bytes;
	r.probes = ti.base.tcpi_probes;
	r.backoff = ti.base.tcpi_backoff;
	if (write(a->rep, &r, sizeof(r)) != sizeof(r) ||
	    fcntl(fd, F_SETFL, 0))
		return 33;
	if (px_write_stream(fd, SEED, r.written, a->total - r.written, 1 << 16))
		return 34;
	close(fd);
	return 0;
}

/* Send @part bytes, stop until the go, send the rest and close. */
static int pause_peer(int fd, void *arg)
{
	const struct peer_arg *a = arg;

	if (px_write_stream(fd, SEED, 0, a->part, 1 << 16) || peer_wait(a) ||
	    px_write_stream(fd, SEED, a->part, a->total - a->part, 1 << 16))
		return 40;
	close(fd);
	return 0;
}

/*
 * Each write its own segment: TCP_NODELAY.  Autocorking would hold small
 * writes back while earlier segments sit in the device queue; turn it off
 * in our own namespace (loopback frees its skbs at once anyway).
 */
static int peer_nodelay(int fd, const struct peer_arg *a)
{
	int one = 1, sysfd;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		return -1;
	if (a->nocork) {
		sysfd = open("/proc/sys/net/ipv4/tcp_autocorking", O_WRONLY);
		if (sysfd < 0 || write(sysfd, "0", 1) != 1)
			return -1;
		close(sysfd);
	}
	return 0;
}

/*
 * Let what was written leave before the next write: on a loaded machine
 * a loop outruns the stack, and the bytes queued meanwhile go out
 * together.  Bounded (to @tries x 50 us), since the congestion window
 * may hold them back.
 */
static void peer_wait_sent(int fd, int tries)
{
	int unsent, t;

	for (t = 0; t < tries; t++) {
		if (ioctl(fd, SIOCOUTQNSD, &unsent) || !unsent)
			break;
		usleep(50);
	}
}

/* One byte per write, each its own segment. */
static int bytewise_peer(int fd, void *arg)
{
	const struct peer_arg *a = arg;
	size_t i;

	if (peer_nodelay(fd, a))
		return 50;
	for (i = 0; i < a->total; i++) {
		uint8_t c;

		peer_wait_sent(fd, 40);
		px_pattern(SEED, i, &c, 1);
		if (write(fd, &c, 1) != 1)
			return 52;
	}
	close(fd);
	return 0;
}

/* Send @total bytes and close: with a small TCP_MAXSEG from px_peer(). */
static int bulk_peer(int fd, void *arg)
{
	const struct peer_arg *a = arg;

	if (px_write_stream(fd, SEED, 0, a->total, 1 << 16))
		return 60;
	close(fd);
	return 0;
}

/* A TcpExt counter of our network namespace (/proc/net/netstat), or -1. */
static long long tcpext(const char *name)
{
	char names[4096], values[4096];
	char *n, *v, *sn, *sv;
	long long found = -1;
	FILE *f = fopen("/proc/net/netstat", "r");

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, name))
				found = atoll(v);
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
	}
	fclose(f);
	return found;
}

/*
 * @lead bytes in one go, then the rest of @total in rounds of three
 * writes of @part, each write its own skb (TCP_NODELAY, no autocorking,
 * the previous one sent), and each round acknowledged before the next
 * (as a sender that waits for MSG_ZEROCOPY completions does); then a
 * report of the tail loss probes sent meanwhile (TCP probes the last
 * segment when no ACK came for two round trips and 2 ms), and the close
 * at the next go.
 */
static int lockstep_peer(int fd, void *arg)
{
	const struct peer_arg *a = arg;
	long long probes;
	uint64_t off;
	int k;

	if (peer_nodelay(fd, a))
		return 68;
	if (px_write_stream(fd, SEED, 0, a->lead, 1 << 16) || wait_acked(fd))
		return 70;
	probes = tcpext("TCPLossProbes");
	for (off = a->lead; off < a->total; ) {
		for (k = 0; k < 3 && off < a->total; k++, off += a->part) {
			peer_wait_sent(fd, 2000);
			if (px_write_stream(fd, SEED, off, a->part, a->part))
				return 71;
		}
		if (wait_acked(fd))
			return 72;
	}
	probes = tcpext("TCPLossProbes") - probes;
	if (write(a->rep, &probes, sizeof(probes)) != sizeof(probes) ||
	    peer_wait(a))
		return 73;
	close(fd);
	return 0;
}

/* ---- the receiver's side */

/* Accept the connection of the peer just forked; a new stream. */
static void accept_peer(struct __test_metadata *_metadata,
			FIXTURE_DATA(peer) *self)
{
	ASSERT_GT(self->rx.pid, 0);
	self->rx.fd = accept(self->rx.lfd, NULL, NULL);
	ASSERT_GE(self->rx.fd, 0);
	self->head = self->tail = 0;
	self->off = 0;
}

/* Fork the peer running @fn and accept its connection. */
static void start(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
		  const FIXTURE_VARIANT(peer) *variant, int mss,
		  int (*fn)(int fd, void *arg), struct peer_arg *a)
{
	a->go = self->go[0];
	a->rep = self->rep[1];
	self->rx.pid = px_peer(variant->link, self->rx.port, mss, fn, a);
	accept_peer(_metadata, self);
}

/* Close our socket; the peer must have ended on its own, with 0. */
static void finish(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self)
{
	ASSERT_EQ(0, close(self->rx.fd));
	self->rx.fd = -1;
	ASSERT_EQ(0, px_wait_child(self->rx.pid));
	self->rx.pid = 0;
}

static void go(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self)
{
	ASSERT_EQ(1, write(self->go[1], "g", 1));
}

/* Register @nslots buffers of @bufsize as one region, buffer index 0. */
static void reg(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
		size_t bufsize, unsigned int nslots)
{
	self->bufsize = bufsize;
	ASSERT_EQ(0, px_rx_register(&self->rx, bufsize * nslots));
	self->mem = self->rx.buf;
}

static void post(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
		 unsigned int slot, __u32 flags)
{
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
				     self->mem + slot * self->bufsize,
				     self->bufsize, 0, flags, slot));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	self->fifo[self->tail++ % NSLOT] = slot;
}

/*
 * The next completion: it must be the oldest posted buffer, and the bytes
 * it holds the next ones of the stream.  Returns its result.
 */
static int reap(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self)
{
	__u64 ud = 0;
	int res = 0;

	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 30000, &ud, &res))
		TH_LOG("no completion within 30 s at byte %llu",
		       (unsigned long long)self->off);
	ASSERT_NE(self->head, self->tail);
	ASSERT_EQ(self->fifo[self->head % NSLOT], ud);
	self->head++;
	if (res > 0) {
		ASSERT_LE(res, self->bufsize);
		ASSERT_EQ(-1, px_verify(SEED, self->off,
					self->mem + ud * self->bufsize, res))
			TH_LOG("buffer %llu at byte %llu", (unsigned long long)ud,
			       (unsigned long long)self->off);
		self->off += res;
	}
	return res;
}

static void no_cqe(struct __test_metadata *_metadata, FIXTURE_DATA(peer) *self,
		   int ms)
{
	__u64 ud = 0;
	int res = 0;

	ASSERT_EQ(-ETIME, px_wait_cqe(&self->rx.ring, ms, &ud, &res))
		TH_LOG("unexpected completion %llu: %d", (unsigned long long)ud,
		       res);
}

/*
 * Reap, and re-post each buffer that completed full with @flags, until
 * every posted buffer has completed after end of stream.  A short buffer
 * with WAITALL is the end of the stream; after it only 0 may follow.
 * Returns the number of completions.
 */
static unsigned int drain(struct __test_metadata *_metadata,
			  FIXTURE_DATA(peer) *self, __u32 flags)
{
	unsigned int n = 0;
	bool eof = false;

	while (self->head != self->tail) {
		unsigned int slot = self->fifo[self->head % NSLOT];
		int res = reap(_metadata, self);

		n++;
		ASSERT_GE(res, 0);
		ASSERT_FALSE(eof && res) TH_LOG("%d bytes after the end", res);
		if (!res || ((flags & POSTRX_RECV_WAITALL) &&
			     res < self->bufsize))
			eof = true;
		if (!eof)
			post(_metadata, self, slot, flags);
	}
	return n;
}

#define ANY_COUNT	UINT64_MAX

/*
 * STATS must account for every byte received (copied: no device on these
 * links) and every completion (unless ANY_COUNT: px_stream() does not say
 * how many); the buffers still posted are ours.
 */
static struct postrx_stats check_stats(struct __test_metadata *_metadata,
				       FIXTURE_DATA(peer) *self,
				       uint64_t bytes, uint64_t completed)
{
	struct postrx_stats st;

	EXPECT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd, &st));
	EXPECT_EQ(bytes, st.copied_rx_bytes + st.copied_late_bytes);
	EXPECT_EQ(0, st.placed_bytes);
	EXPECT_EQ(0, st.bounced_bytes);
	if (completed != ANY_COUNT)
		EXPECT_EQ(completed, st.completed);
	EXPECT_EQ(self->tail - self->head, st.posted);
	return st;
}

/* Wait until STATS, which takes what is queued into the buffers, saw @bytes. */
static void wait_taken(struct __test_metadata *_metadata,
		       FIXTURE_DATA(peer) *self, uint64_t bytes)
{
	struct postrx_stats st;
	int i;

	for (i = 0; i < 10000; i++) {
		ASSERT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd,
					       self->rx.fd, &st));
		if (st.copied_rx_bytes + st.copied_late_bytes >= bytes)
			return;
		usleep(1000);
	}
	ASSERT_TRUE(false) TH_LOG("only %llu of %llu bytes arrived",
				  (unsigned long long)(st.copied_rx_bytes +
						       st.copied_late_bytes),
				  (unsigned long long)bytes);
}

/*
 * A reset in the middle of a WAITALL buffer: the bytes it holds complete
 * it, the buffers behind it get -ECONNRESET, nothing waits for more.
 * Round 0: the reset arrives when the bytes are already in the buffer
 * (STATS took them); round 1: while they still wait in the socket for a
 * full buffer, so the reset itself must take them.
 */
TEST_F_TIMEOUT(peer, reset_mid_buffer, 120)
{
	const size_t b = 1 << 16;
	int round, i, res;

	reg(_metadata, self, b, 4);
	for (round = 0; round < 2; round++) {
		struct peer_arg a = { .part = round ? 1000 : b + 40000 };
		unsigned int nfull = a.part / b;

		start(_metadata, self, variant, 0, reset_peer, &a);
		for (i = 0; i < 3; i++)
			post(_metadata, self, i, POSTRX_RECV_WAITALL);
		go(_metadata, self);
		if (nfull)
			ASSERT_EQ(b, reap(_metadata, self));
		if (round) {
			ASSERT_EQ(a.part, px_wait_queued(self->rx.fd, a.part));
		} else {
			wait_taken(_metadata, self, a.part);
		}
		no_cqe(_metadata, self, 200);
		go(_metadata, self);
		ASSERT_EQ(a.part % b, reap(_metadata, self));
		for (i = nfull + 1; i < 3; i++)
			ASSERT_EQ(-ECONNRESET, reap(_metadata, self));
		ASSERT_EQ(a.part, self->off);
		ASSERT_EQ(0, px_wait_child(self->rx.pid));
		self->rx.pid = 0;
		no_cqe(_metadata, self, 100);
		check_stats(_metadata, self, a.part, 3);
		/* Posted after the reset: refused, as on any closed socket. */
		post(_metadata, self, 3, POSTRX_RECV_WAITALL);
		res = reap(_metadata, self);
		EXPECT_EQ(-ENOTCONN, res);
		ASSERT_EQ(0, close(self->rx.fd));
		self->rx.fd = -1;
	}
}

/* Wait until @fd's connection is over (TCP_CLOSE). */
static int wait_closed(int fd)
{
	struct tcp_info ti;
	socklen_t len;
	int i;

	for (i = 0; i < 10000; i++) {
		len = sizeof(ti);
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
			return -1;
		if (ti.tcpi_state == TCP_CLOSE)
			return 0;
		usleep(1000);
	}
	return -1;
}

/*
 * A connection that is over still holds what it received, and recv()
 * returns that before the end or the error; so must a post.  Round 0: we
 * shut down our side, the peer sends and closes, the socket passes through
 * TIME_WAIT to TCP_CLOSE; round 1: the peer resets.  Nothing was posted
 * while the data came.  A post after the queue is empty is refused.
 */
TEST_F_TIMEOUT(peer, closed_with_data_queued, 120)
{
	const size_t b = 4096, part = 5000;
	int round;

	reg(_metadata, self, b, 3);
	for (round = 0; round < 2; round++) {
		struct peer_arg a = { .part = part, .total = part };

		if (round) {
			start(_metadata, self, variant, 0, reset_peer, &a);
			go(_metadata, self);
		} else {
			start(_metadata, self, variant, 0, pause_peer, &a);
			ASSERT_EQ(0, shutdown(self->rx.fd, SHUT_WR));
		}
		ASSERT_EQ(part, px_wait_queued(self->rx.fd, part));
		go(_metadata, self);
		ASSERT_EQ(0, wait_closed(self->rx.fd));
		ASSERT_EQ(0, px_wait_child(self->rx.pid));
		self->rx.pid = 0;
		post(_metadata, self, 0, POSTRX_RECV_WAITALL);
		post(_metadata, self, 1, POSTRX_RECV_WAITALL);
		ASSERT_EQ(b, reap(_metadata, self));
		ASSERT_EQ(part - b, reap(_metadata, self));
		EXPECT_EQ(part, check_stats(_metadata, self, part, 2).copied_late_bytes);
		post(_metadata, self, 2, POSTRX_RECV_WAITALL);
		EXPECT_EQ(-ENOTCONN, reap(_metadata, self));
		ASSERT_EQ(0, close(self->rx.fd));
		self->rx.fd = -1;
	}
}

/*
 * The peer shuts down its write side after a number of bytes that is not
 * a multiple of the buffer size: full buffers, the short one with its
 * count, 0 for every buffer behind it and for any posted later.  The
 * connection still carries data the other way.  Round 0 posts before the
 * data comes, round 1 after the FIN is already queued.
 */
TEST_F_TIMEOUT(peer, half_close, 120)
{
	const size_t b = 4096, n = 3 * 4096 + 1234;
	struct postrx_stats st;
	int round, i;
	char c;

	reg(_metadata, self, b, 6);
	for (round = 0; round < 2; round++) {
		struct peer_arg a = { .part = n, .back = 100000 };
		struct pollfd pfd = { .events = POLLRDHUP };

		start(_metadata, self, variant, 0, half_close_peer, &a);
		if (round) {
			go(_metadata, self);
			pfd.fd = self->rx.fd;
			ASSERT_EQ(1, poll(&pfd, 1, 10000));
		}
		for (i = 0; i < 6; i++)
			post(_metadata, self, i, POSTRX_RECV_WAITALL);
		if (!round)
			go(_metadata, self);
		for (i = 0; i < 3; i++)
			ASSERT_EQ(b, reap(_metadata, self));
		ASSERT_EQ(n % b, reap(_metadata, self));
		ASSERT_EQ(0, reap(_metadata, self));
		ASSERT_EQ(0, reap(_metadata, self));
		/* After end of stream: 0 at once, WAITALL or not. */
		post(_metadata, self, 0, POSTRX_RECV_WAITALL);
		ASSERT_EQ(0, reap(_metadata, self));
		post(_metadata, self, 1, 0);
		ASSERT_EQ(0, reap(_metadata, self));
		st = check_stats(_metadata, self, n, 8);
		EXPECT_EQ(round ? n : 0, st.copied_late_bytes);
		/* Nothing posted: recv() sees the end of stream too. */
		EXPECT_EQ(0, recv(self->rx.fd, &c, 1, MSG_DONTWAIT));
		/* Our side is still open: the peer reads all of this. */
		ASSERT_EQ(0, px_write_stream(self->rx.fd, SEED_BACK, 0, a.back,
					     1 << 16));
		ASSERT_EQ(0, shutdown(self->rx.fd, SHUT_WR));
		finish(_metadata, self);
	}
}

/*
 * Nothing posted while the peer sends: the receive queue fills, the
 * window closes and the sender stalls.  Then post: the window reopens
 * and the whole stream arrives.
 */
TEST_F_TIMEOUT(peer, zero_window_stall, 180)
{
	/* Well beyond what fits before the stall (some 250 KB). */
	struct peer_arg a = { .total = px_scale() > 1 ? 1 << 20 : 2 << 20 };
	struct window_report r;
	struct pollfd pfd;
	struct timespec t0, t1;
	struct postrx_stats st;
	int queued = 0;
	int64_t got;

	start(_metadata, self, variant, 0, window_peer, &a);
	pfd.fd = self->rep[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 60000));
	ASSERT_EQ(sizeof(r), read(self->rep[0], &r, sizeof(r)));
	TH_LOG("stalled after %llu bytes: snd_wnd %u mss %u unsent %u probes %u backoff %u",
	       (unsigned long long)r.written, r.snd_wnd, r.snd_mss,
	       r.notsent, r.probes, r.backoff);
	ASSERT_TRUE(r.stalled);
	ASSERT_LT(r.written, a.total);
	ASSERT_EQ(0, ioctl(self->rx.fd, FIONREAD, &queued));
	EXPECT_GT(queued, 0);
	/* Let the sender block in send() and probe the closed window. */
	usleep(300000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	got = px_stream(&self->rx.ring, self->rx.devfd, self->rx.fd, 1 << 16, 4,
			POSTRX_RECV_WAITALL, SEED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ASSERT_EQ((int64_t)a.total, got);
	TH_LOG("%d bytes were queued; the rest took %ld ms", queued,
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 +
		      (t1.tv_nsec - t0.tv_nsec) / 1000000));
	ASSERT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd, &st));
	EXPECT_EQ(a.total, st.copied_rx_bytes + st.copied_late_bytes);
	EXPECT_GE(st.copied_late_bytes, queued);
	EXPECT_EQ(0, st.posted);
	finish(_metadata, self);
}

/*
 * The reverse: buffers are posted and the peer stops in the middle of
 * one.  The full buffer completes, the partial WAITALL one waits (and
 * holds what came), then the peer goes on and the stream is exact.
 */
TEST_F_TIMEOUT(peer, peer_pauses, 120)
{
	const size_t b = 1 << 16;
	/* Not a multiple of b: the last buffer is short. */
	struct peer_arg a = { .total = (4 << 20) / px_scale() + 777,
			      .part = b + 34464 };
	unsigned int n, i;

	reg(_metadata, self, b, 4);
	start(_metadata, self, variant, 0, pause_peer, &a);
	for (i = 0; i < 4; i++)
		post(_metadata, self, i, POSTRX_RECV_WAITALL);
	ASSERT_EQ(b, reap(_metadata, self));
	post(_metadata, self, 0, POSTRX_RECV_WAITALL);
	wait_taken(_metadata, self, a.part);
	no_cqe(_metadata, self, 300);
	check_stats(_metadata, self, a.part, 1);
	go(_metadata, self);
	n = drain(_metadata, self, POSTRX_RECV_WAITALL);
	EXPECT_EQ(a.total, self->off);
	/* Full buffers, a short one, and 0 for the three behind it. */
	EXPECT_EQ(1 + n, a.total / b + 1 + 3);
	check_stats(_metadata, self, a.total, 1 + n);
	finish(_metadata, self);
}

/*
 * One byte per segment: WAITALL buffers complete only when full, buffers
 * with recv() semantics with whatever came, every byte in order.
 */
TEST_F_TIMEOUT(peer, one_byte_segments, 180)
{
	static const struct { size_t size; unsigned int nbufs; __u32 flags; } t[] = {
		{ 700, 4, POSTRX_RECV_WAITALL }, { 64, 8, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct peer_arg a = { .total = 4000, .nocork = variant->link->veth };
		struct px_tcp_info ti;
		int64_t got;

		start(_metadata, self, variant, 0, bytewise_peer, &a);
		got = px_stream(&self->rx.ring, self->rx.devfd, self->rx.fd, t[i].size,
				t[i].nbufs, t[i].flags, SEED);
		EXPECT_EQ((int64_t)a.total, got) TH_LOG("buffers of %zu", t[i].size);
		ASSERT_EQ(0, px_tcp_info(self->rx.fd, &ti));
		TH_LOG("buffers of %zu: %u data segments for %zu bytes",
		       t[i].size, ti.data_segs_in, a.total);
		/*
		 * The sender merges writes while it waits for ACKs.  A reader
		 * that takes each segment (recv() semantics) ACKs at once;
		 * WAITALL buffers are filled only when worth it (rx.c), so
		 * ACKs wait for the delayed-ACK timer and the segments grow
		 * to some hundred bytes: still tiny.
		 */
		EXPECT_GE(ti.data_segs_in, a.total / (t[i].flags ? 400 : 16));
		check_stats(_metadata, self, a.total, ANY_COUNT);
		finish(_metadata, self);
	}
}

/* A peer with TCP_MAXSEG 88: thousands of tiny segments, one stream. */
TEST_F_TIMEOUT(peer, small_mss, 180)
{
	struct peer_arg a = { .total = (256 << 10) / px_scale() };
	struct px_tcp_info ti;
	int64_t got;

	start(_metadata, self, variant, 88, bulk_peer, &a);
	got = px_stream(&self->rx.ring, self->rx.devfd, self->rx.fd, 1 << 14, 4,
			POSTRX_RECV_WAITALL, SEED);
	EXPECT_EQ((int64_t)a.total, got);
	ASSERT_EQ(0, px_tcp_info(self->rx.fd, &ti));
	TH_LOG("%u data segments, receive MSS %u", ti.data_segs_in,
	       ti.base.tcpi_rcv_mss);
	EXPECT_LE(ti.base.tcpi_rcv_mss, 88);
	EXPECT_GE(ti.data_segs_in, a.total / 88);
	check_stats(_metadata, self, a.total, ANY_COUNT);
	finish(_metadata, self);
}

/*
 * A sender much faster than the receiver: one buffer posted at a time,
 * re-posted only after its completion and a pause (longer every 64th), so
 * the stream waits in the socket and the window keeps closing.  WAITALL
 * and recv() semantics alternate; nothing is lost or reordered.
 */
TEST_F_TIMEOUT(peer, sender_outruns_posts, 600)
{
	const size_t b = 16 << 10, total = (32 << 20) / px_scale();
	struct postrx_stats st;
	unsigned int n;
	bool short_waitall = false;
	int res;

	reg(_metadata, self, b, 1);
	self->rx.pid = px_sender(variant->link, self->rx.port, SEED, total, 1 << 16,
				 PX_END_CLOSE);
	accept_peer(_metadata, self);
	for (n = 0; ; n++) {
		__u32 flags = n % 2 ? 0 : POSTRX_RECV_WAITALL;

		post(_metadata, self, 0, flags);
		res = reap(_metadata, self);
		ASSERT_GE(res, 0);
		if (!res)
			break;
		/* Only the last buffer of the stream may be short. */
		ASSERT_FALSE(short_waitall);
		short_waitall = flags && res < b;
		usleep(n % 64 == 63 ? 20000 : 100);
	}
	EXPECT_EQ(total, self->off);
	st = check_stats(_metadata, self, total, n + 1);
	EXPECT_GT(st.copied_late_bytes, 0);
	TH_LOG("%u buffers; %llu bytes copied at post, %llu at receive", n,
	       (unsigned long long)st.copied_late_bytes,
	       (unsigned long long)st.copied_rx_bytes);
	finish(_metadata, self);
}

/*
 * A sender that waits for each round of writes to be acknowledged before
 * the next.  Over veth each write is an skb of two segments, which the
 * consumer takes in sk_data_ready; the ACK for the first is held for a
 * second skb (ack.c), which the second write brings, and the ACK for the
 * third waits for a fourth that never comes: postrx's own timer must
 * send it before the sender gives up on it (a tail loss probe, after two
 * round trips and 2 ms) and well before TCP's delayed-ACK timer (40 ms
 * and more).  So the sender probes nothing, none of the ACKs is TCP's
 * delayed one, and SO_RCVLOWAT reads 1 again once the hold ended.
 * (Over loopback a write is one segment, which TCP acknowledges by its
 * own rules: nothing is held.)
 */
TEST_F_TIMEOUT(peer, writes_acked_round_by_round, 180)
{
	const size_t b = 2048;
	/* The lead ends TCP's quick-ACK mode and opens the window. */
	struct peer_arg a = { .lead = 512 * b, .total = (512 + 3 * 32) * b,
			      .part = b, .nocork = true };
	long long before, after, probes = -1;
	int lowat = -1;
	socklen_t len = sizeof(lowat);
	unsigned int i;

	if (!variant->link->veth)
		SKIP(return, "over loopback a write is one segment: TCP's own ACKs");
	reg(_metadata, self, b, 16);
	start(_metadata, self, variant, 0, lockstep_peer, &a);
	for (i = 0; i < 16; i++)
		post(_metadata, self, i, POSTRX_RECV_WAITALL);
	for (i = 0; i < a.lead / b; i++) {
		unsigned int slot = self->fifo[self->head % NSLOT];

		ASSERT_EQ(b, reap(_metadata, self));
		post(_metadata, self, slot, POSTRX_RECV_WAITALL);
	}
	before = tcpext("DelayedACKs");
	ASSERT_GE(before, 0);
	for (; i < a.total / b; i++) {
		unsigned int slot = self->fifo[self->head % NSLOT];

		ASSERT_EQ(b, reap(_metadata, self));
		post(_metadata, self, slot, POSTRX_RECV_WAITALL);
	}
	ASSERT_EQ(sizeof(probes), read(self->rep[0], &probes, sizeof(probes)));
	after = tcpext("DelayedACKs");
	TH_LOG("%u rounds: %lld tail loss probes, %lld delayed ACKs",
	       (unsigned int)((a.total - a.lead) / (3 * b)), probes, after - before);
	EXPECT_EQ(0, probes);
	EXPECT_EQ(before, after) TH_LOG("%lld ACKs sent by TCP's delayed-ACK timer",
					after - before);
	for (i = 0; i < 1000 && lowat != 1; i++) {
		if (i)
			usleep(1000);
		ASSERT_EQ(0, getsockopt(self->rx.fd, SOL_SOCKET, SO_RCVLOWAT,
					&lowat, &len));
	}
	EXPECT_EQ(1, lowat);
	go(_metadata, self);
	drain(_metadata, self, POSTRX_RECV_WAITALL);
	EXPECT_EQ(a.total, self->off);
	check_stats(_metadata, self, a.total, ANY_COUNT);
	finish(_metadata, self);
}

TEST_HARNESS_MAIN
