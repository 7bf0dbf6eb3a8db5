// SPDX-License-Identifier: MIT
/*
 * Drop-in mode follows every way liburing registers buffers: sparse
 * registration, slot updates with tags, tagged registration and
 * unregistration.  A receive is upgraded only into a buffer that is in a
 * slot at submission time; a receive into a buffer that an update took
 * out of its slot goes as a plain receive and gets the stream (before,
 * it was upgraded and failed with EFAULT).  Each case receives a whole
 * stream on a connection of its own, checked byte for byte (one socket
 * must not mix posted and plain receives: see io_uring_postrx_enable(3)).  Enabling and upgrading take no descriptor that
 * the program would get from its next open().  Exit 77 where postrx is
 * absent.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "liburing/postrx.h"

#define TOTAL	(1 << 20)
#define BUFSZ	(64 << 10)
#define RECV_DATA 0x5ec0

static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 31 + (off >> 12));
}

static pid_t sender(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static uint8_t buf[1 << 16];
	pid_t pid = fork();
	size_t off = 0, i;
	int fd;

	if (pid)
		return pid;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (void *)&a, sizeof(a)))
		_exit(1);
	while (off < TOTAL) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(off + i);
		if (write(fd, buf, sizeof(buf)) != sizeof(buf))
			_exit(1);
		off += sizeof(buf);
	}
	close(fd);
	_exit(0);
}

static struct io_uring ring;
static int lfd, port;

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

int main(void)
{
	static uint8_t a[BUFSZ] __attribute__((aligned(4096)));
	static uint8_t b[BUFSZ] __attribute__((aligned(4096)));
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct iovec iov_a = { a, sizeof(a) }, iov_b = { b, sizeof(b) };
	struct iovec both[2] = { iov_a, iov_b };
	__u64 tags[2] = { 1, 2 };
	socklen_t len = sizeof(sa);
	struct postrx_query q;
	int ret, expect;

	if (io_uring_postrx_probe(&q) == -ENOENT) {
		printf("dropin-update: no postrx here, skipped\n");
		return 77;
	}
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(lfd, (void *)&sa, sizeof(sa)) || listen(lfd, 1) ||
	    getsockname(lfd, (void *)&sa, &len))
		return 1;
	port = ntohs(sa.sin_port);
	if (io_uring_queue_init(8, &ring, 0))
		return 1;
	expect = next_fd();
	if (io_uring_postrx_enable(&ring))
		return 1;
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
	/* Unregistered: nothing is upgraded. */
	if (io_uring_unregister_buffers(&ring) ||
	    stream_into(b, false, "after unregister"))
		return 1;
	/* Tagged registration of both. */
	if (io_uring_register_buffers_tags(&ring, both, tags, 2) ||
	    stream_into(b, true, "B in slot 1 of a tagged registration"))
		return 1;
	io_uring_queue_exit(&ring);
	close(lfd);
	printf("dropin-update: 6 streams of %d bytes exact; upgraded exactly "
	       "the receives into registered slots\n", TOTAL);
	return 0;
}
