/* SPDX-License-Identifier: GPL-2.0 */
/*
 * postrx internal interfaces shared by the files of postrx.ko.
 *
 *   main.c   module life, /dev/postrx
 *   uring.c  io_uring commands: validation, posting, completion, cancel
 *   chan.c   the channel: a socket's ordered queue of posted ranges
 *   rx.c     the TCP side: hooks on the socket, the consumer and its actor
 *   flow.c   devices that steer flows, and the flows installed on them
 *   place.c  placement: claims by a device, and what the consumer must know
 *   user.c   per-user limits on posted buffers and installed flows
 *
 * Locking: a channel's ranges, counters and attachment are protected by
 * the socket lock of its socket (lock_sock() in process context, or the
 * socket spinlock held by the TCP receive path when the socket is not owned
 * by a user).  Every TCP callback we install runs under one of the two.
 *
 * Lock order: io_uring's ctx->uring_lock, then the socket lock, then
 * postrx_flow_mutex (flow.c), then chan->place_lock.  Nothing here takes
 * uring_lock while holding a socket lock.  chan->write_lock, taken only by
 * postrx_place() and postrx_place_wait(), comes before place_lock and is
 * never taken while holding it.
 *
 * chan->place_lock (a BH spinlock) serialises a device's placements with
 * the consumer and with completion.  It guards what a device reads or
 * writes: the range list's membership and each range's fill level and
 * placement cursor, rx_next, claim_next, the placed spans and chan->flow.
 * Those are written under both locks, so code holding the socket lock may
 * read them without place_lock.  Channels that were never steered
 * (chan->steered false: no device can call in) skip place_lock in the
 * consumer.
 *
 * chan->handover_lock (a BH spinlock) guards the ranges that ended and
 * wait for their owners (chan.c); innermost, taken under the socket lock
 * or alone.
 *
 * chan->write_lock (a BH spinlock) is held by postrx_place() across a
 * device's claim and write.  Whoever must wait for a write in flight
 * (completion, a consumer copy over the same bytes, unpublishing the
 * flow) takes and drops it (postrx_place_wait()).  A lock rather than a
 * flag to spin on: on PREEMPT_RT the writer may be preempted, and a
 * waiter blocking on the lock boosts it instead of spinning against it.
 */
#ifndef _POSTRX_INTERNAL_H
#define _POSTRX_INTERNAL_H

#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "postrx_driver.h"

struct io_uring_cmd;

#define POSTRX_MAX_POSTED	1024	/* posted ranges per socket */
#define POSTRX_MAX_SPANS	16	/* placed spans ahead of the consumer */

struct postrx_dev;
struct postrx_dev_user;
struct postrx_user;

/* What user.c counts per user. */
enum postrx_charge {
	POSTRX_CHARGE_POSTED,	/* a posted buffer, until its completion */
	POSTRX_CHARGE_FLOW,	/* an installed flow */
	POSTRX_NR_CHARGES,
};

/*
 * A flow installed on a device (flow.c): the device's handle for one
 * socket's channel.  Holds a reference on the channel.
 */
struct postrx_flow {
	struct list_head	node;		/* in its device's flows */
	struct postrx_dev	*pdev;
	struct postrx_chan	*chan;
	struct postrx_user	*user;		/* charged for this flow */
	struct postrx_dev_user	*dev_user;	/* ... and its share of pdev */
	struct postrx_flow_key	key;
	struct rcu_head		rcu;		/* drivers look flows up under RCU */
};

/* Stream bytes a device placed ahead of the consumer. */
struct postrx_span {
	u32	seq;
	u32	len;
};

/*
 * A kernel copy of placed bytes whose range ended before the consumer got
 * to them (bounce.c): page/off say where the device had put them,
 * bpage/boff where the copy is.
 */
struct postrx_bounce {
	struct list_head	node;		/* chan->bounce, in seq order */
	u32			seq;
	u32			len;
	struct page		*page;
	u32			off;
	struct page		*bpage;		/* referenced */
	u32			boff;
};

/* Fills bounce pages one after the other (postrx_place_pause_and_bounce()). */
struct postrx_bounce_pack {
	struct page	*page;
	u32		used;
};

/*
 * A channel: what postrx attaches to one TCP socket on the first post and
 * keeps until the socket is closed.
 *
 * Lifetime: one reference belongs to the attachment (dropped when the socket
 * is closed), one to each range that still exists.  While the channel lives
 * it holds the socket (sock_hold) and the /dev/postrx file it was created
 * through; that file pins the module, so the hooks below never outlive the
 * code they point to.  The final fput() is deferred by the VFS, so it never
 * runs module code after the module could go away.
 */
struct postrx_chan {
	struct sock		*sk;
	struct file		*devfile;
	struct kref		ref;

	/* Under the socket lock. */
	struct list_head	ranges;		/* posted, in stream order */
	unsigned int		nr_posted;
	u64			room;		/* space the ranges have left */
	bool			attached;
	u64			placed_bytes;
	u64			copied_rx_bytes;
	u64			copied_late_bytes;
	u64			completed;
	u64			bounced_bytes;
	bool			steered;	/* a flow was installed once */
	int			flow_err;	/* why none was, if it failed */
	struct list_head	bounce;

	spinlock_t		write_lock;	/* see above */

	/*
	 * Ranges that ended, waiting to be handed to their owners
	 * (postrx_chan_hand_over()), under handover_lock.
	 */
	spinlock_t		handover_lock;
	struct list_head	handover;
	bool			handover_queued;
	struct work_struct	handover_work;

	/* Under place_lock and the socket lock; see above. */
	spinlock_t		place_lock;
	struct postrx_flow	*flow;
	bool			place_paused;
	bool			place_inflight;	/* a device write is claimed */
	u32			inflight_seq;	/* ... for these bytes */
	u32			inflight_end;
	u32			rx_next;	/* next stream byte to consume */
	u32			claim_next;	/* no claim below this */
	unsigned int		nr_placed;
	struct postrx_span	placed[POSTRX_MAX_SPANS];
	/*
	 * Where the last mapping started (place.c): a range on the list
	 * and the stream position of its first byte, valid while every
	 * range before it fills whole; see postrx_place_forget_map().
	 */
	struct postrx_range	*map_r;
	u32			map_start;
	/*
	 * -EBADMSG once TCP contradicted placed bytes (place.c): written
	 * under both locks, read locklessly by the proto wrappers.
	 */
	int			stream_err;

	/*
	 * The push timer (chan.c): ends a head range without WAITALL that
	 * holds bytes when no more came for postrx.push_timeout_us.  Runs
	 * under the socket spinlock; cancelled at close.  push_mark is
	 * rx_next when it was armed, under the socket lock.
	 */
	struct hrtimer		push_timer;
	u32			push_mark;

	/*
	 * The window held to the posted space (window.c), under the socket
	 * lock: whether it is, what the last post (or a recv() since)
	 * said, the clamp we set, and the socket's own.  wnd_bounded is
	 * also read without the lock, as a hint (postrx_rx_plain_reader()).
	 */
	bool			wnd_bounded;
	bool			wnd_let_go;	/* since the last post */
	bool			wnd_gap;	/* none posted, wnd_timer started */
	struct hrtimer		wnd_timer;	/* lets go when none is posted */
	u32			wnd_clamp;
	u32			wnd_natural;
	u64			wnd_posted_max;	/* most posted since let go */

	/*
	 * An ACK held for the next skb (ack.c), under the socket lock:
	 * rcv_wup and rcv_ssthresh when it was held, the rcv_ssthresh we
	 * set, whether SO_RCVLOWAT was lowered, and the timer that sends
	 * it if no skb comes.
	 */
	bool			ack_held;
	bool			ack_lowat;
	u32			ack_wup;
	u32			ack_ssthresh;
	u32			ack_ssthresh_held;
	struct hrtimer		ack_timer;

	/* What the socket had before we attached; restored at close. */
	const struct proto	*base_prot;
	void			(*saved_data_ready)(struct sock *sk);
	void			(*saved_state_change)(struct sock *sk);

	struct rcu_head		rcu;
};

enum postrx_range_state {
	POSTRX_RANGE_NEW,	/* issued, not yet on a channel */
	POSTRX_RANGE_POSTED,	/* on chan->ranges, being filled */
	POSTRX_RANGE_DONE,	/* off the channel, completion queued */
};

/*
 * A posted range: one POSTRX_CMD_RECV.  It lives from the issue of the
 * command until its completion has been posted to io_uring.
 */
struct postrx_range {
	struct list_head	node;		/* in chan->ranges while POSTED */
	struct postrx_chan	*chan;		/* set once, when posted */
	struct io_uring_cmd	*ioucmd;
	u64			user_data;	/* its SQE's, for CANCEL */
	/*
	 * Hands the result to the range's owner (uring.c); called once, by
	 * the channel, under its handover_lock, in any context, with or
	 * without the socket lock (chan.c).
	 */
	void			(*done)(struct postrx_range *r);
	struct postrx_user	*user;		/* charged; NULL if refused */
	struct iov_iter		iter;		/* where the next byte goes */
	u32			len;
	u32			filled;
	u32			flags;		/* POSTRX_RECV_* */
	int			res;		/* the CQE's res, once DONE */
	enum postrx_range_state	state;

	/* Placement cursor (place.c), under place_lock. */
	const struct bio_vec	*base_bv;	/* the range's first byte */
	size_t			base_skip;
	const struct bio_vec	*cur_bv;
	size_t			cur_skip;
	u32			cur_off;	/* from the range's start */
};

/* chan.c */
struct postrx_chan *postrx_chan_alloc(struct sock *sk, struct file *devfile);
void postrx_chan_put(struct postrx_chan *chan);
int postrx_chan_post(struct postrx_chan *chan, struct postrx_range *r);
/* How postrx_chan_fill() accounts the bytes and whether they may end @r. */
#define POSTRX_FILL_LATE	BIT(0)	/* queued before the range was posted */
#define POSTRX_FILL_PUSH	BIT(1)	/* they end an skb carrying PSH */
bool postrx_chan_fill(struct postrx_chan *chan, struct postrx_range *r,
		      u32 n, u32 placed, unsigned int how);
bool postrx_chan_push(struct postrx_chan *chan, struct postrx_range *r);
void postrx_chan_await_push(struct postrx_chan *chan);
void postrx_chan_soft_error(struct postrx_chan *chan);
void postrx_chan_stop_timer(struct postrx_chan *chan);
void postrx_chan_complete(struct postrx_range *r, int res);
void postrx_chan_end(struct postrx_range *r, int res);
void postrx_chan_end_all(struct postrx_chan *chan, int res);
void postrx_chan_handover_now(struct postrx_chan *chan);

/* flow.c */
void postrx_flow_install(struct postrx_chan *chan);
void postrx_flow_uninstall(struct postrx_chan *chan);

/* bounce.c */
int postrx_bounce_add(struct postrx_chan *chan, struct postrx_bounce_pack *pk,
		      u32 seq, const struct bio_vec *bv, gfp_t gfp);
void postrx_bounce_pack_done(struct postrx_bounce_pack *pk);
void postrx_bounce_drop_since(struct postrx_chan *chan, struct list_head *mark);
void postrx_bounce_consumed(struct postrx_chan *chan, u32 seq);
void postrx_bounce_free(struct postrx_chan *chan);
const struct postrx_bounce *postrx_bounce_find(struct postrx_chan *chan,
					       u32 seq, struct page *page,
					       u32 off, u32 *d);
void postrx_bounce_repoint(struct postrx_chan *chan);

/* place.c */
void postrx_range_init_cursor(struct postrx_range *r);
void postrx_place_forget_map(struct postrx_chan *chan,
			     const struct postrx_range *r, bool whole);
void postrx_place_claim(struct postrx_chan *chan, u32 seq, u32 n);
void postrx_place_wait(struct postrx_chan *chan);
void postrx_place_wait_before(struct postrx_chan *chan, u32 end);
u32 postrx_place_span_at(struct postrx_chan *chan, u32 seq, u32 len,
			 bool *placed);
void postrx_place_conflict(struct postrx_chan *chan);
void postrx_place_consumed(struct postrx_chan *chan);
int postrx_place_pause_and_bounce(struct postrx_chan *chan, gfp_t gfp);
void postrx_place_resume(struct postrx_chan *chan);
bool postrx_place_none_ahead(struct postrx_chan *chan);

/* rx.c */
int postrx_rx_attach(struct sock *sk, struct file *devfile,
		     struct postrx_chan **chanp);
struct postrx_chan *postrx_rx_chan(struct sock *sk);
void postrx_rx_service(struct postrx_chan *chan);
void postrx_rx_catch_up(struct postrx_chan *chan);

/* ack.c */
void postrx_ack_read_sock(struct postrx_chan *chan, read_descriptor_t *desc,
			  sk_read_actor_t actor);
void postrx_ack_deferred(struct postrx_chan *chan);
void postrx_ack_flush(struct postrx_chan *chan);
void postrx_ack_init(struct postrx_chan *chan);
void postrx_ack_stop_timer(struct postrx_chan *chan);

/* window.c */
void postrx_wnd_bound(struct postrx_chan *chan);
void postrx_wnd_posted(struct postrx_chan *chan, u64 posted);
void postrx_wnd_release(struct postrx_chan *chan);
void postrx_wnd_let_go(struct postrx_chan *chan);
void postrx_wnd_init(struct postrx_chan *chan);
void postrx_wnd_stop_timer(struct postrx_chan *chan);
u32 postrx_wnd_posted_end(const struct postrx_chan *chan);
void postrx_wnd_consumed(struct postrx_chan *chan, u32 end_before,
			 unsigned int nr_before);

/* user.c */
struct postrx_user *postrx_user_charge(enum postrx_charge kind);
void postrx_user_uncharge(struct postrx_user *u, enum postrx_charge kind);
void postrx_user_exit(void);

/* uring.c */
int postrx_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);
int postrx_file_open(struct inode *inode, struct file *file);
int postrx_file_release(struct inode *inode, struct file *file);

#endif /* _POSTRX_INTERNAL_H */
