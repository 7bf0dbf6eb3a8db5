// SPDX-License-Identifier: GPL-2.0
/*
 * postrx_sockstat PID: POSTRX_CMD_STATS of each connected TCP socket of
 * process PID, one line each.  The socket is taken from the process with
 * pidfd_getfd(), so that a program with no postrx code (an unmodified
 * liburing loop, upgraded by drop-in mode or not) can be asked what went
 * through postrx while its connection is open.  Needs the right to
 * ptrace PID (root in the guest).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <netinet/in.h>

#include "postrx_test.h"

static int stats(struct io_uring *ring, int devfd, int sock,
		 struct postrx_stats *st)
{
	struct io_uring_sqe *sqe;

	memset(st, 0, sizeof(*st));
	sqe = postrx_get_cmd_sqe(ring, devfd, POSTRX_CMD_STATS, st, sizeof(*st));
	if (!sqe)
		return -EBUSY;
	((struct postrx_sock_cmd *)sqe->cmd)->sockfd = sock;
	return postrx_submit_wait(ring);
}

static bool connected_tcp(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int);
	int proto;

	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) ||
	    proto != IPPROTO_TCP)
		return false;
	len = sizeof(ss);
	return !getpeername(fd, (void *)&ss, &len);
}

int main(int argc, char **argv)
{
	int pidfd, devfd, fd, sock, ret, n = 0;
	struct postrx_stats st;
	struct io_uring ring;

	if (argc != 2)
		return 2;
	pidfd = syscall(SYS_pidfd_open, atoi(argv[1]), 0);
	devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (pidfd < 0 || devfd < 0 || io_uring_queue_init(2, &ring, 0)) {
		perror("postrx_sockstat");
		return 1;
	}
	/* A descriptor number the process does not use fails: skip it. */
	for (fd = 0; fd < 1024; fd++) {
		sock = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
		if (sock < 0)
			continue;
		if (connected_tcp(sock)) {
			ret = stats(&ring, devfd, sock, &st);
			if (ret < 0) {
				fprintf(stderr, "STATS of fd %d: %s\n", fd, strerror(-ret));
				return 1;
			}
			printf("fd %d: placed %llu copied_rx %llu copied_late %llu completed %llu posted %u\n",
			       fd, (unsigned long long)st.placed_bytes,
			       (unsigned long long)st.copied_rx_bytes,
			       (unsigned long long)st.copied_late_bytes,
			       (unsigned long long)st.completed, st.posted);
			n++;
		}
		close(sock);
	}
	io_uring_queue_exit(&ring);
	return n ? 0 : 1;
}
