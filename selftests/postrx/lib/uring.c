// SPDX-License-Identifier: GPL-2.0
/*
 * postrx's uring commands: the one place the selftests fill postrx SQEs
 * for valid commands (fuzz_test and refuse_test build their own bad ones).
 */
#include "postrx_test.h"

size_t postrx_sqe_size(const struct io_uring *ring)
{
	return ring->flags & IORING_SETUP_SQE128 ? 128 : 64;
}

size_t postrx_cmd_area_size(const struct io_uring *ring)
{
	return postrx_sqe_size(ring) - offsetof(struct io_uring_sqe, cmd);
}

struct io_uring_sqe *postrx_get_cmd_sqe(struct io_uring *ring, int fd,
					__u32 op, void *addr, __u32 len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return NULL;
	memset(sqe, 0, postrx_sqe_size(ring));
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, addr, len, 0);
	sqe->cmd_op = op;
	return sqe;
}

int postrx_submit_wait(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int ret;

	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

struct io_uring_sqe *px_prep_recv(struct io_uring *ring, int devfd,
				  int sockfd, void *addr, __u32 len,
				  __u16 buf_index, __u32 flags,
				  __u64 user_data)
{
	struct io_uring_sqe *sqe;
	struct postrx_sock_cmd *cmd;

	sqe = postrx_get_cmd_sqe(ring, devfd, POSTRX_CMD_RECV, addr, len);
	if (!sqe)
		return NULL;
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	sqe->buf_index = buf_index;
	sqe->user_data = user_data;
	cmd = (void *)sqe->cmd;
	cmd->sockfd = sockfd;
	cmd->flags = flags;
	return sqe;
}

int px_stats(struct io_uring *ring, int devfd, int sockfd,
	     struct postrx_stats *st)
{
	struct io_uring_sqe *sqe;

	sqe = postrx_get_cmd_sqe(ring, devfd, POSTRX_CMD_STATS, st, sizeof(*st));
	if (!sqe)
		return -ENOMEM;
	((struct postrx_sock_cmd *)sqe->cmd)->sockfd = sockfd;
	sqe->user_data = ~0ULL;
	return postrx_submit_wait(ring);
}

struct io_uring_sqe *px_prep_cancel(struct io_uring *ring, int devfd,
				    int sockfd, __u64 user_data, __u32 flags,
				    __u64 cancel_ud)
{
	struct io_uring_sqe *sqe;
	struct postrx_sock_cmd *cmd;

	/* The buffer to cancel is named by its user_data, in sqe->addr. */
	sqe = postrx_get_cmd_sqe(ring, devfd, POSTRX_CMD_CANCEL,
				 (void *)(uintptr_t)user_data, 0);
	if (!sqe)
		return NULL;
	cmd = (void *)sqe->cmd;
	cmd->sockfd = sockfd;
	cmd->flags = flags;
	sqe->user_data = cancel_ud;
	return sqe;
}

int px_wait_cqe(struct io_uring *ring, int ms, __u64 *user_data, int *res)
{
	struct __kernel_timespec ts = { ms / 1000, (ms % 1000) * 1000000LL };
	struct io_uring_cqe *cqe;
	int ret;

	/* A signal (SIGCHLD of a helper run by another thread) is no end. */
	do
		ret = io_uring_wait_cqe_timeout(ring, &cqe, &ts);
	while (ret == -EINTR);
	if (ret)
		return ret;
	*user_data = cqe->user_data;
	*res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return 0;
}
