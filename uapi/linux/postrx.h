/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * postrx: posted receive buffers for TCP sockets, driven by io_uring.
 *
 * This header is the only contract between the postrx kernel module and
 * user space.  Every command is an IORING_OP_URING_CMD submitted on a file
 * descriptor of /dev/postrx (plain or registered as a fixed file).
 *
 * SQE layout common to all commands:
 *
 *   opcode          IORING_OP_URING_CMD
 *   fd              /dev/postrx (IOSQE_FIXED_FILE allowed)
 *   cmd_op          one of enum postrx_cmd
 *   addr, len       command specific, see below
 *   uring_cmd_flags command specific; io_uring itself rejects unknown bits
 *   ioprio          must be 0
 *   buf_index       must be 0 unless the command takes a fixed buffer
 *   cmd[]           command specific (16 bytes, 80 with IORING_SETUP_SQE128);
 *                   every byte the command does not define must be 0
 *
 * Errors are returned as a negative errno in cqe->res:
 *   -EOPNOTSUPP  unknown cmd_op
 *   -EINVAL      a reserved field or bit is set, or a flag the command
 *                does not take (IORING_URING_CMD_FIXED included)
 *   -EFAULT      addr does not point to writable memory of len bytes
 */
#ifndef _UAPI_LINUX_POSTRX_H
#define _UAPI_LINUX_POSTRX_H

#include <linux/types.h>

#define POSTRX_DEVICE_PATH	"/dev/postrx"

/* Bumped on every change of the ABI that user space can observe. */
#define POSTRX_UAPI_VERSION	1

enum postrx_cmd {
	/*
	 * POSTRX_CMD_QUERY: report the version and what this kernel supports.
	 *   addr  user pointer to struct postrx_query
	 *   len   size of that buffer, at least POSTRX_QUERY_SIZE_V1
	 *   cmd[] all zero
	 * The kernel writes min(len, sizeof(struct postrx_query)) bytes and
	 * cqe->res is the number of bytes written.  query.size tells user
	 * space how much of a newer, larger struct the kernel filled.
	 */
	POSTRX_CMD_QUERY	= 1,
	/* Reserved for the posted-receive commands; not yet served. */
	POSTRX_CMD_RECV		= 2,
	POSTRX_CMD_STATS	= 3,

	__POSTRX_CMD_MAX,
};

/* Bit for command C in postrx_query.commands. */
#define POSTRX_CMD_BIT(c)	(1ULL << (c))

struct postrx_query {
	__u32	version;	/* POSTRX_UAPI_VERSION of the kernel */
	__u32	size;		/* sizeof(struct postrx_query) of the kernel */
	__u64	commands;	/* POSTRX_CMD_BIT() of every command served */
	__u64	recv_flags;	/* flags POSTRX_CMD_RECV accepts */
	__u64	resv[5];	/* written as 0 */
};

#define POSTRX_QUERY_SIZE_V1	64

#endif /* _UAPI_LINUX_POSTRX_H */
