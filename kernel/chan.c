// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: the channel, a socket's ordered queue of posted ranges.
 *
 * The stream fills the ranges strictly in posting order: only the head range
 * can be partly filled, every range behind it is empty.  A range leaves the
 * queue exactly once, with its result, handed to its owner through the
 * range's done() (uring.c: completion in task context), in the order the
 * ranges left (see postrx_chan_hand_over()); after that no path writes
 * into it again.  All functions here are called with the
 * channel's socket locked, but for the push timer (softirq, which takes
 * the socket spinlock itself) and postrx_chan_stop_timer().
 *
 * When a range completes: when it is full, at end of stream or on error,
 * and a range without POSTRX_RECV_WAITALL that holds bytes also at a
 * push (docs/design.md, "Where a buffer ends"):
 *  - the consumer took the last byte of an skb carrying PSH.  Linux sets
 *    PSH at the end of every write without MSG_MORE and, to flush GRO,
 *    on every TSO/GSO packet it sends (__tcp_transmit_skb());
 *  - or no new byte came for push_timeout_us, for senders that never
 *    push.
 * Neither ends a range while a device placed bytes beyond the consumer
 * (postrx_chan_push()): the device maps every range as if it were filled
 * whole (place.c), and such bytes prove that the stream goes on into
 * the range or the ones behind it.  The check and the unlinking are one
 * step under place_lock, so a device is never wrong about where a range
 * ends, and nothing placed ever has to be moved.  While a device keeps
 * ahead of the consumer, ranges fill whole, as WAITALL ones do.
 */
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/postrx.h>
#include <net/tcp.h>

#include "postrx.h"

static unsigned int push_timeout_us = 2000;
module_param(push_timeout_us, uint, 0644);
MODULE_PARM_DESC(push_timeout_us,
		 "End a buffer without WAITALL that holds bytes once no byte came for this long (us; 0: as soon as nothing is queued)");

static enum hrtimer_restart postrx_chan_push_timeout(struct hrtimer *t);
static void postrx_chan_handover_work(struct work_struct *work);

struct postrx_chan *postrx_chan_alloc(struct sock *sk, struct file *devfile)
{
	struct postrx_chan *chan;

	chan = kzalloc(sizeof(*chan), GFP_KERNEL_ACCOUNT);
	if (!chan)
		return NULL;
	kref_init(&chan->ref);		/* the attachment's reference */
	INIT_LIST_HEAD(&chan->ranges);
	INIT_LIST_HEAD(&chan->bounce);
	INIT_LIST_HEAD(&chan->handover);
	spin_lock_init(&chan->handover_lock);
	INIT_WORK(&chan->handover_work, postrx_chan_handover_work);
	spin_lock_init(&chan->write_lock);
	spin_lock_init(&chan->place_lock);
	hrtimer_init(&chan->push_timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_SOFT);
	chan->push_timer.function = postrx_chan_push_timeout;
	postrx_wnd_init(chan);
	postrx_ack_init(chan);
	sock_hold(sk);
	chan->sk = sk;
	chan->devfile = get_file(devfile);
	/* Nothing claimed yet: not 0, which may lie ahead in the window. */
	chan->claim_next = READ_ONCE(tcp_sk(sk)->copied_seq);
	return chan;
}

static void postrx_chan_release(struct kref *ref)
{
	struct postrx_chan *chan = container_of(ref, struct postrx_chan, ref);

	WARN_ON_ONCE(chan->attached || !list_empty(&chan->ranges) ||
		     !list_empty(&chan->handover) || chan->flow);
	postrx_bounce_free(chan);
	sock_put(chan->sk);
	/* Deferred by the VFS: the module stays until after we return. */
	fput(chan->devfile);
	/* Callbacks may still be reading sk_user_data under RCU. */
	kfree_rcu(chan, rcu);
}

void postrx_chan_put(struct postrx_chan *chan)
{
	kref_put(&chan->ref, postrx_chan_release);
}

/*
 * Whether claim_next still marks bytes claimed ahead of the reader: after
 * a cancel left placed bytes (now bounced) ahead of copied_seq, a new
 * first range must not let the device write them again (place.c's rule).
 * Only a claim_next inside the window counts: one left from long ago,
 * before the stream moved on through plain reads, may look ahead once the
 * sequence space wraps.
 */
static bool postrx_claim_ahead(struct postrx_chan *chan)
{
	const struct tcp_sock *tp = tcp_sk(chan->sk);
	u32 wnd_end = READ_ONCE(tp->rcv_wup) + READ_ONCE(tp->rcv_wnd);

	return after(chan->claim_next, chan->rx_next) &&
	       !after(chan->claim_next, wnd_end);
}

/*
 * Queue @r behind every range posted before it.  The first range of an
 * empty channel starts where TCP's reader is now: nothing else reads the
 * socket while ranges are posted, so from here the consumer alone moves
 * the stream position (rx_next), and devices may map sequence numbers to
 * bytes of the ranges.
 */
int postrx_chan_post(struct postrx_chan *chan, struct postrx_range *r)
{
	if (chan->nr_posted >= POSTRX_MAX_POSTED)
		return -ENOBUFS;
	kref_get(&chan->ref);
	WRITE_ONCE(r->chan, chan);
	r->state = POSTRX_RANGE_POSTED;
	postrx_range_init_cursor(r);

	spin_lock_bh(&chan->place_lock);
	if (list_empty(&chan->ranges)) {
		chan->rx_next = READ_ONCE(tcp_sk(chan->sk)->copied_seq);
		if (!postrx_claim_ahead(chan))
			chan->claim_next = chan->rx_next;
		chan->nr_placed = 0;
	}
	/* Readers between the ranges may have taken bounced bytes. */
	if (!list_empty(&chan->bounce))
		postrx_bounce_consumed(chan, chan->rx_next);
	list_add_tail(&r->node, &chan->ranges);
	spin_unlock_bh(&chan->place_lock);
	WRITE_ONCE(chan->nr_posted, chan->nr_posted + 1);
	chan->room += r->len;
	return 0;
}

/*
 * Hand every range on chan->handover to its owner, in the order they
 * ended.  Under handover_lock, so that two flushes (the BH work on one
 * CPU, a system call on another) cannot interleave and reorder them.  A
 * range may be freed by its owner as soon as it has it: it leaves the
 * list first.
 */
static void postrx_chan_handover_flush(struct postrx_chan *chan)
	__must_hold(&chan->handover_lock)
{
	struct postrx_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, &chan->handover, node) {
		list_del(&r->node);
		r->done(r);
	}
}

/* The BH work: hand over what a receive path or timer ended. */
static void postrx_chan_handover_work(struct work_struct *work)
{
	struct postrx_chan *chan = container_of(work, struct postrx_chan,
						handover_work);

	spin_lock_bh(&chan->handover_lock);
	chan->handover_queued = false;
	postrx_chan_handover_flush(chan);
	spin_unlock_bh(&chan->handover_lock);
	postrx_chan_put(chan);		/* the work's, see below */
}

/*
 * Only the receive path's spinlock is held (not a system call's
 * ownership): have the BH work hand the list over once TCP let go of
 * the socket.  One work item per channel; while it is queued, ranges
 * that end join the list it will flush.
 */
static void postrx_chan_handover_queue(struct postrx_chan *chan)
	__must_hold(&chan->handover_lock)
{
	lockdep_assert_held(&chan->sk->sk_lock.slock);
	if (chan->handover_queued)
		return;
	/* The queued work holds a reference, dropped when it ran. */
	chan->handover_queued = true;
	kref_get(&chan->ref);
	queue_work(system_bh_wq, &chan->handover_work);
}

/*
 * Hand @r, which just ended, to its owner.  With the socket owned by a
 * system call (a post, cancel, close, the backlog run by release_sock()),
 * at once.  With only the socket's spinlock held (the receive path in
 * softirq or the NAPI thread, the push timer), after that lock is gone:
 * from a BH work item, which runs once the softirq or the NAPI poll
 * enables BH again, when TCP has let go of the socket.  Handed over at
 * once there, a completion woke the application while the receive path
 * still held the spinlock for the rest of the segment (up to fourteen
 * more 4 KiB ranges, then the ACK), and the application's next post spun
 * on it in lock_sock(): 6.5% of a 4 KiB run's samples (docs/bench.md).
 * Ranges queue behind any still waiting, so completions keep the order in
 * which the ranges ended.  handover_lock nests inside the socket lock and
 * place_lock's holders never take it.
 */
static void postrx_chan_hand_over(struct postrx_chan *chan,
				  struct postrx_range *r)
{
	spin_lock_bh(&chan->handover_lock);
	list_add_tail(&r->node, &chan->handover);
	if (sock_owned_by_user(chan->sk))
		postrx_chan_handover_flush(chan);
	else
		postrx_chan_handover_queue(chan);
	spin_unlock_bh(&chan->handover_lock);
}

/*
 * A post is refused on a socket with a channel: its completion, queued
 * directly, must not overtake those of ranges that ended before it.
 * Socket owned.
 */
void postrx_chan_handover_now(struct postrx_chan *chan)
{
	spin_lock_bh(&chan->handover_lock);
	postrx_chan_handover_flush(chan);
	spin_unlock_bh(&chan->handover_lock);
}

/* @r is off the channel: fix its result and hand it to its owner. */
static void postrx_range_done(struct postrx_range *r, int res)
{
	struct postrx_chan *chan = r->chan;

	WRITE_ONCE(chan->nr_posted, chan->nr_posted - 1);
	/* What it did not fill is no longer posted space. */
	chan->room -= r->len - r->filled;
	chan->completed++;
	r->state = POSTRX_RANGE_DONE;
	r->res = res;
	postrx_chan_hand_over(chan, r);
}

/*
 * Take @r off the channel with result @res and hand it to its owner.  The
 * socket lock orders this against the consumer, close and cancel, so each
 * range leaves exactly once.
 */
void postrx_chan_complete(struct postrx_range *r, int res)
{
	struct postrx_chan *chan = r->chan;

	/*
	 * After this no device can map bytes to @r; a write the device
	 * already claimed may target @r, so let it end first.
	 */
	spin_lock_bh(&chan->place_lock);
	postrx_place_wait(chan);
	postrx_place_forget_map(chan, r, false);
	list_del(&r->node);
	spin_unlock_bh(&chan->place_lock);
	postrx_range_done(r, res);
}

/*
 * Whether a push may end the head range now: not while a device placed
 * bytes beyond the consumer (a span ahead, or a write in flight).  Those
 * bytes were mapped into the head range or behind it, so it goes on (see
 * the rules above).  Bytes that were placed and then bounced (place.c)
 * no longer count: the consumer copies them from the bounce copy
 * wherever they land.  Under place_lock, with the unlinking, so that no
 * claim slips between the check and the end.
 */
static bool postrx_chan_may_push(struct postrx_chan *chan)
{
	lockdep_assert_held(&chan->place_lock);
	return !chan->place_inflight && !chan->nr_placed;
}

/*
 * A push reached the head range @r, which holds bytes: end it there if it
 * does not wait for all and postrx_chan_may_push().  Returns true if @r
 * ended.  The same step as a fill of no bytes, so the rule lives in one
 * place.
 */
bool postrx_chan_push(struct postrx_chan *chan, struct postrx_range *r)
{
	return postrx_chan_fill(chan, r, 0, 0, POSTRX_FILL_PUSH);
}

/*
 * Account @n stream bytes just written at the head range @r, @placed of
 * them found in place (written by the device), copied late if @how has
 * POSTRX_FILL_LATE.  @r ends when full, or at a push (POSTRX_FILL_PUSH:
 * the bytes end an skb carrying PSH) if postrx_chan_may_push(); both
 * in the same step under place_lock as the accounting, the one lock taken
 * per skb.  Returns true if @r ended (it is gone then).
 */
bool postrx_chan_fill(struct postrx_chan *chan, struct postrx_range *r,
		      u32 n, u32 placed, unsigned int how)
{
	bool full = r->filled + n == r->len;
	bool push = !full && (how & POSTRX_FILL_PUSH) &&
		    !(r->flags & POSTRX_RECV_WAITALL);
	bool ended = full;

	if (chan->steered) {
		spin_lock_bh(&chan->place_lock);
		r->filled += n;
		chan->rx_next += n;
		postrx_place_consumed(chan);
		if (push)
			ended = postrx_chan_may_push(chan);
		/* A write already claimed may target @r: let it end. */
		if (full)
			postrx_place_wait_before(chan, chan->rx_next);
		if (ended) {
			postrx_place_forget_map(chan, r, full);
			list_del(&r->node);
		}
		spin_unlock_bh(&chan->place_lock);
		if (!list_empty(&chan->bounce))
			postrx_bounce_consumed(chan, chan->rx_next);
	} else {
		r->filled += n;
		chan->rx_next += n;
		ended = full || push;
		if (ended)
			list_del(&r->node);
	}
	chan->room -= n;
	chan->placed_bytes += placed;
	if (how & POSTRX_FILL_LATE)
		chan->copied_late_bytes += n - placed;
	else
		chan->copied_rx_bytes += n - placed;
	if (ended)
		postrx_range_done(r, r->filled);
	return ended;
}

/*
 * End @r before it is full: it reports the bytes it holds, which TCP has
 * already given up, or @res if it holds none.
 */
void postrx_chan_end(struct postrx_range *r, int res)
{
	postrx_chan_complete(r, r->filled ? r->filled : res);
}

/*
 * An error on a connection that TCP carries on with (an ICMP error with
 * IP_RECVERR set): recv() returns the bytes it has, reports the error once
 * (sock_error() clears it) and reads on.  So do we: the error completes
 * the first range that holds no bytes, and the stream goes on into the
 * ranges behind it.  Ending a range early moves the stream offset of every
 * range behind it, which is safe only while no device placed bytes ahead
 * of the consumer (ending ranges under placement needs the bounce copies
 * of process context): until then the error waits, as it would for a
 * recv() still copying, and the ranges keep filling.
 */
void postrx_chan_soft_error(struct postrx_chan *chan)
{
	struct postrx_range *r;

	r = list_first_entry_or_null(&chan->ranges, struct postrx_range, node);
	if (!r || r->filled || !postrx_place_none_ahead(chan))
		return;
	postrx_chan_complete(r, sock_error(chan->sk));
}

/* End every range of the channel, in order. */
void postrx_chan_end_all(struct postrx_chan *chan, int res)
{
	struct postrx_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, &chan->ranges, node)
		postrx_chan_end(r, res);
}

/* The head range if it holds bytes and ends at a push, else NULL. */
static struct postrx_range *postrx_chan_pushable(struct postrx_chan *chan)
{
	struct postrx_range *r;

	r = list_first_entry_or_null(&chan->ranges, struct postrx_range, node);
	if (!r || !r->filled || (r->flags & POSTRX_RECV_WAITALL))
		return NULL;
	return r;
}

/*
 * A glance, without place_lock, at whether a device placed or is placing
 * bytes ahead of the consumer.  No push ends the head range until the
 * consumer took them (postrx_chan_may_push()), and the consumer runs again
 * when they reach TCP: as they are, or retransmitted if they were lost
 * after the device wrote them.  A claim that starts after the glance only
 * makes the caller do what it did before placement existed.
 */
static bool postrx_chan_placed_ahead(const struct postrx_chan *chan)
{
	return chan->steered && (READ_ONCE(chan->nr_placed) ||
				 READ_ONCE(chan->place_inflight));
}

/*
 * The consumer has taken all it could and the stream goes on.  A head
 * range without WAITALL that holds bytes waits for a push; arm the timer
 * that ends it if none comes (or, with push_timeout_us 0, try to end it
 * now, as recv() returns what it has).  Not while a device placed ahead:
 * then nothing can end the range before the consumer runs again, which
 * arms the timer if the range still waits.  While a device keeps ahead of
 * the consumer the timer is never armed: re-armed every push_timeout_us
 * for a push it could not make, it cost measurable receive CPU
 * (docs/bench.md, "The push timer while a device places ahead").
 */
void postrx_chan_await_push(struct postrx_chan *chan)
{
	unsigned int timeout_us = READ_ONCE(push_timeout_us);
	struct postrx_range *r = postrx_chan_pushable(chan);

	if (!r || postrx_chan_placed_ahead(chan))
		return;
	if (!timeout_us) {
		postrx_chan_push(chan, r);
		return;
	}
	if (!hrtimer_is_queued(&chan->push_timer)) {
		chan->push_mark = chan->rx_next;
		hrtimer_start(&chan->push_timer,
			      ns_to_ktime((u64)timeout_us * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_SOFT);
	}
}

/*
 * The push timer, in softirq context.  End the head range if it holds
 * bytes and none came since the timer was armed; wait again while more
 * come or while a system call owns the socket.  While a device placed
 * bytes beyond the consumer, stop: they are on their way, and the consumer
 * arms the timer again once it took them (postrx_chan_await_push()).
 */
static enum hrtimer_restart postrx_chan_push_timeout(struct hrtimer *t)
{
	struct postrx_chan *chan = container_of(t, struct postrx_chan,
						push_timer);
	u64 timeout_ns = (u64)READ_ONCE(push_timeout_us) * NSEC_PER_USEC;
	struct sock *sk = chan->sk;
	struct postrx_range *r;
	bool again = true;

	bh_lock_sock(sk);
	/*
	 * Armed again while we waited for the lock: by the receive path,
	 * with bytes that just came.  That run decides.
	 */
	if (hrtimer_is_queued(t)) {
		bh_unlock_sock(sk);
		return HRTIMER_NORESTART;
	}
	if (!sock_owned_by_user(sk)) {
		r = postrx_chan_pushable(chan);
		if (!r || postrx_chan_placed_ahead(chan)) {
			again = false;
		} else if (chan->push_mark != chan->rx_next) {
			chan->push_mark = chan->rx_next;
		} else if (postrx_chan_push(chan, r)) {
			again = false;
			/*
			 * An error TCP carries on with goes to the next,
			 * empty range, as recv() reports it; with bytes
			 * queued the consumer reports it after them.
			 */
			if (READ_ONCE(sk->sk_err) &&
			    skb_queue_empty(&sk->sk_receive_queue))
				postrx_chan_soft_error(chan);
		}
	}
	/*
	 * Armed again by hrtimer_start(), not by returning HRTIMER_RESTART:
	 * a system call that owns the socket may start it concurrently
	 * (postrx_chan_await_push()), and hrtimer_forward() must not touch a
	 * queued timer.
	 */
	/* Not faster than every 100 us, also with push_timeout_us 0. */
	if (again)
		hrtimer_start(t, ns_to_ktime(max_t(u64, timeout_ns,
						   100 * NSEC_PER_USEC)),
			      HRTIMER_MODE_REL_SOFT);
	bh_unlock_sock(sk);
	return HRTIMER_NORESTART;
}

/*
 * No range is left to end and the socket is closing: stop the timer and
 * wait for a run in progress.  Process context, socket not locked (the
 * timer takes its spinlock).
 */
void postrx_chan_stop_timer(struct postrx_chan *chan)
{
	hrtimer_cancel(&chan->push_timer);
	postrx_wnd_stop_timer(chan);
	postrx_ack_stop_timer(chan);
}
