// SPDX-License-Identifier: GPL-2.0
/* The benchmarks' bulk sender (sender.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bench.h"
#include "sender.h"

void sender_init(struct sender *s, size_t chunk, bool stamp, bool zerocopy)
{
	*s = (struct sender){ .buf = malloc(chunk), .chunk = chunk,
			      .stamp = stamp, .zerocopy = zerocopy };
	if (!s->buf)
		die("malloc", ENOMEM);
	memset(s->buf, 0x5a, chunk);
}

void sender_connect(const struct sender *s, struct send_conn *c,
		    const char *host, int port)
{
	int ret;

	*c = (struct send_conn){ .fd = tcp_connect(host, port) };
	if (s->zerocopy) {
		ret = zc_enable(c->fd);
		if (ret)
			die("SO_ZEROCOPY", -ret);
	}
}

void sender_write(const struct sender *s, struct send_conn *c, size_t len)
{
	size_t end = c->off + len;

	while (c->off < end) {
		size_t want = end - c->off < s->chunk ? end - c->off : s->chunk, i;
		ssize_t n;

		if (s->zerocopy) {
			n = zc_send(&c->zc, c->fd, s->buf, want);
			if (n < 0)
				die("send", -n);
			c->off += n;
			continue;
		}
		/* 256 stores per MiB: nothing next to the copy. */
		for (i = 0; s->stamp && i + 8 <= want; i += 4096) {
			uint64_t at = c->off + i;

			memcpy(s->buf + i, &at, 8);
		}
		n = write(c->fd, s->buf, want);
		if (n <= 0)
			die("write", errno);
		c->off += n;
	}
}

void sender_end(const struct sender *s, struct send_conn *c)
{
	if (s->zerocopy)
		zc_finish(&c->zc, c->fd, -1);
	shutdown(c->fd, SHUT_WR);
	while (read(c->fd, s->buf, s->chunk) > 0)
		;
	close(c->fd);
}
