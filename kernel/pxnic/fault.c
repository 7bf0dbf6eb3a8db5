// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: fault injection.  The engine drops placed segments, duplicates,
 * holds back and forges data skbs on the way to the RX ring, every Nth
 * time as the fault knobs say, as a misbehaving NIC or wire would.
 *
 * The knobs are the device's, as netdevsim has them: files in debugfs,
 *
 *	/sys/kernel/debug/pxnic/<bus-info>/fault_{drop_placed,dup,reorder,
 *					       forge,flow_add,stall_us}
 *
 * with <bus-info> as `ethtool -i DEV` reports it.  A device's directory
 * lives from ndo_init to ndo_uninit; debugfs_remove_recursive() waits for
 * a read or write in progress, so none reaches the knobs after that, and
 * the device's memory, which holds them, is freed later still.  debugfs
 * being absent or failing leaves a device without knobs, which then
 * never injects a fault: debugfs errors are not checked, by its rule.
 */
#include <linux/debugfs.h>
#include <linux/skbuff.h>

#include "engine.h"

/* /sys/kernel/debug/pxnic: from module init to module exit. */
static struct dentry *pxnic_debugfs_root;

void pxnic_debugfs_init(void)
{
	pxnic_debugfs_root = debugfs_create_dir(PXNIC_DRV_NAME, NULL);
}

/* After rtnl_link_unregister(): every device removed its directory. */
void pxnic_debugfs_exit(void)
{
	debugfs_remove_recursive(pxnic_debugfs_root);
}

/* From ndo_init: priv->bus_info is set, the knobs are 0. */
void pxnic_fault_dev_init(struct pxnic_priv *priv)
{
	struct pxnic_faults *f = &priv->faults;
	struct dentry *dir;

	dir = debugfs_create_dir(priv->bus_info, pxnic_debugfs_root);
	priv->ddir = dir;
	debugfs_create_u32("fault_drop_placed", 0600, dir, &f->drop_placed);
	debugfs_create_u32("fault_dup", 0600, dir, &f->dup);
	debugfs_create_u32("fault_reorder", 0600, dir, &f->reorder);
	debugfs_create_u32("fault_forge", 0600, dir, &f->forge);
	debugfs_create_u32("fault_flow_add", 0600, dir, &f->flow_add);
	debugfs_create_u32("fault_stall_us", 0600, dir, &f->stall_us);
}

/* From ndo_uninit, also when register_netdevice() fails after ndo_init. */
void pxnic_fault_dev_exit(struct pxnic_priv *priv)
{
	debugfs_remove_recursive(priv->ddir);
	priv->ddir = NULL;
}

/*
 * Is this the Nth event of @count's kind (engine-only) for @knob?  The
 * knob may change under us (debugfs): one READ_ONCE() per event.
 */
bool pxnic_nth(const u32 *knob, u32 *count)
{
	u32 n = READ_ONCE(*knob);

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

	if (placed && pxnic_nth(&priv->faults.drop_placed, &priv->n_placed)) {
		/* Dropped after the write: the claim stays, TCP retransmits. */
		kfree_skb(skb);
		kfree_skb(forged);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_FAULT_DROP);
		pxnic_stat_inc(priv, PXNIC_STAT_RX_DROPS);
		return;
	}
	if (data) {
		if (pxnic_nth(&priv->faults.dup, &priv->n_dup)) {
			/* Own headers, shared frags: GRO may edit headers. */
			dup = pskb_copy(skb, GFP_KERNEL);
			if (dup)
				pxnic_stat_inc(priv, PXNIC_STAT_RX_FAULT_DUP);
		}
		/* Hold back the Nth one; never one with a forged copy. */
		if (!forged && !priv->held &&
		    pxnic_nth(&priv->faults.reorder, &priv->n_reorder)) {
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
