// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: the ring's loop and its completions.  Each CQE goes to the
 * handler of what it is for: a filled buffer is checked and written, a
 * written one posted again, an accepted socket started.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "recv.h"

static struct buf *buf_of(struct rx *rx, unsigned int idx, struct conn **cp)
{
	*cp = &rx->conns[idx / rx->o.qdepth];
	return &(*cp)->bufs[idx % rx->o.qdepth];
}

/* Bytes of a buffer that arrived: check them, then write them. */
static void got_data(struct rx *rx, struct conn *c, struct buf *b, int res)
{
	int64_t bad;

	if (c->eof || c->ended_short) {
		conn_fail(rx, c, 0, "data after the end of the stream");
		return;
	}
	if (rx->o.verify) {
		bad = st_verify(rx->o.seed, c->rx_bytes, b->mem, res);
		if (bad >= 0) {
			conn_fail(rx, c, 0,
				  "stream differs from the pattern at byte %lld",
				  (long long)bad);
			return;
		}
	}
	b->off = c->rx_bytes;
	b->len = res;
	c->rx_bytes += res;
	rx->total_rx += res;
	/* With WAITALL only the stream's end leaves a buffer short. */
	if (rx->o.waitall && (uint64_t)res < rx->o.bufsize)
		c->ended_short = true;
	write_buf(rx, c, b, c->ended_short);
}

static void on_recv(struct rx *rx, unsigned int idx, int res)
{
	struct conn *c;
	struct buf *b = buf_of(rx, idx, &c);

	c->posted--;
	if (!c->failed && c->fifo[c->head++ % rx->o.qdepth] != idx)
		conn_fail(rx, c, 0, "buffer %u completed out of posting order", idx);
	if (c->failed) {
		maybe_finish(rx, c);
	} else if (res < 0) {
		conn_fail(rx, c, -res, "receive at byte %llu",
			  (unsigned long long)c->rx_bytes);
	} else if (res == 0) {
		c->eof = true;
		maybe_finish(rx, c);
	} else if ((uint64_t)res > rx->o.bufsize) {
		conn_fail(rx, c, 0, "completion of %d bytes, more than the buffer", res);
	} else {
		got_data(rx, c, b, res);
	}
}

/*
 * A written buffer goes back to the socket, until the stream's end is
 * known: after a short WAITALL completion, one posted buffer is enough to
 * learn whether that was end of stream (0) or an error (a reset).
 */
static void buf_written(struct rx *rx, struct conn *c, struct buf *b)
{
	if (!c->eof && !c->failed && !(c->ended_short && c->posted))
		post_buf(rx, c, b);
	maybe_finish(rx, c);
}

static void on_write(struct rx *rx, unsigned int idx, unsigned int pi, int res)
{
	struct conn *c;
	struct buf *b = buf_of(rx, idx, &c);
	struct piece *p = &b->piece[pi];

	c->writes--;
	if (c->failed)
		maybe_finish(rx, c);
	else if (res <= 0)
		conn_fail(rx, c, res ? -res : EIO, "write to %s at byte %llu",
			  c->part, (unsigned long long)p->foff);
	else if (!piece_done(c, p, res))
		submit_piece(rx, c, b, pi);
	else if (!--b->pending)
		buf_written(rx, c, b);
}

void on_accept(struct rx *rx, int res)
{
	if (res == -EINTR || res == -ECONNABORTED || res == -EAGAIN) {
		if (!rx->stop)
			arm_accept(rx);
		return;
	}
	if (res < 0) {
		fprintf(stderr, PROG ": accept: %s\n", strerror(-res));
		rx->stop = true;
		rx->nfailed++;
		return;
	}
	if (rx->stop) {
		close(res);
		return;
	}
	conn_start(rx, rx->accepted++, res);
	if (rx->accepted < rx->o.nconn)
		arm_accept(rx);
}

static void on_cqe(struct rx *rx, __u64 ud, int res)
{
	unsigned int idx = (ud >> 8) & 0xffffffffffULL, pi = ud & 0xff;
	struct conn *c = &rx->conns[idx < rx->o.nconn ? idx : 0];

	switch (ud >> 56) {
	case OP_RECV:
		on_recv(rx, idx, res);
		break;
	case OP_WRITE:
		on_write(rx, idx, pi, res);
		break;
	case OP_STATS:	/* a reset socket answers -ENOTCONN: zeros then */
		c->stats_pending = false;
		c->stats_done = true;
		maybe_finish(rx, c);
		break;
	case OP_CANCEL:
		c->cancel_pending = false;
		maybe_finish(rx, c);
		break;
	case OP_ACCEPT:
		on_accept(rx, res);
		break;
	}
}

int event_loop(struct rx *rx)
{
	struct __kernel_timespec ts = { .tv_sec = 1 };
	struct io_uring_cqe *cqe;
	int ret;

	while (rx->active || (rx->accepted < rx->o.nconn && !rx->stop)) {
		ret = io_uring_submit_and_wait_timeout(&rx->ring, &cqe, 1, &ts, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR) {
			fprintf(stderr, PROG ": io_uring: %s\n", strerror(-ret));
			return EXIT_FAIL;
		}
		while (!io_uring_peek_cqe(&rx->ring, &cqe)) {
			__u64 ud = cqe->user_data;
			int res = cqe->res;

			io_uring_cqe_seen(&rx->ring, cqe);
			on_cqe(rx, ud, res);
		}
		if (interrupted && !rx->stop)
			stop_all(rx);
		show_progress(rx);
	}
	if (rx->progress)
		fprintf(stderr, "\n");
	return 0;
}
