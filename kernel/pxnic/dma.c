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

/*
 * Classify @s and, for a flow in the table, claim and write its payload.
 * Returns 0 with @c filled and its pages referenced, or the reason for the
 * fallback (-ESRCH: no flow; else postrx_place_begin()'s errno).
 *
 * rcu_read_lock() is held from the lookup to postrx_place_end(): that is
 * what keeps the flow's memory valid after a concurrent ->flow_del
 * (flow.c; postrx then refuses the flow).  The page references are
 * taken while the write is still marked in flight (before
 * postrx_place_end()), so the destination cannot complete and be
 * unregistered before the skb owns its pages.
 */
int pxnic_place(struct pxnic_priv *priv, const struct sk_buff *tx,
		const struct pxnic_seg *s, struct pxnic_claim *c)
{
	struct postrx_flow *flow;
	unsigned int i, done = 0;
	bool bad = false;
	int err;

	if (pxnic_tapped(priv->dev))
		return -EPIPE;
	rcu_read_lock();
	flow = pxnic_flow_lookup(&priv->flows, &s->key);
	if (!flow) {
		err = -ESRCH;
		goto out;
	}
	err = postrx_place_begin(flow, s->seq, s->pay_len, &c->pl);
	if (err)
		goto out;

	c->off = c->pl.seq - s->seq;
	c->len = c->pl.len;
	if (WARN_ON_ONCE(c->off > s->pay_len || c->len > s->pay_len - c->off ||
			 c->pl.nr_dst > POSTRX_PLACE_MAX_DST))
		bad = true;
	for (i = 0; !bad && i < c->pl.nr_dst; i++) {
		struct bio_vec *bv = &c->pl.dst[i];
		u8 *va;

		if (WARN_ON_ONCE(bv->bv_offset + bv->bv_len > PAGE_SIZE ||
				 done + bv->bv_len > c->len)) {
			bad = true;
			break;
		}
		/* The DMA write of the model: payload into the posted page. */
		va = kmap_local_page(bv->bv_page);
		if (skb_copy_bits(tx, s->hdr_len + c->off + done,
				  va + bv->bv_offset, bv->bv_len))
			bad = true;
		kunmap_local(va);
		done += bv->bv_len;
	}
	if (!bad && done != c->len)
		bad = true;
	if (!bad) {
		for (i = 0; i < c->pl.nr_dst; i++)
			get_page(c->pl.dst[i].bv_page);
		c->pinned = true;
	}
	postrx_place_end(flow, &c->pl);
	/*
	 * A claim is never given back.  If the write went wrong the skb
	 * carries copies instead; the consumer then copies over the claimed
	 * range as it does for a retransmission.
	 */
	if (bad)
		err = -EINVAL;
out:
	rcu_read_unlock();
	return err;
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
