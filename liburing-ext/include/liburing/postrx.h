/* SPDX-License-Identifier: MIT */
/*
 * liburing-ext: postrx for liburing users.
 *
 * One inline prep helper per postrx command, in liburing's style (built on
 * io_uring_prep_rw()), functions to open and probe /dev/postrx, and the
 * drop-in mode that turns eligible IORING_OP_RECV SQEs of a ring into
 * posted receives (see io_uring_postrx_enable(3)).  Functions return 0 or
 * a positive count on success and -errno on failure.
 */
#ifndef LIBURING_POSTRX_H
#define LIBURING_POSTRX_H

#include <string.h>
#include <liburing.h>
#include <linux/postrx.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The command area of an SQE as postrx reads it. */
static inline struct postrx_sock_cmd *io_uring_postrx_sock_cmd(
	struct io_uring_sqe *sqe)
{
	return (struct postrx_sock_cmd *)sqe->cmd;
}

/* Common part: a uring command @op on the postrx device @devfd. */
static inline void io_uring_prep_postrx_cmd(struct io_uring_sqe *sqe,
					    int devfd, __u32 op,
					    const void *addr, unsigned int len)
{
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, devfd, addr, len, 0);
	sqe->cmd_op = op;
	memset(sqe->cmd, 0, sizeof(struct postrx_sock_cmd));
}

/*
 * Post @len bytes at @addr, inside registered buffer @buf_index, to receive
 * the stream of TCP socket @sockfd.  @flags: POSTRX_RECV_WAITALL or 0.
 */
static inline void io_uring_prep_postrx_recv(struct io_uring_sqe *sqe,
					     int devfd, int sockfd, void *addr,
					     unsigned int len, int buf_index,
					     unsigned int flags)
{
	io_uring_prep_postrx_cmd(sqe, devfd, POSTRX_CMD_RECV, addr, len);
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = (__u16)buf_index;
	io_uring_postrx_sock_cmd(sqe)->sockfd = sockfd;
	io_uring_postrx_sock_cmd(sqe)->flags = flags;
}

/* The same with /dev/postrx registered as fixed file @dev_index. */
static inline void io_uring_prep_postrx_recv_fixed_file(
	struct io_uring_sqe *sqe, int dev_index, int sockfd, void *addr,
	unsigned int len, int buf_index, unsigned int flags)
{
	io_uring_prep_postrx_recv(sqe, dev_index, sockfd, addr, len,
				  buf_index, flags);
	sqe->flags |= IOSQE_FIXED_FILE;
}

static inline void io_uring_prep_postrx_query(struct io_uring_sqe *sqe,
					      int devfd,
					      struct postrx_query *q)
{
	io_uring_prep_postrx_cmd(sqe, devfd, POSTRX_CMD_QUERY, q, sizeof(*q));
}

static inline void io_uring_prep_postrx_stats(struct io_uring_sqe *sqe,
					      int devfd, int sockfd,
					      struct postrx_stats *st)
{
	io_uring_prep_postrx_cmd(sqe, devfd, POSTRX_CMD_STATS, st, sizeof(*st));
	io_uring_postrx_sock_cmd(sqe)->sockfd = sockfd;
}

/*
 * Cancel the buffer posted with @user_data on @sockfd through @devfd's
 * open /dev/postrx file (from any ring), or all of them with
 * POSTRX_CANCEL_ALL in @flags (then @user_data must be 0).
 */
static inline void io_uring_prep_postrx_cancel(struct io_uring_sqe *sqe,
					       int devfd, int sockfd,
					       __u64 user_data,
					       unsigned int flags)
{
	io_uring_prep_postrx_cmd(sqe, devfd, POSTRX_CMD_CANCEL, NULL, 0);
	sqe->addr = user_data;
	io_uring_postrx_sock_cmd(sqe)->sockfd = sockfd;
	io_uring_postrx_sock_cmd(sqe)->flags = flags;
}

/* Open /dev/postrx: a descriptor, or -ENOENT when the module is absent. */
int io_uring_postrx_open(void);

/* Register @devfd as fixed file: the fixed-file index, or -errno. */
int io_uring_postrx_register(struct io_uring *ring, int devfd);

/*
 * Ask the kernel what postrx serves (on a private ring, so the caller's
 * completions are untouched): 0 and *q filled, or -errno (-ENOENT: no
 * module).
 */
int io_uring_postrx_probe(struct postrx_query *q);

/*
 * POSTRX_CMD_STATS of socket @sockfd through @devfd, on a private ring
 * (the caller's ring may still carry completions of posted buffers): 0
 * and *st filled, or -errno.
 */
int io_uring_postrx_sock_stats(int devfd, int sockfd, struct postrx_stats *st);

/*
 * Drop-in mode for @ring: from now on, at submission, each IORING_OP_RECV
 * SQE on a TCP socket whose buffer lies inside a buffer in one of the
 * ring's slots (registered through liburing) is submitted as
 * POSTRX_CMD_RECV instead.  Returns 0, or -errno when postrx is absent
 * (the ring then keeps working unchanged) or the ring is a
 * DEFER_TASKRUN one (-EOPNOTSUPP).  Needs liburing-ext's shared library
 * or the patched liburing; see io_uring_postrx_enable(3).
 */
int io_uring_postrx_enable(struct io_uring *ring);
int io_uring_postrx_disable(struct io_uring *ring);

/* SQEs drop-in mode upgraded on @ring so far, or -ENOENT if not enabled. */
long io_uring_postrx_upgraded(struct io_uring *ring);

#ifdef __cplusplus
}
#endif

#endif /* LIBURING_POSTRX_H */
