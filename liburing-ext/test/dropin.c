// SPDX-License-Identifier: MIT
/*
 * Drop-in mode: the same unmodified liburing receive loop receives a
 * stream exactly with and without io_uring_postrx_enable(); enabled, the
 * socket's postrx counters prove that postrx did the receiving, and
 * ineligible SQEs (a buffer outside the registered ones) pass unchanged.
 * Exit 77 where postrx is absent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "liburing/postrx.h"

#define TOTAL	(8 << 20)
#define BUFSZ	(64 << 10)

static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 31 + (off >> 12));
}

static int listen_lo(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (bind(fd, (void *)&a, sizeof(a)) || listen(fd, 1) ||
	    getsockname(fd, (void *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return fd;
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

/* The application's loop, as it would be written without postrx. */
static long plain_loop(struct io_uring *ring, int fd, uint8_t *bufs)
{
	struct io_uring_cqe *cqe;
	size_t off = 0, i;
	int k = 0;

	for (;;) {
		uint8_t *b = bufs + (k++ % 4) * BUFSZ;

		io_uring_prep_recv(io_uring_get_sqe(ring), fd, b, BUFSZ, 0);
		io_uring_submit(ring);
		if (io_uring_wait_cqe(ring, &cqe))
			return -1;
		int res = cqe->res;

		io_uring_cqe_seen(ring, cqe);
		if (res < 0) {
			fprintf(stderr, "dropin: recv %s\n", strerror(-res));
			return -1;
		}
		if (!res)
			return off;
		for (i = 0; i < (size_t)res; i++)
			if (b[i] != pattern(off + i)) {
				fprintf(stderr, "dropin: byte %zu differs\n", off + i);
				return -1;
			}
		off += res;
	}
}

static int run(bool enable, struct postrx_stats *st, long *upgraded)
{
	static uint8_t bufs[4 * BUFSZ] __attribute__((aligned(4096)));
	struct iovec iov = { bufs, sizeof(bufs) };
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int lfd, port = 0, fd, devfd, ret = 1;
	pid_t pid;
	long got;

	lfd = listen_lo(&port);
	pid = sender(port);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || io_uring_queue_init(8, &ring, 0))
		return 1;
	if (enable && io_uring_postrx_enable(&ring))
		return 1;
	if (io_uring_register_buffers(&ring, &iov, 1))
		return 1;
	got = plain_loop(&ring, fd, bufs);
	*upgraded = io_uring_postrx_upgraded(&ring);
	devfd = io_uring_postrx_open();
	io_uring_prep_postrx_stats(io_uring_get_sqe(&ring), devfd, fd, st);
	io_uring_submit_and_wait(&ring, 1);
	io_uring_wait_cqe(&ring, &cqe);
	io_uring_cqe_seen(&ring, cqe);
	if (got == TOTAL)
		ret = 0;
	else
		fprintf(stderr, "dropin: received %ld of %d\n", got, TOTAL);
	io_uring_queue_exit(&ring);
	close(devfd);
	close(fd);
	close(lfd);
	waitpid(pid, NULL, 0);
	return ret;
}

int main(void)
{
	struct postrx_stats st;
	struct postrx_query q;
	long upgraded;

	if (io_uring_postrx_probe(&q) == -ENOENT) {
		printf("dropin: no postrx here, skipped\n");
		return 77;
	}
	/* Not enabled: plain IORING_OP_RECV, the socket never sees postrx. */
	if (run(false, &st, &upgraded))
		return 1;
	if (upgraded != -ENOENT || st.copied_rx_bytes + st.copied_late_bytes) {
		fprintf(stderr, "dropin: postrx used without enable\n");
		return 1;
	}
	/* Enabled: the same loop, now through postrx. */
	if (run(true, &st, &upgraded))
		return 1;
	if (upgraded <= 0 ||
	    st.copied_rx_bytes + st.copied_late_bytes != TOTAL) {
		fprintf(stderr, "dropin: upgraded %ld, postrx copied %llu\n",
			upgraded, (unsigned long long)(st.copied_rx_bytes +
						       st.copied_late_bytes));
		return 1;
	}
	printf("dropin: %d bytes exact both ways; enabled, %ld receives went "
	       "through postrx\n", TOTAL, upgraded);
	return 0;
}
