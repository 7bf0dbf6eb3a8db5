// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: per-user limits.  Any user may post buffers and, through them,
 * install flows in a device's classifier, whose table is shared by every
 * user of the device.  So each posted buffer and each installed flow is
 * charged to the user who posted it (the real uid, as RLIMIT_NPROC counts
 * processes), and a user over a limit gets -EDQUOT:
 *
 *  - max_posted_per_user: buffers posted and not yet completed; a post
 *    over it is refused with -EDQUOT;
 *  - max_flows_per_user: flows installed; a socket over it receives by
 *    copy, and POSTRX_CMD_STATS reports -EDQUOT as its flow state.
 *
 * The pages of the buffers are not counted here: io_uring charges them to
 * RLIMIT_MEMLOCK when they are registered.
 *
 * Locking: postrx_users_lock protects the table and every entry's counts.
 * Charges and uncharges happen in process context (issue, task work,
 * flow removal under postrx_flow_mutex), never in softirq.  An entry
 * exists while its user has anything charged.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include "postrx.h"

static unsigned int max_posted_per_user = 65536;
module_param(max_posted_per_user, uint, 0644);
MODULE_PARM_DESC(max_posted_per_user,
		 "buffers one user may have posted at once (-EDQUOT beyond)");

/*
 * Half of a 65536-entry table (pxnic's default), as flow_share_percent
 * allows on one device: a server with tens of thousands of connections
 * gets them all steered.
 */
static unsigned int max_flows_per_user = 32768;
module_param(max_flows_per_user, uint, 0644);
MODULE_PARM_DESC(max_flows_per_user,
		 "flows one user may have installed on devices (copy beyond)");

struct postrx_user {
	struct hlist_node	node;
	kuid_t			uid;
	unsigned int		count[POSTRX_NR_CHARGES];
};

static DEFINE_HASHTABLE(postrx_users, 6);
static DEFINE_SPINLOCK(postrx_users_lock);

static unsigned int postrx_user_limit(enum postrx_charge kind)
{
	return kind == POSTRX_CHARGE_POSTED ? READ_ONCE(max_posted_per_user) :
					      READ_ONCE(max_flows_per_user);
}

static struct postrx_user *postrx_user_find(kuid_t uid)
{
	struct postrx_user *u;

	lockdep_assert_held(&postrx_users_lock);
	hash_for_each_possible(postrx_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/*
 * Charge one @kind to the current user.  Returns the user's entry, to be
 * handed back to postrx_user_uncharge(), or ERR_PTR(-EDQUOT) over the
 * limit, or ERR_PTR(-ENOMEM).
 */
struct postrx_user *postrx_user_charge(enum postrx_charge kind)
{
	kuid_t uid = current_uid();
	struct postrx_user *u, *new = NULL;

	spin_lock(&postrx_users_lock);
	u = postrx_user_find(uid);
	if (!u) {
		/* First charge of this user: allocate outside the lock. */
		spin_unlock(&postrx_users_lock);
		new = kzalloc(sizeof(*new), GFP_KERNEL);
		if (!new)
			return ERR_PTR(-ENOMEM);
		new->uid = uid;
		spin_lock(&postrx_users_lock);
		u = postrx_user_find(uid);
		if (!u) {
			hash_add(postrx_users, &new->node, __kuid_val(uid));
			u = new;
			new = NULL;
		}
	}
	if (u->count[kind] >= postrx_user_limit(kind)) {
		/* An entry just added for this refused charge goes again. */
		if (!u->count[POSTRX_CHARGE_POSTED] &&
		    !u->count[POSTRX_CHARGE_FLOW]) {
			hash_del(&u->node);
			new = u;
		}
		u = ERR_PTR(-EDQUOT);
	} else {
		u->count[kind]++;
	}
	spin_unlock(&postrx_users_lock);
	kfree(new);
	return u;
}

void postrx_user_uncharge(struct postrx_user *u, enum postrx_charge kind)
{
	bool last;

	spin_lock(&postrx_users_lock);
	WARN_ON_ONCE(!u->count[kind]);
	u->count[kind]--;
	last = !u->count[POSTRX_CHARGE_POSTED] && !u->count[POSTRX_CHARGE_FLOW];
	if (last)
		hash_del(&u->node);
	spin_unlock(&postrx_users_lock);
	if (last)
		kfree(u);
}

/* At module exit every range and flow is gone, and so is every entry. */
void postrx_user_exit(void)
{
	WARN_ON_ONCE(!hash_empty(postrx_users));
}
