// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: bounce copies.  When posted ranges end before the consumer
 * reached bytes a device placed in them (cancel, ring exit,
 * shutdown(SHUT_RD)), the stream goes on, but the memory goes back to the
 * application.  The skbs that carry those bytes point into that memory
 * and may sit anywhere between the device and the reader: the receive
 * queue, the out-of-order queue, the backlog, or still on their way.
 *
 * DESIGN invariant 7: no reader of any kind may obtain bytes from memory
 * that went back to the application.  So before such ranges complete,
 * place.c copies every placed byte ahead of the consumer into kernel pages
 * here ("bounce" copies), and every frag TCP holds that points at those
 * bytes is re-pointed at the copy (postrx_bounce_repoint()).  A frag that
 * was still on its way is re-pointed when it reaches the receive queue:
 * postrx_data_ready() runs before any reader can see it, since readers
 * need the socket lock that TCP's receive path holds.  postrx's own
 * consumer also finds the copies by sequence number, for frags it meets
 * before that (postrx_bounce_find()).
 *
 * What this does not reach: a segment still out of order when memory
 * pressure makes TCP collapse its out-of-order queue before the gap is
 * filled (the collapse copies from the frag; rare, and only after an early
 * end); and packet taps, which pxnic avoids by placing nothing while one
 * is attached to the device.
 *
 * The copies live in whole pages, packed, each entry holding a page
 * reference so that a re-pointed frag can share it.  They are charged to
 * the memory cgroup of the task that ends the ranges (__GFP_ACCOUNT).
 * Their volume is bounded by what a device may place ahead: the receive
 * window.  They are not added to the socket's sk_rmem_alloc: TCP would
 * count them against the receive buffer and could drop the very segments
 * whose arrival frees them.
 *
 * Locking: the socket lock (the bounce list); the pages are immutable once
 * filled.
 */
#include <linux/sched/mm.h>
#include <linux/skbuff_ref.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <net/tcp.h>

#include "postrx.h"

/*
 * Copy the piece @bv, which may span the pages of a compound page (up to
 * POSTRX_PIECE_MAX, place.c), into lowmem at @dst.  A bvec iterator maps
 * one page at a time, as a piece in highmem needs.
 */
static void postrx_bounce_copy(u8 *dst, const struct bio_vec *bv)
{
	struct iov_iter from;
	size_t n;

	iov_iter_bvec(&from, ITER_SOURCE, bv, 1, bv->bv_len);
	n = copy_from_iter(dst, bv->bv_len, &from);
	/* A bvec source cannot fault: all of it, always. */
	WARN_ON_ONCE(n != bv->bv_len);
}

/*
 * A page of @order for bounce copies, compound above order 0.  The page
 * allocator takes __GFP_NOFAIL (shutdown(), which cannot fail) only up to
 * order 1, and warns above it: there the allocation is retried, with
 * reclaim and compaction each time, as the allocator itself would.  May
 * sleep: bounce copies are made only from postrx_place_pause_and_bounce(),
 * in process context with the socket owned (lock_sock), under no
 * spinlock.
 */
static struct page *postrx_bounce_alloc(gfp_t gfp, unsigned int order)
{
	struct page *page;

	if (order)
		gfp |= __GFP_COMP;
	if (order <= 1 || !(gfp & __GFP_NOFAIL))
		return alloc_pages(gfp, order);
	gfp = (gfp & ~__GFP_NOFAIL) | __GFP_RETRY_MAYFAIL;
	for (;;) {
		page = alloc_pages(gfp, order);
		if (page)
			return page;
		memalloc_retry_wait(gfp);
	}
}

/*
 * Copy @bv (stream bytes from @seq) into @pk's pages and remember it.  An
 * entry is contiguous, as the frag it may stand in for: a piece longer
 * than a page gets a compound page of its own order (at most
 * PAGE_ALLOC_COSTLY_ORDER), shorter ones are packed.
 */
int postrx_bounce_add(struct postrx_chan *chan, struct postrx_bounce_pack *pk,
		      u32 seq, const struct bio_vec *bv, gfp_t gfp)
{
	struct postrx_bounce *b;

	b = kmalloc(sizeof(*b), gfp);
	if (!b)
		return -ENOMEM;
	if (!pk->page || page_size(pk->page) - pk->used < bv->bv_len) {
		struct page *page;

		page = postrx_bounce_alloc(gfp, get_order(bv->bv_len));
		if (!page) {
			kfree(b);
			return -ENOMEM;
		}
		postrx_bounce_pack_done(pk);
		pk->page = page;
		pk->used = 0;
	}
	b->seq = seq;
	b->len = bv->bv_len;
	b->page = bv->bv_page;
	b->off = bv->bv_offset;
	b->bpage = pk->page;
	b->boff = pk->used;
	get_page(b->bpage);
	/* Not __GFP_HIGHMEM: the whole compound page is in the direct map. */
	postrx_bounce_copy(page_address(b->bpage) + b->boff, bv);
	pk->used += bv->bv_len;
	list_add_tail(&b->node, &chan->bounce);
	chan->bounced_bytes += b->len;
	return 0;
}

/* The packer lets go of its page; entries keep theirs. */
void postrx_bounce_pack_done(struct postrx_bounce_pack *pk)
{
	if (pk->page)
		put_page(pk->page);
	pk->page = NULL;
}

static void postrx_bounce_del(struct postrx_bounce *b)
{
	list_del(&b->node);
	put_page(b->bpage);
	kfree(b);
}

/* Undo the entries added after @mark (an earlier list tail). */
void postrx_bounce_drop_since(struct postrx_chan *chan, struct list_head *mark)
{
	while (chan->bounce.prev != mark) {
		struct postrx_bounce *b;

		b = list_last_entry(&chan->bounce, struct postrx_bounce, node);
		chan->bounced_bytes -= b->len;
		postrx_bounce_del(b);
	}
}

/* Forget copies of bytes before @seq: TCP will not deliver them again. */
void postrx_bounce_consumed(struct postrx_chan *chan, u32 seq)
{
	struct postrx_bounce *b, *tmp;

	list_for_each_entry_safe(b, tmp, &chan->bounce, node) {
		if (after(b->seq + b->len, seq))
			break;
		postrx_bounce_del(b);
	}
}

void postrx_bounce_free(struct postrx_chan *chan)
{
	struct postrx_bounce *b, *tmp;

	list_for_each_entry_safe(b, tmp, &chan->bounce, node)
		postrx_bounce_del(b);
}

/*
 * The bounce copy of the byte at @seq that a device placed at @page/@off,
 * if any, and in *@d its offset in the entry.  The list is in stream
 * order: each early end copies what lies ahead of every earlier one.
 */
const struct postrx_bounce *postrx_bounce_find(struct postrx_chan *chan,
					       u32 seq, struct page *page,
					       u32 off, u32 *d)
{
	const struct postrx_bounce *b;

	list_for_each_entry(b, &chan->bounce, node) {
		if (before(seq, b->seq))
			break;
		*d = seq - b->seq;
		if (*d >= b->len)
			continue;
		/* The entry's byte *@d may lie in a later page of its piece. */
		if (nth_page(b->page, (b->off + *d) >> PAGE_SHIFT) != page ||
		    offset_in_page(b->off + *d) != off)
			return NULL;
		return b;
	}
	return NULL;
}

/*
 * Re-point each frag of @skb (stream bytes from @seq) that shows bounced
 * bytes in the application's memory at the bounce copy.  A placed frag is
 * one destination piece, which never crosses the end of a bounce entry
 * (place.c: both end at the same boundaries), so one entry covers it.
 */
static void postrx_bounce_repoint_skb(struct postrx_chan *chan,
				      struct sk_buff *skb, u32 seq)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	u32 offset = skb_headlen(skb);
	struct sk_buff *frag_iter;
	int i;

	for (i = 0; i < shinfo->nr_frags; i++) {
		skb_frag_t *frag = &shinfo->frags[i];
		u32 size = skb_frag_size(frag);
		u32 pos = skb_frag_off(frag);
		const struct postrx_bounce *b;
		u32 d;

		b = postrx_bounce_find(chan, seq + offset,
				       nth_page(skb_frag_page(frag),
						pos >> PAGE_SHIFT),
				       offset_in_page(pos), &d);
		if (b && b->len - d >= size) {
			get_page(b->bpage);
			skb_frag_unref(skb, i);
			skb_frag_fill_page_desc(frag, b->bpage, b->boff + d,
						size);
		}
		offset += size;
	}
	skb_walk_frags(skb, frag_iter) {
		postrx_bounce_repoint_skb(chan, frag_iter, seq + offset);
		offset += frag_iter->len;
	}
}

/*
 * Re-point every frag TCP holds for @chan's socket that shows bounced
 * bytes: in the receive queue (readers take from there) and in the
 * out-of-order queue (which joins it later).  Socket locked: by the owner,
 * or by TCP's receive path.
 */
void postrx_bounce_repoint(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;
	struct sk_buff *skb;
	struct rb_node *p;

	if (list_empty(&chan->bounce))
		return;
	skb_queue_walk(&sk->sk_receive_queue, skb)
		postrx_bounce_repoint_skb(chan, skb, TCP_SKB_CB(skb)->seq);
	for (p = rb_first(&tcp_sk(sk)->out_of_order_queue); p; p = rb_next(p)) {
		skb = rb_to_skb(p);
		postrx_bounce_repoint_skb(chan, skb, TCP_SKB_CB(skb)->seq);
	}
}
