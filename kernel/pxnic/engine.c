// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: the receive DMA engine and the RX ring.
 *
 * Models the receive half of a NIC.  One kernel thread per device stands
 * for the NIC's DMA engine: its CPU time is the NIC's, which is why it is
 * a thread of its own and why ethtool reports its pid and runtime.  For
 * every frame that the peer put on the wire it
 *
 *  1. parses Ethernet + IPv4/IPv6 + TCP (anything else passes through, as
 *     on a NIC without offloads for it),
 *  2. verifies the TCP checksum unless the sender's TX "hardware" fills it
 *     in (CHECKSUM_PARTIAL: the virtual wire is trusted),
 *  3. looks the segment up in the flow table and, for a classified flow,
 *     writes the payload into the posted buffer that postrx hands out
 *     (postrx_place() with pxnic_write_payload()),
 *  4. builds a header-split RX skb: the headers in the linear area, the
 *     placed pieces as page frags, the rest of the payload copied into the
 *     device's ordinary RX pages.  A TSO super-segment arrives as one RX
 *     skb with GSO metadata, as after LRO/GRO,
 *  5. puts it on the RX ring, waiting for NAPI when the ring is full.
 *
 * NAPI is threaded, so the host's receive work runs in the NAPI thread
 * and not in the engine thread.
 */
#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/highmem.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/ip6_checksum.h>
#include <net/ip.h>
#include <net/tcp.h>

#include "pxnic.h"

/* A TCP segment as parsed off the wire. */
struct pxnic_seg {
	struct postrx_flow_key	key;
	unsigned int		l4_off;		/* TCP header */
	unsigned int		l4_len;		/* TCP header + payload */
	unsigned int		hdr_len;	/* Ethernet + IP + TCP headers */
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

static void pxnic_stat_add(struct pxnic_priv *priv, enum pxnic_stat idx,
			   u64 val)
{
	u64_stats_update_begin(&priv->stats.syncp);
	u64_stats_add(&priv->stats.v[idx], val);
	u64_stats_update_end(&priv->stats.syncp);
}

static void pxnic_stat_inc(struct pxnic_priv *priv, enum pxnic_stat idx)
{
	pxnic_stat_add(priv, idx, 1);
}

/* ---- parsing and checksum ---------------------------------------------- */

static bool pxnic_parse_ipv4(const struct sk_buff *skb, struct pxnic_seg *s,
			     bool verify)
{
	u8 buf[60];	/* the longest IPv4 header */
	const struct iphdr *iph;
	unsigned int ihl, tot;

	iph = skb_header_pointer(skb, ETH_HLEN, sizeof(*iph), buf);
	if (!iph || iph->version != 4 || iph->ihl < 5 ||
	    iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return false;
	ihl = iph->ihl * 4;
	tot = ntohs(iph->tot_len);
	if (tot < ihl || ETH_HLEN + tot > skb->len)
		return false;
	if (verify) {
		/* netem corrupt may have flipped a bit in here too. */
		iph = skb_header_pointer(skb, ETH_HLEN, ihl, buf);
		if (!iph || ip_fast_csum(iph, iph->ihl))
			s->csum_ok = false;
	}
	s->key.family = AF_INET;
	s->key.saddr.s6_addr32[0] = iph->saddr;
	s->key.daddr.s6_addr32[0] = iph->daddr;
	s->l4_off = ETH_HLEN + ihl;
	s->l4_len = tot - ihl;
	return true;
}

static bool pxnic_parse_ipv6(const struct sk_buff *skb, struct pxnic_seg *s)
{
	struct ipv6hdr _ip6h;
	const struct ipv6hdr *ip6h;
	unsigned int plen;

	ip6h = skb_header_pointer(skb, ETH_HLEN, sizeof(_ip6h), &_ip6h);
	if (!ip6h || ip6h->version != 6 || ip6h->nexthdr != IPPROTO_TCP)
		return false;
	plen = ntohs(ip6h->payload_len);
	if (!plen || ETH_HLEN + sizeof(*ip6h) + plen > skb->len)
		return false;	/* a jumbogram (BIG TCP) is not parsed */
	s->key.family = AF_INET6;
	s->key.saddr = ip6h->saddr;
	s->key.daddr = ip6h->daddr;
	s->l4_off = ETH_HLEN + sizeof(*ip6h);
	s->l4_len = plen;
	return true;
}

static bool pxnic_tcp_csum_ok(const struct sk_buff *skb,
			      const struct pxnic_seg *s)
{
	__wsum csum = skb_checksum(skb, s->l4_off, s->l4_len, 0);

	if (s->key.family == AF_INET)
		return !csum_tcpudp_magic(s->key.saddr.s6_addr32[0],
					  s->key.daddr.s6_addr32[0],
					  s->l4_len, IPPROTO_TCP, csum);
	return !csum_ipv6_magic(&s->key.saddr, &s->key.daddr, s->l4_len,
				IPPROTO_TCP, csum);
}

/*
 * Parse @skb as Ethernet + IPv4 (not a fragment) or IPv6 (TCP as the next
 * header) + TCP, and check the checksums that the wire does not vouch for.
 */
static bool pxnic_parse(struct pxnic_priv *priv, const struct sk_buff *skb,
			struct pxnic_seg *s)
{
	bool verify = skb->ip_summed != CHECKSUM_PARTIAL;
	const struct ethhdr *eth;
	const struct tcphdr *th;
	struct tcphdr _th;
	struct ethhdr _eth;
	unsigned int doff;
	bool ok;

	memset(s, 0, sizeof(*s));
	s->csum_ok = true;
	eth = skb_header_pointer(skb, 0, sizeof(_eth), &_eth);
	if (!eth)
		return false;
	if (eth->h_proto == htons(ETH_P_IP))
		ok = pxnic_parse_ipv4(skb, s, verify);
	else if (eth->h_proto == htons(ETH_P_IPV6))
		ok = pxnic_parse_ipv6(skb, s);
	else
		ok = false;
	if (!ok)
		return false;

	th = skb_header_pointer(skb, s->l4_off, sizeof(_th), &_th);
	if (!th)
		return false;
	doff = th->doff * 4;
	if (doff < sizeof(*th) || doff > s->l4_len)
		return false;
	s->key.net = dev_net(priv->dev);
	s->key.sport = th->source;
	s->key.dport = th->dest;
	s->seq = ntohl(th->seq);
	s->hdr_len = s->l4_off + doff;
	s->pay_len = s->l4_len - doff;
	if (verify && s->csum_ok)
		s->csum_ok = pxnic_tcp_csum_ok(skb, s);
	return true;
}

/* ---- building RX skbs -------------------------------------------------- */

/* The header-split part: Ethernet + IP + TCP headers, nothing else. */
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
		 * application unregistered the buffer: charge the page, as a
		 * driver charges the buffer a frame landed in.  A page of a
		 * huge-page buffer pins its whole folio; one base page is
		 * charged for it too, since the registration pins the folio
		 * anyway while the buffer is in use.
		 */
		skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, bv->bv_page,
				bv->bv_offset, bv->bv_len, PAGE_SIZE);
	}
	c->pinned = false;
	return 0;
}

static void pxnic_claim_release(struct pxnic_claim *c)
{
	unsigned int i;

	if (!c->pinned)
		return;
	for (i = 0; i < c->pl.nr_dst; i++)
		put_page(c->pl.dst[i].bv_page);
	c->pinned = false;
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
static void pxnic_finish(struct pxnic_priv *priv, struct sk_buff *skb,
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

/* An RX skb carrying the whole payload in ordinary RX pages. */
static struct sk_buff *pxnic_build_copy(struct pxnic_priv *priv,
					const struct sk_buff *tx,
					const struct pxnic_seg *s, bool xor)
{
	struct sk_buff *skb = pxnic_alloc_hdr(priv, tx, s);

	if (!skb)
		return NULL;
	if (pxnic_add_copy(skb, tx, s->hdr_len, s->pay_len, xor)) {
		kfree_skb(skb);
		return NULL;
	}
	pxnic_finish(priv, skb, tx, s);
	return skb;
}

/*
 * An RX skb whose payload is: the bytes before the claim (copied), the
 * placed pieces, the bytes after the claim (copied).  -E2BIG when that
 * needs more than MAX_SKB_FRAGS.
 */
static struct sk_buff *pxnic_build_placed(struct pxnic_priv *priv,
					  const struct sk_buff *tx,
					  const struct pxnic_seg *s,
					  struct pxnic_claim *c)
{
	unsigned int end = c->off + c->len;
	struct sk_buff *skb;

	skb = pxnic_alloc_hdr(priv, tx, s);
	if (!skb)
		return NULL;
	if (pxnic_add_copy(skb, tx, s->hdr_len, c->off, false) ||
	    pxnic_add_placed(skb, c) ||
	    pxnic_add_copy(skb, tx, s->hdr_len + end, s->pay_len - end,
			   false)) {
		kfree_skb(skb);
		return NULL;
	}
	pxnic_finish(priv, skb, tx, s);
	return skb;
}

/* ---- placement --------------------------------------------------------- */

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
 * The model's DMA write of one claim, called by postrx_place(): the
 * claimed payload into the posted pages, then a reference on each page
 * for the skb's frags, taken before postrx_place() returns (after that
 * the buffer may complete and be unregistered).
 */
static int pxnic_write_payload(void *arg, const struct postrx_place *pl)
{
	const struct pxnic_write_src *src = arg;
	u32 off = src->s->hdr_len + (pl->seq - src->s->seq);
	unsigned int i;
	u32 done = 0;

	if (WARN_ON_ONCE(pl->seq != src->s->seq || pl->len > src->s->pay_len ||
			 pl->nr_dst > POSTRX_PLACE_MAX_DST))
		return -EINVAL;
	for (i = 0; i < pl->nr_dst; i++) {
		const struct bio_vec *bv = &pl->dst[i];
		u8 *va;
		int err;

		if (WARN_ON_ONCE(bv->bv_offset + bv->bv_len > PAGE_SIZE ||
				 done + bv->bv_len > pl->len))
			return -EINVAL;
		va = kmap_local_page(bv->bv_page);
		err = skb_copy_bits(src->tx, off + done, va + bv->bv_offset,
				    bv->bv_len);
		kunmap_local(va);
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
static int pxnic_place(struct pxnic_priv *priv, const struct sk_buff *tx,
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

/* ---- the RX ring and NAPI ---------------------------------------------- */

static void pxnic_kick_napi(struct pxnic_priv *priv)
{
	/* Threaded NAPI: this wakes the NAPI thread. */
	local_bh_disable();
	napi_schedule(&priv->napi);
	local_bh_enable();
}

/* Wake NAPI for every skb the ring holds. */
static void pxnic_rx_interrupt(struct pxnic_priv *priv)
{
	priv->rx_pending = 0;
	pxnic_kick_napi(priv);
}

/* One more skb on the ring: wake NAPI now, or later (moderation). */
static void pxnic_rx_moderate(struct pxnic_priv *priv)
{
	u32 frames = READ_ONCE(priv->rx_frames);
	u32 usecs = READ_ONCE(priv->rx_usecs);
	u64 now;

	if (!frames && !usecs) {
		pxnic_rx_interrupt(priv);
		return;
	}
	now = ktime_get_ns();
	if (!priv->rx_pending++)
		priv->rx_first_ns = now;
	if ((frames && priv->rx_pending >= frames) ||
	    (usecs && now - priv->rx_first_ns >= usecs * NSEC_PER_USEC))
		pxnic_rx_interrupt(priv);
}

/*
 * Put @skb on the RX ring.  A full ring is backpressure: wait until NAPI
 * has taken some (it wakes rx_wq), never spin and never drop.
 */
static void pxnic_rx_enqueue(struct pxnic_priv *priv, struct sk_buff *skb)
{
	unsigned int len = skb->len + ETH_HLEN;

	while (__ptr_ring_produce(&priv->rx_ring, skb)) {
		pxnic_stat_inc(priv, PXNIC_STAT_RX_RING_FULL);
		pxnic_rx_interrupt(priv);
		wait_event_idle(priv->rx_wq,
				!__ptr_ring_full(&priv->rx_ring) ||
				kthread_should_stop());
		if (kthread_should_stop()) {
			kfree_skb(skb);
			pxnic_stat_inc(priv, PXNIC_STAT_RX_DROPS);
			return;
		}
	}
	pxnic_stat_inc(priv, PXNIC_STAT_RX_SEGS);
	pxnic_stat_add(priv, PXNIC_STAT_RX_BYTES, len);
	pxnic_rx_moderate(priv);
}

int pxnic_napi_poll(struct napi_struct *napi, int budget)
{
	struct pxnic_priv *priv = container_of(napi, struct pxnic_priv, napi);
	struct sk_buff *skb;
	int done = 0;

	while (done < budget) {
		skb = __ptr_ring_consume(&priv->rx_ring);
		if (!skb)
			break;
		napi_gro_receive(napi, skb);
		done++;
	}
	/* Pairs with the barrier in wait_event_idle() of the engine. */
	if (done && wq_has_sleeper(&priv->rx_wq))
		wake_up(&priv->rx_wq);

	if (done < budget && napi_complete_done(napi, done)) {
		/*
		 * The engine may have produced after our last look and seen
		 * NAPI still scheduled: look again.
		 */
		smp_mb();
		if (!__ptr_ring_empty(&priv->rx_ring))
			napi_schedule(napi);
	}
	return done;
}

/* ---- fault injection --------------------------------------------------- */

static bool pxnic_nth(unsigned int *param, u32 *count)
{
	unsigned int n = READ_ONCE(*param);

	return n && ++*count % n == 0;
}

/*
 * Deliver one data or control skb, applying the fault knobs.  @placed
 * says it carries placed bytes; @forged is an injected in-window
 * duplicate of it, delivered right after it and never before.
 */
static void pxnic_deliver(struct pxnic_priv *priv, struct sk_buff *skb,
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
static void pxnic_flush_held(struct pxnic_priv *priv)
{
	struct sk_buff *held = priv->held;

	if (held) {
		priv->held = NULL;
		pxnic_rx_enqueue(priv, held);
	}
}

/* ---- the engine -------------------------------------------------------- */

/*
 * Why a segment of a steered flow was not placed.  rx_fallback_claim
 * counts every claim postrx refused, and rx_fallback_already, _range and
 * _gone tell the reasons apart: a claim refusal is counted in both.
 */
static void pxnic_count_fallback(struct pxnic_priv *priv, int err)
{
	switch (err) {
	case -ESRCH:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_NOFLOW);
		return;
	case -ENOSPC:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_NOBUF);
		return;
	case -EALREADY:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_ALREADY);
		break;
	case -ERANGE:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_RANGE);
		break;
	case -ENOENT:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_GONE);
		break;
	case -EPIPE:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_TAPPED);
		return;
	default:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_OTHER);
		return;
	}
	pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_CLAIM);
}

/* Not TCP or not parsable: pass the frame up as it is, like veth. */
static void pxnic_rx_passthru(struct pxnic_priv *priv, struct sk_buff *tx)
{
	pxnic_stat_inc(priv, PXNIC_STAT_RX_PASSTHRU);
	/* Copies zerocopy frags, scrubs across netns, eth_type_trans(). */
	if (__dev_forward_skb(priv->dev, tx)) {
		pxnic_stat_inc(priv, PXNIC_STAT_RX_DROPS);
		return;
	}
	pxnic_rx_enqueue(priv, tx);
}

static void pxnic_rx_one(struct pxnic_priv *priv, struct sk_buff *tx)
{
	struct sk_buff *skb = NULL, *forged = NULL;
	struct pxnic_claim c = {};
	struct pxnic_seg s;
	int err = -ESRCH;

	if (!is_skb_forwardable(priv->dev, tx)) {	/* longer than the MRU */
		kfree_skb(tx);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_DROPS);
		return;
	}
	if (!pxnic_parse(priv, tx, &s)) {
		pxnic_rx_passthru(priv, tx);
		return;
	}
	if (!s.csum_ok)
		pxnic_stat_inc(priv, PXNIC_STAT_RX_CSUM_BAD);

	if (s.pay_len) {
		/* A bad checksum is never placed: a claim is final. */
		err = s.csum_ok ? pxnic_place(priv, tx, &s, &c) : -EBADMSG;
		if (!err) {
			skb = pxnic_build_placed(priv, tx, &s, &c);
			if (skb) {
				pxnic_stat_inc(priv, PXNIC_STAT_RX_PLACED_SEGS);
				pxnic_stat_add(priv, PXNIC_STAT_RX_PLACED_BYTES,
					       c.len);
			} else {
				err = -ENOMEM;
			}
			pxnic_claim_release(&c);
		}
		if (err == -EBADMSG)
			pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_CSUM);
		else if (err)
			pxnic_count_fallback(priv, err);
	}
	if (!skb)
		skb = pxnic_build_copy(priv, tx, &s, false);
	if (!skb) {
		kfree_skb(tx);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_DROPS);
		return;
	}
	if (!err && pxnic_nth(&pxnic_fault_forge, &priv->n_forge))
		forged = pxnic_build_copy(priv, tx, &s, true);

	/* The frame is in RX buffers now: the TX side is done with it. */
	consume_skb(tx);
	pxnic_deliver(priv, skb, s.pay_len != 0, !err, forged);
}

static void pxnic_wake_peer(struct pxnic_priv *priv)
{
	struct net_device *peer;

	/* Pairs with smp_mb__after_atomic() in pxnic_xmit(). */
	smp_mb();
	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (peer && netif_queue_stopped(peer) &&
	    !ptr_ring_full_bh(&priv->wire)) {
		local_bh_disable();
		netif_wake_queue(peer);
		local_bh_enable();
	}
	rcu_read_unlock();
}

static int pxnic_engine(void *arg)
{
	struct pxnic_priv *priv = arg;
	struct sk_buff *skb;

	while (!kthread_should_stop()) {
		unsigned int stall;

		/* The only consumer of the wire: no consumer lock needed. */
		skb = __ptr_ring_consume(&priv->wire);
		if (!skb) {
			pxnic_flush_held(priv);
			/* Out of frames: what waits is the end of a burst. */
			if (priv->rx_pending)
				pxnic_rx_interrupt(priv);
			pxnic_wake_peer(priv);
			wait_event_idle(priv->wire_wq,
					!__ptr_ring_empty(&priv->wire) ||
					kthread_should_stop());
			continue;
		}
		stall = READ_ONCE(pxnic_fault_stall_us);
		if (stall)
			fsleep(min(stall, USEC_PER_SEC));
		pxnic_rx_one(priv, skb);
		pxnic_wake_peer(priv);
		cond_resched();
	}
	kfree_skb(priv->held);
	priv->held = NULL;
	return 0;
}

/* Called under RTNL from ndo_open. */
int pxnic_engine_start(struct pxnic_priv *priv)
{
	struct task_struct *task;

	napi_enable(&priv->napi);
	task = kthread_create(pxnic_engine, priv, "pxnic-eng/%s",
			      priv->dev->name);
	if (IS_ERR(task)) {
		napi_disable(&priv->napi);
		return PTR_ERR(task);
	}
	/* Our reference keeps task->se readable for ethtool until stop. */
	get_task_struct(task);
	priv->engine = task;
	wake_up_process(task);
	/* From now on the peer's xmit may put frames on the wire. */
	WRITE_ONCE(priv->running, true);
	return 0;
}

/* Free every skb on the wire and on the RX ring; nobody else uses them. */
void pxnic_purge_rings(struct pxnic_priv *priv)
{
	struct sk_buff *skb;

	while ((skb = __ptr_ring_consume(&priv->wire)))
		kfree_skb(skb);
	while ((skb = __ptr_ring_consume(&priv->rx_ring)))
		kfree_skb(skb);
}

/* Called under RTNL from ndo_stop (also on unregister and netns exit). */
void pxnic_engine_stop(struct pxnic_priv *priv)
{
	struct task_struct *task = priv->engine;

	if (!task)
		return;
	/*
	 * Stop the peer's xmit from producing, and wait for every xmit that
	 * saw running == true (they run under RCU with BH off): after that
	 * the wire has no producer and, once the thread is gone, no consumer.
	 */
	WRITE_ONCE(priv->running, false);
	synchronize_net();
	kthread_stop(task);
	priv->engine_runtime_base += READ_ONCE(task->se.sum_exec_runtime);
	put_task_struct(task);
	priv->engine = NULL;

	napi_disable(&priv->napi);
	pxnic_purge_rings(priv);
	/* A peer stopped on our full wire may send again (and be dropped). */
	pxnic_wake_peer(priv);
}

u64 pxnic_engine_runtime(struct pxnic_priv *priv)
{
	u64 ns = priv->engine_runtime_base;

	ASSERT_RTNL();
	if (priv->engine)
		ns += READ_ONCE(priv->engine->se.sum_exec_runtime);
	return ns;
}

