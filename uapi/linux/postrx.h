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
 *   cmd_op          one of the POSTRX_CMD_* below
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
 * and for the commands that name a socket:
 *   -EBADF       sockfd is not an open descriptor
 *   -ENOTSOCK    sockfd is not a socket
 *   -EPROTONOSUPPORT  not a TCP socket over IPv4 or IPv6
 *   -ENOTCONN    listening, connecting or closed socket
 *   -EBUSY       another user owns the socket's receive path (kTLS or
 *                another ULP, sockmap, a kernel user of sk_user_data)
 *   -ENOBUFS     the socket already has max_posted buffers posted
 *   -EDQUOT      the user already has postrx.max_posted_per_user buffers
 *                posted (module parameter)
 */
#ifndef _UAPI_LINUX_POSTRX_H
#define _UAPI_LINUX_POSTRX_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define POSTRX_DEVICE_PATH	"/dev/postrx"

/*
 * Bumped on every change of the ABI that user space can observe.  Version
 * 2 encoded the commands as ioctl numbers.  User space tests what it
 * needs in postrx_query's commands, recv_flags and features, never an
 * exact version.
 */
#define POSTRX_UAPI_VERSION	2

/*
 * The commands (sqe->cmd_op), encoded as ioctl numbers are, as ublk
 * encodes its commands: type 'x', the command's number, and the size of
 * the struct it exchanges (the one at addr for QUERY and STATS, the
 * command area for RECV and CANCEL).  A wrong size, or a number this
 * kernel does not know, is -EOPNOTSUPP.
 */
/*
 * POSTRX_CMD_QUERY: report the version and what this kernel supports.
 *   addr  user pointer to struct postrx_query
 *   len   size of that buffer, at least POSTRX_QUERY_SIZE_V1
 *   cmd[] all zero
 * The kernel writes min(len, sizeof(struct postrx_query)) bytes and
 * cqe->res is the number of bytes written.  query.size tells user
 * space how much of a newer, larger struct the kernel filled.
 */
#define POSTRX_CMD_QUERY	_IOWR('x', 1, struct postrx_query)
/*
 * POSTRX_CMD_RECV: post a receive buffer for a connected TCP socket.
 *   uring_cmd_flags  IORING_URING_CMD_FIXED (required)
 *   buf_index        the registered buffer
 *   addr, len        the range inside it, 1 <= len <= POSTRX_RECV_MAX
 *   cmd[]            struct postrx_sock_cmd: sockfd, POSTRX_RECV_* flags
 * Buffers posted on one socket fill in posting order with the byte
 * stream.  cqe->res is the byte count, 0 at end of stream, or -errno.
 * Without POSTRX_RECV_WAITALL a buffer that holds data completes
 * when full, at a push (a segment with TCP's PSH flag ends in it)
 * or when no new byte came for postrx.push_timeout_us, unless a
 * device already placed bytes beyond it (recv() semantics;
 * docs/uapi.md has the exact rule); with it, only when full.  Both
 * at end of stream, on error or on cancellation.  A buffer that
 * holds data always completes with its byte count, whatever ended
 * it.
 */
#define POSTRX_CMD_RECV		_IOWR('x', 2, struct postrx_sock_cmd)
/*
 * POSTRX_CMD_STATS: the socket's placement counters.
 *   addr, len  struct postrx_stats, len >= POSTRX_STATS_SIZE_V1
 *   cmd[]      struct postrx_sock_cmd: sockfd, flags 0
 * cqe->res is the number of bytes written.  A socket on which nothing
 * was ever posted reports zeros.
 */
#define POSTRX_CMD_STATS	_IOWR('x', 3, struct postrx_stats)
/*
 * POSTRX_CMD_CANCEL: cancel buffers posted on a socket through the
 * same open /dev/postrx file (the same open(), however many rings
 * or descriptors share it).
 *   addr   user_data of the POSTRX_CMD_RECV to cancel, unless
 *          POSTRX_CANCEL_ALL is given (then addr must be 0)
 *   cmd[]  struct postrx_sock_cmd: sockfd, POSTRX_CANCEL_* flags
 * cqe->res is the number of buffers cancelled, or -ENOENT.  Each
 * cancelled buffer completes with its byte count, or -ECANCELED if
 * it held none.  (IORING_OP_ASYNC_CANCEL does not reach uring
 * commands on Linux 6.12; it answers -ENOENT.)
 */
#define POSTRX_CMD_CANCEL	_IOWR('x', 4, struct postrx_sock_cmd)

/* Bit for command C in postrx_query.commands: its number. */
#define POSTRX_CMD_BIT(c)	(1ULL << _IOC_NR(c))

struct postrx_query {
	__u32	version;	/* POSTRX_UAPI_VERSION of the kernel */
	__u32	size;		/* sizeof(struct postrx_query) of the kernel */
	__u64	commands;	/* POSTRX_CMD_BIT() of every command served */
	__u64	recv_flags;	/* flags POSTRX_CMD_RECV accepts */
	__u32	max_posted;	/* buffers that may be posted per socket */
	__u32	max_recv_len;	/* largest len of one POSTRX_CMD_RECV */
	__u64	features;	/* POSTRX_FEAT_* of this kernel */
	__u64	resv[3];	/* written as 0 */
};

/*
 * postrx_query.features.  PUSH_END: a buffer without POSTRX_RECV_WAITALL
 * that holds data ends at a push or after postrx.push_timeout_us without
 * new bytes, not only when nothing is queued (docs/uapi.md).
 * CANCEL_BY_FILE: POSTRX_CMD_CANCEL reaches the buffers posted through
 * the same open /dev/postrx file, from any ring.
 */
#define POSTRX_FEAT_PUSH_END		_BITULL(0)
#define POSTRX_FEAT_CANCEL_BY_FILE	_BITULL(1)

#define POSTRX_QUERY_SIZE_V1	64

/* The command area (sqe->cmd) of commands that name a socket. */
struct postrx_sock_cmd {
	__s32	sockfd;		/* a descriptor of the caller */
	__u32	flags;		/* command specific */
	__u64	resv;		/* must be 0 */
};

/* POSTRX_CMD_RECV flags */
#define POSTRX_RECV_WAITALL	_BITUL(0)	/* complete only when full */
#define POSTRX_RECV_FLAGS	POSTRX_RECV_WAITALL

#define POSTRX_RECV_MAX		_BITUL(30)	/* io_uring's buffer limit */

/* POSTRX_CMD_CANCEL flags */
#define POSTRX_CANCEL_ALL	_BITUL(0)	/* every buffer of this ring */

struct postrx_stats {
	__u64	placed_bytes;		/* written by the device (zero copy) */
	__u64	copied_rx_bytes;	/* copied by the kernel at receive */
	__u64	copied_late_bytes;	/* copied when a buffer was posted */
	__u64	completed;		/* buffers completed */
	__u32	posted;			/* buffers posted now */
	__s32	flow;			/* 1: a device steers the flow now,
					 * 0: none, < 0: why installing failed
					 */
	__u64	bounced_bytes;		/* placed bytes saved at cancel */
	__u64	resv[2];
};

#define POSTRX_STATS_SIZE_V1	64

#endif /* _UAPI_LINUX_POSTRX_H */
