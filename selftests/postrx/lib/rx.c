// SPDX-License-Identifier: GPL-2.0
/*
 * struct px_rx: the receiving end of a test over one link, set up and
 * torn down here for every fixture, so that each test says only what it
 * does differently.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "postrx_test.h"

void px_rx_init(struct px_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->devfd = -1;
	rx->lfd = -1;
	rx->fd = -1;
	rx->peer = -1;
}

/* Open /dev/postrx, and load pxnic for a pxnic link. */
static int px_rx_open_dev(struct px_rx *rx, const char **why)
{
	static char msg[128];

	if (px_link_is_pxnic(rx->link)) {
		rx->devfd = px_open_with_pxnic(why);
		return rx->devfd < 0 ? PX_RX_MISSING : 0;
	}
	rx->devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (rx->devfd >= 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s: %s", POSTRX_DEVICE_PATH,
		 strerror(errno));
	*why = msg;
	return PX_RX_MISSING;
}

int px_rx_open(struct px_rx *rx, const struct px_link *l,
	       unsigned int entries, unsigned int ring_flags,
	       const char **why)
{
	int ret;

	px_rx_init(rx);
	rx->link = l;
	ret = px_rx_open_dev(rx, why);
	if (ret)
		return ret;
	*why = "the link cannot be set up";
	if (px_link_up(l))
		return -1;
	*why = "io_uring_queue_init failed";
	if (io_uring_queue_init(entries, &rx->ring, ring_flags)) {
		/* Nothing for px_rx_close() to exit. */
		close(rx->devfd);
		rx->devfd = -1;
		px_link_down(l);
		return -1;
	}
	*why = "cannot listen on the link";
	rx->lfd = px_listen(l, &rx->port);
	return rx->lfd < 0 ? -1 : 0;
}

int px_rx_register(struct px_rx *rx, size_t len)
{
	struct iovec iov;

	rx->buf = px_alloc(len);
	if (!rx->buf)
		return -1;
	rx->buflen = len;
	iov.iov_base = rx->buf;
	iov.iov_len = len;
	return io_uring_register_buffers(&rx->ring, &iov, 1) ? -1 : 0;
}

int px_rx_connect(struct px_rx *rx)
{
	rx->peer = px_connect(rx->link, rx->port);
	if (rx->peer < 0)
		return -1;
	rx->fd = accept(rx->lfd, NULL, NULL);
	return rx->fd < 0 ? -1 : 0;
}

int px_rx_start(struct px_rx *rx, uint64_t seed, size_t total, size_t chunk,
		enum px_end end)
{
	rx->pid = px_sender(rx->link, rx->port, seed, total, chunk, end);
	if (rx->pid < 0)
		return -1;
	rx->fd = accept(rx->lfd, NULL, NULL);
	return rx->fd;
}

void px_rx_stop(struct px_rx *rx)
{
	if (rx->pid > 0) {
		kill(rx->pid, SIGKILL);
		px_wait_child(rx->pid);
		rx->pid = 0;
	}
	if (rx->fd >= 0)
		close(rx->fd);
	rx->fd = -1;
}

void px_rx_close(struct px_rx *rx)
{
	if (rx->devfd < 0)
		return;
	px_rx_stop(rx);
	if (rx->peer >= 0)
		close(rx->peer);
	if (rx->lfd >= 0)
		close(rx->lfd);
	/* Exiting the ring unregisters the buffer; then it can go. */
	io_uring_queue_exit(&rx->ring);
	if (rx->buf)
		munmap(rx->buf, rx->buflen);
	close(rx->devfd);
	rx->devfd = -1;
	px_link_down(rx->link);
}
