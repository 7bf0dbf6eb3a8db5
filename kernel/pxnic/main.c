// SPDX-License-Identifier: GPL-2.0
/*
 * pxnic: module life, the rtnl_link_ops of the pair and the netdev ops.
 *
 *	ip link add A type pxnic peer name B [netns NS]
 *
 * creates two devices wired to each other, as veth does; deleting either
 * deletes both.  See pxnic.h for what the model is made of.
 */
#include <linux/etherdevice.h>
#include <linux/idr.h>
#include <linux/if_vlan.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/rtnetlink.h>

#include "pxnic.h"

/* Read when a pair is created: writable to give the next pair another size. */
unsigned int pxnic_flow_table_size = PXNIC_FLOWS_DEFAULT;
module_param_named(flow_table_size, pxnic_flow_table_size, uint, 0644);
MODULE_PARM_DESC(flow_table_size,
		 "Flow table entries per device (read when a device is created)");

unsigned int pxnic_rx_ring_size = 256;
module_param_named(rx_ring_size, pxnic_rx_ring_size, uint, 0444);
MODULE_PARM_DESC(rx_ring_size, "RX ring entries per device");

/* Device ids, for bus-info and the debugfs directory; see pxnic_priv. */
static DEFINE_IDA(pxnic_ida);

static struct rtnl_link_ops pxnic_link_ops;

/* ---- TX ---------------------------------------------------------------- */

/*
 * The TX "hardware" takes the skb as it is, frags and GSO super-segment
 * included, and puts it on the peer's wire: nothing is copied here, so a
 * MSG_ZEROCOPY or SEND_ZC sender completes when the peer's engine has
 * consumed the skb.  One TX queue; its lock serialises us.
 */
static netdev_tx_t pxnic_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct pxnic_priv *rpriv;
	unsigned int len = skb->len;
	struct net_device *rcv;

	rcu_read_lock();
	rcv = rcu_dereference(priv->peer);
	if (unlikely(!rcv))
		goto drop;
	rpriv = netdev_priv(rcv);
	/* See pxnic_engine_stop(): running is cleared before an RCU wait. */
	if (unlikely(!READ_ONCE(rpriv->running)))
		goto drop;

	skb_tx_timestamp(skb);
	if (unlikely(ptr_ring_produce(&rpriv->wire, skb)))
		goto drop;	/* the queue was stopped before it got full */
	dev_sw_netstats_tx_add(dev, 1, len);

	/*
	 * Stop the queue while the wire is full, as a NIC does when its TX
	 * ring has no free descriptor.  The peer's engine wakes it after
	 * consuming; the barrier pairs with its smp_mb() so that either it
	 * sees the queue stopped or we see the room it made.
	 */
	if (ptr_ring_full(&rpriv->wire)) {
		netif_stop_queue(dev);
		/* Order the stop before the re-check; see above. */
		smp_mb__after_atomic();
		if (!ptr_ring_full(&rpriv->wire))
			netif_start_queue(dev);
	}
	/* Pairs with the barrier in the engine's wait_event_idle(). */
	if (wq_has_sleeper(&rpriv->wire_wq))
		wake_up(&rpriv->wire_wq);
	rcu_read_unlock();
	return NETDEV_TX_OK;

drop:
	rcu_read_unlock();
	dev_kfree_skb_any(skb);
	atomic64_inc(&priv->tx_drops);
	return NETDEV_TX_OK;
}

/*
 * An IPv6 TSO super-segment over 64 KiB carries a jumbo payload length
 * (BIG TCP), which the engine does not parse: have the stack segment it
 * in software instead, into frames the engine takes.
 */
static netdev_features_t pxnic_features_check(struct sk_buff *skb,
					      struct net_device *dev,
					      netdev_features_t features)
{
	if (skb_is_gso(skb) && skb->len > GSO_LEGACY_MAX_SIZE &&
	    vlan_get_protocol(skb) == htons(ETH_P_IPV6))
		features &= ~NETIF_F_GSO_MASK;
	return features;
}

/* ---- netdev ops -------------------------------------------------------- */

static int pxnic_dev_init(struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	unsigned int rx_size = clamp(pxnic_rx_ring_size, 16U, 65536U);
	int err;

	priv->dev = dev;
	init_waitqueue_head(&priv->wire_wq);
	init_waitqueue_head(&priv->rx_wq);
	u64_stats_init(&priv->stats.syncp);
	atomic64_set(&priv->tx_drops, 0);

	priv->id = ida_alloc(&pxnic_ida, GFP_KERNEL);
	if (priv->id < 0)
		return priv->id;
	snprintf(priv->bus_info, sizeof(priv->bus_info), PXNIC_DRV_NAME "%d",
		 priv->id);
	err = ptr_ring_init(&priv->wire, PXNIC_WIRE_SIZE, GFP_KERNEL);
	if (err)
		goto err_wire;
	err = ptr_ring_init(&priv->rx_ring, rx_size, GFP_KERNEL);
	if (err)
		goto err_rx;
	err = pxnic_flows_init(&priv->flows, READ_ONCE(pxnic_flow_table_size));
	if (err)
		goto err_flows;
	/* Disabled until ndo_open; threaded once registered (newlink). */
	netif_napi_add(dev, &priv->napi, pxnic_napi_poll);
	/* Last: from here a failed register calls ndo_uninit, which undoes it. */
	pxnic_fault_dev_init(priv);
	return 0;

err_flows:
	ptr_ring_cleanup(&priv->rx_ring, NULL);
err_rx:
	ptr_ring_cleanup(&priv->wire, NULL);
err_wire:
	ida_free(&pxnic_ida, priv->id);
	return err;
}

/*
 * Unregistration (ip link del, netns exit, rmmod, a failed newlink): the
 * device is closed already, so the engine is stopped and the rings are
 * empty.  postrx removes every flow here, under RTNL, before the device
 * can go away; after that nothing reads the fault knobs, and their files
 * go before the memory that holds them (pxnic_dev_free()).
 */
static void pxnic_dev_uninit(struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);

	if (priv->postrx_registered) {
		postrx_dev_unregister(dev);
		priv->postrx_registered = false;
	}
	pxnic_fault_dev_exit(priv);
	netif_napi_del(&priv->napi);
}

static void pxnic_free_skb(void *skb)
{
	kfree_skb(skb);
}

/* After the last reference (needs_free_netdev), or a failed register. */
static void pxnic_dev_free(struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);

	pxnic_flows_destroy(&priv->flows);
	ptr_ring_cleanup(&priv->rx_ring, pxnic_free_skb);
	ptr_ring_cleanup(&priv->wire, pxnic_free_skb);
	/* Its debugfs directory is gone (ndo_uninit): the id is free. */
	ida_free(&pxnic_ida, priv->id);
}

static int pxnic_open(struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);
	int err;

	if (!peer)
		return -ENOTCONN;
	err = pxnic_engine_start(priv);
	if (err)
		return err;
	netif_start_queue(dev);
	if (peer->flags & IFF_UP) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int pxnic_stop(struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	netif_stop_queue(dev);
	pxnic_engine_stop(priv);
	return 0;
}

static void pxnic_get_stats64(struct net_device *dev,
			      struct rtnl_link_stats64 *tot)
{
	struct pxnic_priv *priv = netdev_priv(dev);

	dev_fetch_sw_netstats(tot, dev->tstats);
	tot->tx_dropped = atomic64_read(&priv->tx_drops);
	tot->rx_packets = pxnic_stat_read(priv, PXNIC_STAT_RX_SEGS);
	tot->rx_bytes = pxnic_stat_read(priv, PXNIC_STAT_RX_BYTES);
	tot->rx_dropped = pxnic_stat_read(priv, PXNIC_STAT_RX_DROPS);
	tot->rx_crc_errors = pxnic_stat_read(priv, PXNIC_STAT_RX_CSUM_BAD);
}

static int pxnic_get_iflink(const struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	int iflink;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	iflink = peer ? READ_ONCE(peer->ifindex) : 0;
	rcu_read_unlock();
	return iflink;
}

static struct net_device *pxnic_peer_dev(struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);

	/* Callers hold RCU. */
	return rcu_dereference(priv->peer);
}

/* No multicast filter to program: the wire delivers every frame. */
static void pxnic_set_rx_mode(struct net_device *dev)
{
}

static const struct net_device_ops pxnic_netdev_ops = {
	.ndo_init		= pxnic_dev_init,
	.ndo_uninit		= pxnic_dev_uninit,
	.ndo_open		= pxnic_open,
	.ndo_stop		= pxnic_stop,
	.ndo_start_xmit		= pxnic_xmit,
	.ndo_features_check	= pxnic_features_check,
	.ndo_get_stats64	= pxnic_get_stats64,
	.ndo_set_rx_mode	= pxnic_set_rx_mode,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_get_iflink		= pxnic_get_iflink,
	.ndo_get_peer_dev	= pxnic_peer_dev,
};

/*
 * Offloads of the modelled NIC.  RXCSUM is fixed on: the engine always
 * verifies or trusts the checksum before it places (a claim is final), and
 * a trusted CHECKSUM_PARTIAL frame carries no finished checksum to hand up
 * unverified.
 */
#define PXNIC_HW_FEATURES	(NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_TSO | \
				 NETIF_F_TSO6)
#define PXNIC_FEATURES		(PXNIC_HW_FEATURES | NETIF_F_RXCSUM | \
				 NETIF_F_HIGHDMA | NETIF_F_GRO)

static void pxnic_setup(struct net_device *dev)
{
	ether_setup(dev);

	/* The wire holds the skb until the peer's engine is done with it. */
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	/* xmit takes the wire's producer lock with only BH disabled. */
	dev->priv_flags |= IFF_DISABLE_NETPOLL;
	dev->netdev_ops = &pxnic_netdev_ops;
	dev->ethtool_ops = &pxnic_ethtool_ops;
	dev->features |= PXNIC_FEATURES;
	dev->hw_features |= PXNIC_HW_FEATURES;
	dev->vlan_features = dev->features;
	dev->needs_free_netdev = true;
	dev->priv_destructor = pxnic_dev_free;
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	/*
	 * TSO up to BIG TCP's 512 KiB (the engine builds such a segment as
	 * one RX skb in pieces); the stack still sends 64 KiB at most until
	 * the administrator raises gso_ipv4_max_size.  IPv4 only: see
	 * pxnic_features_check().
	 */
	netif_set_tso_max_size(dev, GSO_MAX_SIZE);
}

/* ---- rtnl_link_ops ----------------------------------------------------- */

static int pxnic_validate(struct nlattr *tb[], struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN)
			return -EINVAL;
		if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS])))
			return -EADDRNOTAVAIL;
	}
	if (tb[IFLA_MTU]) {
		u32 mtu = nla_get_u32(tb[IFLA_MTU]);

		if (mtu < ETH_MIN_MTU || mtu > ETH_MAX_MTU)
			return -EINVAL;
	}
	return 0;
}

/*
 * A registered device becomes a postrx device, and its NAPI runs in a
 * thread of its own so that receive work is not charged to the engine.
 */
static int pxnic_attach(struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	int err;

	err = postrx_dev_register(dev, &pxnic_postrx_ops, priv->flows.max);
	if (err)
		return err;
	priv->postrx_registered = true;
	if (dev_set_threaded(dev, true))
		netdev_warn(dev, "threaded NAPI unavailable, using softirq\n");
	return 0;
}

/* Parses VETH_INFO_PEER exactly as veth does. */
static int pxnic_newlink(struct net *src_net, struct net_device *dev,
			 struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	struct nlattr *peer_tb[IFLA_MAX + 1], **tbp;
	struct pxnic_priv *priv, *peer_priv;
	unsigned char name_assign_type;
	struct ifinfomsg *ifmp = NULL;
	char ifname[IFNAMSIZ];
	struct net_device *peer;
	struct net *net;
	int err;

	/*
	 * A pair costs two kernel threads and registers with postrx, and
	 * its fault knobs can make it misbehave at will: a test device, for
	 * the machine's administrator only.  capable() asks the initial
	 * user namespace, so CAP_NET_ADMIN over a netns of one's own (an
	 * unprivileged user namespace) is not enough; rtnl_newlink() only
	 * checked that one.
	 */
	if (!capable(CAP_NET_ADMIN))
		return -EPERM;

	if (data && data[VETH_INFO_PEER]) {
		struct nlattr *nla_peer = data[VETH_INFO_PEER];

		ifmp = nla_data(nla_peer);
		err = rtnl_nla_parse_ifinfomsg(peer_tb, nla_peer, extack);
		if (err < 0)
			return err;
		err = pxnic_validate(peer_tb, NULL, extack);
		if (err < 0)
			return err;
		tbp = peer_tb;
	} else {
		tbp = tb;
	}

	if (ifmp && tbp[IFLA_IFNAME]) {
		nla_strscpy(ifname, tbp[IFLA_IFNAME], IFNAMSIZ);
		name_assign_type = NET_NAME_USER;
	} else {
		snprintf(ifname, IFNAMSIZ, PXNIC_DRV_NAME "%%d");
		name_assign_type = NET_NAME_ENUM;
	}

	net = rtnl_link_get_net(src_net, tbp);
	if (IS_ERR(net))
		return PTR_ERR(net);
	peer = rtnl_create_link(net, ifname, name_assign_type, &pxnic_link_ops,
				tbp, extack);
	if (IS_ERR(peer)) {
		put_net(net);
		return PTR_ERR(peer);
	}
	if (!ifmp || !tbp[IFLA_ADDRESS])
		eth_hw_addr_random(peer);
	if (ifmp && dev->ifindex != 0)
		peer->ifindex = ifmp->ifi_index;
	netif_inherit_tso_max(peer, dev);

	err = register_netdevice(peer);
	put_net(net);
	if (err < 0)
		goto err_register_peer;
	netif_carrier_off(peer);
	err = rtnl_configure_link(peer, ifmp, 0, NULL);
	if (err < 0)
		goto err_configure_peer;

	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_random(dev);
	if (tb[IFLA_IFNAME])
		nla_strscpy(dev->name, tb[IFLA_IFNAME], IFNAMSIZ);
	else
		snprintf(dev->name, IFNAMSIZ, PXNIC_DRV_NAME "%%d");
	err = register_netdevice(dev);
	if (err < 0)
		goto err_register_dev;
	netif_carrier_off(dev);

	/* Tie the pair together; xmit reads the pointers under RCU. */
	priv = netdev_priv(dev);
	peer_priv = netdev_priv(peer);
	rcu_assign_pointer(priv->peer, peer);
	rcu_assign_pointer(peer_priv->peer, dev);

	err = pxnic_attach(peer);
	if (err)
		goto err_attach;
	err = pxnic_attach(dev);
	if (err)
		goto err_attach;
	return 0;

err_attach:
	/* Both unregister in this RTNL section: no reader sees one freed. */
	RCU_INIT_POINTER(priv->peer, NULL);
	RCU_INIT_POINTER(peer_priv->peer, NULL);
	unregister_netdevice(dev);
err_register_dev:
err_configure_peer:
	unregister_netdevice(peer);
	return err;

err_register_peer:
	free_netdev(peer);
	return err;
}

static void pxnic_dellink(struct net_device *dev, struct list_head *head)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	/*
	 * dellink may run from default_device_exit_batch() before an RCU
	 * grace period; the devices are not freed before one passes, so an
	 * xmit that still sees the old pointer is safe.
	 */
	RCU_INIT_POINTER(priv->peer, NULL);
	unregister_netdevice_queue(dev, head);
	if (peer) {
		priv = netdev_priv(peer);
		RCU_INIT_POINTER(priv->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static struct net *pxnic_get_link_net(const struct net_device *dev)
{
	struct pxnic_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	return peer ? dev_net(peer) : dev_net(dev);
}

static const struct nla_policy pxnic_policy[VETH_INFO_MAX + 1] = {
	[VETH_INFO_PEER]	= { .len = sizeof(struct ifinfomsg) },
};

static struct rtnl_link_ops pxnic_link_ops = {
	.kind		= PXNIC_DRV_NAME,
	.priv_size	= sizeof(struct pxnic_priv),
	.setup		= pxnic_setup,
	.validate	= pxnic_validate,
	.newlink	= pxnic_newlink,
	.dellink	= pxnic_dellink,
	.policy		= pxnic_policy,
	.maxtype	= VETH_INFO_MAX,
	.get_link_net	= pxnic_get_link_net,
};

static int __init pxnic_init(void)
{
	int err;

	/* The root directory exists before any device can make its own. */
	pxnic_debugfs_init();
	err = rtnl_link_register(&pxnic_link_ops);
	if (err)
		pxnic_debugfs_exit();
	return err;
}

/*
 * rtnl_link_unregister() deletes every pxnic device (dellink) and frees
 * it before returning: no device directory or id is left after it.
 */
static void __exit pxnic_exit(void)
{
	rtnl_link_unregister(&pxnic_link_ops);
	pxnic_debugfs_exit();
	WARN_ON_ONCE(!ida_is_empty(&pxnic_ida));
	ida_destroy(&pxnic_ida);
}

module_init(pxnic_init);
module_exit(pxnic_exit);

MODULE_DESCRIPTION("pxnic: reference NIC model for postrx placement");
MODULE_LICENSE("GPL");
MODULE_ALIAS_RTNL_LINK(PXNIC_DRV_NAME);
