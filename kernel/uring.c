// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: the io_uring side.  Every postrx command arrives here as an
 * IORING_OP_URING_CMD on /dev/postrx.  This file validates the SQE once,
 * reading each field a single time with READ_ONCE() because the SQE lives
 * in memory that user space can change under us, and serves the commands.
 *
 * A POSTRX_CMD_RECV stays in flight (-EIOCBQUEUED) until its range is
 * finished by the channel; the completion is then posted from task context
 * through io_uring_cmd_complete_in_task(), because the receive path runs in
 * softirq and io_uring_cmd_done() needs the ring's lock.
 */
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/io_uring/cmd.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/postrx.h>

#include "postrx.h"

#define POSTRX_SUPPORTED_CMDS	(POSTRX_CMD_BIT(POSTRX_CMD_QUERY) | \
				 POSTRX_CMD_BIT(POSTRX_CMD_RECV) |  \
				 POSTRX_CMD_BIT(POSTRX_CMD_STATS) | \
				 POSTRX_CMD_BIT(POSTRX_CMD_CANCEL))

static_assert(sizeof(struct postrx_query) == POSTRX_QUERY_SIZE_V1);
static_assert(sizeof(struct postrx_stats) == POSTRX_STATS_SIZE_V1);
static_assert(sizeof(struct postrx_sock_cmd) == 16);

static struct postrx_range **postrx_cmd_range(struct io_uring_cmd *ioucmd)
{
	return io_uring_cmd_to_pdu(ioucmd, struct postrx_range *);
}

/*
 * An open /dev/postrx keeps the ranges of its finished commands for its
 * next posts.  A range lives from its post to its completion, up to
 * POSTRX_MAX_POSTED per socket in flight at once, so freed ranges rarely
 * belong to the slab the CPU allocates from, and kzalloc() and kfree()
 * took the slab allocator's slow paths once per buffer: a tenth of a
 * 4 KiB receive's CPU (docs/bench.md).  Kept: up to one socket's worth.
 * The lock is taken in process context only (issue and task work); a
 * command holds its file until it completes, so the file outlives every
 * range it hands out.
 */
struct postrx_file {
	spinlock_t		lock;		/* guards the two below */
	struct list_head	spare;		/* through postrx_range.node */
	unsigned int		nr_spare;
};

int postrx_file_open(struct inode *inode, struct file *file)
{
	struct postrx_file *pf = kzalloc(sizeof(*pf), GFP_KERNEL_ACCOUNT);

	if (!pf)
		return -ENOMEM;
	spin_lock_init(&pf->lock);
	INIT_LIST_HEAD(&pf->spare);
	file->private_data = pf;
	return nonseekable_open(inode, file);
}

int postrx_file_release(struct inode *inode, struct file *file)
{
	struct postrx_file *pf = file->private_data;
	struct postrx_range *r, *tmp;

	list_for_each_entry_safe(r, tmp, &pf->spare, node)
		kfree(r);
	kfree(pf);
	return 0;
}

/* A zeroed range, kept by @file or new. */
static struct postrx_range *postrx_range_alloc(struct file *file)
{
	struct postrx_file *pf = file->private_data;
	struct postrx_range *r;

	spin_lock(&pf->lock);
	r = list_first_entry_or_null(&pf->spare, struct postrx_range, node);
	if (r) {
		list_del(&r->node);
		pf->nr_spare--;
	}
	spin_unlock(&pf->lock);
	if (!r)
		return kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	memset(r, 0, sizeof(*r));
	return r;
}

/* @r is off every list: keep it for @file's next post, or free it. */
static void postrx_range_free(struct file *file, struct postrx_range *r)
{
	struct postrx_file *pf = file->private_data;

	spin_lock(&pf->lock);
	if (pf->nr_spare < POSTRX_MAX_POSTED) {
		list_add(&r->node, &pf->spare);
		pf->nr_spare++;
		r = NULL;
	}
	spin_unlock(&pf->lock);
	kfree(r);
}

/* Size of the command area that follows the fixed SQE fields. */
static size_t postrx_cmd_area_size(unsigned int issue_flags)
{
	size_t sqe_size = issue_flags & IO_URING_F_SQE128 ?
			  2 * sizeof(struct io_uring_sqe) :
			  sizeof(struct io_uring_sqe);

	return sqe_size - offsetof(struct io_uring_sqe, cmd);
}

/*
 * True if the command area holds a non-zero byte at or after @from.  Each
 * byte is read once; a racing writer can only turn a zero into a refusal.
 */
static bool postrx_cmd_area_dirty(const struct io_uring_sqe *sqe, size_t from,
				  unsigned int issue_flags)
{
	const u8 *area = io_uring_sqe_cmd(sqe);
	size_t size = postrx_cmd_area_size(issue_flags);
	size_t i;

	for (i = from; i < size; i++)
		if (READ_ONCE(area[i]))
			return true;
	return false;
}

/* Read the struct postrx_sock_cmd of the SQE; everything after it is 0. */
static int postrx_read_sock_cmd(const struct io_uring_sqe *sqe,
				unsigned int issue_flags,
				struct postrx_sock_cmd *cmd)
{
	const struct postrx_sock_cmd *area = io_uring_sqe_cmd(sqe);

	cmd->sockfd = READ_ONCE(area->sockfd);
	cmd->flags = READ_ONCE(area->flags);
	cmd->resv = READ_ONCE(area->resv);
	if (cmd->resv || READ_ONCE(sqe->file_index) ||
	    postrx_cmd_area_dirty(sqe, sizeof(*cmd), issue_flags))
		return -EINVAL;
	return 0;
}

/*
 * The TCP socket behind @fd; *@f holds its file until fdput().  fdget()
 * rather than sockfd_lookup(): the command is issued by a task of the
 * ring, and when that task's file table is not shared nobody can close
 * @fd before we return, so no reference is taken (a post is one lookup
 * per buffer).  A shared table (io-wq, SQPOLL, threads) gets a real one.
 */
static struct socket *postrx_lookup_tcp(int fd, struct fd *f, int *err)
{
	struct socket *sock;
	struct sock *sk;

	*f = fdget(fd);
	if (fd_empty(*f)) {
		*err = -EBADF;
		return NULL;
	}
	sock = sock_from_file(fd_file(*f));
	if (!sock) {
		*err = -ENOTSOCK;
		goto err_put;
	}
	sk = sock->sk;
	if (!sk || sk->sk_type != SOCK_STREAM ||
	    sk->sk_protocol != IPPROTO_TCP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)) {
		*err = -EPROTONOSUPPORT;
		goto err_put;
	}
	return sock;

err_put:
	fdput(*f);
	return NULL;
}

/*
 * The TCP socket behind @fd, locked, and its channel (NULL if nothing was
 * ever posted on it).  Undo with postrx_unlock_sock().
 */
static struct socket *postrx_lock_sock(int fd, struct fd *f,
				       struct postrx_chan **chanp, int *err)
{
	struct socket *sock = postrx_lookup_tcp(fd, f, err);

	if (sock) {
		lock_sock(sock->sk);
		*chanp = postrx_rx_chan(sock->sk);
	}
	return sock;
}

static void postrx_unlock_sock(struct socket *sock, struct fd f)
{
	release_sock(sock->sk);
	fdput(f);
}

static int postrx_copy_out(u64 uaddr, u32 len, const void *src, size_t size)
{
	size_t n = min_t(size_t, len, size);

	if (copy_to_user(u64_to_user_ptr(uaddr), src, n))
		return -EFAULT;
	return n;
}

static int postrx_cmd_query(struct io_uring_cmd *ioucmd,
			    const struct io_uring_sqe *sqe,
			    unsigned int issue_flags)
{
	u64 uaddr = READ_ONCE(sqe->addr);
	u32 len = READ_ONCE(sqe->len);
	struct postrx_query q = {
		.version	= POSTRX_UAPI_VERSION,
		.size		= sizeof(q),
		.commands	= POSTRX_SUPPORTED_CMDS,
		.recv_flags	= POSTRX_RECV_FLAGS,
		.max_posted	= POSTRX_MAX_POSTED,
		.max_recv_len	= POSTRX_RECV_MAX,
		.features	= POSTRX_FEAT_PUSH_END |
				  POSTRX_FEAT_CANCEL_BY_FILE,
	};

	if (ioucmd->flags || READ_ONCE(sqe->buf_index) ||
	    READ_ONCE(sqe->file_index))
		return -EINVAL;
	if (postrx_cmd_area_dirty(sqe, 0, issue_flags))
		return -EINVAL;
	if (len < POSTRX_QUERY_SIZE_V1)
		return -EINVAL;
	return postrx_copy_out(uaddr, len, &q, sizeof(q));
}

/* Task context: post the CQE of a finished range and free the range. */
static void postrx_recv_done_tw(struct io_uring_cmd *ioucmd,
				unsigned int issue_flags)
{
	struct postrx_range *r = *postrx_cmd_range(ioucmd);
	struct postrx_chan *chan = r->chan;
	int res = r->res;

	if (r->user)
		postrx_user_uncharge(r->user, POSTRX_CHARGE_POSTED);
	postrx_range_free(ioucmd->file, r);
	if (chan)	/* NULL: refused before it was posted */
		postrx_chan_put(chan);
	io_uring_cmd_done(ioucmd, res, 0, issue_flags);
}

/* The range's done(): called by the channel, in any context (chan.c). */
static void postrx_uring_complete(struct postrx_range *r)
{
	io_uring_cmd_complete_in_task(r->ioucmd, postrx_recv_done_tw);
}

static int postrx_cmd_recv(struct io_uring_cmd *ioucmd,
			   const struct io_uring_sqe *sqe,
			   unsigned int issue_flags)
{
	u64 uaddr = READ_ONCE(sqe->addr);
	u32 len = READ_ONCE(sqe->len);
	struct postrx_sock_cmd cmd;
	struct postrx_user *user;
	struct postrx_chan *chan;
	struct postrx_range *r;
	struct socket *sock;
	struct fd f;
	struct sock *sk;
	int ret;

	ret = postrx_read_sock_cmd(sqe, issue_flags, &cmd);
	if (ret)
		return ret;
	if (!(ioucmd->flags & IORING_URING_CMD_FIXED) ||
	    cmd.flags & ~POSTRX_RECV_FLAGS || !len || len > POSTRX_RECV_MAX)
		return -EINVAL;

	sock = postrx_lookup_tcp(cmd.sockfd, &f, &ret);
	if (!sock)
		return ret;
	sk = sock->sk;

	r = postrx_range_alloc(ioucmd->file);
	if (!r) {
		ret = -ENOMEM;
		goto err_put_sock;
	}
	/* Checks that the range lies inside the registered buffer. */
	ret = io_uring_cmd_import_fixed(uaddr, len, ITER_DEST, &r->iter,
					ioucmd);
	if (ret)
		goto err_free_range;
	r->ioucmd = ioucmd;
	/*
	 * The tag POSTRX_CMD_CANCEL names the range by: the application's
	 * own user_data, read from the SQE as the command arrives, since
	 * io_uring's request (and its CQE) is not ours to look into.
	 */
	r->user_data = READ_ONCE(sqe->user_data);
	r->done = postrx_uring_complete;
	r->len = len;
	r->flags = cmd.flags;
	r->state = POSTRX_RANGE_NEW;
	*postrx_cmd_range(ioucmd) = r;

	/*
	 * From here the command may be cancelled by io_uring; the cancel
	 * handler leaves a range alone until it is on a channel.  Errors from
	 * here on complete the command ourselves, in task work like every
	 * range: io_uring_cmd_done() also takes it off the cancelable list,
	 * under the ring's lock.
	 */
	io_uring_cmd_mark_cancelable(ioucmd, issue_flags);

	lock_sock(sk);
	user = postrx_user_charge(POSTRX_CHARGE_POSTED);
	if (IS_ERR(user)) {
		ret = PTR_ERR(user);
	} else {
		r->user = user;
		ret = postrx_rx_attach(sk, ioucmd->file, &chan);
		if (!ret)
			ret = postrx_chan_post(chan, r);
		if (!ret)
			postrx_rx_catch_up(chan);
	}
	/*
	 * A refusal completes through task work too, never at once: earlier
	 * posts on this socket may have finished with their completions still
	 * queued there (task work runs in the order it was queued), or still
	 * waiting for the channel's hand-over (chan.c), and the refusal must
	 * not overtake them.
	 */
	chan = ret ? postrx_rx_chan(sk) : NULL;
	if (chan)
		postrx_chan_handover_now(chan);
	release_sock(sk);
	fdput(f);

	if (ret) {
		r->res = ret;
		r->state = POSTRX_RANGE_DONE;
		postrx_uring_complete(r);
	}
	return -EIOCBQUEUED;

err_free_range:
	postrx_range_free(ioucmd->file, r);
err_put_sock:
	fdput(f);
	return ret;
}

/*
 * io_uring cancels in-flight commands at ring exit and task exit by calling
 * us with IO_URING_F_CANCEL, holding the ring's lock.  A range still on its
 * channel is finished now (its completion follows in task context); one
 * already finished has its completion queued; one not yet posted belongs
 * to its issuer, which completes it.
 */
static int postrx_recv_cancel(struct io_uring_cmd *ioucmd)
{
	struct postrx_range *r = *postrx_cmd_range(ioucmd);
	struct postrx_chan *chan = READ_ONCE(r->chan);

	if (!chan)
		return 0;
	lock_sock(chan->sk);
	/* What is queued goes into the ranges before one ends. */
	if (r->state == POSTRX_RANGE_POSTED)
		postrx_rx_service(chan);
	/*
	 * Without memory for the bounce copies the range stays posted:
	 * io_uring calls again until every cancelable command is gone.
	 */
	if (r->state == POSTRX_RANGE_POSTED) {
		if (!postrx_place_pause_and_bounce(chan, GFP_KERNEL_ACCOUNT))
			postrx_chan_end(r, -ECANCELED);
		postrx_place_resume(chan);
		if (!chan->nr_posted)
			postrx_wnd_let_go(chan);
	}
	release_sock(chan->sk);
	return 0;
}

static int postrx_cmd_stats(struct io_uring_cmd *ioucmd,
			    const struct io_uring_sqe *sqe,
			    unsigned int issue_flags)
{
	u64 uaddr = READ_ONCE(sqe->addr);
	u32 len = READ_ONCE(sqe->len);
	struct postrx_stats st = {};
	struct postrx_sock_cmd cmd;
	struct postrx_chan *chan;
	struct socket *sock;
	struct fd f;
	int ret;

	ret = postrx_read_sock_cmd(sqe, issue_flags, &cmd);
	if (ret)
		return ret;
	if (ioucmd->flags || READ_ONCE(sqe->buf_index) || cmd.flags ||
	    len < POSTRX_STATS_SIZE_V1)
		return -EINVAL;
	sock = postrx_lock_sock(cmd.sockfd, &f, &chan, &ret);
	if (!sock)
		return ret;
	if (chan) {
		/*
		 * Take what is queued into the buffers first (the consumer
		 * may be waiting for a buffer's worth): the counters then say
		 * where every byte received so far went.
		 */
		postrx_rx_service(chan);
		st.placed_bytes = chan->placed_bytes;
		st.copied_rx_bytes = chan->copied_rx_bytes;
		st.copied_late_bytes = chan->copied_late_bytes;
		st.completed = chan->completed;
		st.posted = chan->nr_posted;
		st.flow = chan->flow ? 1 : chan->flow_err;
		st.bounced_bytes = chan->bounced_bytes;
	}
	postrx_unlock_sock(sock, f);

	return postrx_copy_out(uaddr, len, &st, sizeof(st));
}

/*
 * Does a CANCEL through @file with @flags and @user_data reach @r?  Only
 * ranges posted through the same open /dev/postrx file: the scope is what
 * io_uring_cmd shows us, not the ring, whose internals are io_uring's.
 */
static bool postrx_cancel_match(const struct postrx_range *r,
				const struct file *file, u32 flags,
				u64 user_data)
{
	if (r->ioucmd->file != file)
		return false;
	return (flags & POSTRX_CANCEL_ALL) || r->user_data == user_data;
}

static int postrx_cmd_cancel(struct io_uring_cmd *ioucmd,
			     const struct io_uring_sqe *sqe,
			     unsigned int issue_flags)
{
	u64 user_data = READ_ONCE(sqe->addr);
	struct postrx_range *r, *tmp;
	struct postrx_sock_cmd cmd;
	struct postrx_chan *chan;
	struct socket *sock;
	struct fd f;
	int ret, n = 0;

	ret = postrx_read_sock_cmd(sqe, issue_flags, &cmd);
	if (ret)
		return ret;
	if (ioucmd->flags || READ_ONCE(sqe->buf_index) || READ_ONCE(sqe->len) ||
	    cmd.flags & ~POSTRX_CANCEL_ALL ||
	    ((cmd.flags & POSTRX_CANCEL_ALL) && user_data))
		return -EINVAL;
	sock = postrx_lock_sock(cmd.sockfd, &f, &chan, &ret);
	if (!sock)
		return ret;
	if (chan) {
		/*
		 * What is queued goes into the ranges before they end; the
		 * stream goes on, so save bytes placed ahead first.
		 */
		postrx_rx_service(chan);
		/*
		 * No memory to save them: cancel nothing.  The application
		 * asked and can retry, so fail rather than have the OOM
		 * killer pick a victim in its memory cgroup.
		 */
		ret = postrx_place_pause_and_bounce(chan, GFP_KERNEL_ACCOUNT |
					  __GFP_RETRY_MAYFAIL);
		list_for_each_entry_safe(r, tmp, &chan->ranges, node) {
			if (ret)
				break;
			if (!postrx_cancel_match(r, ioucmd->file, cmd.flags,
						 user_data))
				continue;
			postrx_chan_end(r, -ECANCELED);
			n++;
		}
		postrx_place_resume(chan);
		/* The application took its buffers back: see window.c. */
		if (n && !chan->nr_posted)
			postrx_wnd_let_go(chan);
	}
	postrx_unlock_sock(sock, f);

	if (ret)
		return ret;
	return n ? n : -ENOENT;
}

int postrx_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct io_uring_sqe *sqe = ioucmd->sqe;

	if (issue_flags & IO_URING_F_CANCEL)
		return postrx_recv_cancel(ioucmd);

	/* No command defines a priority; refuse rather than ignore it. */
	if (READ_ONCE(sqe->ioprio))
		return -EINVAL;

	switch (ioucmd->cmd_op) {
	case POSTRX_CMD_QUERY:
		return postrx_cmd_query(ioucmd, sqe, issue_flags);
	case POSTRX_CMD_RECV:
		return postrx_cmd_recv(ioucmd, sqe, issue_flags);
	case POSTRX_CMD_STATS:
		return postrx_cmd_stats(ioucmd, sqe, issue_flags);
	case POSTRX_CMD_CANCEL:
		return postrx_cmd_cancel(ioucmd, sqe, issue_flags);
	default:
		return -EOPNOTSUPP;
	}
}
