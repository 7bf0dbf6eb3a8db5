// SPDX-License-Identifier: MIT
/*
 * Drop-in mode follows every way liburing registers buffers: sparse
 * registration, slot updates with tags, tagged registration and
 * unregistration.  A receive is upgraded only into a buffer that is in a
 * slot at submission time; a receive into a buffer that an update took
 * out of its slot goes as a plain receive and gets the stream (before,
 * it was upgraded and failed with EFAULT).  A raw io_uring_register()
 * that changes slots (an update, IORING_REGISTER_CLONE_BUFFERS, which
 * liburing 2.3 has no function for) makes the ring fall back until
 * liburing registers a whole set again.  Each case receives a whole
 * stream on a connection of its own, checked byte for byte (one socket
 * must not mix posted and plain receives: see io_uring_postrx_enable(3)).
 * Enabling and upgrading take no descriptor that the program would get
 * from its next open().  Last, a DEFER_TASKRUN ring that exits with a
 * receive pending leaves the bytes that arrived in the socket, as it
 * does without drop-in mode.  Exit 77 where postrx is absent.
 *
 *   dropin-update          linked with -luring-ext -luring: enables the
 *                          ring itself with io_uring_postrx_enable()
 *   dropin-update auto     an unmodified liburing program: the ring is
 *                          enabled by whatever gives drop-in mode (the
 *                          preload library, or the patched liburing with
 *                          LIBURING_POSTRX=1); io_uring_postrx_upgraded()
 *                          is only looked up, to count the upgrades
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <string.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "liburing/postrx.h"

/*
 * Built with -luring alone (dropin-update-plain), these come from the
 * preload library or the patched liburing at run time, or not at all.
 */
#pragma weak io_uring_postrx_enable
#pragma weak io_uring_postrx_upgraded

#define TOTAL	(1 << 20)
#define BUFSZ	(64 << 10)
#define RECV_DATA 0x5ec0

static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 31 + (off >> 12));
}

/* @total bytes of the pattern; first a byte from @go, if not -1. */
static pid_t sender_go(int port, size_t total, int go)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static uint8_t buf[1 << 14];
	pid_t pid = fork();
	size_t off = 0, i;
	char c;
	int fd;

	if (pid)
		return pid;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (void *)&a, sizeof(a)))
		_exit(1);
	if (go >= 0 && read(go, &c, 1) != 1)
		_exit(1);
	while (off < total) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + i);
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			_exit(1);
		off += sizeof(buf);
	}
	close(fd);
	_exit(0);
}

static pid_t sender(int port)
{
	return sender_go(port, TOTAL, -1);
}

static struct io_uring ring;
static int lfd, port;
static bool auto_mode;

/* The descriptor the program's next open() gets. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY);

	close(fd);
	return fd;
}

/*
 * One stream, on a new connection, received into @b with one receive
 * after another, each waited for; every one must have been upgraded, or
 * none.  Returns 0 when the stream arrived exactly.
 */
static int stream_into(uint8_t *b, bool want_upgraded, const char *what)
{
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	__u64 user_data;
	pid_t pid = sender(port);
	int sock = accept(lfd, NULL, NULL), res, ret = -1;
	size_t off = 0, i;
	long before, after;

	if (sock < 0)
		return -1;
	for (;;) {
		before = io_uring_postrx_upgraded(&ring);
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_recv(sqe, sock, b, BUFSZ, 0);
		sqe->user_data = RECV_DATA;
		io_uring_submit(&ring);
		after = io_uring_postrx_upgraded(&ring);
		/* Skip the CQEs of tags whose buffers were let go of. */
		do {
			if (io_uring_wait_cqe(&ring, &cqe))
				goto out;
			user_data = cqe->user_data;
			res = cqe->res;
			io_uring_cqe_seen(&ring, cqe);
		} while (user_data != RECV_DATA);
		if ((after > before) != want_upgraded) {
			fprintf(stderr, "dropin-update: %s: %supgraded\n", what,
				want_upgraded ? "not " : "");
			break;
		}
		if (res < 0) {
			fprintf(stderr, "dropin-update: %s: %s\n", what, strerror(-res));
			break;
		}
		if (!res) {
			ret = off == TOTAL ? 0 : -1;
			if (ret)
				fprintf(stderr, "dropin-update: %s: %zu of %d bytes\n",
					what, off, TOTAL);
			break;
		}
		for (i = 0; i < (size_t)res; i++)
			if (b[i] != pattern(off + i))
				break;
		if (i < (size_t)res) {
			fprintf(stderr, "dropin-update: %s: byte %zu differs\n",
				what, off + i);
			break;
		}
		off += res;
	}
out:
	close(sock);
	waitpid(pid, NULL, 0);
	return ret;
}

/* Slots of the ring changed behind liburing's back: a raw update. */
static int raw_update(struct iovec *iov)
{
	struct io_uring_rsrc_update2 up = {
		.data = (uintptr_t)iov,
		.nr = 1,
	};

	return io_uring_register(ring.ring_fd, IORING_REGISTER_BUFFERS_UPDATE,
				 &up, sizeof(up));
}

/*
 * IORING_REGISTER_CLONE_BUFFERS (6.12; liburing 2.3 knows neither the
 * opcode nor the structure): the buffers of another ring, holding @iov,
 * become the ring's.
 */
#define REGISTER_CLONE_BUFFERS 30
struct clone_buffers {
	__u32 src_fd;
	__u32 flags;
	__u32 pad[6];
};

static int raw_clone(struct iovec *iov)
{
	struct clone_buffers c = { 0 };
	struct io_uring src;
	int ret;

	ret = io_uring_queue_init(2, &src, 0);
	if (ret)
		return ret;
	ret = io_uring_register_buffers(&src, iov, 1);
	c.src_fd = src.ring_fd;
	if (!ret)
		ret = io_uring_register(ring.ring_fd, REGISTER_CLONE_BUFFERS, &c, 1);
	io_uring_queue_exit(&src);
	return ret;
}

/*
 * A DEFER_TASKRUN ring exits with a receive into @b pending, after
 * @total bytes arrived: plainly, the receive never ran (its task work
 * waits until the program waits on the ring), so the bytes are still in
 * the socket for recv().  Drop-in mode leaves such rings alone (a posted
 * receive takes bytes as they arrive), so that stays true.
 */
static int defer_taskrun_exit(uint8_t *b)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	const size_t total = 16 << 10;	/* fits in the socket's buffer */
	struct iovec iov = { b, BUFSZ };
	struct io_uring r;
	size_t off = 0, i;
	int go[2], sock, ret = -1;
	uint8_t got[4096];
	ssize_t n;
	pid_t pid;

	if (pipe(go))
		return -1;
	pid = sender_go(port, total, go[0]);
	sock = accept(lfd, NULL, NULL);
	if (sock < 0 || io_uring_queue_init_params(8, &r, &p)) {
		fprintf(stderr, "dropin-update: DEFER_TASKRUN ring: no\n");
		goto out;
	}
	if (!auto_mode && io_uring_postrx_enable(&r) != -EOPNOTSUPP) {
		fprintf(stderr, "dropin-update: DEFER_TASKRUN ring enabled\n");
		goto out_exit;
	}
	if (io_uring_register_buffers(&r, &iov, 1))
		goto out_exit;
	io_uring_prep_recv(io_uring_get_sqe(&r), sock, b, BUFSZ, 0);
	io_uring_submit(&r);
	if (io_uring_postrx_upgraded(&r) > 0) {
		fprintf(stderr, "dropin-update: receive on a DEFER_TASKRUN ring upgraded\n");
		goto out_exit;
	}
	/* The bytes arrive while the receive is pending, then the ring goes. */
	if (write(go[1], "g", 1) != 1 || waitpid(pid, NULL, 0) != pid)
		goto out_exit;
	pid = 0;
	usleep(100 * 1000);
	io_uring_queue_exit(&r);
	while ((n = recv(sock, got, sizeof(got), 0)) > 0) {
		for (i = 0; i < (size_t)n; i++)
			if (got[i] != pattern(off + i))
				break;
		if (i < (size_t)n)
			break;
		off += n;
	}
	ret = off == total && !n ? 0 : -1;
	if (ret)
		fprintf(stderr, "dropin-update: after the DEFER_TASKRUN ring's exit "
			"recv() got %zu of %zu bytes exact\n", off, total);
	goto out;
out_exit:
	io_uring_queue_exit(&r);
out:
	close(go[0]);
	close(go[1]);
	if (sock >= 0)
		close(sock);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return ret;
}

int main(int argc, char **argv)
{
	static uint8_t a[BUFSZ] __attribute__((aligned(4096)));
	static uint8_t b[BUFSZ] __attribute__((aligned(4096)));
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct iovec iov_a = { a, sizeof(a) }, iov_b = { b, sizeof(b) };
	struct iovec both[2] = { iov_a, iov_b };
	__u64 tags[2] = { 1, 2 };
	socklen_t len = sizeof(sa);
	int ret, expect;

	auto_mode = argc > 1 && !strcmp(argv[1], "auto");
	if (access(POSTRX_DEVICE_PATH, F_OK)) {
		printf("dropin-update: no postrx here, skipped\n");
		return 77;
	}
	if (!io_uring_postrx_upgraded ||
	    (!auto_mode && !io_uring_postrx_enable)) {
		fprintf(stderr, "dropin-update: no drop-in mode in this process\n");
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lfd, (void *)&sa, sizeof(sa)) || listen(lfd, 1) ||
	    getsockname(lfd, (void *)&sa, &len))
		return 1;
	port = ntohs(sa.sin_port);
	/* The ring takes one descriptor; enabling must take none. */
	expect = next_fd() + 1;
	if (io_uring_queue_init(8, &ring, 0))
		return 1;
	if (!auto_mode && io_uring_postrx_enable(&ring))
		return 1;
	if (io_uring_postrx_upgraded(&ring) < 0) {
		fprintf(stderr, "dropin-update: the ring is not enabled\n");
		return 1;
	}
	if (next_fd() != expect) {
		fprintf(stderr, "dropin-update: enabling took descriptor %d\n", expect);
		return 1;
	}

	/* Sparse: no buffer in any slot, nothing to upgrade into. */
	ret = io_uring_register_buffers_sparse(&ring, 2);
	if (ret) {
		fprintf(stderr, "dropin-update: sparse: %s\n", strerror(-ret));
		return 1;
	}
	if (stream_into(a, false, "sparse, A in no slot"))
		return 1;
	/* Slot 0 = A. */
	if (io_uring_register_buffers_update_tag(&ring, 0, &iov_a, &tags[0], 1) != 1 ||
	    stream_into(a, true, "A in slot 0"))
		return 1;
	if (next_fd() != expect) {
		fprintf(stderr, "dropin-update: upgrading took descriptor %d\n", expect);
		return 1;
	}
	/* Slot 0 = B: A is out, B is in. */
	if (io_uring_register_buffers_update_tag(&ring, 0, &iov_b, &tags[1], 1) != 1 ||
	    stream_into(a, false, "A replaced by B") ||
	    stream_into(b, true, "B in slot 0"))
		return 1;
	/* A raw update puts A back: B is out, and nothing is known any more. */
	ret = raw_update(&iov_a);
	if (ret != 1) {
		fprintf(stderr, "dropin-update: raw update: %d\n", ret);
		return 1;
	}
	if (stream_into(b, false, "B taken out by a raw update") ||
	    stream_into(a, false, "A put in by a raw update"))
		return 1;
	/* Unregistered: nothing is upgraded. */
	if (io_uring_unregister_buffers(&ring) ||
	    stream_into(b, false, "after unregister"))
		return 1;
	/* A cloned in from another ring by a raw register: not followed. */
	ret = raw_clone(&iov_a);
	if (ret) {
		fprintf(stderr, "dropin-update: IORING_REGISTER_CLONE_BUFFERS: %s\n",
			strerror(-ret));
		return 1;
	}
	if (stream_into(a, false, "A cloned in by a raw register") ||
	    io_uring_unregister_buffers(&ring))
		return 1;
	/* Tagged registration of both: known again. */
	if (io_uring_register_buffers_tags(&ring, both, tags, 2) ||
	    stream_into(b, true, "B in slot 1 of a tagged registration"))
		return 1;
	io_uring_queue_exit(&ring);
	if (defer_taskrun_exit(a))
		return 1;
	close(lfd);
	printf("dropin-update%s: 9 streams of %d bytes exact; upgraded exactly "
	       "the receives into registered slots liburing knew of; a "
	       "DEFER_TASKRUN ring's exit left the bytes in the socket\n",
	       auto_mode ? " (auto)" : "", TOTAL);
	return 0;
}
