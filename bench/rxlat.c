// SPDX-License-Identifier: GPL-2.0
/*
 * rxlat: request-response latency of a receive path, as netperf's TCP_RR
 * measures it: the client sends a request of SIZE bytes, the server
 * receives all of it with the receive path under test and answers with
 * SIZE bytes; the client times each round trip.
 *
 *   rxlat server PATH PORT ROUNDS SIZE   PATH as for rxbench
 *   rxlat client HOST PORT ROUNDS SIZE   prints one line of JSON
 *
 * Only the server's receive differs between paths: the client, its
 * blocking recv(MSG_WAITALL) and the server's send() are the same code.
 * Under -icount the clock counts instructions, so a round trip is the
 * length of the code path, not the host's scheduling noise.
 */
#include <poll.h>
#include <stdint.h>
#include <sys/mman.h>
#include <linux/tcp.h>
#include "bench.h"
#include "paths.h"

#define POSTED		4	/* postrx: requests' buffers posted ahead */
#define WARMUP		50	/* rounds not counted: connection set-up */

/* A blocking send of all of @len; the answer is the same for every path. */
static void send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, 0);

		if (n < 0 && errno == EAGAIN) {
			/* Nonblocking paths (epoll, tcp_zerocopy): wait. */
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			poll(&p, 1, -1);
			continue;
		}
		if (n <= 0)
			die("send", errno);
		buf += n;
		len -= n;
	}
}

/*
 * The server receives each request with the path under test (paths.h),
 * in as many receives as it takes: postrx keeps POSTED request-sized
 * buffers posted (WAITALL, or for postrx_push without), and posts a
 * completed one again at once (the SQE goes in with the next wait, before
 * the next request can arrive, since the client waits for the answer).
 */
static int do_server(const char *path, int port, long rounds, size_t size)
{
	struct rx rx = { .bufsize = size, .posted = POSTED, .total = SIZE_MAX };
	size_t region = rx_region(size, POSTED);
	char *answer = calloc(1, size);
	int one = 1, lfd = tcp_listen(port, 1);
	long r;

	printf("ready\n");
	fflush(stdout);
	rx.fd = accept(lfd, NULL, NULL);
	if (rx.fd < 0)
		die("accept", errno);
	setsockopt(rx.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rx.buf = mmap(NULL, region, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rx.buf == MAP_FAILED)
		die("mmap", errno);
	memset(rx.buf, 0, region);
	rx_setup(&rx, path);
	for (r = 0; r < rounds; r++) {
		size_t got = 0;

		while (got < size) {
			size_t n = rx_receive(&rx, size - got);

			if (!n)
				die("receive", ECONNRESET);
			got += n;
		}
		send_all(rx.fd, answer, size);
	}
	close(rx.fd);
	close(lfd);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int do_client(const char *host, int port, long rounds, size_t size)
{
	double *rtt = calloc(rounds, sizeof(*rtt));
	char *req = calloc(1, size), *resp = malloc(size);
	int one = 1, fd = tcp_connect(host, port);
	long r, n = 0;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (r = 0; r < rounds; r++) {
		double t0 = now();

		if (send(fd, req, size, 0) != (ssize_t)size ||
		    recv(fd, resp, size, MSG_WAITALL) != (ssize_t)size)
			die("round trip", errno ? errno : EPIPE);
		if (r >= WARMUP)
			rtt[n++] = (now() - t0) * 1e6;
	}
	close(fd);
	qsort(rtt, n, sizeof(*rtt), cmp_double);
	printf("{\"size\": %zu, \"rounds\": %ld, \"lat_p50_us\": %.2f, "
	       "\"lat_p99_us\": %.2f}\n", size, n, rtt[n / 2], rtt[n * 99 / 100]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "server"))
		return do_server(argv[2], atoi(argv[3]), atol(argv[4]),
				 strtoull(argv[5], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "client") && atol(argv[4]) > WARMUP)
		return do_client(argv[2], atoi(argv[3]), atol(argv[4]),
				 strtoull(argv[5], NULL, 0));
	fprintf(stderr, "usage: rxlat server PATH PORT ROUNDS SIZE\n"
			"       rxlat client HOST PORT ROUNDS SIZE  (ROUNDS > %d)\n",
		WARMUP);
	return 2;
}
