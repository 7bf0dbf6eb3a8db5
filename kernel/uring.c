// SPDX-License-Identifier: GPL-2.0
/*
 * postrx: the io_uring side.  Every postrx command arrives here as an
 * IORING_OP_URING_CMD on /dev/postrx.  This file validates the SQE once,
 * reading each field a single time with READ_ONCE() because the SQE lives in
 * memory that user space can change under us, and dispatches the command.
 */
#include <linux/kernel.h>
#include <linux/io_uring/cmd.h>
#include <linux/uaccess.h>
#include <linux/postrx.h>

#include "postrx.h"

#define POSTRX_SUPPORTED_CMDS	POSTRX_CMD_BIT(POSTRX_CMD_QUERY)
#define POSTRX_SUPPORTED_RECV_FLAGS	0ULL

static_assert(sizeof(struct postrx_query) == POSTRX_QUERY_SIZE_V1);

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
		.recv_flags	= POSTRX_SUPPORTED_RECV_FLAGS,
	};
	size_t n;

	if (ioucmd->flags || READ_ONCE(sqe->buf_index) ||
	    READ_ONCE(sqe->file_index))
		return -EINVAL;
	if (postrx_cmd_area_dirty(sqe, 0, issue_flags))
		return -EINVAL;
	if (len < POSTRX_QUERY_SIZE_V1)
		return -EINVAL;

	n = min_t(size_t, len, sizeof(q));
	if (copy_to_user(u64_to_user_ptr(uaddr), &q, n))
		return -EFAULT;
	return n;
}

int postrx_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags)
{
	const struct io_uring_sqe *sqe = ioucmd->sqe;

	/* No command defines a priority; refuse rather than ignore it. */
	if (READ_ONCE(sqe->ioprio))
		return -EINVAL;

	switch (ioucmd->cmd_op) {
	case POSTRX_CMD_QUERY:
		return postrx_cmd_query(ioucmd, sqe, issue_flags);
	default:
		return -EOPNOTSUPP;
	}
}
