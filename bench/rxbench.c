// SPDX-License-Identifier: GPL-2.0
/*
 * rxbench: receive one TCP stream with a chosen receive path and report
 * throughput and the receive side's CPU time per GiB.
 *
 *   rxbench send HOST PORT BYTES          sender (run in another namespace)
 *   rxbench recv PATH PORT BYTES BUFSIZE  receiver; PATH is epoll,
 *                                         uring_recv, uring_recv_ring,
 *                                         tcp_zerocopy, postrx,
 *                                         postrx_push (no WAITALL) or
 *                                         postrx_dropin
 *
 * The receiver accepts one connection, receives BYTES into BUFSIZE buffers
 * and prints one line of JSON.  CPU time is measured precisely: busy time
 * of all CPUs (wall time minus /proc/stat's idle and iowait, which are
 * exact with NO_HZ; busy_seconds()) over the transfer, minus the sender's
 * own run time from its schedstat (the sender writes its pid to
 * RXBENCH_SENDER_PIDFILE before it connects) and its device's NAPI thread
 * (RXBENCH_SENDER_TASKS), and the device engine's (RXBENCH_ENGINE_PIDS,
 * pxnic).  What remains is the receive side: the application, softirq and
 * completions; the application's own run time is reported apart
 * (app_cpu_s).  For postrx paths, "completions" counts the buffers the
 * socket completed (POSTRX_CMD_STATS): bytes per completion tell buffers
 * that ended early (a push, the timer) from full ones.  RXBENCH_SEND_ZC
 * makes the sender use MSG_ZEROCOPY.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "bench.h"
#include "paths.h"
#include "sender.h"

#define NBUFS	4	/* postrx: buffers posted, at the least */
/*
 * postrx posts at least this many bytes: posted buffers are where the
 * stream goes, so they play the part of the socket's receive buffer and
 * should cover TCP's window (tcp_rmem's maximum is 6 MiB).
 */
#define POSTED_BYTES	(8u << 20)

static unsigned int postrx_nbufs(size_t bufsize)
{
	size_t n = POSTED_BYTES / bufsize;

	return n < NBUFS ? NBUFS : n > RX_MAX_POSTED ? RX_MAX_POSTED : n;
}

/*
 * The stream in writes of 1 MiB, each 4 KiB stamped with its offset; with
 * RXBENCH_SEND_ZC, MSG_ZEROCOPY sends of the same unchanging buffer (so
 * nothing needs to wait for a send's completion before the buffer is
 * reused).
 */
static int do_send(const char *host, int port, size_t total)
{
	bool zerocopy = getenv("RXBENCH_SEND_ZC");
	struct send_conn c;
	struct sender s;

	sender_init(&s, 1 << 20, !zerocopy, zerocopy);
	sender_connect(&s, &c, host, port);
	sender_write(&s, &c, total);
	sender_end(&s, &c);
	return 0;
}

static int do_recv(const char *path, int port, size_t total, size_t bufsize)
{
	struct rx rx = { .bufsize = bufsize, .posted = postrx_nbufs(bufsize),
			 .total = total };
	char sender_buf[32], *sender;
	double t0, t1, b0, b1, s0, s1, e0, e1, a0, a1, secs, gib;
	size_t region = rx_region(bufsize, rx.posted);
	int lfd;

	rx.buf = mmap(NULL, region, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rx.buf == MAP_FAILED)
		die("mmap", errno);
	memset(rx.buf, 0, region);
	lfd = tcp_listen(port, 1);
	printf("ready\n");
	fflush(stdout);
	rx.fd = accept(lfd, NULL, NULL);
	if (rx.fd < 0)
		die("accept", errno);
	/* The sender wrote its pid before it connected. */
	sender = sender_pid(sender_buf, sizeof(sender_buf));

	t0 = now();
	b0 = busy_seconds();
	s0 = task_seconds(sender) + sender_extra_seconds();
	e0 = engine_seconds();
	a0 = task_seconds("self");	/* this thread: rxbench has no other */
	rx_setup(&rx, path);
	while (rx.got < total && rx_receive(&rx, bufsize))
		;
	rx_end(&rx);
	t1 = now();
	b1 = busy_seconds();
	s1 = task_seconds(sender) + sender_extra_seconds();
	e1 = engine_seconds();
	a1 = task_seconds("self");

	secs = t1 - t0;
	gib = rx.got / (double)(1ULL << 30);
	printf("{\"path\": \"%s\", \"size\": %zu, \"bytes\": %zu, "
	       "\"seconds\": %.4f, \"throughput_gbps\": %.3f, "
	       "\"cpu_s_per_gib\": %.4f, \"sender_cpu_s\": %.4f, "
	       "\"app_cpu_s\": %.4f, "
	       "\"device_cpu_s_per_gib\": %.4f, "
	       "\"copied_bytes\": %llu, \"copied_rx_bytes\": %llu, "
	       "\"copied_late_bytes\": %llu, \"placed_bytes\": %llu, "
	       "\"mapped_bytes\": %zu, \"completions\": %llu}\n",
	       path, bufsize, rx.got, secs, rx.got * 8 / secs / 1e9,
	       ((b1 - b0) - (s1 - s0) - (e1 - e0)) / gib, s1 - s0, a1 - a0,
	       (e1 - e0) / gib,
	       (unsigned long long)(rx.st.copied_rx_bytes +
				    rx.st.copied_late_bytes + rx.zc_copied),
	       (unsigned long long)rx.st.copied_rx_bytes,
	       (unsigned long long)rx.st.copied_late_bytes,
	       (unsigned long long)rx.st.placed_bytes, rx.zc_mapped,
	       (unsigned long long)rx.st.completed);
	close(rx.fd);
	close(lfd);
	return rx.got == total ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "send"))
		return do_send(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0));
	if (argc == 6 && !strcmp(argv[1], "recv"))
		return do_recv(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0),
			       strtoull(argv[5], NULL, 0));
	fprintf(stderr, "usage: rxbench send HOST PORT BYTES\n"
			"       rxbench recv epoll|uring_recv|uring_recv_ring|tcp_zerocopy|\n"
			"                    postrx|postrx_push|postrx_dropin\n"
			"                    PORT BYTES BUFSIZE\n");
	return 2;
}
