/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pxnic: the reference NIC of postrx.  A virtual Ethernet pair, like veth,
 * that models plainly the parts of a real NIC that postrx uses: a TX queue
 * that hands frames to the wire without copying them, a DMA engine on the
 * receive side, an exact-match flow classifier, header split, an RX ring
 * and NAPI.  One TX queue and one RX queue per device: the model is about
 * placement, not about scaling across queues.
 *
 * The "wire" from a device A to its peer B is B's wire ring: A's
 * ndo_start_xmit puts the skb on it as is (frags and GSO super-segments
 * included), B's engine thread takes it off, classifies it, writes the
 * payload of a classified flow into the posted buffer (postrx_place_*),
 * builds a header-split RX skb and puts it on B's RX ring, from which B's
 * NAPI (threaded) passes it to the stack.
 */
#ifndef _PXNIC_H
#define _PXNIC_H

#include <linux/netdevice.h>
#include <linux/ptr_ring.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/u64_stats_sync.h>
#include <linux/wait.h>

#include <postrx_driver.h>

#define PXNIC_DRV_NAME		"pxnic"
#define PXNIC_WIRE_SIZE		1024	/* TX skbs in flight towards a device */
#define PXNIC_FLOWS_DEFAULT	65536	/* flow_table_size */
#define PXNIC_FLOWS_MAX		BIT(20)

/* "pxnic" and an id of up to 10 digits: ethtool's bus-info, a debugfs dir. */
#define PXNIC_BUS_INFO_LEN	(sizeof(PXNIC_DRV_NAME) + 10)

/*
 * Module parameters (main.c), settings of the module rather than of one
 * device: flow_table_size is writable, read when a pair is created.  The
 * fault knobs are per device, in debugfs (struct pxnic_faults).
 */
extern unsigned int pxnic_flow_table_size;
extern unsigned int pxnic_rx_ring_size;

/* Receive counters.  Written by the engine thread only (single writer). */
enum pxnic_stat {
	PXNIC_STAT_RX_SEGS,
	PXNIC_STAT_RX_BYTES,
	PXNIC_STAT_RX_PLACED_SEGS,
	PXNIC_STAT_RX_PLACED_BYTES,
	PXNIC_STAT_RX_FALLBACK_NOFLOW,
	PXNIC_STAT_RX_FALLBACK_NOBUF,
	PXNIC_STAT_RX_CSUM_BAD,
	PXNIC_STAT_RX_FAULT_DROP,
	PXNIC_STAT_RX_FAULT_DUP,
	PXNIC_STAT_RX_FAULT_REORDER,
	PXNIC_STAT_RX_RING_FULL,
	PXNIC_STAT_RX_DROPS,
	PXNIC_STAT_RX_FALLBACK_ALREADY,
	PXNIC_STAT_RX_FALLBACK_RANGE,
	PXNIC_STAT_RX_FALLBACK_GONE,
	PXNIC_STAT_RX_FALLBACK_CSUM,
	PXNIC_STAT_RX_FALLBACK_OTHER,
	PXNIC_STAT_RX_FAULT_FORGE,
	PXNIC_STAT_RX_PASSTHRU,
	PXNIC_STAT_RX_FALLBACK_TAPPED,
	PXNIC_STAT_RX_PLACED_FRAGS,
	PXNIC_STAT_NUM,
};

struct pxnic_rx_stats {
	u64_stats_t		v[PXNIC_STAT_NUM];
	struct u64_stats_sync	syncp;
};

/*
 * The flow classifier: an exact-match hash table of at most @max entries
 * (flow_table_size, 65536 by default, as a NIC's steering table holds tens
 * of thousands of flows or more), with as many buckets as entries rounded
 * up to a power of two, so that a lookup is O(1).
 *
 * Lookups (engine, one per received TCP segment) walk @by_key under RCU
 * and read only the first group of fields, which nobody writes after
 * init: a lookup writes no shared cache line, and adds and deletes do not
 * pull the engine's line away.  Adds and deletes (postrx, in process
 * context) take @lock; @by_flow finds an entry by its postrx flow for
 * ->flow_del and is only used under @lock.
 */
struct pxnic_flows {
	/* Read by the engine on every lookup; written at init only. */
	struct hlist_head	*by_key;
	unsigned int		bits;
	u32			seed;
	unsigned int		max;

	/* Process context: adds, deletes and their counters. */
	spinlock_t		lock ____cacheline_aligned_in_smp;
	unsigned int		count;		/* under @lock */
	struct hlist_head	*by_flow;	/* under @lock */
	atomic_t		add_calls;	/* fault_flow_add */
	atomic64_t		add_ok;
	atomic64_t		add_fail;
};

/*
 * The fault knobs of one device, files in its debugfs directory
 * /sys/kernel/debug/pxnic/<bus-info>/fault_* (fault.c): each makes the
 * device misbehave every Nth time, 0 (the default) never.  debugfs writes
 * them at any time, unlocked; their readers (the engine, ->flow_add) take
 * each with READ_ONCE() where it applies.
 */
struct pxnic_faults {
	u32				drop_placed;	/* skb with placed bytes */
	u32				dup;		/* data skb twice */
	u32				reorder;	/* data skb after the next */
	u32				forge;		/* in-window forged copy */
	u32				flow_add;	/* ->flow_add fails, -EIO */
	u32				stall_us;	/* engine sleeps per frame */
};

struct pxnic_priv {
	struct net_device		*dev;
	struct net_device __rcu		*peer;

	/*
	 * The device's identity apart from its name, which can change and
	 * repeat across namespaces: @id from an IDA, @bus_info "pxnic<id>"
	 * as ethtool -i reports it and as its debugfs directory @ddir is
	 * named.  All set in ndo_init; @ddir is removed in ndo_uninit, before
	 * the device's memory (and the knobs in it) can go, @id given back
	 * in the destructor.
	 */
	int				id;
	char				bus_info[PXNIC_BUS_INFO_LEN];
	struct dentry			*ddir;
	struct pxnic_faults		faults;

	/*
	 * The wire towards this device: the peer's xmit produces (under its
	 * TX queue lock), this device's engine consumes.  @running says
	 * whether the engine accepts frames; it is written under RTNL and
	 * read by the peer's xmit under RCU, so that ndo_stop can clear it,
	 * wait with synchronize_net() and then own the ring.
	 */
	struct ptr_ring			wire;
	wait_queue_head_t		wire_wq;	/* engine waits for frames */
	bool				running;

	/* The engine thread; @engine and the runtime base under RTNL. */
	struct task_struct		*engine;
	u64				engine_runtime_base;

	/*
	 * The RX ring: the engine produces, NAPI consumes.  Both sides are
	 * single (one engine thread, one NAPI instance), so the ring is used
	 * without its locks, as veth uses its xdp_ring.
	 */
	struct ptr_ring			rx_ring;
	wait_queue_head_t		rx_wq;		/* engine waits for room */
	struct napi_struct		napi;

	/*
	 * Interrupt moderation (ethtool -C rx-usecs / rx-frames), as a NIC
	 * delays its RX interrupt: the engine wakes NAPI once @rx_frames
	 * skbs wait on the ring or the first of them has waited @rx_usecs
	 * (looked at as skbs come), and whenever it runs out of frames.  0
	 * and 0: every skb.  Written under RTNL, read by the engine, which
	 * alone touches @rx_pending (skbs NAPI was not woken for) and
	 * @rx_first_ns (when the first of them came).
	 */
	u32				rx_usecs;
	u32				rx_frames;
	u32				rx_pending;
	u64				rx_first_ns;

	/* Engine-only state of the fault injection. */
	struct sk_buff			*held;		/* fault_reorder */
	u32				n_placed;
	u32				n_dup;
	u32				n_reorder;
	u32				n_forge;

	struct pxnic_flows		flows;
	bool				postrx_registered;	/* RTNL */

	struct pxnic_rx_stats		stats;
	atomic64_t			tx_drops;
};

/* engine.c; the files of the receive path share engine.h */
int pxnic_engine_start(struct pxnic_priv *priv);
void pxnic_engine_stop(struct pxnic_priv *priv);
void pxnic_purge_rings(struct pxnic_priv *priv);
u64 pxnic_engine_runtime(struct pxnic_priv *priv);

/* rxring.c */
int pxnic_napi_poll(struct napi_struct *napi, int budget);

/* fault.c */
void pxnic_debugfs_init(void);
void pxnic_debugfs_exit(void);
void pxnic_fault_dev_init(struct pxnic_priv *priv);
void pxnic_fault_dev_exit(struct pxnic_priv *priv);

/* flow.c */
extern const struct postrx_dev_ops pxnic_postrx_ops;
int pxnic_flows_init(struct pxnic_flows *ft, unsigned int max);
void pxnic_flows_destroy(struct pxnic_flows *ft);
struct postrx_flow *pxnic_flow_lookup(struct pxnic_flows *ft,
				      const struct postrx_flow_key *key);

/* ethtool.c */
extern const struct ethtool_ops pxnic_ethtool_ops;
u64 pxnic_stat_read(struct pxnic_priv *priv, enum pxnic_stat idx);

#endif /* _PXNIC_H */
