/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The receive paths the benchmarks compare (docs/bench.md "Paths"), one
 * table for rxbench (a stream) and rxlat (requests): each path's set-up
 * on a connected socket, and its receive, which returns what one wait of
 * the path brought in.  rxscale, many sockets on one ring, posts with
 * prep_post().
 *
 *	struct rx rx = { .fd = fd, .buf = buf, .bufsize = size,
 *			 .posted = n, .total = bytes };
 *
 *	rx_setup(&rx, "postrx");
 *	while (rx.got < bytes && rx_receive(&rx, size))
 *		;
 *	rx_end(&rx);
 */
#ifndef POSTRX_BENCH_PATHS_H
#define POSTRX_BENCH_PATHS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <liburing.h>
#include <linux/postrx.h>

#define RX_RING_BUFS	16	/* uring_recv_ring: provided buffers */
#define RX_MAX_POSTED	1024	/* postrx: the kernel's limit per socket */

struct rx {
	/* Set before rx_setup(). */
	int fd;			/* the connected socket */
	char *buf;		/* rx_region() bytes */
	size_t bufsize;		/* one buffer */
	unsigned int posted;	/* postrx: buffers posted at once */
	size_t total;		/* postrx: the stream's length (SIZE_MAX: unknown) */

	/* Counted by the path. */
	size_t got;		/* bytes received */
	size_t zc_mapped;	/* tcp_zerocopy: bytes mapped */
	size_t zc_copied;	/* tcp_zerocopy: bytes copied */
	struct postrx_stats st;	/* postrx paths: the socket's, at rx_end() */

	/* The path's own. */
	const struct rx_path *path;
	struct io_uring ring;
	bool has_ring;
	bool postrx;		/* through postrx: STATS at rx_end() */
	int devfd, ep;
	struct io_uring_buf_ring *br;
	bool armed, eof;
	void *map;
	__u32 post_flags;
	unsigned int inflight;
};

struct rx_path {
	const char *name;
	void (*setup)(struct rx *rx);
	/* Bytes of one wait, at most @want (buffer-sized paths: a buffer); 0 at the end. */
	size_t (*receive)(struct rx *rx, size_t want);
};

/* The table, ended by a NULL name. */
extern const struct rx_path rx_paths[];

/* The path called @name, or NULL. */
const struct rx_path *rx_path_find(const char *name);

/* The region every path can use with @posted buffers of @bufsize. */
size_t rx_region(size_t bufsize, unsigned int posted);

/* Set up path @name on @rx (dies on an unknown name or an error). */
void rx_setup(struct rx *rx, const char *name);

/* Receive once: bytes of one wait, added to rx->got; 0 at the end. */
size_t rx_receive(struct rx *rx, size_t want);

/*
 * The end of a stream: wait for the buffers still posted (they complete
 * at the sender's FIN), take the postrx socket's STATS and release what
 * the path set up.
 */
void rx_end(struct rx *rx);

/* Prepare POSTRX_CMD_RECV of @len bytes at @addr (registered) on @fd. */
void prep_post(struct io_uring *ring, int devfd, int fd, void *addr,
	       __u32 len, __u64 ud, __u32 flags);

#endif /* POSTRX_BENCH_PATHS_H */
