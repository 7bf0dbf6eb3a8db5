/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the postrx selftests: submitting one postrx uring
 * command and waiting for its completion.
 */
#ifndef POSTRX_SELFTEST_UTIL_H
#define POSTRX_SELFTEST_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <liburing.h>
#include <linux/postrx.h>

/*
 * Something the test needs is missing (@fmt says what).  The guest runner
 * (selftests/vm/) loads postrx.ko and exports POSTRX_KO before any test
 * runs, make builds pxnic.ko beside it, and both of the runner's kernels
 * (Debian's stock one and selftests/vm/debug.config) have what the tests
 * ask of the kernel (kTLS, sockmap, netem): under the runner a missing
 * one is a failure, not a skip.  Run by hand elsewhere (a host that
 * cannot load modules, another kernel), the test is skipped with the
 * reason.  The message is built before anything else touches errno.
 */
#define PX_NEED(fmt, ...) do {						\
	if (getenv("POSTRX_KO")) {					\
		TH_LOG("missing under the runner: " fmt, ##__VA_ARGS__); \
		ASSERT_TRUE(0);						\
	}								\
	SKIP(return, fmt, ##__VA_ARGS__);				\
} while (0)

/* Size of one SQE of @ring: 64 bytes, or 128 with IORING_SETUP_SQE128. */
static inline size_t postrx_sqe_size(const struct io_uring *ring)
{
	return ring->flags & IORING_SETUP_SQE128 ? 128 : 64;
}

/* The command area of an SQE: 16 bytes, 80 with IORING_SETUP_SQE128. */
static inline size_t postrx_cmd_area_size(const struct io_uring *ring)
{
	return postrx_sqe_size(ring) - offsetof(struct io_uring_sqe, cmd);
}

/* A zeroed SQE prepared for postrx command @op on @fd. */
static inline struct io_uring_sqe *postrx_get_cmd_sqe(struct io_uring *ring,
						      int fd, __u32 op,
						      void *addr, __u32 len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

	if (!sqe)
		return NULL;
	memset(sqe, 0, postrx_sqe_size(ring));
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, fd, addr, len, 0);
	sqe->cmd_op = op;
	return sqe;
}

/* Submit what is queued, wait for one completion, return its res. */
static inline int postrx_submit_wait(struct io_uring *ring)
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

#endif /* POSTRX_SELFTEST_UTIL_H */
