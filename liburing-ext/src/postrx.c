// SPDX-License-Identifier: MIT
/*
 * liburing-ext: opening and probing /dev/postrx.  The private rings here
 * are set up, used and torn down with liburing's own functions (real.h),
 * never through the shared libraries' drop-in definitions of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "liburing/postrx.h"
#include "real.h"

int io_uring_postrx_open(void)
{
	int fd = open(POSTRX_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int io_uring_postrx_register(struct io_uring *ring, int devfd)
{
	int ret = io_uring_register_files(ring, &devfd, 1);

	return ret < 0 ? ret : 0;
}

/*
 * Submit one command, prepared by @prep, on a private ring and wait for it:
 * the caller's ring and its completions stay untouched.  Returns the
 * CQE's result, or -errno.
 */
static int run_private(void (*prep)(struct io_uring_sqe *sqe, int devfd,
				    int sockfd, void *buf),
		       int devfd, int sockfd, void *buf)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int ret;

	ret = LIBURING(io_uring_queue_init)(2, &ring, 0);
	if (ret < 0)
		return ret;
	prep(io_uring_get_sqe(&ring), devfd, sockfd, buf);
	ret = LIBURING(io_uring_submit_and_wait)(&ring, 1);
	if (ret >= 0)
		ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret >= 0) {
		ret = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	LIBURING(io_uring_queue_exit)(&ring);
	return ret;
}

static void prep_query(struct io_uring_sqe *sqe, int devfd, int sockfd,
		       void *buf)
{
	io_uring_prep_postrx_query(sqe, devfd, buf);
}

static void prep_stats(struct io_uring_sqe *sqe, int devfd, int sockfd,
		       void *buf)
{
	io_uring_prep_postrx_stats(sqe, devfd, sockfd, buf);
}

int io_uring_postrx_probe(struct postrx_query *q)
{
	int devfd, ret;

	devfd = io_uring_postrx_open();
	if (devfd < 0)
		return devfd;
	memset(q, 0, sizeof(*q));
	ret = run_private(prep_query, devfd, -1, q);
	close(devfd);
	return ret < 0 ? ret : 0;
}

int io_uring_postrx_sock_stats(int devfd, int sockfd, struct postrx_stats *st)
{
	int ret;

	memset(st, 0, sizeof(*st));
	ret = run_private(prep_stats, devfd, sockfd, st);
	return ret < 0 ? ret : 0;
}
