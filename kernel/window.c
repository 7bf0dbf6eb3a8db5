// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: the receive window, held to the posted space.
 *
 * A device places a segment only into posted ranges (place.c).  A segment
 * that arrives while no range covers its stream position is queued by TCP
 * and copied later, when a range is posted for it.  TCP sizes its window
 * from the receive buffer and knows nothing of the posted space.  A reader
 * that keeps less posted than that window (a recv() loop with one buffer
 * in flight, small buffers, many sockets) lets the sender fill the
 * difference; from then on every post finds its bytes queued already, and
 * nothing is placed at all.
 *
 * So while a device steers the flow, the window's right edge is held at
 * the end of the posted space: rcv_nxt + window <= rx_next + room, where
 * room is the space the posted ranges have left (chan.c keeps it).  TCP's
 * window is min(free space, rcv_ssthresh), and rcv_ssthresh never grows
 * past window_clamp (__tcp_select_window(), tcp_grow_window()): both are
 * set to the posted space ahead of rcv_nxt after every segment consumed
 * and every post.  The bound is a placement policy, not a rule of
 * correctness: a byte beyond it is copied, as any unplaced byte is.
 *
 * What TCP does shapes it:
 *  - TCP never pulls back an edge it advertised (tcp_select_window()), so
 *    the bound must be set before the ACK that would advertise more.  In
 *    the fast path (header prediction) that ACK goes out before
 *    sk_data_ready; while the bound holds, the fast path is kept off
 *    (pred_flags 0), and a segment takes the slow path, where
 *    tcp_data_queue() calls sk_data_ready before tcp_ack_snd_check().
 *  - A sender does not send less than a segment into a window that is
 *    not zero (silly window syndrome avoidance, RFC 1122 4.2.3.4) until
 *    its persist timer fires, 200 ms and more: a buffer still waiting for
 *    its last bytes would wait that long.  So with less than a segment
 *    of posted space left, the window reaches one segment past its end.
 *    Then it closes: with nothing posted, one segment arrives, which also
 *    wakes a reader other than postrx (see below), and no more.  The
 *    post that reopens the window announces it (next point).  Where a
 *    segment is as large as a buffer (MTU 65535, 64 KiB buffers), that
 *    segment is most of the next buffer: a reader that lags behind the
 *    link finds up to a segment queued at each post, and up to half of
 *    each buffer is copied late (41-89% placed in pxnic_test's
 *    recv_semantics at MTU 65535, 96-100% where the reader kept up).
 *  - A post widens the window, which TCP would announce only with an ACK
 *    for new data, and a sender stopped at the edge sends none: a post
 *    sends a window update when it at least doubles the window, the rule
 *    tcp_cleanup_rbuf() applies to a reader's recv(), or lets a segment
 *    in where less than one fitted (postrx_wnd_announce()).
 *  - TCP sets window_clamp itself: as it measures each segment
 *    (tcp_measure_rcv_mss(), before sk_data_ready, which sets the bound
 *    again), in receive buffer autotuning (tcp_rcv_space_adjust()) and at
 *    setsockopt(TCP_WINDOW_CLAMP).  A value we did not write is the
 *    socket's own clamp from then on; the bound never exceeds it, and it
 *    is what the socket gets back.
 *
 * Too little posted to be worth a round trip: while the posts since the
 * window was last let go never left POSTRX_WND_SMALL posted at once (a
 * loop that reads 4 KiB at a time), a post keeps
 * the window POSTRX_WND_MIN past the reader's position, counted from
 * rx_next, so it moves only as the reader does.  Held to 4 KiB, the
 * sender would stop at every buffer's end for a round trip to the reader,
 * and so few bytes could be placed either way that the stop costs more
 * than placement saves.  From a 64 KiB buffer on, placement pays for the
 * round trip: a loop with one 64 KiB receive in flight was placed 99.98%
 * held to its buffer, 39% with the window 256 KiB past it (docs/bench.md,
 * "The window held to the posted space").  The most ever posted at once
 * decides, not the last post: a reader with four 16 KiB buffers per
 * socket re-posts them one by one once all four completed, and the first
 * of those posts leaves only 16 KiB posted.  Between the posts of a
 * recv() loop nothing is posted, and the window must stay held then most
 * of all.
 *
 * A reader other than postrx (after a cancel, or never posting again)
 * still receives: one segment comes past the posted space and wakes it,
 * and its first recvmsg() ends the bound until the next post
 * (postrx_wnd_let_go()), as do a cancel or shutdown(SHUT_RD) that leave
 * nothing posted.  A reader that passes no hook of ours (splice()) gets
 * the window back when nothing was posted for window_hold_ms.  Close,
 * disconnect and the flow's removal end the bound too.  Everything here runs
 * with the socket locked, or in softirq under its spinlock.
 */
#include <linux/postrx.h>
#include <net/tcp.h>

#include "postrx.h"

static bool posted_window = true;
module_param(posted_window, bool, 0644);
MODULE_PARM_DESC(posted_window,
		 "Hold the receive window of a steered flow to the posted buffer space");

static unsigned int window_hold_ms = 100;
module_param(window_hold_ms, uint, 0644);
MODULE_PARM_DESC(window_hold_ms,
		 "Give a socket its own window back when nothing was posted for this long (ms)");

/*
 * A reader that never had POSTRX_WND_SMALL posted at once keeps the
 * window POSTRX_WND_MIN open, counted from the reader.  A loop of 4 KiB
 * receives over pxnic ran at 1.69 Gbit/s with 64 KiB of floor, 2.05 with
 * 256 KiB, 2.24 with no bound at all (docs/bench.md).  Half a 64 KiB
 * buffer, so that a loop with one such buffer in flight is held to it.
 */
#define POSTRX_WND_SMALL	(32U << 10)
#define POSTRX_WND_MIN		(256U << 10)

/*
 * Too little was ever posted at once since the last let-go: a floor.
 * After a let-go nothing was posted since, and nothing is held.
 */
static bool postrx_wnd_small(const struct postrx_chan *chan)
{
	return !chan->wnd_let_go && chan->wnd_posted_max < POSTRX_WND_SMALL;
}

/* The socket's own clamp: what TCP would use if we had not set one. */
static u32 postrx_wnd_natural(const struct postrx_chan *chan,
			      const struct tcp_sock *tp)
{
	u32 clamp = READ_ONCE(tp->window_clamp);

	if (chan->wnd_bounded && clamp == chan->wnd_clamp)
		return chan->wnd_natural;
	return clamp;
}

/*
 * How far past rcv_nxt the window may reach: to the end of the posted
 * space, and once less than a segment is left there, one segment beyond
 * it.  That segment is counted from the end of the posted space, not
 * from rcv_nxt: one segment, not one per ACK.
 */
static u32 postrx_wnd_limit(const struct postrx_chan *chan,
			    const struct sock *sk)
{
	u32 queued = tcp_sk(sk)->rcv_nxt - chan->rx_next;
	u32 mss = inet_csk(sk)->icsk_ack.rcv_mss;
	s64 ahead = (s64)chan->room - queued;

	if (ahead < mss)
		ahead += mss;
	if (postrx_wnd_small(chan))
		ahead = max_t(s64, ahead, (s64)POSTRX_WND_MIN - queued);
	return clamp_t(s64, ahead, 0, U32_MAX);
}

/*
 * Tell the sender of a window of @wnd bytes past rcv_nxt: it may be
 * stopped at the old edge, with nothing in flight that would bring an
 * ACK.  Worth an ACK when the window at least doubled (tcp_cleanup_rbuf()'s
 * rule), and whenever a segment fits where it did not: a sender left
 * with less than a segment sends nothing (silly window avoidance) until
 * its persist timer fires, and that timer backs off to minutes while the
 * window stays that small.  The held window makes such remnants: one
 * segment past the posted space, of which a partial segment (a write's
 * tail, a window probe) took a little.
 */
static void postrx_wnd_announce(struct sock *sk, u32 wnd)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 mss = inet_csk(sk)->icsk_ack.rcv_mss;
	u32 cur = tcp_receive_window(tp);

	if (sk->sk_state == TCP_CLOSE || wnd < mss ||
	    (wnd < 2 * cur && cur >= mss))
		return;
	__tcp_send_ack(sk, tp->rcv_nxt, 0);
}

/* Give TCP back the socket's own window. */
void postrx_wnd_release(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	u32 clamp;

	if (!chan->wnd_bounded)
		return;
	clamp = postrx_wnd_natural(chan, tp);
	WRITE_ONCE(chan->wnd_bounded, false);
	WRITE_ONCE(tp->window_clamp, clamp);
	/*
	 * Reopen what we held, up to the free space: rcv_ssthresh may be
	 * 0 here (a closed window), and TCP grows it only as data comes,
	 * which a closed window never lets come.
	 */
	tp->rcv_ssthresh = max(tp->rcv_ssthresh,
			       min_t(u32, clamp, max(tcp_space(sk), 0)));
	tcp_fast_path_check(sk);
	postrx_wnd_announce(sk, min(clamp, tp->rcv_ssthresh));
}

/*
 * Nothing is posted, and the application read another way, cancelled, shut
 * the read side, or posted nothing for window_hold_ms: the window is the
 * socket's own until the next post.
 */
void postrx_wnd_let_go(struct postrx_chan *chan)
{
	chan->wnd_let_go = true;
	chan->wnd_posted_max = 0;
	postrx_wnd_release(chan);
}

/*
 * The hold timer, in softirq context: nothing was posted for
 * window_hold_ms.  A reader that passes no hook of ours (splice()) must
 * not wait on a closed window for ever.  While a system call owns the
 * socket (a post, say), look again shortly.
 */
static enum hrtimer_restart postrx_wnd_hold_timeout(struct hrtimer *t)
{
	struct postrx_chan *chan = container_of(t, struct postrx_chan,
						wnd_timer);
	struct sock *sk = chan->sk;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		hrtimer_start(t, ms_to_ktime(1), HRTIMER_MODE_REL_SOFT);
	else if (!chan->nr_posted && chan->attached)
		postrx_wnd_let_go(chan);
	bh_unlock_sock(sk);
	return HRTIMER_NORESTART;
}

void postrx_wnd_init(struct postrx_chan *chan)
{
	hrtimer_init(&chan->wnd_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	chan->wnd_timer.function = postrx_wnd_hold_timeout;
}

/* At close, after our hooks are gone: nothing arms it again. */
void postrx_wnd_stop_timer(struct postrx_chan *chan)
{
	hrtimer_cancel(&chan->wnd_timer);
}

/*
 * The window is held and nothing is posted: start the hold timer, once
 * per such gap, so that it counts from the gap's start (a timer left from
 * an earlier gap is moved, not kept).
 */
static void postrx_wnd_hold(struct postrx_chan *chan)
{
	unsigned int ms = READ_ONCE(window_hold_ms);

	if (chan->nr_posted || chan->wnd_gap)
		return;
	chan->wnd_gap = true;
	hrtimer_start(&chan->wnd_timer, ms_to_ktime(ms), HRTIMER_MODE_REL_SOFT);
}

/*
 * Hold the window to the posted space now: after the consumer ran, or a
 * range was posted.  Releases it when the posted space reaches past what
 * the socket would advertise anyway, or no device steers the flow.
 */
void postrx_wnd_bound(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	u32 natural, bound;

	/*
	 * After shutdown(SHUT_RD) nothing is placed (place.c) and a post
	 * ends at once with what is queued: the posts that follow must not
	 * hold the window postrx_shutdown() let go.
	 */
	if (!READ_ONCE(posted_window) || !READ_ONCE(chan->flow) ||
	    chan->wnd_let_go || sk->sk_state == TCP_CLOSE ||
	    (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)) {
		postrx_wnd_release(chan);
		return;
	}
	natural = postrx_wnd_natural(chan, tp);
	bound = postrx_wnd_limit(chan, sk);
	if (bound >= natural) {
		postrx_wnd_release(chan);
		return;
	}
	chan->wnd_natural = natural;
	chan->wnd_clamp = bound;
	WRITE_ONCE(chan->wnd_bounded, true);
	WRITE_ONCE(tp->window_clamp, bound);
	tp->rcv_ssthresh = bound;
	/* The next segment's ACK must see the bound: the slow path. */
	tp->pred_flags = 0;
	postrx_wnd_hold(chan);
}

/*
 * A range was posted, @posted bytes of space with it, and the consumer
 * caught up: bound, and announce.  Whether the posted space is worth
 * holding the window to is what was posted, not what the catch-up left
 * (a queue that filled the new range at once is what the bound
 * prevents), and the most posted at once since the last let-go.
 */
void postrx_wnd_posted(struct postrx_chan *chan, u64 posted)
{
	struct tcp_sock *tp = tcp_sk(chan->sk);

	chan->wnd_let_go = false;
	chan->wnd_gap = false;
	chan->wnd_posted_max = max(chan->wnd_posted_max, posted);
	postrx_wnd_bound(chan);
	if (chan->wnd_bounded)
		postrx_wnd_announce(chan->sk, min(chan->wnd_clamp,
						  tp->rcv_ssthresh));
}

/* Where the posted space ends, in sequence space. */
u32 postrx_wnd_posted_end(const struct postrx_chan *chan)
{
	return chan->rx_next + (u32)chan->room;
}

/*
 * The consumer ran; before it, the posted space ended at @end_before,
 * with @nr_before ranges posted.  Filling a range moves rx_next and takes
 * as much from room: the posted end stays where postrx_data_ready() held
 * the window.  A range that ended early (a push, an error) took posted
 * space away, the last range's end starts a gap (the hold timer), and a
 * small post's floor moves with rx_next: then hold the window again
 * before TCP's next ACK.
 */
void postrx_wnd_consumed(struct postrx_chan *chan, u32 end_before,
			 unsigned int nr_before)
{
	if (postrx_wnd_posted_end(chan) != end_before ||
	    (nr_before && !chan->nr_posted) || postrx_wnd_small(chan) ||
	    chan->sk->sk_state == TCP_CLOSE)
		postrx_wnd_bound(chan);
}
