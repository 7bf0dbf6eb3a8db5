// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: the receive DMA engine, its thread and its per-frame loop.
 *
 * Models the receive half of a NIC.  One kernel thread per device stands
 * for the NIC's DMA engine: its CPU time is the NIC's, which is why it is
 * a thread of its own, named pxnic-eng/<device> so that benchmarks find
 * it, and why ethtool -S reports its run time.  For every frame that the
 * peer put on the wire it
 *
 *  1. parses Ethernet + IPv4/IPv6 + TCP (anything else passes through, as
 *     on a NIC without offloads for it) (parse.c),
 *  2. verifies the TCP checksum unless the sender's TX "hardware" fills it
 *     in (CHECKSUM_PARTIAL: the virtual wire is trusted) (parse.c),
 *  3. looks the segment up in the flow table and, for a classified flow,
 *     writes the payload into the posted buffer that postrx hands out
 *     (postrx_place() with pxnic_write_payload(), dma.c),
 *  4. builds a header-split RX skb: the headers in the linear area, the
 *     placed pieces as page frags, the rest of the payload copied into the
 *     device's ordinary RX pages.  A TSO super-segment arrives as one RX
 *     skb with GSO metadata, as after LRO/GRO, also above 64 KiB (BIG
 *     TCP: built in pieces on a frag list) (rxskb.c),
 *  5. applies the fault knobs (fault.c) and puts it on the RX ring,
 *     waiting for NAPI when the ring is full (rxring.c).
 *
 * NAPI is threaded, so the host's receive work runs in the NAPI thread
 * and not in the engine thread.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <linux/skbuff.h>

#include "engine.h"

/*
 * Why a segment of a steered flow was not placed: one counter per reason,
 * each segment counted once, so that the rx_fallback_* counters add up to
 * the segments that were not placed.
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
		return;
	case -ERANGE:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_RANGE);
		return;
	case -ENOENT:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_GONE);
		return;
	case -EPIPE:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_TAPPED);
		return;
	default:
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FALLBACK_OTHER);
		return;
	}
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

/*
 * The most payload one RX skb carries in its own frags.  Up to 64 KiB a
 * segment is one piece, as before BIG TCP.  A larger TSO super-segment
 * (BIG TCP: gso_ipv4_max_size above 64 KiB) is built in pieces: a placed
 * piece is what one claim gave, up to MAX_SKB_FRAGS destination pieces
 * (a page each in buffers of base pages, up to POSTRX_PIECE_MAX in huge
 * pages, where a 512 KiB super-segment may be a single piece); a copied
 * one is 15 pages, so that the pieces of a page-aligned stream stay
 * page-aligned.
 */
#define PXNIC_ONE_PIECE		GSO_LEGACY_MAX_SIZE
#define PXNIC_PIECE		(15 * PAGE_SIZE)

/*
 * Claim and build the piece @p of a segment: placed if its flow is
 * classified and a claim succeeds, copied otherwise.  *@placed tells
 * which.  @split: @p is the rest of a super-segment built in pieces,
 * and the piece is cut to what it carries: the claim if placed, else
 * PXNIC_PIECE.  NULL when out of memory.
 */
static struct sk_buff *pxnic_rx_piece(struct pxnic_priv *priv,
				      const struct sk_buff *tx,
				      struct pxnic_seg *p, bool split,
				      bool *placed)
{
	struct sk_buff *skb = NULL;
	struct pxnic_claim c = {};
	int err = -ESRCH;

	if (p->pay_len) {
		/* A bad checksum is never placed: a claim is final. */
		err = p->csum_ok ? pxnic_place(priv, tx, p, &c) : -EBADMSG;
		if (!err) {
			if (split)
				p->pay_len = c.len;
			skb = pxnic_build_placed(priv, tx, p, &c);
			if (skb) {
				pxnic_stat_inc(priv, PXNIC_STAT_RX_PLACED_SEGS);
				pxnic_stat_add(priv, PXNIC_STAT_RX_PLACED_BYTES,
					       c.len);
				pxnic_stat_add(priv, PXNIC_STAT_RX_PLACED_FRAGS,
					       c.pl.nr_dst);
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
	*placed = !err;
	if (!skb) {
		if (split)
			p->pay_len = min_t(u32, p->pay_len, PXNIC_PIECE);
		skb = pxnic_build_copy(priv, tx, p, false);
	}
	return skb;
}

/*
 * The segment @s as one RX skb, built piece by piece (above) and the
 * pieces chained on the first one's frag list, which alone carries the
 * headers: the skb GRO would have made of them, handed to the stack
 * once.  @forge: a forged copy, every byte flipped and nothing placed.
 * *@placed tells whether any piece was placed.  NULL when out of memory.
 */
static struct sk_buff *pxnic_rx_build(struct pxnic_priv *priv,
				      const struct sk_buff *tx,
				      const struct pxnic_seg *s, bool forge,
				      bool *placed)
{
	bool split = s->pay_len > PXNIC_ONE_PIECE;
	struct sk_buff *head = NULL, *last = NULL;
	struct pxnic_seg p = *s;
	unsigned int done = 0;

	*placed = false;
	do {
		struct sk_buff *skb;
		bool piece_placed = false;

		p.seq = s->seq + done;
		p.pay_off = s->pay_off + done;
		p.pay_len = s->pay_len - done;
		p.hdr_len = head ? 0 : s->hdr_len;
		if (forge) {
			if (split)
				p.pay_len = min_t(u32, p.pay_len, PXNIC_PIECE);
			skb = pxnic_build_copy(priv, tx, &p, true);
		} else {
			skb = pxnic_rx_piece(priv, tx, &p, split,
					     &piece_placed);
		}
		if (!skb) {
			kfree_skb(head);
			return NULL;
		}
		*placed |= piece_placed;
		if (head)
			pxnic_chain(head, &last, skb);
		else
			head = skb;
		done += p.pay_len;
	} while (done < s->pay_len);
	pxnic_finish(priv, head, tx, s);
	return head;
}

static void pxnic_rx_one(struct pxnic_priv *priv, struct sk_buff *tx)
{
	struct sk_buff *skb, *forged = NULL;
	struct pxnic_seg s;
	bool placed, unused;

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

	skb = pxnic_rx_build(priv, tx, &s, false, &placed);
	if (!skb) {
		kfree_skb(tx);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_DROPS);
		return;
	}
	if (placed && pxnic_nth(&priv->faults.forge, &priv->n_forge))
		forged = pxnic_rx_build(priv, tx, &s, true, &unused);

	/* The frame is in RX buffers now: the TX side is done with it. */
	consume_skb(tx);
	pxnic_deliver(priv, skb, s.pay_len != 0, placed, forged);
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
		stall = READ_ONCE(priv->faults.stall_us);
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
