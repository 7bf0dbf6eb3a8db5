/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pxnic: what the files of the receive engine share.  engine.c runs the
 * loop and calls, per frame, parse.c (parse and verify), dma.c (claim and
 * write the payload of a classified flow), rxskb.c (build the RX skb),
 * fault.c (the fault knobs) and rxring.c (the RX ring and NAPI).  All of
 * it runs in the device's engine thread, except pxnic_napi_poll().
 */
#ifndef _PXNIC_ENGINE_H
#define _PXNIC_ENGINE_H

#include <linux/skbuff.h>

#include "pxnic.h"

/* A TCP segment as parsed off the wire. */
struct pxnic_seg {
	struct postrx_flow_key	key;
	unsigned int		l4_off;		/* TCP header */
	unsigned int		l4_len;		/* TCP header + payload */
	unsigned int		hdr_len;	/* Ethernet + IP + TCP headers */
	unsigned int		pay_off;	/* the payload's offset in the frame */
	unsigned int		pay_len;
	u32			seq;
	bool			csum_ok;
};

/* Where a claim put its bytes: payload [off, off + len) in @pl->dst[]. */
struct pxnic_claim {
	struct postrx_place	pl;
	unsigned int		off;
	unsigned int		len;
	bool			pinned;		/* pl.dst[] pages referenced */
};

static inline void pxnic_stat_add(struct pxnic_priv *priv,
				  enum pxnic_stat idx, u64 val)
{
	u64_stats_update_begin(&priv->stats.syncp);
	u64_stats_add(&priv->stats.v[idx], val);
	u64_stats_update_end(&priv->stats.syncp);
}

static inline void pxnic_stat_inc(struct pxnic_priv *priv,
				  enum pxnic_stat idx)
{
	pxnic_stat_add(priv, idx, 1);
}

/* parse.c */
bool pxnic_parse(struct pxnic_priv *priv, const struct sk_buff *skb,
		 struct pxnic_seg *s);

/* dma.c */
int pxnic_place(struct pxnic_priv *priv, const struct sk_buff *tx,
		const struct pxnic_seg *s, struct pxnic_claim *c);
void pxnic_claim_release(struct pxnic_claim *c);

/* rxskb.c */
struct sk_buff *pxnic_build_copy(struct pxnic_priv *priv,
				 const struct sk_buff *tx,
				 const struct pxnic_seg *s, bool xor);
struct sk_buff *pxnic_build_placed(struct pxnic_priv *priv,
				   const struct sk_buff *tx,
				   const struct pxnic_seg *s,
				   struct pxnic_claim *c);
void pxnic_chain(struct sk_buff *head, struct sk_buff **last,
		 struct sk_buff *skb);
void pxnic_finish(struct pxnic_priv *priv, struct sk_buff *skb,
		  const struct sk_buff *tx, const struct pxnic_seg *s);

/* rxring.c */
void pxnic_rx_interrupt(struct pxnic_priv *priv);
void pxnic_rx_enqueue(struct pxnic_priv *priv, struct sk_buff *skb);

/* fault.c */
bool pxnic_nth(const u32 *knob, u32 *count);
void pxnic_deliver(struct pxnic_priv *priv, struct sk_buff *skb,
		   bool data, bool placed, struct sk_buff *forged);
void pxnic_flush_held(struct pxnic_priv *priv);

#endif /* _PXNIC_ENGINE_H */
