// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: building the header-split RX skbs.  The headers go in the linear
 * area; the payload is the placed pieces (page frags pointing at the
 * posted buffer) and copies in the device's ordinary RX pages.  A TSO
 * super-segment becomes one RX skb with GSO metadata, as after LRO/GRO;
 * one larger than an skb's frags can hold (BIG TCP) is built in pieces,
 * chained on the first one's frag list (engine.c).
 */
#include <linux/etherdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip6_checksum.h>
#include <net/tcp.h>

#include "engine.h"

/*
 * The header-split part: Ethernet + IP + TCP headers, nothing else.  A
 * later piece of a super-segment has none (hdr_len 0): an empty skb.
 */
static struct sk_buff *pxnic_alloc_hdr(struct pxnic_priv *priv,
				       const struct sk_buff *tx,
				       const struct pxnic_seg *s)
{
	struct sk_buff *skb;

	skb = __netdev_alloc_skb_ip_align(priv->dev, s->hdr_len, GFP_KERNEL);
	if (!skb)
		return NULL;
	if (skb_copy_bits(tx, 0, skb_put(skb, s->hdr_len), s->hdr_len)) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * Copy payload [@off, @off + @len) of @tx into fresh RX pages appended to
 * @skb as frags: the device's ordinary receive buffers.  Order-0 pages,
 * as a NIC's page pool hands out, when they fit in the frags left: that is
 * what TCP_ZEROCOPY_RECEIVE can map into user space.  Only a payload that
 * would need more frags uses compound pages (up to
 * PAGE_ALLOC_COSTLY_ORDER).  @xor flips every byte (fault_forge).
 */
static int pxnic_add_copy(struct sk_buff *skb, const struct sk_buff *tx,
			  unsigned int off, unsigned int len, bool xor)
{
	while (len) {
		unsigned int order, chunk, i;
		struct page *page = NULL;
		u8 *va;

		if (skb_shinfo(skb)->nr_frags >= MAX_SKB_FRAGS)
			return -E2BIG;
		order = 0;
		if (skb_shinfo(skb)->nr_frags + DIV_ROUND_UP(len, PAGE_SIZE) >
		    MAX_SKB_FRAGS)
			order = min_t(unsigned int, get_order(len),
				      PAGE_ALLOC_COSTLY_ORDER);
		for (;;) {
			gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;

			if (order)
				gfp |= __GFP_COMP | __GFP_NORETRY;
			page = alloc_pages(gfp, order);
			if (page)
				break;
			if (!order)
				return -ENOMEM;
			order--;
		}
		chunk = min_t(unsigned int, len, PAGE_SIZE << order);
		/* Lowmem pages: page_address() covers the whole compound. */
		va = page_address(page);
		if (skb_copy_bits(tx, off, va, chunk)) {
			__free_pages(page, order);
			return -EFAULT;
		}
		if (xor)
			for (i = 0; i < chunk; i++)
				va[i] ^= 0xff;
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, chunk,
				PAGE_SIZE << order);
		off += chunk;
		len -= chunk;
	}
	return 0;
}

/* Attach the placed pieces; their pages were referenced at claim time. */
static int pxnic_add_placed(struct sk_buff *skb, struct pxnic_claim *c)
{
	unsigned int i;

	if (skb_shinfo(skb)->nr_frags + c->pl.nr_dst > MAX_SKB_FRAGS)
		return -E2BIG;
	for (i = 0; i < c->pl.nr_dst; i++) {
		struct bio_vec *bv = &c->pl.dst[i];

		/*
		 * The skb now owns this page reference, which keeps the whole
		 * page from being freed for as long as the skb lives (in the
		 * out-of-order queue, behind a cancel), even after the
		 * application unregistered the buffer: charge the pages the
		 * frag touches, as a driver charges the buffer a frame landed
		 * in.  A piece of a huge-page buffer pins its whole folio;
		 * only the pages it spans are charged, since the registration
		 * pins the folio anyway while the buffer is in use.
		 */
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, bv->bv_page,
				bv->bv_offset, bv->bv_len,
				PAGE_ALIGN(bv->bv_offset + bv->bv_len));
	}
	c->pinned = false;
	return 0;
}

/*
 * Checksum and GSO state of a finished RX skb.  A segment whose checksum
 * failed is delivered CHECKSUM_NONE so that TCP verifies and drops it.  A
 * verified or trusted single segment is CHECKSUM_UNNECESSARY.  A
 * coalesced super-segment is marked like GRO output (tcp_gro_complete()):
 * gso_size/gso_type/gso_segs for TCP's MSS estimate and ACK pacing, and
 * CHECKSUM_PARTIAL with the pseudo-header sum in th->check, which local
 * delivery treats as verified and which stays valid if the host forwards
 * the skb and segments it again.
 */
void pxnic_finish(struct pxnic_priv *priv, struct sk_buff *skb,
		  const struct sk_buff *tx, const struct pxnic_seg *s)
{
	unsigned int mss = skb_is_gso(tx) ? skb_shinfo(tx)->gso_size : 0;

	skb->protocol = eth_type_trans(skb, priv->dev);
	skb_record_rx_queue(skb, 0);
	if (!s->csum_ok) {
		skb->ip_summed = CHECKSUM_NONE;
		return;
	}
	if (mss && s->pay_len > mss) {
		struct tcphdr *th = (struct tcphdr *)(skb->data + s->l4_off -
						      ETH_HLEN);

		skb_shinfo(skb)->gso_size = mss;
		skb_shinfo(skb)->gso_segs = DIV_ROUND_UP(s->pay_len, mss);
		if (s->key.family == AF_INET) {
			skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
			th->check = ~tcp_v4_check(s->l4_len,
						  s->key.saddr.s6_addr32[0],
						  s->key.daddr.s6_addr32[0], 0);
		} else {
			skb_shinfo(skb)->gso_type = SKB_GSO_TCPV6;
			th->check = ~tcp_v6_check(s->l4_len, &s->key.saddr,
						  &s->key.daddr, 0);
		}
		skb_partial_csum_set(skb, s->l4_off - ETH_HLEN,
				     offsetof(struct tcphdr, check));
		return;
	}
	skb->ip_summed = CHECKSUM_UNNECESSARY;
}

/*
 * Chain @skb, a later piece of @head's super-segment, on @head's frag
 * list after *@last, as GRO does (skb_gro_receive()): @head's length and
 * truesize then cover it, and freeing @head frees it.
 */
void pxnic_chain(struct sk_buff *head, struct sk_buff **last,
		 struct sk_buff *skb)
{
	if (*last)
		(*last)->next = skb;
	else
		skb_shinfo(head)->frag_list = skb;
	*last = skb;
	head->len += skb->len;
	head->data_len += skb->len;
	head->truesize += skb->truesize;
}

/*
 * An RX skb carrying the payload of @s in ordinary RX pages; unfinished
 * (pxnic_finish() is the caller's, once per RX skb).
 */
struct sk_buff *pxnic_build_copy(struct pxnic_priv *priv,
				 const struct sk_buff *tx,
				 const struct pxnic_seg *s, bool xor)
{
	struct sk_buff *skb = pxnic_alloc_hdr(priv, tx, s);

	if (!skb)
		return NULL;
	if (pxnic_add_copy(skb, tx, s->pay_off, s->pay_len, xor)) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}

/*
 * An RX skb whose payload is: the bytes before the claim (copied), the
 * placed pieces, the bytes after the claim (copied).  -E2BIG when that
 * needs more than MAX_SKB_FRAGS.  Unfinished, as above.
 */
struct sk_buff *pxnic_build_placed(struct pxnic_priv *priv,
				   const struct sk_buff *tx,
				   const struct pxnic_seg *s,
				   struct pxnic_claim *c)
{
	unsigned int end = c->off + c->len;
	struct sk_buff *skb;

	skb = pxnic_alloc_hdr(priv, tx, s);
	if (!skb)
		return NULL;
	if (pxnic_add_copy(skb, tx, s->pay_off, c->off, false) ||
	    pxnic_add_placed(skb, c) ||
	    pxnic_add_copy(skb, tx, s->pay_off + end, s->pay_len - end,
			   false)) {
		kfree_skb(skb);
		return NULL;
	}
	return skb;
}
