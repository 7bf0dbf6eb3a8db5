// SPDX-License-Identifier: MIT
/*
 * recv-loop: an ordinary liburing receive loop, with no postrx code at all.
 * It registers its buffers (as an application that writes them to disk
 * with IORING_OP_WRITE_FIXED would) and receives one TCP stream into them
 * with IORING_OP_RECV.  Run it under LD_PRELOAD=liburing-ext-preload.so
 * and the same loop receives through postrx.
 *
 *   recv-loop PORT [any]  listen on PORT, receive one connection to its
 *                         end, print the byte count and an FNV-1a hash;
 *                         "any": without MSG_WAITALL (a receive returns
 *                         what has come)
 */
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NBUF	4
#define BUFSZ	(256 << 10)

int main(int argc, char **argv)
{
	static char bufs[NBUF][BUFSZ] __attribute__((aligned(4096)));
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct iovec iov = { bufs, sizeof(bufs) };
	uint64_t hash = 0xcbf29ce484222325ULL, total = 0;
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	int one = 1, lfd, fd, i, flags = MSG_WAITALL;

	if (argc == 3 && !strcmp(argv[2], "any"))
		flags = 0;
	else if (argc != 2)
		return 2;
	a.sin_port = htons(atoi(argv[1]));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&a, sizeof(a)) || listen(lfd, 1))
		return perror("listen"), 1;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0 || io_uring_queue_init(8, &ring, 0) ||
	    io_uring_register_buffers(&ring, &iov, 1))
		return perror("setup"), 1;

	/* One receive at a time, into buffers taken in turn. */
	for (i = 0;; i = (i + 1) % NBUF) {
		io_uring_prep_recv(io_uring_get_sqe(&ring), fd, bufs[i], BUFSZ,
				   flags);
		io_uring_submit(&ring);
		if (io_uring_wait_cqe(&ring, &cqe))
			return 1;
		int res = cqe->res;

		io_uring_cqe_seen(&ring, cqe);
		if (res < 0) {
			fprintf(stderr, "recv: %s\n", strerror(-res));
			return 1;
		}
		if (res == 0)
			break;
		for (int j = 0; j < res; j++)
			hash = (hash ^ (uint8_t)bufs[i][j]) * 0x100000001b3ULL;
		total += res;
	}
	printf("received %llu bytes, fnv1a %016llx\n",
	       (unsigned long long)total, (unsigned long long)hash);
	io_uring_queue_exit(&ring);
	close(fd);
	close(lfd);
	return 0;
}
