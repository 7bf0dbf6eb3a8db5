// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: the RX ring and NAPI.  The engine produces built skbs, threaded
 * NAPI consumes them and feeds them to GRO.  Both sides are single, so the
 * ring is used without its locks.  Interrupt moderation (ethtool -C)
 * decides when the engine wakes NAPI.
 */
#include <linux/kthread.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "engine.h"

static void pxnic_kick_napi(struct pxnic_priv *priv)
{
	/* Threaded NAPI: this wakes the NAPI thread. */
	local_bh_disable();
	napi_schedule(&priv->napi);
	local_bh_enable();
}

/* Wake NAPI for every skb the ring holds. */
void pxnic_rx_interrupt(struct pxnic_priv *priv)
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
void pxnic_rx_enqueue(struct pxnic_priv *priv, struct sk_buff *skb)
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
