// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: placement, the DMA write of the model.  For a classified flow
 * the engine claims the segment's payload range through postrx's driver
 * API, writes the payload into the posted pages it is handed and takes a
 * reference on each of them for the RX skb that will carry them as frags.
 */
#include <linux/highmem.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "engine.h"

/*
 * A packet tap on the device (tcpdump, an ETH_P_ALL packet socket, a
 * socket bound to this device for a protocol) keeps a clone of every skb
 * it sees and reads it later, when the buffer the frags point into may
 * have gone back to the application (DESIGN invariant 7).  While one is
 * attached the device places nothing: the payload goes in ordinary
 * buffers, and the consumer copies it.  Correct, only slower.
 */
static bool pxnic_tapped(struct net_device *dev)
{
	return dev_nit_active(dev) ||
	       !list_empty(&dev->ptype_specific);
}

/* What pxnic_write_payload() writes from: one segment of a TX skb. */
struct pxnic_write_src {
	const struct sk_buff	*tx;
	const struct pxnic_seg	*s;
	struct pxnic_claim	*c;
};

/*
 * Write @bv, one destination piece (contiguous, possibly spanning the
 * pages of a huge page), from @tx's bytes at @off.  Without highmem the
 * whole piece is in the direct map: one copy, where page by page each
 * call walks @tx's frags from the start again.  With highmem, page by
 * page, each mapped on its own.
 */
static int pxnic_write_piece(const struct sk_buff *tx, u32 off,
			     const struct bio_vec *bv)
{
	u32 done = 0;

	if (!IS_ENABLED(CONFIG_HIGHMEM))
		return skb_copy_bits(tx, off,
				     page_address(bv->bv_page) + bv->bv_offset,
				     bv->bv_len);
	while (done < bv->bv_len) {
		size_t pos = bv->bv_offset + done;
		u32 poff = offset_in_page(pos);
		u32 n = min_t(u32, bv->bv_len - done, PAGE_SIZE - poff);
		u8 *va;
		int err;

		va = kmap_local_page(nth_page(bv->bv_page, pos >> PAGE_SHIFT));
		err = skb_copy_bits(tx, off + done, va + poff, n);
		kunmap_local(va);
		if (err)
			return err;
		done += n;
	}
	return 0;
}

/*
 * The model's DMA write of one claim, called by postrx_place(): the
 * claimed payload into the posted pages, then a reference on each piece's
 * page for the skb's frags (on its folio, for a piece of a huge page),
 * taken before postrx_place() returns (after that the buffer may complete
 * and be unregistered).
 */
static int pxnic_write_payload(void *arg, const struct postrx_place *pl)
{
	const struct pxnic_write_src *src = arg;
	u32 off = src->s->pay_off + (pl->seq - src->s->seq);
	unsigned int i;
	u32 done = 0;

	if (WARN_ON_ONCE(pl->seq != src->s->seq || pl->len > src->s->pay_len ||
			 pl->nr_dst > POSTRX_PLACE_MAX_DST))
		return -EINVAL;
	for (i = 0; i < pl->nr_dst; i++) {
		const struct bio_vec *bv = &pl->dst[i];
		int err;

		if (WARN_ON_ONCE(bv->bv_offset >= PAGE_SIZE ||
				 bv->bv_len > POSTRX_PIECE_MAX ||
				 done + bv->bv_len > pl->len))
			return -EINVAL;
		err = pxnic_write_piece(src->tx, off + done, bv);
		if (err)
			return err;
		done += bv->bv_len;
	}
	if (done != pl->len)
		return -EINVAL;
	for (i = 0; i < pl->nr_dst; i++)
		get_page(pl->dst[i].bv_page);
	src->c->pinned = true;
	return 0;
}

/*
 * Classify @s and, for a flow in the table, claim and write its payload.
 * Returns 0 with @c filled and its pages referenced, or the reason for the
 * fallback (-ESRCH: no flow, -EPIPE: tapped; else postrx_place()'s
 * errno).  rcu_read_lock() is held from the lookup until postrx_place()
 * returns: that is what keeps the flow's memory valid after a concurrent
 * ->flow_del (flow.c; postrx then refuses the flow).
 */
int pxnic_place(struct pxnic_priv *priv, const struct sk_buff *tx,
		const struct pxnic_seg *s, struct pxnic_claim *c)
{
	struct pxnic_write_src src = { .tx = tx, .s = s, .c = c };
	struct postrx_flow *flow;
	int err;

	if (pxnic_tapped(priv->dev))
		return -EPIPE;
	rcu_read_lock();
	flow = pxnic_flow_lookup(&priv->flows, &s->key);
	err = flow ? postrx_place(flow, s->seq, s->pay_len, &c->pl,
				  pxnic_write_payload, &src) : -ESRCH;
	rcu_read_unlock();
	/*
	 * A claim is never given back.  If the write went wrong the skb
	 * carries copies instead; the consumer then copies over the claimed
	 * range as it does for a retransmission.
	 */
	if (err)
		return err;
	c->off = 0;
	c->len = c->pl.len;
	return 0;
}

/*
 * Drop the page references that pxnic_place() took, unless an RX skb took
 * them over (pxnic_add_placed() clears @pinned).
 */
void pxnic_claim_release(struct pxnic_claim *c)
{
	unsigned int i;

	if (!c->pinned)
		return;
	for (i = 0; i < c->pl.nr_dst; i++)
		put_page(c->pl.dst[i].bv_page);
	c->pinned = false;
}
