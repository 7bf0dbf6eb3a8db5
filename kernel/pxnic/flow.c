// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: the flow classifier and the postrx driver operations.
 *
 * Models an exact-match flow table of a NIC: a hash table of a bounded
 * number of entries (flow_table_size, 65536 by default), each mapping
 * (netns, family, saddr, daddr, sport, dport) of a received TCP segment to
 * a postrx flow.  postrx fills it through ->flow_add and ->flow_del in
 * process context; the engine thread looks it up for every received TCP
 * segment, in O(1): one bucket of a table with at least as many buckets
 * as entries, hashed with a per-device random seed so that a peer cannot
 * choose ports that pile up in one bucket.  A full table refuses the
 * newest flow with -ENOSPC (postrx's socket then receives by copy); the
 * flows already installed keep being steered.
 *
 * Locking and lifetimes: lookups run under rcu_read_lock() and the engine
 * keeps that lock until postrx_place() has returned.
 * A lookup writes nothing shared: no reference, no counter.
 * Adds and deletes take the table spinlock (process context only: the
 * engine never takes it).  ->flow_del unlinks the entry under the lock
 * and frees it after a grace period; an engine that found the flow before
 * may still call postrx with it, which postrx refuses (postrx_driver.h),
 * so nobody waits for a grace period on the close of a socket.
 */
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <net/ipv6.h>

#include "pxnic.h"

struct pxnic_flow_entry {
	struct hlist_node	by_key;		/* RCU */
	struct hlist_node	by_flow;	/* under the table lock */
	struct postrx_flow_key	key;
	struct postrx_flow	*flow;
	struct rcu_head		rcu;
};

static u32 pxnic_key_hash(const struct pxnic_flows *ft,
			  const struct postrx_flow_key *key)
{
	u32 ports = (__force u32)key->sport << 16 | (__force u32)key->dport;
	u32 h;

	h = jhash2((__force const u32 *)key->saddr.s6_addr32, 4, ft->seed);
	h = jhash2((__force const u32 *)key->daddr.s6_addr32, 4, h);
	h = jhash_3words(ports, key->family, hash_ptr((void *)key->net, 32), h);
	return h >> (32 - ft->bits);
}

static bool pxnic_key_equal(const struct postrx_flow_key *a,
			    const struct postrx_flow_key *b)
{
	return a->net == b->net && a->family == b->family &&
	       a->sport == b->sport && a->dport == b->dport &&
	       ipv6_addr_equal(&a->saddr, &b->saddr) &&
	       ipv6_addr_equal(&a->daddr, &b->daddr);
}

int pxnic_flows_init(struct pxnic_flows *ft, unsigned int max)
{
	unsigned int buckets;

	/* At most one entry per bucket on average: a lookup is O(1). */
	max = clamp(max, 1U, PXNIC_FLOWS_MAX);
	buckets = roundup_pow_of_two(max);
	spin_lock_init(&ft->lock);
	ft->max = max;
	ft->bits = max(ilog2(buckets), 1);
	ft->seed = get_random_u32();
	ft->by_key = kvcalloc(1U << ft->bits, sizeof(*ft->by_key), GFP_KERNEL);
	ft->by_flow = kvcalloc(1U << ft->bits, sizeof(*ft->by_flow),
			       GFP_KERNEL);
	if (!ft->by_key || !ft->by_flow) {
		pxnic_flows_destroy(ft);
		return -ENOMEM;
	}
	return 0;
}

/* The device is gone and postrx_dev_unregister() removed every flow. */
void pxnic_flows_destroy(struct pxnic_flows *ft)
{
	WARN_ON_ONCE(ft->count);
	kvfree(ft->by_key);
	kvfree(ft->by_flow);
	ft->by_key = NULL;
	ft->by_flow = NULL;
}

/* Caller holds rcu_read_lock() or the table lock. */
static struct postrx_flow *__pxnic_flow_lookup(struct pxnic_flows *ft,
					       const struct postrx_flow_key *key)
{
	struct pxnic_flow_entry *fe;

	hlist_for_each_entry_rcu(fe, &ft->by_key[pxnic_key_hash(ft, key)],
				 by_key, lockdep_is_held(&ft->lock))
		if (pxnic_key_equal(&fe->key, key))
			return fe->flow;
	return NULL;
}

/* Caller holds rcu_read_lock() for as long as it uses the flow. */
struct postrx_flow *pxnic_flow_lookup(struct pxnic_flows *ft,
				      const struct postrx_flow_key *key)
{
	return __pxnic_flow_lookup(ft, key);
}

static int pxnic_flow_add(struct net_device *dev, struct postrx_flow *flow,
			  const struct postrx_flow_key *key)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct pxnic_flows *ft = &priv->flows;
	u32 nth = READ_ONCE(priv->faults.flow_add);
	struct pxnic_flow_entry *fe;
	int err = 0;

	if (key->family != AF_INET && key->family != AF_INET6) {
		err = -EAFNOSUPPORT;
		goto out;
	}
	if (nth && atomic_inc_return(&ft->add_calls) % nth == 0) {
		err = -EIO;	/* the device failed to program its table */
		goto out;
	}
	/* Full: refuse without allocating (checked again under the lock). */
	if (READ_ONCE(ft->count) >= ft->max) {
		err = -ENOSPC;
		goto out;
	}
	fe = kzalloc(sizeof(*fe), GFP_KERNEL);
	if (!fe) {
		err = -ENOMEM;
		goto out;
	}
	fe->key = *key;
	fe->flow = flow;

	spin_lock(&ft->lock);
	if (ft->count >= ft->max)
		err = -ENOSPC;
	else if (__pxnic_flow_lookup(ft, key))
		err = -EEXIST;
	if (!err) {
		hlist_add_head_rcu(&fe->by_key,
				   &ft->by_key[pxnic_key_hash(ft, key)]);
		hlist_add_head(&fe->by_flow,
			       &ft->by_flow[hash_ptr(flow, ft->bits)]);
		WRITE_ONCE(ft->count, ft->count + 1);
	}
	spin_unlock(&ft->lock);
	if (err)
		kfree(fe);
out:
	if (err)
		atomic64_inc(&ft->add_fail);
	else
		atomic64_inc(&ft->add_ok);
	return err;
}

static void pxnic_flow_del(struct net_device *dev, struct postrx_flow *flow)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct pxnic_flows *ft = &priv->flows;
	struct pxnic_flow_entry *fe;

	spin_lock(&ft->lock);
	hlist_for_each_entry(fe, &ft->by_flow[hash_ptr(flow, ft->bits)],
			     by_flow) {
		if (fe->flow == flow) {
			hlist_del_rcu(&fe->by_key);
			hlist_del(&fe->by_flow);
			WRITE_ONCE(ft->count, ft->count - 1);
			break;
		}
	}
	spin_unlock(&ft->lock);
	if (!fe)
		return;	/* never installed: the engine cannot have it */

	/* An engine lookup may still be reading the entry. */
	kfree_rcu(fe, rcu);
}

const struct postrx_dev_ops pxnic_postrx_ops = {
	.flow_add	= pxnic_flow_add,
	.flow_del	= pxnic_flow_del,
};
