/* SPDX-License-Identifier: GPL-2.0 */
/*
 * postrx driver API: how a NIC with header split and an exact-match flow
 * classifier steers the payload of a TCP flow straight into the receive
 * buffers that an application posted with POSTRX_CMD_RECV.
 *
 * The driver registers its net_device.  When the first buffer is posted on
 * a TCP socket whose traffic arrives on that device, postrx calls
 * ->flow_add() with the flow's key; the driver programs its classifier so
 * that segments matching the key are handed to postrx_place().
 * postrx calls ->flow_del() when the socket is closed, or when the device
 * unregisters.  Before it does, postrx stops accepting the flow: a call
 * with it that begins after that fails with -ENOENT, and a write in flight
 * has ended.  The flow's memory stays valid for an RCU grace period after
 * ->flow_del() returns, so a driver that finds flows under rcu_read_lock()
 * (or with BH disabled) needs no grace period of its own: it unpublishes
 * the flow and frees its own entry with kfree_rcu().
 *
 * For each classified segment with payload, the driver asks postrx to
 * claim the bytes and has them written in one call:
 *
 *	static int my_write(void *arg, const struct postrx_place *pl)
 *	{
 *		... write pl->len bytes of payload into pl->dst[0..nr_dst) ...
 *		... get_page() each pl->dst[i].bv_page for the skb's frags ...
 *		return 0;
 *	}
 *
 *	err = postrx_place(flow, seq, len, &pl, my_write, seg);
 *	if (!err)
 *		... attach pl.dst[] as the skb's page frags, put the rest of
 *		    the payload (from seq + pl.len) into ordinary buffers ...
 *
 * postrx_place() claims the bytes (they lie in a posted, unfilled buffer,
 * ahead of the consumer, never claimed before, inside the TCP receive
 * window), calls @write, and records the bytes as placed if it returned
 * 0.  Nothing is held when it returns.  During @write the channel's write
 * lock is held with BH disabled: @write must not sleep, and whoever must
 * wait for it (completion of the buffer, a consumer copy over the same
 * bytes, the flow's removal) blocks on that lock, so a buffer never
 * completes while the device writes into it.  That includes PREEMPT_RT,
 * where the lock is a sleeping one and a waiter boosts the writer.  The
 * page references must be taken inside @write: once postrx_place()
 * returns the buffer may complete, be unregistered and its pages freed.
 * A claim always starts at @seq (pl.seq == seq) and may cover fewer bytes
 * than asked.  The model writes with its engine's CPU; a device writing
 * by DMA would have to complete the DMA inside @write, which this
 * interface does not support asynchronously yet.  One claim at a time
 * per flow: a second caller waits for the first.  The driver must verify
 * the segment's checksum before it asks: a claim is never given back.
 * If @write fails, the claimed bytes are not placed: the consumer copies
 * them from whatever skb TCP delivers.
 *
 * The skb the driver then passes up carries the headers in its linear
 * area and pl.dst[] as frags.  TCP consumes it like any other skb; where a
 * frag is exactly the destination of the bytes it carries, postrx skips
 * the copy.  Placement is an optimisation only: any segment the driver
 * does not place (no flow, no buffer, a refused claim, a dropped skb) is
 * copied by the consumer, and the stream stays exact.
 */
#ifndef _POSTRX_DRIVER_H
#define _POSTRX_DRIVER_H

#include <linux/bvec.h>
#include <linux/in6.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

struct postrx_flow;

/*
 * A flow as it arrives at the device: saddr/sport are the peer's, daddr/
 * dport the socket's own.  IPv4 addresses use the first word of the
 * in6_addr (a.s6_addr32[0]); the rest is zero.  @net is the namespace of
 * the receiving device.
 */
struct postrx_flow_key {
	const struct net	*net;
	u16			family;		/* AF_INET or AF_INET6 */
	__be16			sport;
	__be16			dport;
	struct in6_addr		saddr;
	struct in6_addr		daddr;
};

struct postrx_dev_ops {
	/*
	 * Install @flow under @key in the device's classifier.  Process
	 * context, may sleep.  Called with the socket locked (lock_sock())
	 * and postrx's flow mutex held; flow_del is also called under RTNL
	 * when a device unregisters.  So neither may take RTNL or a socket
	 * lock.  Return 0, or a
	 * negative errno (-ENOSPC: table full; -EEXIST: key present): the
	 * socket then receives by copy.
	 */
	int	(*flow_add)(struct net_device *dev, struct postrx_flow *flow,
			    const struct postrx_flow_key *key);
	/*
	 * Remove @flow from the classifier.  Process context, may sleep,
	 * but need not wait: postrx already refuses the flow and frees it
	 * only after an RCU grace period (see above).
	 */
	void	(*flow_del)(struct net_device *dev, struct postrx_flow *flow);
};

/*
 * Destination pieces of one claim.  Each is physically contiguous, at
 * most POSTRX_PIECE_MAX bytes: bv_page is its first page and bv_offset
 * lies within that page.  A piece longer than a page lies in one compound
 * page (a buffer in huge pages); a driver that DMAs or maps it page by
 * page walks nth_page() from bv_page.
 */
#define POSTRX_PLACE_MAX_DST	MAX_SKB_FRAGS
#define POSTRX_PIECE_MAX	(PAGE_SIZE << PAGE_ALLOC_COSTLY_ORDER)

struct postrx_place {
	u32		seq;		/* first byte claimed */
	u32		len;		/* bytes claimed, <= bytes asked */
	unsigned int	nr_dst;
	struct bio_vec	dst[POSTRX_PLACE_MAX_DST];
};

/*
 * @max_flows: how many flows the device's classifier holds; no user may
 * take more than postrx.flow_share_percent of them (flow.c).
 */
int postrx_dev_register(struct net_device *dev,
			const struct postrx_dev_ops *ops,
			unsigned int max_flows);
void postrx_dev_unregister(struct net_device *dev);

/*
 * The driver's write of one claim (see above): returns 0 if every byte
 * of @pl was written and its pages referenced, else a negative errno.
 * Runs with BH disabled under the channel's write lock; must not sleep.
 */
typedef int (*postrx_write_t)(void *arg, const struct postrx_place *pl);

/*
 * Returns 0 with @pl's bytes claimed, written by @write and placed, or a
 * negative errno; pl->len is 0 if nothing was claimed:
 *   -EINVAL	@len is 0
 *   -ENOENT	the flow is gone (socket closing)
 *   -ENOSPC	no posted buffer covers @seq
 *   -EALREADY	@seq lies behind what was already claimed or consumed
 *   -ERANGE	outside the TCP receive window
 *   -ESHUTDOWN	the socket's read side is shut down
 *   -EBADMSG	the stream failed: TCP contradicted placed bytes
 * or @write's errno: pl->len bytes were claimed but are not placed.
 */
int postrx_place(struct postrx_flow *flow, u32 seq, u32 len,
		 struct postrx_place *pl, postrx_write_t write, void *arg);

#endif /* _POSTRX_DRIVER_H */
