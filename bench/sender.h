/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The benchmarks' bulk sender: a stream of 0x5a bytes written to one or
 * more connected sockets from one buffer, in writes of up to a chunk;
 * rxbench's stream and rxscale's sockets.  Optionally each 4 KiB of the
 * stream carries its offset (a receiver's hash then tells a misplaced
 * block from the right one), or the sends use MSG_ZEROCOPY from the same
 * unchanging buffer (tools/common/zerocopy.h).
 */
#ifndef POSTRX_BENCH_SENDER_H
#define POSTRX_BENCH_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include "../tools/common/zerocopy.h"

struct sender {
	char *buf;		/* @chunk bytes */
	size_t chunk;
	bool stamp;		/* each 4 KiB carries its stream offset */
	bool zerocopy;		/* MSG_ZEROCOPY; the buffer never changes */
};

/* One connection's stream. */
struct send_conn {
	int fd;
	size_t off;		/* bytes of the stream written */
	struct zc_sender zc;
};

void sender_init(struct sender *s, size_t chunk, bool stamp, bool zerocopy);

/* Connect @c to HOST and PORT. */
void sender_connect(const struct sender *s, struct send_conn *c,
		    const char *host, int port);

/* Write the next @len bytes of @c's stream. */
void sender_write(const struct sender *s, struct send_conn *c, size_t len);

/*
 * The end of @c's stream: wait until the kernel let go of every
 * zero-copy send, send FIN, then live until the receiver has closed.  The
 * receiver reads the sender's run time from /proc/PID/schedstat when the
 * last byte is in; a sender that exited before then could be reaped, and
 * its run time charged to the receive side.
 */
void sender_end(const struct sender *s, struct send_conn *c);

#endif /* POSTRX_BENCH_SENDER_H */
