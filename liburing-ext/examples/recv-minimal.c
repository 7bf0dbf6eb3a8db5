// SPDX-License-Identifier: MIT
/*
 * recv-minimal: the smallest receiver that posts its buffers with postrx.
 *
 *   recv-minimal PORT   listen on PORT, receive one connection to its end
 *                       through posted buffers, print the byte count, an
 *                       FNV-1a hash and where the bytes came from
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <liburing/postrx.h>

#define NBUF	4
#define BUFSZ	(256 << 10)

/* Listen on @port, any IPv4 address; return the first connection. */
static int accept_one(const char *port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons(atoi(port)),
	};
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (void *)&a, sizeof(a)) || listen(lfd, 1))
		return -1;
	return accept(lfd, NULL, NULL);
}

int main(int argc, char **argv)
{
	static char bufs[NBUF][BUFSZ] __attribute__((aligned(4096)));
	struct iovec iov = { bufs, sizeof(bufs) };
	uint64_t hash = 0xcbf29ce484222325ULL, total = 0;
	int fd, devfd, i, inflight = 0, next = 0;
	struct postrx_stats st = { 0 };
	struct io_uring_cqe *cqe;
	struct io_uring ring;

	if (argc != 2)
		return 2;
	devfd = io_uring_postrx_open();
	if (devfd < 0) {
		fprintf(stderr, "postrx: %s\n", strerror(-devfd));
		return 1;
	}
	fd = accept_one(argv[1]);
	if (fd < 0)
		return perror("listen"), 1;
	if (io_uring_queue_init(8, &ring, 0) ||
	    io_uring_register_buffers(&ring, &iov, 1))
		return perror("setup"), 1;

	/* All buffers posted at once; they fill and complete in order. */
	for (i = 0; i < NBUF; i++, inflight++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		io_uring_prep_postrx_recv(sqe, devfd, fd, bufs[i], BUFSZ, 0,
					  POSTRX_RECV_WAITALL);
		sqe->user_data = i;
	}
	io_uring_submit(&ring);
	while (inflight) {
		if (io_uring_wait_cqe(&ring, &cqe))
			return 1;
		int res = cqe->res;

		i = cqe->user_data;
		io_uring_cqe_seen(&ring, cqe);
		inflight--;
		if (res < 0) {
			fprintf(stderr, "postrx: %s\n", strerror(-res));
			return 1;
		}
		if (i != next)
			return fprintf(stderr, "out of order\n"), 1;
		next = (next + 1) % NBUF;
		for (int j = 0; j < res; j++)
			hash = (hash ^ (uint8_t)bufs[i][j]) * 0x100000001b3ULL;
		total += res;
		if (res == BUFSZ) {	/* full: the stream goes on */
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_postrx_recv(sqe, devfd, fd, bufs[i], BUFSZ,
						  0, POSTRX_RECV_WAITALL);
			sqe->user_data = i;
			io_uring_submit(&ring);
			inflight++;
		}
	}
	io_uring_prep_postrx_stats(io_uring_get_sqe(&ring), devfd, fd, &st);
	io_uring_submit_and_wait(&ring, 1);
	io_uring_wait_cqe(&ring, &cqe);
	io_uring_cqe_seen(&ring, cqe);
	printf("received %llu bytes, fnv1a %016llx\n",
	       (unsigned long long)total, (unsigned long long)hash);
	printf("copied at receive %llu, copied late %llu, placed %llu\n",
	       (unsigned long long)st.copied_rx_bytes,
	       (unsigned long long)st.copied_late_bytes,
	       (unsigned long long)st.placed_bytes);
	io_uring_queue_exit(&ring);
	return 0;
}
