// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: the sockets.  The listening socket (-p, -B, -6), and the
 * connections made with --connect; accepting is the loop's business
 * (arm_accept(), plain_accept()).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "recv.h"

/* "host", "host:port", "[v6]:port", "v6": host and port strings. */
static int split_hostport(const char *s, const char *defport, char *host,
			  size_t hlen, const char **port)
{
	const char *colon = strrchr(s, ':');
	size_t n;

	*port = defport;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		n = end - s - 1;
		s++;
		if (end[1] == ':')
			*port = end + 2;
	} else if (colon && colon == strchr(s, ':')) {
		n = colon - s;	/* exactly one colon: host:port */
		*port = colon + 1;
	} else {
		n = strlen(s);	/* no colon, or a bare IPv6 address */
	}
	if (n >= hlen || !**port)
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = 0;
	return 0;
}

static struct addrinfo *resolve(const char *host, const char *port,
				int family, bool passive)
{
	struct addrinfo hints = { .ai_family = family,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	int err;

	if (passive)
		hints.ai_flags |= AI_PASSIVE;
	err = getaddrinfo(host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, PROG ": %s port %s: %s\n", host ? host : "*",
			port, gai_strerror(err));
		return NULL;
	}
	return ai;
}

int setup_listen(struct rx *rx)
{
	int family = rx->o.bind_addr ? AF_UNSPEC : rx->o.v6 ? AF_INET6 : AF_INET;
	struct addrinfo *ai = resolve(rx->o.bind_addr, rx->o.port, family, true);
	int one = 1, err;

	if (!ai)
		return EXIT_SETUP;
	rx->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (rx->lfd >= 0)
		setsockopt(rx->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (rx->lfd < 0 || bind(rx->lfd, ai->ai_addr, ai->ai_addrlen) ||
	    listen(rx->lfd, rx->o.nconn)) {
		err = errno;
		freeaddrinfo(ai);
		if (err == EADDRINUSE)
			fprintf(stderr, PROG ": port %s is already in use\n",
				rx->o.port);
		else
			fprintf(stderr, PROG ": listen on port %s: %s\n",
				rx->o.port, strerror(err));
		return EXIT_SETUP;
	}
	freeaddrinfo(ai);
	return 0;
}

/* -c: N connections, made before anything is posted. */
int connect_all(struct rx *rx, int *socks)
{
	const char *port;
	struct addrinfo *ai;
	char host[256];
	unsigned int i;

	if (split_hostport(rx->o.connect, rx->o.port, host, sizeof(host), &port))
		return usage_error("bad --connect address '%s'", rx->o.connect);
	ai = resolve(host, port, AF_UNSPEC, false);
	if (!ai)
		return EXIT_SETUP;
	for (i = 0; i < rx->o.nconn; i++) {
		socks[i] = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (socks[i] < 0 || connect(socks[i], ai->ai_addr, ai->ai_addrlen)) {
			fprintf(stderr, PROG ": connect to %s port %s: %s\n",
				host, port, strerror(errno));
			freeaddrinfo(ai);
			return EXIT_SETUP;
		}
	}
	freeaddrinfo(ai);
	return 0;
}
