// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: flows.  Devices that can steer a TCP flow's payload into posted
 * buffers register here (include/postrx_driver.h).  When the first buffer
 * is posted on a socket whose traffic arrives on such a device, we install
 * the socket's flow (netns + 5-tuple) with its channel in the device's
 * classifier; we remove it when the socket is closed or the device goes.
 *
 * Locking: postrx_flow_mutex protects the device list, every device's flow
 * list and chan->flow changes.  It nests inside the socket lock (attach and
 * close run with the socket locked) and inside RTNL (drivers unregister
 * under it); the driver's flow_add/flow_del are called under it, so they
 * must take neither.  chan->flow is also written under chan->place_lock,
 * which is what postrx_place() reads it under.
 *
 * Lifetime: a flow holds a reference on its channel; the channel outlives
 * every flow that points at it, and drivers stop using a flow before
 * flow_del returns.
 *
 * Fairness: a device's classifier is shared by every user of the machine,
 * and a user with thousands of sockets could take all of it, pushing
 * everyone else to the copy path.  So besides max_flows_per_user over all
 * devices (user.c), no user may hold more than flow_share_percent of one
 * device's table; beyond that its sockets receive by copy and STATS
 * reports -EDQUOT.
 */
#include <linux/ipv6.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "postrx.h"

static unsigned int flow_share_percent = 50;
module_param(flow_share_percent, uint, 0644);
MODULE_PARM_DESC(flow_share_percent,
		 "share of one device's flow table a single user may hold");

struct postrx_dev {
	struct list_head		node;	/* in postrx_devs */
	struct net_device		*dev;
	const struct postrx_dev_ops	*ops;
	unsigned int			max_flows;
	struct list_head		flows;
	struct list_head		users;	/* postrx_dev_user */
};

/* The flows one user has installed on one device. */
struct postrx_dev_user {
	struct list_head	node;		/* in pdev->users */
	struct postrx_user	*user;
	unsigned int		flows;
};

static DEFINE_MUTEX(postrx_flow_mutex);
static LIST_HEAD(postrx_devs);

static struct postrx_dev *postrx_dev_find(const struct net *net, int ifindex)
{
	struct postrx_dev *pdev;

	lockdep_assert_held(&postrx_flow_mutex);
	list_for_each_entry(pdev, &postrx_devs, node)
		if (pdev->dev->ifindex == ifindex &&
		    net_eq(dev_net(pdev->dev), net))
			return pdev;
	return NULL;
}

int postrx_dev_register(struct net_device *dev,
			const struct postrx_dev_ops *ops,
			unsigned int max_flows)
{
	struct postrx_dev *pdev;

	if (!ops || !ops->flow_add || !ops->flow_del || !max_flows)
		return -EINVAL;
	pdev = kzalloc(sizeof(*pdev), GFP_KERNEL);
	if (!pdev)
		return -ENOMEM;
	pdev->dev = dev;
	pdev->ops = ops;
	pdev->max_flows = max_flows;
	INIT_LIST_HEAD(&pdev->flows);
	INIT_LIST_HEAD(&pdev->users);

	mutex_lock(&postrx_flow_mutex);
	list_add_tail(&pdev->node, &postrx_devs);
	mutex_unlock(&postrx_flow_mutex);
	return 0;
}
EXPORT_SYMBOL_GPL(postrx_dev_register);

/*
 * @user's share of @pdev, counted with one more flow; NULL with *@err
 * set if the user already holds its share.  Under the flow mutex.
 */
static struct postrx_dev_user *postrx_dev_user_get(struct postrx_dev *pdev,
						   struct postrx_user *user,
						   int *err)
{
	unsigned int share = mult_frac(pdev->max_flows,
				       READ_ONCE(flow_share_percent), 100);
	struct postrx_dev_user *du;

	lockdep_assert_held(&postrx_flow_mutex);
	list_for_each_entry(du, &pdev->users, node)
		if (du->user == user)
			goto found;
	du = kzalloc(sizeof(*du), GFP_KERNEL_ACCOUNT);
	if (!du) {
		*err = -ENOMEM;
		return NULL;
	}
	du->user = user;
	list_add(&du->node, &pdev->users);
found:
	if (du->flows >= max(share, 1U)) {
		if (!du->flows) {
			list_del(&du->node);
			kfree(du);
		}
		*err = -EDQUOT;
		return NULL;
	}
	du->flows++;
	return du;
}

static void postrx_dev_user_put(struct postrx_dev_user *du)
{
	lockdep_assert_held(&postrx_flow_mutex);
	if (--du->flows)
		return;
	list_del(&du->node);
	kfree(du);
}

/*
 * Take @flow out of its channel and its device, and free it.  The channel
 * lets go first: from then on postrx_place() refuses the flow, and
 * a device write in flight has ended.  The driver may still hold the flow
 * in an RCU read-side section (its classifier lookup) when flow_del
 * returns; such a holder only reaches flow->chan and the channel's locks and
 * finds the flow gone.  So the flow is freed after a grace period
 * (kfree_rcu), and so is the channel (postrx_chan_release()): nobody
 * waits for a grace period here, under the flow mutex and perhaps RTNL.
 */
static void postrx_flow_remove(struct postrx_flow *flow)
{
	struct postrx_chan *chan = flow->chan;

	lockdep_assert_held(&postrx_flow_mutex);
	spin_lock_bh(&chan->place_lock);
	chan->flow = NULL;
	postrx_place_wait(chan);
	spin_unlock_bh(&chan->place_lock);

	list_del(&flow->node);
	flow->pdev->ops->flow_del(flow->pdev->dev, flow);

	postrx_dev_user_put(flow->dev_user);
	postrx_user_uncharge(flow->user, POSTRX_CHARGE_FLOW);
	kfree_rcu(flow, rcu);
	postrx_chan_put(chan);
}

/*
 * The device is going away: remove its flows.  Their sockets go on
 * receiving by copy; buffers the device already wrote stay valid, since
 * the skbs that point at them hold page references.
 */
void postrx_dev_unregister(struct net_device *dev)
{
	struct postrx_flow *flow, *tmp;
	struct postrx_dev *pdev;

	mutex_lock(&postrx_flow_mutex);
	list_for_each_entry(pdev, &postrx_devs, node)
		if (pdev->dev == dev)
			break;
	if (list_entry_is_head(pdev, &postrx_devs, node)) {
		mutex_unlock(&postrx_flow_mutex);
		return;
	}
	list_for_each_entry_safe(flow, tmp, &pdev->flows, node)
		postrx_flow_remove(flow);
	list_del(&pdev->node);
	mutex_unlock(&postrx_flow_mutex);
	WARN_ON_ONCE(!list_empty(&pdev->users));
	kfree(pdev);
}
EXPORT_SYMBOL_GPL(postrx_dev_unregister);

/* The socket's flow as the device sees it arrive. */
static void postrx_flow_key_of(struct sock *sk, struct postrx_flow_key *key)
{
	const struct inet_sock *inet = inet_sk(sk);

	memset(key, 0, sizeof(*key));
	key->net = sock_net(sk);
	key->sport = inet->inet_dport;
	key->dport = inet->inet_sport;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6 &&
	    !ipv6_addr_v4mapped(&sk->sk_v6_daddr)) {
		key->family = AF_INET6;
		key->saddr = sk->sk_v6_daddr;
		key->daddr = sk->sk_v6_rcv_saddr;
		return;
	}
#endif
	key->family = AF_INET;
	key->saddr.s6_addr32[0] = inet->inet_daddr;
	key->daddr.s6_addr32[0] = inet->inet_rcv_saddr;
}

/* The device the socket's segments arrive on. */
static int postrx_flow_ifindex(struct sock *sk)
{
	int ifindex = READ_ONCE(sk->sk_rx_dst_ifindex);
	struct dst_entry *dst;

	if (ifindex)
		return ifindex;
	dst = __sk_dst_get(sk);
	return dst && dst->dev ? dst->dev->ifindex : 0;
}

/*
 * Install @chan's flow on the device its socket receives from, if that
 * device steers flows.  Called once, at attach, with the socket locked.
 * Failing to install is not an error: the socket receives by copy.
 */
void postrx_flow_install(struct postrx_chan *chan)
{
	struct sock *sk = chan->sk;
	struct postrx_dev_user *du;
	struct postrx_flow *flow;
	struct postrx_user *user;
	struct postrx_dev *pdev;
	int ret;

	mutex_lock(&postrx_flow_mutex);
	if (list_empty(&postrx_devs))
		goto out_unlock;
	pdev = postrx_dev_find(sock_net(sk), postrx_flow_ifindex(sk));
	if (!pdev)
		goto out_unlock;
	/* The device's table is shared by all its users: each has a quota. */
	user = postrx_user_charge(POSTRX_CHARGE_FLOW);
	if (IS_ERR(user)) {
		chan->flow_err = PTR_ERR(user);
		goto out_unlock;
	}
	du = postrx_dev_user_get(pdev, user, &ret);
	if (!du) {
		chan->flow_err = ret;
		postrx_user_uncharge(user, POSTRX_CHARGE_FLOW);
		goto out_unlock;
	}
	flow = kzalloc(sizeof(*flow), GFP_KERNEL_ACCOUNT);
	if (!flow) {
		chan->flow_err = -ENOMEM;
		postrx_dev_user_put(du);
		postrx_user_uncharge(user, POSTRX_CHARGE_FLOW);
		goto out_unlock;
	}
	flow->user = user;
	flow->dev_user = du;
	flow->pdev = pdev;
	flow->chan = chan;
	postrx_flow_key_of(sk, &flow->key);
	kref_get(&chan->ref);

	/*
	 * From here the consumer claims what it copies (place.c), and the
	 * flow is visible to postrx_place() before the device can
	 * call it.
	 */
	chan->steered = true;
	spin_lock_bh(&chan->place_lock);
	chan->flow = flow;
	spin_unlock_bh(&chan->place_lock);

	ret = pdev->ops->flow_add(pdev->dev, flow, &flow->key);
	if (ret) {
		spin_lock_bh(&chan->place_lock);
		chan->flow = NULL;
		spin_unlock_bh(&chan->place_lock);
		chan->flow_err = ret;
		postrx_dev_user_put(du);
		postrx_user_uncharge(user, POSTRX_CHARGE_FLOW);
		kfree(flow);
		postrx_chan_put(chan);
		goto out_unlock;
	}
	list_add_tail(&flow->node, &pdev->flows);
out_unlock:
	mutex_unlock(&postrx_flow_mutex);
}

/* Remove @chan's flow, if it has one.  Called with the socket locked. */
void postrx_flow_uninstall(struct postrx_chan *chan)
{
	/* Written under the mutex only, so an unlocked peek is a hint. */
	if (!READ_ONCE(chan->flow))
		return;
	mutex_lock(&postrx_flow_mutex);
	if (chan->flow)
		postrx_flow_remove(chan->flow);
	mutex_unlock(&postrx_flow_mutex);
}
