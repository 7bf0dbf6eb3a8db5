// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: ethtool.  `ethtool -S` shows the classifier, placement, fallback
 * and fault counters, and the DMA engine thread's CPU time, which
 * stands for the NIC's: benchmarks subtract it from the host's CPU time.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>

#include "pxnic.h"

static const char pxnic_rx_stat_names[PXNIC_STAT_NUM][ETH_GSTRING_LEN] = {
	[PXNIC_STAT_RX_SEGS]		= "rx_segs",
	[PXNIC_STAT_RX_BYTES]		= "rx_bytes",
	[PXNIC_STAT_RX_PLACED_SEGS]	= "rx_placed_segs",
	[PXNIC_STAT_RX_PLACED_BYTES]	= "rx_placed_bytes",
	[PXNIC_STAT_RX_FALLBACK_NOFLOW]	= "rx_fallback_noflow",
	[PXNIC_STAT_RX_FALLBACK_NOBUF]	= "rx_fallback_nobuf",
	[PXNIC_STAT_RX_CSUM_BAD]	= "rx_csum_bad",
	[PXNIC_STAT_RX_FAULT_DROP]	= "rx_fault_drop",
	[PXNIC_STAT_RX_FAULT_DUP]	= "rx_fault_dup",
	[PXNIC_STAT_RX_FAULT_REORDER]	= "rx_fault_reorder",
	[PXNIC_STAT_RX_RING_FULL]	= "rx_ring_full",
	[PXNIC_STAT_RX_DROPS]		= "rx_drops",
	[PXNIC_STAT_RX_FALLBACK_ALREADY] = "rx_fallback_already",
	[PXNIC_STAT_RX_FALLBACK_RANGE]	= "rx_fallback_range",
	[PXNIC_STAT_RX_FALLBACK_GONE]	= "rx_fallback_gone",
	[PXNIC_STAT_RX_FALLBACK_CSUM]	= "rx_fallback_csum",
	[PXNIC_STAT_RX_FALLBACK_OTHER]	= "rx_fallback_other",
	[PXNIC_STAT_RX_FAULT_FORGE]	= "rx_fault_forge",
	[PXNIC_STAT_RX_PASSTHRU]	= "rx_passthru",
	[PXNIC_STAT_RX_FALLBACK_TAPPED]	= "rx_fallback_tapped",
	[PXNIC_STAT_RX_PLACED_FRAGS]	= "rx_placed_frags",
};

/* Shown first, in this order; then the RX counters; then the engine. */
static const char pxnic_flow_stat_names[][ETH_GSTRING_LEN] = {
	"flows_installed", "flow_add_ok", "flow_add_fail",
};

static const char pxnic_tail_stat_names[][ETH_GSTRING_LEN] = {
	"tx_packets", "tx_bytes", "tx_drops", "engine_runtime_ns",
};

#define PXNIC_N_STATS	(ARRAY_SIZE(pxnic_flow_stat_names) + PXNIC_STAT_NUM + \
			 ARRAY_SIZE(pxnic_tail_stat_names))

u64 pxnic_stat_read(struct pxnic_priv *priv, enum pxnic_stat idx)
{
	unsigned int start;
	u64 v;

	do {
		start = u64_stats_fetch_begin(&priv->stats.syncp);
		v = u64_stats_read(&priv->stats.v[idx]);
	} while (u64_stats_fetch_retry(&priv->stats.syncp, start));
	return v;
}

/* bus-info names the device's directory in debugfs (fault.c). */
static void pxnic_get_drvinfo(struct net_device *dev,
			      struct ethtool_drvinfo *info)
{
	struct pxnic_priv *priv = netdev_priv(dev);

	strscpy(info->driver, PXNIC_DRV_NAME, sizeof(info->driver));
	strscpy(info->bus_info, priv->bus_info, sizeof(info->bus_info));
}

static int pxnic_get_sset_count(struct net_device *dev, int sset)
{
	return sset == ETH_SS_STATS ? PXNIC_N_STATS : -EOPNOTSUPP;
}

static void pxnic_get_strings(struct net_device *dev, u32 sset, u8 *buf)
{
	unsigned int i;

	if (sset != ETH_SS_STATS)
		return;
	for (i = 0; i < ARRAY_SIZE(pxnic_flow_stat_names); i++)
		ethtool_puts(&buf, pxnic_flow_stat_names[i]);
	for (i = 0; i < PXNIC_STAT_NUM; i++)
		ethtool_puts(&buf, pxnic_rx_stat_names[i]);
	for (i = 0; i < ARRAY_SIZE(pxnic_tail_stat_names); i++)
		ethtool_puts(&buf, pxnic_tail_stat_names[i]);
}

/* ethtool calls this under RTNL, which keeps the engine task stable. */
static void pxnic_get_ethtool_stats(struct net_device *dev,
				    struct ethtool_stats *stats, u64 *data)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct pxnic_flows *ft = &priv->flows;
	struct rtnl_link_stats64 tx = {};
	unsigned int i;

	*data++ = READ_ONCE(ft->count);
	*data++ = atomic64_read(&ft->add_ok);
	*data++ = atomic64_read(&ft->add_fail);
	for (i = 0; i < PXNIC_STAT_NUM; i++)
		*data++ = pxnic_stat_read(priv, i);
	dev_fetch_sw_netstats(&tx, dev->tstats);
	*data++ = tx.tx_packets;
	*data++ = tx.tx_bytes;
	*data++ = atomic64_read(&priv->tx_drops);
	*data++ = pxnic_engine_runtime(priv);
}

static int pxnic_get_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct pxnic_priv *priv = netdev_priv(dev);

	ec->rx_coalesce_usecs = priv->rx_usecs;
	ec->rx_max_coalesced_frames = priv->rx_frames;
	return 0;
}

/*
 * Bounded: a wait longer than 10 ms, or more frames than the ring holds,
 * is no moderation any more.
 */
#define PXNIC_RX_USECS_MAX	10000

static int pxnic_set_coalesce(struct net_device *dev,
			      struct ethtool_coalesce *ec,
			      struct kernel_ethtool_coalesce *kec,
			      struct netlink_ext_ack *extack)
{
	struct pxnic_priv *priv = netdev_priv(dev);

	if (ec->rx_coalesce_usecs > PXNIC_RX_USECS_MAX ||
	    ec->rx_max_coalesced_frames > READ_ONCE(pxnic_rx_ring_size)) {
		NL_SET_ERR_MSG(extack,
			       "rx-usecs up to 10000, rx-frames up to the ring");
		return -EINVAL;
	}
	WRITE_ONCE(priv->rx_usecs, ec->rx_coalesce_usecs);
	WRITE_ONCE(priv->rx_frames, ec->rx_max_coalesced_frames);
	return 0;
}

const struct ethtool_ops pxnic_ethtool_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_RX_USECS |
				     ETHTOOL_COALESCE_RX_MAX_FRAMES,
	.get_coalesce		= pxnic_get_coalesce,
	.set_coalesce		= pxnic_set_coalesce,
	.get_drvinfo		= pxnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= pxnic_get_sset_count,
	.get_strings		= pxnic_get_strings,
	.get_ethtool_stats	= pxnic_get_ethtool_stats,
};
