/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sending with MSG_ZEROCOPY: the kernel sends from the caller's pages and
 * tells on the socket's error queue when it let go of them (ranges of
 * send numbers, flagged when it copied after all).  The one place this is
 * done; rxbench's sender and the selftests' use it.
 *
 * A send that finds the socket's option memory full of notifications
 * fails with ENOBUFS: zc_send() then waits for notifications (POLLERR;
 * an error queue read never blocks) and tries again.
 */
#ifndef POSTRX_TOOLS_ZEROCOPY_H
#define POSTRX_TOOLS_ZEROCOPY_H

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <linux/errqueue.h>

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY	60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY	0x4000000
#endif

struct zc_sender {
	unsigned long sends;	/* sends that went out */
	unsigned long done;	/* of them, notified */
	unsigned long copied;	/* of those, copied by the kernel anyway */
};

/* SO_ZEROCOPY on @fd: 0 or -errno. */
static inline int zc_enable(int fd)
{
	int one = 1;

	return setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) ?
	       -errno : 0;
}

/* Take every notification queued on @fd into @z. */
static inline void zc_reap(struct zc_sender *z, int fd)
{
	char control[128];

	for (;;) {
		struct msghdr msg = { .msg_control = control,
				      .msg_controllen = sizeof(control) };
		struct sock_extended_err *ee;
		struct cmsghdr *cm;
		unsigned long n;

		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm)
			continue;
		ee = (void *)CMSG_DATA(cm);
		if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
			continue;
		n = ee->ee_data - ee->ee_info + 1;
		z->done += n;
		if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
			z->copied += n;
	}
}

/*
 * Wait up to @timeout_ms (-1: no limit) for a notification on @fd and
 * take what is queued: 0, or -ETIMEDOUT.
 */
static inline int zc_wait(struct zc_sender *z, int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd };

	if (poll(&p, 1, timeout_ms) <= 0)
		return -ETIMEDOUT;
	zc_reap(z, fd);
	return 0;
}

/*
 * One send() of up to @len bytes of @buf with MSG_ZEROCOPY: the bytes
 * sent, or -errno.  @buf must not change until the send is notified.
 */
static inline ssize_t zc_send(struct zc_sender *z, int fd, const void *buf,
			      size_t len)
{
	for (;;) {
		ssize_t n = send(fd, buf, len, MSG_ZEROCOPY);

		if (n < 0 && errno == ENOBUFS) {
			zc_wait(z, fd, -1);
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		z->sends++;
		zc_reap(z, fd);
		return n;
	}
}

/*
 * Wait until every send is notified, up to @timeout_ms for each
 * notification (-1: no limit): 0, or -ETIMEDOUT.
 */
static inline int zc_finish(struct zc_sender *z, int fd, int timeout_ms)
{
	while (z->done < z->sends)
		if (zc_wait(z, fd, timeout_ms))
			return -ETIMEDOUT;
	return 0;
}

#endif /* POSTRX_TOOLS_ZEROCOPY_H */
