/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the benchmark programs share: errors, clocks, the CPU accounting
 * (tools/common/busytime.h, with the bench's environment) and TCP
 * connection set-up.  The receive paths are in paths.h, the sender in
 * sender.h.
 */
#ifndef POSTRX_BENCH_H
#define POSTRX_BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "../tools/common/busytime.h"

/* Print "PROGRAM: @what: @err's message" and exit 1. */
static inline void die(const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
		strerror(err));
	exit(1);
}

static inline double now(void)
{
	return bt_now();
}

/* Busy time of all CPUs: see tools/common/busytime.h. */
static inline double busy_seconds(void)
{
	double busy = bt_busy_seconds();

	if (busy < 0)
		die("/proc/stat", EIO);
	return busy;
}

/* Run time of a process (all its threads) from schedstat (exact, ns). */
static inline double task_seconds(const char *pid)
{
	return bt_task_seconds(pid);
}

/* Summed run time of the tasks whose pids $@var lists, space-separated. */
static inline double tasks_seconds(const char *var)
{
	return bt_tasks_seconds(getenv(var));
}

/*
 * Run time of the device's engine threads (RXBENCH_ENGINE_PIDS): the
 * NIC's work in the pxnic model, which is not the host's receive cost.
 */
static inline double engine_seconds(void)
{
	return tasks_seconds("RXBENCH_ENGINE_PIDS");
}

/*
 * The sender's side beyond its process (RXBENCH_SENDER_TASKS): on pxnic
 * the sender's device has a NAPI thread of its own, where the sender's
 * TCP takes ACKs in and pushes data out.  That is sending, not receiving.
 */
static inline double sender_extra_seconds(void)
{
	return tasks_seconds("RXBENCH_SENDER_TASKS");
}

/* Connect a TCP socket to HOST (IPv4 or IPv6 literal) and PORT. */
static inline int tcp_connect(const char *host, int port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *a4 = (void *)&ss;
	struct sockaddr_in6 *a6 = (void *)&ss;
	socklen_t len;
	int fd;

	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		len = sizeof(*a4);
	} else {
		inet_pton(AF_INET6, host, &a6->sin6_addr);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		len = sizeof(*a6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (void *)&ss, len))
		die("connect", errno);
	return fd;
}

/* A listening socket on PORT, IPv6 with IPv4-mapped addresses. */
static inline int tcp_listen(int port, int backlog)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(port) };
	int one = 1, fd = socket(AF_INET6, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (void *)&a, sizeof(a)) || listen(fd, backlog))
		die("listen", errno);
	return fd;
}

/* The pid the sender wrote to RXBENCH_SENDER_PIDFILE, or NULL. */
static inline char *sender_pid(char *buf, size_t len)
{
	return bt_read_pid(getenv("RXBENCH_SENDER_PIDFILE"), buf, len);
}

#endif /* POSTRX_BENCH_H */
