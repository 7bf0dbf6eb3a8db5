// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: acknowledgements while the consumer keeps up.
 *
 * Where no device places (veth, loopback, a NIC without a flow table) the
 * consumer copies at receive time: sk_data_ready moves every queued byte
 * into the posted ranges.  TCP then sees a reader that never lags and
 * acknowledges every skb of more than one segment: tcp_cleanup_rbuf(),
 * called by tcp_read_sock(), when more than a segment came since the last
 * ACK; and __tcp_ack_snd_check(), after sk_data_ready in TCP's slow path,
 * because the queue is empty (below SO_RCVLOWAT) or the window's right
 * edge can move as far as the data came.  With GSO and GRO an skb is up
 * to 64 KiB, so that is one ACK per 64 KiB, each paid by the receiving
 * CPU and by the sender's; a recv() reader that lags behind sends fewer
 * (over veth at 64 KiB: 16,426 per GiB against epoll's 6,838).
 *
 * So here the ACK waits for the second skb, as RFC 1122 (4.2.3.2) lets a
 * receiver wait for the second full-sized segment, with GRO's skb as the
 * unit TCP already acknowledges: the first consume pass after an ACK that
 * takes more than a segment holds the ACK due; the next pass, or the next
 * skb that the consumer leaves queued, ends the hold, and TCP's own rules
 * send the ACK from there.  Holding keeps both of TCP's reasons from
 * firing for the first pass:
 *  - tcp_read_sock() runs with ICSK_ACK_SCHED hidden, so that
 *    tcp_cleanup_rbuf() sends only the ACK that announces a window at
 *    least twice as large (its other rule), and TCP's flag is put back;
 *  - the window's right edge stays where the last ACK put it
 *    (rcv_ssthresh, the bound of __tcp_select_window(), is lowered to
 *    what is left of the announced window; TCP grows it again by at most
 *    two segments per skb, tcp_grow_window()), and SO_RCVLOWAT reads 0 so
 *    that an empty queue is no reason of its own (0 and 1 are the same
 *    to every other reader of sk_rcvlowat).  TCP schedules a delayed ACK
 *    instead.
 * Both are given back when the hold ends, before anything reads or sends,
 * or once an ACK went out anyway (rcv_wup moved: a data segment of the
 * application's, TCP's delayed-ACK timer).  A pass that takes at most
 * one segment is TCP's alone: it acknowledges a lone pushed segment once
 * the reader drained it.
 *
 * A sender that waits for that very ACK (the end of a write acknowledged
 * before the next, MSG_ZEROCOPY completions, a congestion window of one
 * skb) would otherwise wait for TCP's delayed-ACK timer, 40 ms and more:
 * ack_timer sends a held ACK after ack_delay_us, longer than the gap
 * between two skbs of a stream.  No hold where TCP wants an ACK at once:
 * quick-ACK mode (slow start, after loss), out-of-order data (loss
 * recovery reads the SACKs), ICSK_ACK_NOW, a window that would fall below
 * three quarters of the last announced, a connection no longer
 * ESTABLISHED.  A channel that a device steers acknowledges as TCP does
 * (window.c holds its window to the posted space instead).
 *
 * Everything here runs with the socket locked (owned, or its spinlock in
 * softirq), as the hooks that call it do; the timer takes the spinlock.
 */
#include <net/tcp.h>

#include "postrx.h"

static unsigned int ack_delay_us = 500;
module_param(ack_delay_us, uint, 0644);
MODULE_PARM_DESC(ack_delay_us,
		 "Send an ACK held for the next skb after this long (us; 0: hold none)");

/*
 * Is an ACK due for more than a segment, TCP's first reason?  At most one
 * segment since the last ACK is TCP's business alone: it acknowledges a
 * lone pushed segment once the reader drained it (tcp_cleanup_rbuf()).
 */
static bool postrx_ack_due(struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

	return inet_csk_ack_scheduled(sk) &&
	       tp->rcv_nxt - tp->rcv_wup > inet_csk(sk)->icsk_ack.rcv_mss;
}

/* May that ACK wait for the next skb? */
static bool postrx_ack_may_wait(struct sock *sk)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);

	return READ_ONCE(ack_delay_us) && sk->sk_state == TCP_ESTABLISHED &&
	       !(sk->sk_shutdown & RCV_SHUTDOWN) &&
	       !(icsk->icsk_ack.pending & ICSK_ACK_NOW) &&
	       !(icsk->icsk_ack.quick && !inet_csk_in_pingpong_mode(sk)) &&
	       RB_EMPTY_ROOT(&tp->out_of_order_queue) &&
	       tp->rcv_nxt - tp->rcv_wup < tp->rcv_wnd / 4;
}

/*
 * The hold is over: give TCP back what it took.  What TCP then sends
 * announces the window it would have announced without us.
 */
static void postrx_ack_settle(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;
	struct tcp_sock *tp = tcp_sk(sk);

	if (!chan->ack_held)
		return;
	chan->ack_held = false;
	/*
	 * TCP grows rcv_ssthresh as skbs come, and lowers it under memory
	 * pressure (tcp_adjust_rcv_ssthresh()): a value below ours is
	 * TCP's decision, and stays.
	 */
	if (tp->rcv_ssthresh >= chan->ack_ssthresh_held)
		tp->rcv_ssthresh = max(tp->rcv_ssthresh, chan->ack_ssthresh);
	/* Unless the application set its own meanwhile. */
	if (chan->ack_lowat && !READ_ONCE(sk->sk_rcvlowat))
		WRITE_ONCE(sk->sk_rcvlowat, 1);
	chan->ack_lowat = false;
	hrtimer_try_to_cancel(&chan->ack_timer);
}

/* Send the held ACK now, unless TCP sent one since. */
static void postrx_ack_send(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;

	postrx_ack_settle(chan);
	if (inet_csk_ack_scheduled(sk))
		__tcp_send_ack(sk, tcp_sk(sk)->rcv_nxt, 0);
}

/* tcp_read_sock() took the bytes and sent no ACK: hold the one due. */
static void postrx_ack_hold(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;
	struct tcp_sock *tp = tcp_sk(sk);

	chan->ack_held = true;
	chan->ack_wup = tp->rcv_wup;
	chan->ack_ssthresh = tp->rcv_ssthresh;
	tp->rcv_ssthresh = min(tp->rcv_ssthresh, tcp_receive_window(tp));
	chan->ack_ssthresh_held = tp->rcv_ssthresh;
	if (READ_ONCE(sk->sk_rcvlowat) == 1) {
		WRITE_ONCE(sk->sk_rcvlowat, 0);
		chan->ack_lowat = true;
	}
	hrtimer_start(&chan->ack_timer,
		      ns_to_ktime((u64)READ_ONCE(ack_delay_us) * NSEC_PER_USEC),
		      HRTIMER_MODE_REL_SOFT);
}

/*
 * tcp_read_sock() for the consumer.  On a channel no device steers, the
 * first pass after an ACK holds the ACK due for it; the next pass gives
 * TCP back what the hold took before it reads, and TCP's own rules send
 * the ACK from there, with the window TCP would announce.
 */
void postrx_ack_read_sock(struct postrx_chan *chan, read_descriptor_t *desc,
			  sk_read_actor_t actor)
{
	struct sock *sk = chan->sk;
	struct inet_connection_sock *icsk = inet_csk(sk);
	u32 segs_out = tcp_sk(sk)->segs_out;
	bool hold;

	/* An ACK went out since the hold (ours, TCP's): a fresh start. */
	if (chan->ack_held && tcp_sk(sk)->rcv_wup != chan->ack_wup)
		postrx_ack_settle(chan);
	hold = !chan->steered && !chan->ack_held && postrx_ack_due(sk) &&
	       postrx_ack_may_wait(sk);
	postrx_ack_settle(chan);
	if (hold)
		icsk->icsk_ack.pending &= ~ICSK_ACK_SCHED;
	tcp_read_sock(sk, desc, actor);
	/* Whatever it sent carried the ACK, and cleared TCP's flags. */
	if (hold && tcp_sk(sk)->segs_out == segs_out) {
		icsk->icsk_ack.pending |= ICSK_ACK_SCHED;
		postrx_ack_hold(chan);
	}
}

/*
 * An skb came and the consumer left it queued (a WAITALL range waits to
 * fill): that is the second skb, so the held ACK goes now, unless one
 * went out already.  TCP's own rules and the consumer's (rx.c) decide on
 * the ACKs while it waits.
 */
void postrx_ack_deferred(struct postrx_chan *chan)
{
	if (!chan->ack_held)
		return;
	if (tcp_sk(chan->sk)->rcv_wup != chan->ack_wup)
		postrx_ack_settle(chan);
	else
		postrx_ack_send(chan);
}

/* The consumer stops for good (close, disconnect, SHUT_RD): no hold. */
void postrx_ack_flush(struct postrx_chan *chan)
{
	if (chan->ack_held)
		postrx_ack_send(chan);
}

/*
 * The held ACK's time is up: no second skb came.  While a system call
 * owns the socket, look again shortly; it may send the ACK itself.
 */
static enum hrtimer_restart postrx_ack_timeout(struct hrtimer *t)
{
	struct postrx_chan *chan = container_of(t, struct postrx_chan,
						ack_timer);
	struct sock *sk = chan->sk;

	bh_lock_sock(sk);
	if (sock_owned_by_user(sk))
		hrtimer_start(t, ns_to_ktime(100 * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_SOFT);
	else if (chan->ack_held)
		postrx_ack_send(chan);
	bh_unlock_sock(sk);
	return HRTIMER_NORESTART;
}

void postrx_ack_init(struct postrx_chan *chan)
{
	hrtimer_init(&chan->ack_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	chan->ack_timer.function = postrx_ack_timeout;
}

/* At close, after our hooks are gone and the hold was flushed. */
void postrx_ack_stop_timer(struct postrx_chan *chan)
{
	hrtimer_cancel(&chan->ack_timer);
}
