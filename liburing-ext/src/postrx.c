// SPDX-License-Identifier: MIT
/*
 * liburing-ext: opening and probing /dev/postrx.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "liburing/postrx.h"

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

int io_uring_postrx_probe(struct postrx_query *q)
{
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int devfd, ret;

	devfd = io_uring_postrx_open();
	if (devfd < 0)
		return devfd;
	ret = io_uring_queue_init(2, &ring, 0);
	if (ret < 0)
		goto out_close;
	sqe = io_uring_get_sqe(&ring);
	memset(q, 0, sizeof(*q));
	io_uring_prep_postrx_query(sqe, devfd, q);
	ret = io_uring_submit_and_wait(&ring, 1);
	if (ret >= 0)
		ret = io_uring_wait_cqe(&ring, &cqe);
	if (ret >= 0) {
		ret = cqe->res < 0 ? cqe->res : 0;
		io_uring_cqe_seen(&ring, cqe);
	}
	io_uring_queue_exit(&ring);
out_close:
	close(devfd);
	return ret;
}
