// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: the TCP side.  On the first post on a socket we attach a channel:
 * the socket's sk_data_ready and sk_state_change callbacks and its struct
 * proto are replaced by ours until the socket is closed.  Whenever TCP
 * queues data, reaches end of stream or fails, the consumer below runs
 * tcp_read_sock() with an actor that copies each payload byte range straight
 * from the skb into the posted range at the head of the channel.
 *
 * All callbacks run with the socket locked: sk_data_ready and
 * sk_state_change are called by TCP from the receive path (socket spinlock,
 * socket not owned) or from the owner's context (lock_sock()).  That is
 * what makes calling tcp_read_sock() from them legal, as iSCSI and
 * strparser do.  sk_error_report is deliberately not hooked: skb
 * destructors (zerocopy and timestamp notifications) call it without the
 * socket lock, and every fatal error also goes through tcp_done(), which
 * calls sk_state_change.
 *
 * The proto copy exists to learn about close: ->close() detaches the
 * channel and completes every posted range before TCP closes the socket.
 * It also keeps other receivers off the socket while buffers are posted
 * (recvmsg(), TCP_ZEROCOPY_RECEIVE) and refuses to let kTLS or
 * IPV6_ADDRFORM replace the proto under us.
 */
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/inet_connection_sock.h>
#include <linux/postrx.h>

#include "postrx.h"

enum { POSTRX_PROT_V4, POSTRX_PROT_V6, POSTRX_NR_PROTS };

/*
 * Our copies of TCP's protos, built as kTLS builds its own
 * (tls_build_proto()): from the first attaching socket's own proto, once
 * per family, so that postrx names neither tcp_prot nor tcpv6_prot and
 * needs no IPv6 module to load.  The base is the proto that created the
 * socket (sk_prot_creator): a socket whose sk_prot was replaced (sockmap,
 * kTLS, IPV6_ADDRFORM) is refused.  A base is written once, under the
 * mutex, after its copy is complete (release; read with acquire).
 */
static struct proto postrx_prots[POSTRX_NR_PROTS];
static struct proto *postrx_bases[POSTRX_NR_PROTS];
static DEFINE_MUTEX(postrx_prot_mutex);

/* The base proto behind one of our copies. */
static struct proto *postrx_base_prot(const struct sock *sk)
{
	const struct proto *prot = READ_ONCE(sk->sk_prot);

	if (prot == &postrx_prots[POSTRX_PROT_V6])
		return postrx_bases[POSTRX_PROT_V6];
	return postrx_bases[POSTRX_PROT_V4];
}

static bool postrx_prot_is_ours(const struct proto *prot)
{
	return prot == &postrx_prots[POSTRX_PROT_V4] ||
	       prot == &postrx_prots[POSTRX_PROT_V6];
}

/*
 * The socket's channel; the caller holds the socket lock, under which
 * sk_user_data is written (and under sk_callback_lock as well).  The low
 * bits of sk_user_data carry flags.
 */
struct postrx_chan *postrx_rx_chan(struct sock *sk)
{
	uintptr_t data;

	if (!postrx_prot_is_ours(READ_ONCE(sk->sk_prot)))
		return NULL;
	data = (uintptr_t)rcu_dereference_protected(__sk_user_data(sk),
						    lockdep_sock_is_held(sk));
	return (struct postrx_chan *)(data & SK_USER_DATA_PTRMASK);
}

/*
 * Why an ordinary reader must stay off the socket, or 0: -EBUSY while
 * buffers are posted (what is queued belongs to them), or the error that
 * failed the stream (-EBADMSG: TCP contradicted bytes a device placed,
 * place.c; nothing read after it can be trusted, and segments still queued
 * may point into buffers that went back to the application).  Lockless:
 * the channel is freed after an RCU grace period.
 */
static int postrx_rx_refusal(struct sock *sk)
{
	struct postrx_chan *chan;
	int err = 0;

	rcu_read_lock();
	chan = rcu_dereference_sk_user_data(sk);
	if (chan)
		err = READ_ONCE(chan->nr_posted) ? -EBUSY :
						   READ_ONCE(chan->stream_err);
	rcu_read_unlock();
	return err;
}

struct postrx_actor_ctx {
	struct postrx_chan	*chan;
	bool			late;
};

/*
 * Where the iterator's next byte goes: its page and offset, and how many
 * bytes follow contiguously in that page.
 */
static u32 postrx_iter_dst(const struct iov_iter *iter, struct page **page,
			   u32 *off)
{
	const struct bio_vec *bv = iter->bvec;
	size_t pos = bv->bv_offset + iter->iov_offset;

	*page = nth_page(bv->bv_page, pos >> PAGE_SHIFT);
	*off = offset_in_page(pos);
	return min_t(size_t, PAGE_SIZE - *off, bv->bv_len - iter->iov_offset);
}

/*
 * Bytes at @seq that the device placed, met in another skb's frag
 * (@fpage/@foff): a retransmission, or a copy that TCP kept instead of the
 * placed one.  Never copy over placed bytes (place.c): compare.  Trims *@k
 * to bytes that are all placed or all not; returns 0 if they are not
 * placed, 1 if they are and equal, -EBADMSG if they differ.
 */
static int postrx_take_placed(struct postrx_chan *chan, u32 seq, u32 *k,
			      struct page *fpage, u32 foff,
			      struct page *dpage, u32 doff)
{
	bool placed, same;
	u8 *f, *d;

	if (!READ_ONCE(chan->nr_placed))
		return 0;
	*k = postrx_place_span_at(chan, seq, *k, &placed);
	if (!placed)
		return 0;
	f = kmap_local_page(fpage);
	d = kmap_local_page(dpage);
	same = !memcmp(f + foff, d + doff, *k);
	kunmap_local(d);
	kunmap_local(f);
	return same ? 1 : -EBADMSG;
}

/*
 * Where postrx_take() stopped in an skb's frags: frags[i] holds the next
 * byte and starts at @start in the skb (i 0: from the skb's start).
 */
struct postrx_frag_cursor {
	unsigned int	i;
	unsigned int	start;
};

/*
 * Where postrx_take() stopped in an skb: in its own frags, and in its frag
 * list (@list_skb, which starts at @list_start in the skb, and the
 * position in that one's frags).  Lives for one actor call, that is one
 * skb, so that ranges taking an skb piece by piece do not each walk it
 * from the first byte: fifteen 4 KiB ranges in a 60 KiB skb, or 128 in a
 * 512 KiB BIG TCP skb whose bytes are almost all on its frag list.
 */
struct postrx_skb_cursor {
	struct postrx_frag_cursor	frags;
	struct sk_buff			*list_skb;
	unsigned int			list_start;
	struct postrx_frag_cursor	list_frags;
};

/*
 * Take one piece of frag @frag (which starts at @frag_start in @skb) into
 * @r: the bytes from skb offset @offset, stream position @seq, at most
 * @len of them and no more than lie in one source page and one
 * destination page.  A piece whose bytes were bounced (place.c) is copied
 * from the bounce copy, since the memory the frag points at may have gone
 * back to the application, even if it is posted again here.  A piece
 * that is exactly its destination (same page and offset) carries bytes a
 * device already placed there: nothing to copy, *@in_place is set.
 * Anything else is copied, or compared where it lands on placed bytes.
 * Returns the bytes taken, or a negative errno.
 */
static int postrx_take_piece(struct postrx_chan *chan, struct postrx_range *r,
			     const struct sk_buff *skb, const skb_frag_t *frag,
			     unsigned int frag_start, unsigned int offset,
			     u32 seq, u32 len, bool *in_place)
{
	size_t src_pos = skb_frag_off(frag) + offset - frag_start;
	struct page *src_page = nth_page(skb_frag_page(frag),
					 src_pos >> PAGE_SHIFT);
	u32 src_off = offset_in_page(src_pos);
	const struct postrx_bounce *bounce = NULL;
	u32 dst_off, bounce_off, chunk;
	struct page *dst_page;
	int ret;

	*in_place = false;
	chunk = min_t(u32, len, PAGE_SIZE - src_off);
	chunk = min(chunk, postrx_iter_dst(&r->iter, &dst_page, &dst_off));
	if (!list_empty(&chan->bounce))
		bounce = postrx_bounce_find(chan, seq, src_page, src_off,
					    &bounce_off);
	if (bounce) {
		chunk = min(chunk, bounce->len - bounce_off);
		if (copy_page_to_iter(bounce->bpage, bounce->boff + bounce_off,
				      chunk, &r->iter) != chunk)
			return -EFAULT;
		return chunk;
	}
	if (src_page == dst_page && src_off == dst_off) {
		iov_iter_advance(&r->iter, chunk);
		*in_place = true;
		return chunk;
	}
	ret = postrx_take_placed(chan, seq, &chunk, src_page, src_off,
				 dst_page, dst_off);
	if (ret < 0)
		return ret;
	if (ret)
		iov_iter_advance(&r->iter, chunk);
	else if (skb_copy_datagram_iter(skb, offset, &r->iter, chunk))
		return -EFAULT;
	return chunk;
}

/*
 * Take the bytes of frag @frag (at @frag_start in @skb) from skb offset
 * *@offset up to @end, piece by piece; *@offset moves past them.  Stream
 * position of skb offset o: @seq0 + o.  Returns the bytes found in place,
 * or a negative errno.
 */
static int postrx_take_frag(struct postrx_chan *chan, struct postrx_range *r,
			    const struct sk_buff *skb, const skb_frag_t *frag,
			    unsigned int frag_start, unsigned int *offset,
			    unsigned int end, u32 seq0)
{
	unsigned int stop = min(frag_start + skb_frag_size(frag), end);
	int placed = 0;

	while (*offset < stop) {
		bool in_place;
		int taken;

		taken = postrx_take_piece(chan, r, skb, frag, frag_start,
					  *offset, seq0 + *offset,
					  stop - *offset, &in_place);
		if (taken < 0)
			return taken;
		if (in_place)
			placed += taken;
		*offset += taken;
	}
	return placed;
}

/*
 * The fast path for what a device placed: whole frags from frags[*@i]
 * (which starts at *@frag_start, the consumer's position) up to @end that
 * are exactly their destination, page and offset.  One comparison per
 * frag and one move of the iterator for all of them, where the piece by
 * piece path computes, checks and moves per page.  Stops at the first
 * frag that is not in place or not whole before @end, and leaves it to
 * that path.  Only while nothing is bounced (place.c): bounced bytes are
 * taken from the bounce copy even where a frag is in place.  Returns the
 * bytes taken; *@i and *@frag_start move past them.
 */
static u32 postrx_take_in_place(struct postrx_range *r,
				const struct skb_shared_info *shinfo,
				unsigned int *i, unsigned int *frag_start,
				unsigned int end)
{
	const struct bio_vec *bv = r->iter.bvec;
	const struct bio_vec *bv_end = bv + r->iter.nr_segs;
	unsigned int n = *i, nr = shinfo->nr_frags;
	u32 room = end - *frag_start, taken = 0;
	size_t pos = r->iter.iov_offset;	/* in *bv */

	/*
	 * Runs once per frag, 128 times for a placed 512 KiB skb in base
	 * pages (about 17 in huge pages, place.c): compares on locals only.
	 * A frag longer than a page lies in one bvec, which is contiguous.
	 * A frag's netmem is compared with the page's: a net_iov, never a
	 * posted page, never equals one.
	 */
	for (; n < nr && bv < bv_end; n++) {
		const skb_frag_t *frag = &shinfo->frags[n];
		u32 len = skb_frag_size(frag);
		size_t dst = bv->bv_offset + pos;

		/* Both are contiguous: same start, same bytes. */
		if (len > room - taken || len > bv->bv_len - pos ||
		    skb_frag_netmem(frag) !=
		    page_to_netmem(nth_page(bv->bv_page, dst >> PAGE_SHIFT)) ||
		    skb_frag_off(frag) != offset_in_page(dst))
			break;
		taken += len;
		pos += len;
		if (pos == bv->bv_len) {
			bv++;
			pos = 0;
		}
	}
	*i = n;
	*frag_start += taken;
	/*
	 * A range that these frags fill to its end takes nothing more
	 * through its iterator: end it rather than walk it, which for small
	 * ranges (4 KiB, fifteen to a 60 KiB segment) is a call per range.
	 */
	if (taken == iov_iter_count(&r->iter))
		iov_iter_truncate(&r->iter, 0);
	else if (taken)
		iov_iter_advance(&r->iter, taken);
	return taken;
}

static int postrx_take(struct postrx_chan *chan, struct postrx_range *r,
		       struct sk_buff *skb, unsigned int offset, u32 seq,
		       u32 n, struct postrx_skb_cursor *cur);

/*
 * Take [@offset, @end) of @skb's frag list, whose first skb starts at
 * @start: GRO and pxnic's BIG TCP skbs chain placed skbs there, and they
 * are taken the same way, one level down, as skb_copy_datagram_iter()
 * does.  From where @cur stopped if that is not past @offset.  Returns the
 * bytes found in place, or a negative errno.
 */
static int postrx_take_frag_list(struct postrx_chan *chan,
				 struct postrx_range *r, struct sk_buff *skb,
				 unsigned int start, unsigned int offset,
				 unsigned int end, u32 seq0,
				 struct postrx_skb_cursor *cur)
{
	struct sk_buff *frag_skb = skb_shinfo(skb)->frag_list;
	struct postrx_skb_cursor in = {};	/* inside frag_skb */
	int placed = 0, ret;

	if (offset == end)
		return 0;
	if (cur->list_skb && cur->list_start <= offset) {
		frag_skb = cur->list_skb;
		start = cur->list_start;
		in.frags = cur->list_frags;
	}
	for (; frag_skb; frag_skb = frag_skb->next) {
		unsigned int frag_end = start + frag_skb->len;

		if (offset < frag_end) {
			u32 len = min(end, frag_end) - offset;

			ret = postrx_take(chan, r, frag_skb, offset - start,
					  seq0 + offset, len, &in);
			if (ret < 0)
				return ret;
			placed += ret;
			offset += len;
			cur->list_skb = frag_skb;
			cur->list_start = start;
			cur->list_frags = in.frags;
			if (offset == end)
				return placed;
		}
		start = frag_end;
		in = (struct postrx_skb_cursor){};
	}
	return -EFAULT;
}

/*
 * Take @n bytes of @skb at @offset (stream position @seq) into @r on a
 * steered channel: the linear part by copy, then frag by frag (runs of
 * frags in place at once, postrx_take_in_place(); the rest piece by
 * piece, postrx_take_frag()), then the frag list.  @cur (NULL one level down)
 * starts the frag walk where the previous take from @skb stopped, and is
 * left where this one stops.  Returns the bytes found in place, or a
 * negative errno.
 */
static int postrx_take(struct postrx_chan *chan, struct postrx_range *r,
		       struct sk_buff *skb, unsigned int offset, u32 seq,
		       u32 n, struct postrx_skb_cursor *cur)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int frag_start = skb_headlen(skb);
	unsigned int end = offset + n;
	u32 seq0 = seq - offset;	/* stream position of skb offset 0 */
	unsigned int i = 0;
	int placed = 0, ret;

	if (cur->frags.i && cur->frags.start <= offset) {
		i = cur->frags.i;
		frag_start = cur->frags.start;
	}
	if (offset < frag_start) {
		u32 len = min(frag_start, end) - offset;

		if (skb_copy_datagram_iter(skb, offset, &r->iter, len))
			return -EFAULT;
		offset += len;
	}
	while (i < shinfo->nr_frags && offset < end) {
		const skb_frag_t *frag;

		if (offset == frag_start && list_empty(&chan->bounce)) {
			u32 k = postrx_take_in_place(r, shinfo, &i, &frag_start,
						     end);

			if (k) {
				offset += k;
				placed += k;
				continue;
			}
		}
		frag = &shinfo->frags[i];
		ret = postrx_take_frag(chan, r, skb, frag, frag_start, &offset,
				       end, seq0);
		if (ret < 0)
			return ret;
		placed += ret;
		/* Stopped inside frags[i]: the next take starts there. */
		if (offset < frag_start + skb_frag_size(frag))
			break;
		frag_start += skb_frag_size(frag);
		i++;
	}
	cur->frags.i = i;
	cur->frags.start = frag_start;
	if (i < shinfo->nr_frags)
		return placed;
	ret = postrx_take_frag_list(chan, r, skb, frag_start, offset, end,
				    seq0, cur);
	return ret < 0 ? ret : placed + ret;
}

/*
 * Take @n bytes of @skb at @offset (stream position @seq) into @r on a
 * steered channel.  First what is in place from the frag where the
 * previous take stopped, if that frag starts at @offset: in @skb's own
 * frags or in its frag list's skb.  A 4 KiB range of a placed skb takes
 * one frag, fifteen to 128 ranges to an skb, and this spares each of them
 * postrx_take()'s walk (two levels of it for the frag list).  The rest, if
 * any, through postrx_take(), from the cursor this leaves.  Returns the
 * bytes found in place, or a negative errno.
 */
static int postrx_take_next(struct postrx_chan *chan, struct postrx_range *r,
			    struct sk_buff *skb, unsigned int offset, u32 seq,
			    u32 n, struct postrx_skb_cursor *cur)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int end = offset + n;
	u32 k = 0;
	int ret;

	if (!list_empty(&chan->bounce)) {
		/* Bounced bytes come from the bounce copy: postrx_take(). */
	} else if (cur->list_skb) {	/* past @skb's own frags */
		struct postrx_frag_cursor *in = &cur->list_frags;
		unsigned int start = cur->list_start;
		unsigned int stop = min(end, start + cur->list_skb->len);

		if (in->i && offset == start + in->start)
			k = postrx_take_in_place(r, skb_shinfo(cur->list_skb),
						 &in->i, &in->start,
						 stop - start);
	} else if (cur->frags.i && cur->frags.i < shinfo->nr_frags &&
		   offset == cur->frags.start) {
		k = postrx_take_in_place(r, shinfo, &cur->frags.i,
					 &cur->frags.start, end);
	}
	if (k == n)
		return k;
	ret = postrx_take(chan, r, skb, offset + k, seq + k, n - k, cur);
	return ret < 0 ? ret : k + ret;
}

/*
 * The actor: move @len payload bytes of @skb from @offset into the posted
 * ranges, head first.  Returns how many bytes were taken; fewer than @len
 * when the ranges are full, which makes tcp_read_sock() stop and leave the
 * rest queued.
 */
static int postrx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			unsigned int offset, size_t len)
{
	struct postrx_actor_ctx *ctx = desc->arg.data;
	struct postrx_skb_cursor cur = {};
	struct postrx_chan *chan = ctx->chan;
	size_t done = 0;

	/*
	 * Our claim first, for all of the skb at once rather than range by
	 * range: no device writes into these bytes from now.  Bytes the
	 * ranges do not take stay queued, claimed, for a later range to
	 * copy, which is what a claim means.
	 */
	if (chan->steered && !list_empty(&chan->ranges)) {
		spin_lock_bh(&chan->place_lock);
		postrx_place_claim(chan, chan->rx_next, len);
		spin_unlock_bh(&chan->place_lock);
	}
	while (done < len) {
		unsigned int how;
		struct postrx_range *r;
		int placed = 0;
		u32 n, seq;

		r = list_first_entry_or_null(&chan->ranges,
					     struct postrx_range, node);
		if (!r)
			break;
		n = min_t(size_t, len - done, r->len - r->filled);
		seq = chan->rx_next;
		if (chan->steered) {
			placed = postrx_take_next(chan, r, skb, offset + done,
						  seq, n, &cur);
		} else if (skb_copy_datagram_iter(skb, offset + done,
						  &r->iter, n)) {
			placed = -EFAULT;
		}
		if (placed == -EBADMSG) {
			postrx_place_conflict(chan);
			desc->error = placed;
			break;
		}
		/* A bvec destination cannot fault: only a bug fails here. */
		if (WARN_ON_ONCE(placed < 0)) {
			desc->error = -EFAULT;
			break;
		}
		done += n;
		/*
		 * The skb's last byte, and it carries PSH: a push (chan.c).
		 * GRO and TCP's coalescing keep PSH on the merged skb, so a
		 * push may be seen later than it was sent, never earlier.
		 */
		how = ctx->late ? POSTRX_FILL_LATE : 0;
		if (done == len && (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_PSH))
			how |= POSTRX_FILL_PUSH;
		postrx_chan_fill(chan, r, n, placed, how);
	}
	return done;
}

/*
 * The consumer: move what TCP has queued into the posted ranges, then
 * complete what recv() would return now.  @late tells that the caller is
 * the poster catching up with data that was queued before its buffer.
 * Called with the socket locked.
 */
static void postrx_rx_consume(struct postrx_chan *chan, bool late)
{
	struct sock *sk = chan->sk;

	/*
	 * Nothing queued (a post while the consumer kept up): nothing for
	 * tcp_read_sock(), whose receive-buffer tuning would only read the
	 * clock.  The next pass that takes bytes tunes it.
	 */
	if (!list_empty(&chan->ranges) && !chan->stream_err &&
	    !skb_queue_empty(&sk->sk_receive_queue)) {
		struct postrx_actor_ctx ctx = { .chan = chan, .late = late };
		read_descriptor_t desc = { .arg.data = &ctx, .count = 1 };

		postrx_ack_read_sock(chan, &desc, postrx_actor);
	}
	if (list_empty(&chan->ranges))
		return;
	/*
	 * TCP contradicted bytes the device placed (place.c): what the
	 * ranges hold is exact, nothing after it can be trusted.
	 */
	if (chan->stream_err) {
		postrx_chan_end_all(chan, chan->stream_err);
		return;
	}

	if (!skb_queue_empty(&sk->sk_receive_queue)) {
		postrx_chan_await_push(chan);
		return;
	}
	/* The connection is over: end of stream, or the error that ended it. */
	if ((READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) ||
	    sk->sk_state == TCP_CLOSE) {
		postrx_chan_end_all(chan, -READ_ONCE(sk->sk_err));
		return;
	}
	postrx_chan_await_push(chan);
	if (READ_ONCE(sk->sk_err))
		postrx_chan_soft_error(chan);
}

/* Data arrived, or the socket's state changed: consume (window.c). */
void postrx_rx_service(struct postrx_chan *chan)
{
	unsigned int nr_before = chan->nr_posted;
	u32 end_before = postrx_wnd_posted_end(chan);

	postrx_rx_consume(chan, false);
	postrx_wnd_consumed(chan, end_before, nr_before);
}

/*
 * A range was just posted: take what was queued before it, and let the
 * window reach the new posted space.
 */
void postrx_rx_catch_up(struct postrx_chan *chan)
{
	u64 posted = chan->room;

	postrx_rx_consume(chan, true);
	postrx_wnd_posted(chan, posted);
}

/*
 * Is there enough queued to be worth consuming now?  A head range without
 * WAITALL may end at any push (chan.c), so always, unless a device
 * claimed bytes ahead (see below).  A WAITALL head completes only when
 * full: consuming each skb as it arrives would
 * keep TCP's window wide open, and TCP then acknowledges every second
 * full-sized segment and every window it can widen (tcp_ack_snd_check(),
 * tcp_cleanup_rbuf()): up to ten times the ACKs of a recv() reader, each
 * of them paid by the receiving CPU.  So wait, as recv(MSG_WAITALL) does,
 * until what is queued fills the head range; but never so long that the
 * sender runs out of window (less than half of the last advertised one
 * left) or the queue holds half the receive buffer: then consume, which
 * reopens the window.  Placement does not wait for this: a device writes
 * as segments arrive.
 */
static bool postrx_rx_worth_reading(struct postrx_chan *chan)
{
	const struct sock *sk = chan->sk;
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 rcv_nxt = READ_ONCE(tp->rcv_nxt);
	u32 wnd = READ_ONCE(tp->rcv_wnd);
	struct postrx_range *r;

	r = list_first_entry_or_null(&chan->ranges, struct postrx_range, node);
	if (!r)
		return true;
	/*
	 * A head range without WAITALL ends at a push, but never while a
	 * device claimed bytes beyond those TCP received (chan.c): the
	 * stream goes on, and the range waits as a WAITALL one does.  Once
	 * nothing is claimed beyond, a push may end it: read now.  A glance
	 * without place_lock: a claim racing with it only moves the read to
	 * the next segment.
	 */
	if (!(r->flags & POSTRX_RECV_WAITALL) &&
	    !(chan->steered && after(READ_ONCE(chan->claim_next), rcv_nxt)))
		return true;
	/* End of stream or an error settles every range now. */
	if ((READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN) || READ_ONCE(sk->sk_err))
		return true;
	if (rcv_nxt - tp->copied_seq >= r->len - r->filled)
		return true;
	if ((s32)(READ_ONCE(tp->rcv_wup) + wnd - rcv_nxt) <= (s32)(wnd / 2))
		return true;
	if (atomic_read(&sk->sk_rmem_alloc) >= READ_ONCE(sk->sk_rcvbuf) / 2)
		return true;
	/*
	 * Someone sleeps on the socket: perhaps a reader that entered
	 * recv() or splice() before the first post (postrx_recvmsg() turns
	 * later ones away) and waits in sk_wait_data().  Whatever it finds
	 * queued when it wakes (a signal, a timeout, any wakeup), it takes,
	 * and the ranges would lose those bytes.  Leave it nothing: what is
	 * queued while ranges are posted goes into them at once.  Asked
	 * last: skwq_has_sleeper() is a full barrier, paid only when the
	 * bytes would otherwise wait.  The caller holds rcu_read_lock().
	 */
	return skwq_has_sleeper(rcu_dereference(sk->sk_wq));
}

/*
 * Consume what is queued if it is worth it now; see above.  If not, the
 * bytes stay queued, and TCP's own check (__tcp_ack_snd_check()) sees that
 * the window it could announce would not widen: it only schedules a
 * delayed ACK.  A sender held back by its congestion window then sits out
 * the delayed-ACK timer (40 ms and more) before each new window's worth,
 * and throughput collapses.  TCP meets the same with an SO_RCVLOWAT reader
 * that waits for more, and acknowledges at once there.  Do so too, but only
 * once an eighth of the window came in unacknowledged since the last
 * window update (at least two full segments): acknowledging every segment,
 * as TCP does for that reader, costs throughput and multiplies the ACKs;
 * an eighth of the window keeps a sender whose congestion window is
 * larger than that going without ever waiting (the figures are in
 * docs/bench.md, "Delayed ACKs behind WAITALL buffers").
 */
static void postrx_rx_poll(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;
	const struct tcp_sock *tp = tcp_sk(sk);

	if (postrx_rx_worth_reading(chan)) {
		postrx_rx_service(chan);
		return;
	}
	postrx_ack_deferred(chan);
	if (inet_csk_ack_scheduled(sk) &&
	    tp->rcv_nxt - tp->rcv_wup >
	    max(tp->rcv_wnd / 8, 2U * inet_csk(sk)->icsk_ack.rcv_mss))
		__tcp_send_ack(sk, tp->rcv_nxt, 0);
}

static void postrx_data_ready(struct sock *sk)
{
	struct postrx_chan *chan;

	rcu_read_lock();
	chan = rcu_dereference_sk_user_data(sk);
	if (likely(chan)) {
		/*
		 * Segments that were on their way when ranges ended early
		 * reach the receive queue here, before any reader can look:
		 * re-point what they carry of the ended ranges (bounce.c).
		 */
		if (unlikely(!list_empty(&chan->bounce)))
			postrx_bounce_repoint(chan);
		/*
		 * TCP moved rcv_nxt: hold the window before anything here
		 * or TCP's next ACK announces it (window.c).
		 */
		postrx_wnd_bound(chan);
		postrx_rx_poll(chan);
		/*
		 * Wake ordinary readers only when no range is posted: what
		 * is queued while one is belongs to it, and what went into
		 * posted ranges is reported by completions.
		 */
		if (list_empty(&chan->ranges) &&
		    !skb_queue_empty(&sk->sk_receive_queue))
			chan->saved_data_ready(sk);
	}
	rcu_read_unlock();
}

/* End of stream, reset, timeout, shutdown(SHUT_RD): settle the ranges. */
static void postrx_state_change(struct sock *sk)
{
	struct postrx_chan *chan;

	rcu_read_lock();
	chan = rcu_dereference_sk_user_data(sk);
	if (likely(chan)) {
		postrx_rx_service(chan);
		chan->saved_state_change(sk);
	}
	rcu_read_unlock();
}

static struct proto *postrx_prot_for(struct sock *sk);

/*
 * Attach a channel to @sk, or find the one attached.  Called with the
 * socket locked.  Refuses sockets that cannot be read (-ENOTCONN) and
 * sockets whose receive path someone else already owns (-EBUSY): another
 * proto (kTLS, sockmap), a ULP, or a kernel user of sk_user_data.
 */
int postrx_rx_attach(struct sock *sk, struct file *devfile,
		     struct postrx_chan **chanp)
{
	struct postrx_chan *chan;
	struct proto *prot;

	switch (sk->sk_state) {
	case TCP_ESTABLISHED:
	case TCP_FIN_WAIT1:
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	case TCP_CLOSE:
		/*
		 * A connection that ended (a reset, or the peer's FIN after
		 * ours took it to TIME_WAIT) keeps what it received, and
		 * recv() still returns that before the end or the error: so
		 * does a post.  With nothing queued there is nothing to read.
		 */
		if (!skb_queue_empty(&sk->sk_receive_queue))
			break;
		fallthrough;
	default:
		return -ENOTCONN;
	}

	chan = postrx_rx_chan(sk);
	if (chan) {
		*chanp = chan;
		return 0;
	}

	if (sk->sk_user_data || inet_csk(sk)->icsk_ulp_ops)
		return -EBUSY;
	prot = postrx_prot_for(sk);
	if (!prot)
		return -EBUSY;

	chan = postrx_chan_alloc(sk, devfile);
	if (!chan)
		return -ENOMEM;

	write_lock_bh(&sk->sk_callback_lock);
	chan->saved_data_ready = sk->sk_data_ready;
	chan->saved_state_change = sk->sk_state_change;
	__rcu_assign_sk_user_data_with_flags(sk, chan, SK_USER_DATA_NOCOPY);
	WRITE_ONCE(sk->sk_data_ready, postrx_data_ready);
	WRITE_ONCE(sk->sk_state_change, postrx_state_change);
	write_unlock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(sk->sk_prot, prot);
	chan->attached = true;

	/* A closed connection receives nothing more: no flow to steer. */
	if (sk->sk_state != TCP_CLOSE)
		postrx_flow_install(chan);

	*chanp = chan;
	return 0;
}

/* Give the socket back what it had.  Called with the socket locked. */
static void postrx_rx_detach(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;

	WRITE_ONCE(sk->sk_prot, postrx_base_prot(sk));
	write_lock_bh(&sk->sk_callback_lock);
	WRITE_ONCE(sk->sk_data_ready, chan->saved_data_ready);
	WRITE_ONCE(sk->sk_state_change, chan->saved_state_change);
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	chan->attached = false;
}

/*
 * ->close(): runs when the last reference to the socket's file goes, so no
 * other system call can be inside our proto.  Complete every posted range
 * (with its byte count, or -ECANCELED if it holds none), give the socket
 * back its own callbacks, then let TCP close it.
 */
static void postrx_close(struct sock *sk, long timeout)
{
	const struct proto *base = postrx_base_prot(sk);
	struct postrx_chan *chan;

	lock_sock(sk);
	chan = postrx_rx_chan(sk);
	if (!WARN_ON_ONCE(!chan)) {
		/* What is queued goes into the ranges before they end. */
		postrx_rx_service(chan);
		postrx_flow_uninstall(chan);
		postrx_chan_end_all(chan, -ECANCELED);
		postrx_wnd_release(chan);
		postrx_ack_flush(chan);
		postrx_rx_detach(chan);
		/* Nothing will consume them now; free them with the lock. */
		postrx_bounce_free(chan);
	}
	release_sock(sk);

	base->close(sk, timeout);
	if (chan) {
		/* No range is left for it; our callbacks are gone. */
		postrx_chan_stop_timer(chan);
		postrx_chan_put(chan);
	}
}

/*
 * ->disconnect(): connect(AF_UNSPEC) drops the connection and may start a
 * new one; the posted ranges belonged to the old stream.  The channel and
 * our hooks stay until close, as always (see postrx_get_port() for why the
 * socket may not listen).  Called with the socket locked.
 */
static int postrx_disconnect(struct sock *sk, int flags)
{
	struct postrx_chan *chan = postrx_rx_chan(sk);

	if (chan) {
		postrx_rx_service(chan);
		/* The flow's 5-tuple belonged to the old connection. */
		postrx_flow_uninstall(chan);
		postrx_chan_end_all(chan, -ECONNABORTED);
		postrx_wnd_release(chan);
		postrx_ack_flush(chan);
		postrx_bounce_free(chan);
		/* Nothing claimed or placed in the old stream counts now. */
		spin_lock_bh(&chan->place_lock);
		chan->nr_placed = 0;
		WRITE_ONCE(chan->claim_next, chan->rx_next);
		spin_unlock_bh(&chan->place_lock);
	}
	return postrx_base_prot(sk)->disconnect(sk, flags);
}

/*
 * ->get_port(): bind() and listen().  A socket with a channel may not
 * listen (-EBUSY): every socket accepted from it would be cloned with our
 * proto and callbacks (sk_clone_lock()) but without the channel
 * (SK_USER_DATA_NOCOPY), and so without the reference that keeps this
 * module loaded while they run its code.  Detaching at disconnect instead
 * would leave a system call already inside one of our proto wrappers on
 * another thread running module code that nothing pins any more.
 * inet_csk_listen_start() sets TCP_LISTEN before it asks for the port and
 * undoes it on failure; bind() asks in TCP_CLOSE.
 */
static int postrx_get_port(struct sock *sk, unsigned short snum)
{
	if (sk->sk_state == TCP_LISTEN)
		return -EBUSY;
	return postrx_base_prot(sk)->get_port(sk, snum);
}

/*
 * ->shutdown(), from inet_shutdown() with the socket locked, after it set
 * sk_shutdown.  SHUT_RD ends the posted ranges as recv() returns 0 (our
 * ->sk_state_change() settles them next), yet TCP goes on receiving: bytes
 * a device placed ahead into those ranges, whose skbs TCP has not queued
 * yet (out of order, or in the backlog behind our lock), would be read
 * later from memory back in the application's hands.  Save them first, as
 * a cancel does; place.c claims nothing once the read side is shut.
 */
static void postrx_shutdown(struct sock *sk, int how)
{
	struct postrx_chan *chan = postrx_rx_chan(sk);

	if (chan && (how & RCV_SHUTDOWN)) {
		/* shutdown() cannot fail: the copies must be made. */
		postrx_place_pause_and_bounce(chan, GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
		postrx_rx_service(chan);
		postrx_place_resume(chan);
		/* Nothing can be posted any more: the socket's own window. */
		postrx_wnd_let_go(chan);
		postrx_ack_flush(chan);
	}
	postrx_base_prot(sk)->shutdown(sk, how);
}

/*
 * A reader other than postrx, with no range posted: the window is the
 * socket's own again (window.c).  The unlocked look is a hint; the
 * decision is taken under the socket lock.
 */
static void postrx_rx_plain_reader(struct sock *sk)
{
	struct postrx_chan *chan;
	bool bounded;

	rcu_read_lock();
	chan = rcu_dereference_sk_user_data(sk);
	bounded = chan && READ_ONCE(chan->wnd_bounded);
	rcu_read_unlock();
	if (!bounded)
		return;
	lock_sock(sk);
	chan = postrx_rx_chan(sk);
	if (chan && !chan->nr_posted)
		postrx_wnd_let_go(chan);
	release_sock(sk);
}

static int postrx_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			  int flags, int *addr_len)
{
	int err = flags & MSG_ERRQUEUE ? 0 : postrx_rx_refusal(sk);

	if (err)
		return err;
	if (!(flags & MSG_ERRQUEUE))
		postrx_rx_plain_reader(sk);
	return postrx_base_prot(sk)->recvmsg(sk, msg, len, flags, addr_len);
}

static int postrx_setsockopt(struct sock *sk, int level, int optname,
			     sockptr_t optval, unsigned int optlen)
{
	/* Both would replace sk_prot and lose our ->close(). */
	if ((level == SOL_TCP && optname == TCP_ULP) ||
	    (level == SOL_IPV6 && optname == IPV6_ADDRFORM))
		return -EBUSY;
	return postrx_base_prot(sk)->setsockopt(sk, level, optname, optval,
						optlen);
}

static int postrx_getsockopt(struct sock *sk, int level, int optname,
			     char __user *optval, int __user *optlen)
{
	if (level == SOL_TCP && optname == TCP_ZEROCOPY_RECEIVE) {
		if (postrx_rx_refusal(sk) == -EBUSY)
			return -EBUSY;
		postrx_rx_plain_reader(sk);
	}
	return postrx_base_prot(sk)->getsockopt(sk, level, optname, optval,
						optlen);
}

static void postrx_build_prot(struct proto *prot, const struct proto *base)
{
	*prot = *base;
	prot->close = postrx_close;
	prot->disconnect = postrx_disconnect;
	prot->get_port = postrx_get_port;
	prot->shutdown = postrx_shutdown;
	prot->recvmsg = postrx_recvmsg;
	prot->setsockopt = postrx_setsockopt;
	prot->getsockopt = postrx_getsockopt;
}

/*
 * Our copy of @sk's proto, built on first use; NULL if @sk's proto is not
 * the one that created it.  Process context (it may sleep on the mutex).
 */
static struct proto *postrx_prot_for(struct sock *sk)
{
	int i = sk->sk_family == AF_INET6 ? POSTRX_PROT_V6 : POSTRX_PROT_V4;
	struct proto *base = READ_ONCE(sk->sk_prot);

	if (base != sk->sk_prot_creator)
		return NULL;
	/* Acquire: a base seen set comes with its complete copy. */
	if (unlikely(smp_load_acquire(&postrx_bases[i]) != base)) {
		mutex_lock(&postrx_prot_mutex);
		if (!postrx_bases[i]) {
			postrx_build_prot(&postrx_prots[i], base);
			/* Release: the copy is complete before its base. */
			smp_store_release(&postrx_bases[i], base);
		}
		mutex_unlock(&postrx_prot_mutex);
		/* Another proto of the same family: not TCP's own. */
		if (postrx_bases[i] != base)
			return NULL;
	}
	return &postrx_prots[i];
}
