// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: fault injection.  The engine drops placed segments, duplicates,
 * holds back and forges data skbs on the way to the RX ring, every Nth
 * time as the fault knobs say, as a misbehaving NIC or wire would.
 */
#include <linux/skbuff.h>

#include "engine.h"

bool pxnic_nth(unsigned int *param, u32 *count)
{
	unsigned int n = READ_ONCE(*param);

	return n && ++*count % n == 0;
}

/*
 * Deliver one data or control skb, applying the fault knobs.  @placed
 * says it carries placed bytes; @forged is an injected in-window
 * duplicate of it, delivered right after it and never before.
 */
void pxnic_deliver(struct pxnic_priv *priv, struct sk_buff *skb,
		   bool data, bool placed, struct sk_buff *forged)
{
	struct sk_buff *dup = NULL, *held = NULL;

	if (placed && pxnic_nth(&pxnic_fault_drop_placed, &priv->n_placed)) {
		/* Dropped after the write: the claim stays, TCP retransmits. */
		kfree_skb(skb);
		kfree_skb(forged);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FAULT_DROP);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_DROPS);
		return;
	}
	if (data) {
		if (pxnic_nth(&pxnic_fault_dup, &priv->n_dup)) {
			/* Own headers, shared frags: GRO may edit headers. */
			dup = pskb_copy(skb, GFP_KERNEL);
			if (dup)
				pxnic_stat_inc(priv, PXNIC_STAT_RX_FAULT_DUP);
		}
		/* Hold back the Nth one; never one with a forged copy. */
		if (!forged && !priv->held &&
		    pxnic_nth(&pxnic_fault_reorder, &priv->n_reorder)) {
			priv->held = skb;
			skb = NULL;
			pxnic_stat_inc(priv, PXNIC_STAT_RX_FAULT_REORDER);
		} else {
			held = priv->held;
			priv->held = NULL;
		}
	}
	if (skb)
		pxnic_rx_enqueue(priv, skb);
	if (dup)
		pxnic_rx_enqueue(priv, dup);
	if (forged) {
		pxnic_rx_enqueue(priv, forged);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FAULT_FORGE);
	}
	if (held)
		pxnic_rx_enqueue(priv, held);
}

/* The engine goes idle: a held-back skb is delivered now. */
void pxnic_flush_held(struct pxnic_priv *priv)
{
	struct sk_buff *held = priv->held;

	if (held) {
		priv->held = NULL;
		pxnic_rx_enqueue(priv, held);
	}
}
