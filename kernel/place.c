// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: placement.  A device that classified a segment of a flow asks
 * where its payload goes; we claim the bytes in the posted ranges and
 * give back destination pages.  The rules (DESIGN invariant 2):
 *
 *  - only into posted, unfilled ranges, each mapped as if it were filled
 *    whole.  That holds: a range without POSTRX_RECV_WAITALL may end
 *    early (at a push or on the push timer, chan.c), but never while
 *    bytes a device placed lie in it or beyond (postrx_chan_push()), so
 *    no partial completion shifts the mapping under a placement;
 *  - only at or ahead of chan->claim_next, which is past every byte
 *    claimed before, by the device or by the consumer's copies, and past
 *    what TCP already received: a claimed byte is never written by the
 *    device again, so a duplicate or forged segment arriving after the real
 *    one cannot change bytes the consumer will trust;
 *  - only inside the receive window TCP advertised;
 *  - only while the socket's read side is open: shutdown(SHUT_RD) ends
 *    the ranges, as recv() returns 0, but TCP goes on receiving;
 *  - bytes the device placed are final.  The claim keeps the device from
 *    writing them twice, but TCP may still hand the consumer another copy
 *    of them: a retransmission after the placed skb was lost, or a later
 *    duplicate that TCP preferred (tcp_data_queue_ofo() lets a segment
 *    that covers an out-of-order one replace it, and a copy accepted after
 *    the placed skb was dropped is simply new data to TCP).  Where the
 *    consumer meets such a copy over placed bytes it compares instead of
 *    copying: equal bytes are a retransmission; different ones mean that
 *    one of two checksum-valid copies of the same stream bytes is forged,
 *    and nothing tells which.  The channel then fails with -EBADMSG
 *    (postrx_place_conflict()): no completed buffer ever holds bytes that
 *    disagree with what the device verified and placed, and no bytes that
 *    TCP refused stand in for the stream either;
 *  - the claim happens under chan->place_lock; the device's write follows
 *    outside it, marked in flight, inside one call (postrx_place()) that
 *    holds chan->write_lock throughout.  Completion (taking a range off
 *    the channel) and a consumer copy over the same bytes wait for the
 *    write by taking that lock: a range never completes while the device
 *    writes into it, yet the consumer does not wait for writes it does
 *    not touch.  Nothing is held when postrx_place() returns.
 *
 * Bytes the device placed ahead of the consumer are remembered as spans
 * (merged when contiguous, so an in-order stream has one).  If ranges must
 * end before the consumer reaches those bytes while the stream goes on
 * (cancel, ring exit, shutdown(SHUT_RD)), the bytes would be left in memory
 * that goes back to the application, or the mapping of the later ranges
 * shifts under them.
 * postrx_place_pause_and_bounce() therefore copies them into kernel memory first
 * and re-points what TCP holds at the copies (bounce.c).
 */
#include <linux/postrx.h>
#include <net/tcp.h>

#include "postrx.h"

/*
 * One piece of @r's memory at the cursor: fill @bv, at most @len bytes.
 * A bvec is physically contiguous, and io_uring gives a registered
 * buffer in huge pages one bvec per folio: there a piece spans pages, so
 * that a 512 KiB segment is a handful of frags, not 128.  A piece ends at
 * the bvec's end and at every POSTRX_PIECE_MAX boundary of its memory:
 * the device's pieces and the bounce copies' (postrx_bounce_span()) then
 * end at the same places, so one bounce entry covers any placed frag
 * (bounce.c), and an entry needs no page of a costly order.  @bv names
 * the piece's first page, bv_offset within it.  Called under place_lock,
 * or with the socket locked and placement paused.
 */
static u32 postrx_range_piece(struct postrx_range *r, u32 len,
			      struct bio_vec *bv)
{
	const struct bio_vec *v = r->cur_bv;
	size_t pos = v->bv_offset + r->cur_skip;
	u32 poff = offset_in_page(pos);
	u32 n;

	n = min_t(u32, len, POSTRX_PIECE_MAX - (pos & (POSTRX_PIECE_MAX - 1)));
	n = min_t(u32, n, v->bv_len - r->cur_skip);
	n = min_t(u32, n, r->len - r->cur_off);
	bvec_set_page(bv, nth_page(v->bv_page, pos >> PAGE_SHIFT), n, poff);
	return n;
}

/* Move @r's placement cursor to @off bytes from the range's start. */
static void postrx_range_seek(struct postrx_range *r, u32 off)
{
	u32 d;

	if (off < r->cur_off) {
		r->cur_bv = r->base_bv;
		r->cur_skip = r->base_skip;
		r->cur_off = 0;
	}
	d = off - r->cur_off;
	while (d) {
		u32 step = min_t(u32, d, r->cur_bv->bv_len - r->cur_skip);

		r->cur_skip += step;
		d -= step;
		if (r->cur_skip == r->cur_bv->bv_len) {
			r->cur_bv++;
			r->cur_skip = 0;
		}
	}
	r->cur_off = off;
}

/* Record where @r's first byte lies, for the cursor.  At post time. */
void postrx_range_init_cursor(struct postrx_range *r)
{
	r->base_bv = r->iter.bvec;
	r->base_skip = r->iter.iov_offset;
	r->cur_bv = r->base_bv;
	r->cur_skip = r->base_skip;
	r->cur_off = 0;
}

/*
 * Map @len stream bytes from @seq to destination pieces in @pl, up to
 * POSTRX_PLACE_MAX_DST pieces, through the ranges as if each were filled
 * whole (see above).  The walk starts at the range the last mapping
 * started in (chan->map_r, whose first byte is at chan->map_start), not
 * at the head: with a thousand 4 KiB ranges posted, the head may lie
 * dozens of ranges behind the segment, and the walk runs under
 * place_lock, which the poster and the consumer wait for meanwhile.
 * Under place_lock, or with placement paused and the socket locked
 * (postrx_bounce_span()): then no device maps, and the cursor it moves
 * still names a range on the list.
 */
static int postrx_place_map(struct postrx_chan *chan, u32 seq, u32 len,
			    struct postrx_place *pl)
{
	struct postrx_range *r;
	u32 start, off;

	if (chan->map_r && !before(seq, chan->map_start)) {
		r = chan->map_r;
		start = chan->map_start;
	} else {
		r = list_first_entry_or_null(&chan->ranges,
					     struct postrx_range, node);
		if (!r)
			return -ENOSPC;
		start = chan->rx_next - r->filled;
	}
	list_for_each_entry_from(r, &chan->ranges, node) {
		if (before(seq, start + r->len))
			break;
		start += r->len;
	}
	if (list_entry_is_head(r, &chan->ranges, node))
		return -ENOSPC;

	/* The next segment of an in-order stream starts here or behind. */
	chan->map_r = r;
	chan->map_start = start;
	off = seq - start;
	pl->seq = seq;
	pl->len = 0;
	pl->nr_dst = 0;
	while (pl->len < len && pl->nr_dst < POSTRX_PLACE_MAX_DST) {
		u32 n;

		postrx_range_seek(r, off);
		n = postrx_range_piece(r, len - pl->len, &pl->dst[pl->nr_dst]);
		pl->nr_dst++;
		pl->len += n;
		off += n;
		if (off < r->len)
			continue;
		if (list_is_last(&r->node, &chan->ranges))
			break;
		r = list_next_entry(r, node);
		off = 0;
	}
	return 0;
}

/*
 * @r leaves the channel, @whole if it was filled whole.  A range that
 * ends early moves the stream position of every range behind it; the
 * range the last mapping started in must not outlive its place on the
 * list.  Either way the next mapping walks from the head again.  Under
 * place_lock.
 */
void postrx_place_forget_map(struct postrx_chan *chan,
			     const struct postrx_range *r, bool whole)
{
	lockdep_assert_held(&chan->place_lock);
	if (!whole || r == chan->map_r)
		chan->map_r = NULL;
}

/* Can bytes from @seq be remembered as a placed span? */
static bool postrx_place_span_room(struct postrx_chan *chan, u32 seq)
{
	struct postrx_span *last;

	if (chan->nr_placed < POSTRX_MAX_SPANS)
		return true;
	last = &chan->placed[chan->nr_placed - 1];
	return last->seq + last->len == seq;
}

/*
 * Claim up to @len bytes from @seq for the device: checks, mapping and
 * the claim in one step under place_lock.  The claim is marked in flight
 * until postrx_place_written().  Called with write_lock held.
 */
static int postrx_place_claim_dev(struct postrx_chan *chan,
				  struct postrx_flow *flow, u32 seq, u32 len,
				  struct postrx_place *pl)
{
	const struct tcp_sock *tp = tcp_sk(chan->sk);
	u32 wnd_end;
	int err;

	spin_lock(&chan->place_lock);
	err = -ENOENT;
	if (chan->flow != flow)
		goto out;
	/*
	 * shutdown(SHUT_RD) ended the ranges while TCP goes on receiving;
	 * postrx_shutdown() saved what was placed before, and nothing is
	 * placed after (sk_shutdown is set before it takes place_lock).
	 */
	err = -ESHUTDOWN;
	if (READ_ONCE(chan->sk->sk_shutdown) & RCV_SHUTDOWN)
		goto out;
	err = -EBADMSG;
	if (chan->stream_err)
		goto out;
	err = -EALREADY;
	if (before(seq, chan->claim_next) ||
	    before(seq, READ_ONCE(tp->rcv_nxt)))
		goto out;
	err = -ERANGE;
	wnd_end = READ_ONCE(tp->rcv_wup) + READ_ONCE(tp->rcv_wnd);
	if (after(seq + len, wnd_end))
		goto out;
	err = -ENOSPC;
	if (chan->place_paused || !postrx_place_span_room(chan, seq))
		goto out;
	err = postrx_place_map(chan, seq, len, pl);
	if (err)
		goto out;

	/*
	 * The claim: no later placement may write these bytes again.  The
	 * write itself happens outside place_lock, marked in flight: the
	 * consumer does not wait for it unless it must write the same bytes.
	 */
	/* Read locklessly by rx.c's postrx_rx_worth_reading(). */
	WRITE_ONCE(chan->claim_next, seq + pl->len);
	chan->place_inflight = true;
	chan->inflight_seq = seq;
	chan->inflight_end = seq + pl->len;
out:
	spin_unlock(&chan->place_lock);
	return err;
}

/*
 * The write of @pl is over.  If it succeeded its bytes are placed: record
 * them as a span (merged with the last one when contiguous).  Otherwise
 * they stay claimed but not placed, and the consumer copies them as it
 * does any byte TCP hands it.  Called with write_lock held.
 */
static void postrx_place_written(struct postrx_chan *chan,
				 const struct postrx_place *pl, bool placed)
{
	struct postrx_span *last = NULL;

	spin_lock(&chan->place_lock);
	if (chan->nr_placed)
		last = &chan->placed[chan->nr_placed - 1];
	if (placed && last && last->seq + last->len == pl->seq) {
		last->len += pl->len;
	} else if (placed) {
		/* room was checked with the claim */
		chan->placed[chan->nr_placed].seq = pl->seq;
		chan->placed[chan->nr_placed].len = pl->len;
		chan->nr_placed++;
	}
	chan->place_inflight = false;
	spin_unlock(&chan->place_lock);
}

int postrx_place(struct postrx_flow *flow, u32 seq, u32 len,
		 struct postrx_place *pl, postrx_write_t write, void *arg)
{
	struct postrx_chan *chan = flow->chan;
	int err;

	pl->seq = seq;
	pl->len = 0;
	pl->nr_dst = 0;
	if (!len)
		return -EINVAL;

	/*
	 * write_lock is held from the claim to the end of the write, with
	 * BH disabled: one write per channel at a time, and whoever must
	 * wait for it takes the lock (postrx_place_wait()).  The flow's
	 * memory, and so chan's, is the caller's to keep valid (RCU).
	 */
	spin_lock_bh(&chan->write_lock);
	/* A refused claim leaves @pl as set above: nothing claimed. */
	err = postrx_place_claim_dev(chan, flow, seq, len, pl);
	if (!err) {
		err = write(arg, pl);
		postrx_place_written(chan, pl, !err);
	}
	spin_unlock_bh(&chan->write_lock);
	return err;
}
EXPORT_SYMBOL_GPL(postrx_place);

/*
 * Wait for the device write in flight on @chan to end.  Called under
 * place_lock with BH disabled; drops it while waiting.  The writer holds
 * write_lock for the whole write, so taking and dropping it waits for
 * exactly that write.  A new claim may have started meanwhile: callers
 * look again, and those that must not see new claims pause placement
 * first.
 */
static void postrx_place_wait_write(struct postrx_chan *chan)
	__must_hold(&chan->place_lock)
{
	spin_unlock(&chan->place_lock);
	spin_lock(&chan->write_lock);
	spin_unlock(&chan->write_lock);
	spin_lock(&chan->place_lock);
}

/* Wait until no device write is in flight on @chan.  Under place_lock. */
void postrx_place_wait(struct postrx_chan *chan)
	__must_hold(&chan->place_lock)
{
	while (chan->place_inflight)
		postrx_place_wait_write(chan);
}

/*
 * The same, but only for a write that starts before stream position
 * @end: the ranges are mapped in stream order, as if each filled whole
 * (postrx_place_map()), so a write from @end on lands behind a range that
 * ends at @end, never in it.  A range that fills does not wait for the
 * device's next segment, which its engine may be writing into the ranges
 * behind it right then (a 60 KiB segment over 4 KiB ranges: each of the
 * fifteen waited for the write of the next segment).
 */
void postrx_place_wait_before(struct postrx_chan *chan, u32 end)
	__must_hold(&chan->place_lock)
{
	while (chan->place_inflight && before(chan->inflight_seq, end))
		postrx_place_wait_write(chan);
}

/*
 * How many of the @len bytes from @seq are all inside the spans a device
 * placed, or all outside them; *@placed says which.  The consumer asks
 * about bytes it has claimed, so their spans no longer change; the lock
 * is for the array, which the device may append to meanwhile.
 */
u32 postrx_place_span_at(struct postrx_chan *chan, u32 seq, u32 len,
			 bool *placed)
{
	unsigned int i;
	u32 n = len;

	*placed = false;
	spin_lock_bh(&chan->place_lock);
	for (i = 0; i < chan->nr_placed; i++) {
		const struct postrx_span *s = &chan->placed[i];

		if (!after(s->seq + s->len, seq))
			continue;
		if (!after(s->seq, seq)) {
			*placed = true;
			n = min(len, s->seq + s->len - seq);
		} else if (before(s->seq, seq + len)) {
			n = s->seq - seq;
		}
		break;
	}
	spin_unlock_bh(&chan->place_lock);
	return n;
}

/*
 * TCP handed the consumer bytes that differ from those the device placed
 * for the same stream positions (see the rules above).  The stream cannot
 * be trusted from here: fail the channel, and place nothing more.  Socket
 * locked.
 */
void postrx_place_conflict(struct postrx_chan *chan)
{
	spin_lock_bh(&chan->place_lock);
	WRITE_ONCE(chan->stream_err, -EBADMSG);
	spin_unlock_bh(&chan->place_lock);
}

/*
 * The consumer is about to write [@seq, @seq + @n): no placement may claim
 * it any more, and a device write in flight to any of it must be over
 * first (that happens only when TCP took the same bytes from another skb).
 * Called under place_lock.
 */
void postrx_place_claim(struct postrx_chan *chan, u32 seq, u32 n)
{
	if (chan->place_inflight && before(seq, chan->inflight_end) &&
	    after(seq + n, chan->inflight_seq))
		postrx_place_wait(chan);
	if (after(seq + n, chan->claim_next))
		WRITE_ONCE(chan->claim_next, seq + n);
}

/*
 * The consumer has taken everything before @rx_next: forget placed spans
 * and bounce copies behind it.  Under place_lock (spans), with the socket
 * locked (bounce list).
 */
void postrx_place_consumed(struct postrx_chan *chan)
{
	u32 rx_next = chan->rx_next;
	unsigned int i = 0;

	while (i < chan->nr_placed) {
		struct postrx_span *s = &chan->placed[i];

		if (!after(s->seq + s->len, rx_next)) {
			i++;
			continue;
		}
		if (before(s->seq, rx_next)) {
			s->len -= rx_next - s->seq;
			s->seq = rx_next;
		}
		break;
	}
	if (i) {
		chan->nr_placed -= i;
		memmove(chan->placed, chan->placed + i,
			chan->nr_placed * sizeof(chan->placed[0]));
	}
}

/* Copy one span's bytes out of the ranges into bounce entries. */
static int postrx_bounce_span(struct postrx_chan *chan,
			      struct postrx_bounce_pack *pk, u32 seq, u32 len,
			      gfp_t gfp)
{
	struct postrx_place pl;
	unsigned int i;
	int err;

	while (len) {
		if (postrx_place_map(chan, seq, len, &pl) || !pl.len)
			return 0;
		for (i = 0; i < pl.nr_dst; i++) {
			err = postrx_bounce_add(chan, pk, seq, &pl.dst[i], gfp);
			if (err)
				return err;
			seq += pl.dst[i].bv_len;
		}
		len -= pl.len;
	}
	return 0;
}

/*
 * Ranges are about to end before the consumer reached bytes a device
 * placed in them or behind them, and the stream goes on.  Stop placement,
 * keep a kernel copy of every such byte, and re-point every frag TCP holds
 * for them at the copy (bounce.c), all before any range completes: the
 * completion may reach the application, on another CPU, as soon as it is
 * queued.  Called with the socket locked (lock_sock: the consumer cannot
 * run) in process context; the caller ends the ranges, then calls
 * postrx_place_resume() (also after a failure).  @gfp without __GFP_NOFAIL
 * lets it fail with -ENOMEM, having changed nothing: a cancel then fails
 * and the ranges stay posted (POSTRX_CMD_CANCEL adds __GFP_RETRY_MAYFAIL:
 * fail, never OOM-kill).  Paths that cannot fail (shutdown) pass
 * __GFP_NOFAIL.
 */
int postrx_place_pause_and_bounce(struct postrx_chan *chan, gfp_t gfp)
{
	struct postrx_span spans[POSTRX_MAX_SPANS];
	struct list_head *mark = chan->bounce.prev;
	struct postrx_bounce_pack pk = {};
	unsigned int i, n;
	int err = 0;

	if (!chan->steered)
		return 0;
	spin_lock_bh(&chan->place_lock);
	chan->place_paused = true;
	/* A write already claimed ends as a span to save like the others. */
	postrx_place_wait(chan);
	n = chan->nr_placed;
	memcpy(spans, chan->placed, n * sizeof(spans[0]));
	spin_unlock_bh(&chan->place_lock);

	/*
	 * Paused: the device writes nothing now, and the consumer waits for
	 * the socket lock, so the ranges and their bytes hold still.
	 */
	for (i = 0; i < n && !err; i++)
		err = postrx_bounce_span(chan, &pk, spans[i].seq, spans[i].len,
					 gfp | __GFP_NOWARN);
	postrx_bounce_pack_done(&pk);
	if (err) {
		/* Undo: the copies made here go, the spans stay. */
		postrx_bounce_drop_since(chan, mark);
		return err;
	}
	postrx_bounce_repoint(chan);

	spin_lock_bh(&chan->place_lock);
	chan->nr_placed = 0;
	spin_unlock_bh(&chan->place_lock);
	return 0;
}

/*
 * True if no device placed or is placing bytes ahead of the consumer:
 * ranges may then end early without saving anything.  Socket locked.
 */
bool postrx_place_none_ahead(struct postrx_chan *chan)
{
	bool none;

	if (!chan->steered)
		return true;
	spin_lock_bh(&chan->place_lock);
	none = !chan->place_inflight && !chan->nr_placed &&
	       !after(chan->claim_next, chan->rx_next);
	spin_unlock_bh(&chan->place_lock);
	return none;
}

void postrx_place_resume(struct postrx_chan *chan)
{
	if (!chan->steered)
		return;
	spin_lock_bh(&chan->place_lock);
	chan->place_paused = false;
	spin_unlock_bh(&chan->place_lock);
}
