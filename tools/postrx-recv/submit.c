// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: what goes on the ring.  Each request's SQE, tagged in
 * user_data with what its completion is for (ud_make()): posting a
 * buffer, writing a piece of one, asking for a socket's statistics,
 * accepting.  Cancelling is conn_fail()'s.
 */
#include <stdio.h>
#include <stdlib.h>

#include "recv.h"

struct io_uring_sqe *get_sqe(struct rx *rx)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&rx->ring);

	if (!sqe) {	/* SQ full: hand what is queued to the kernel first */
		io_uring_submit(&rx->ring);
		sqe = io_uring_get_sqe(&rx->ring);
	}
	if (!sqe) {
		fprintf(stderr, PROG ": no submission queue entry\n");
		exit(EXIT_FAIL);
	}
	return sqe;
}

void post_buf(struct rx *rx, struct conn *c, struct buf *b)
{
	struct io_uring_sqe *sqe = get_sqe(rx);

	io_uring_prep_postrx_recv(sqe, rx->devfd, c->sock, b->mem,
				  rx->o.bufsize, b->idx,
				  rx->o.waitall ? POSTRX_RECV_WAITALL : 0);
	sqe->user_data = ud_make(OP_RECV, b->idx, 0);
	c->fifo[c->tail++ % rx->o.qdepth] = b->idx;
	c->posted++;
}

void submit_piece(struct rx *rx, struct conn *c, struct buf *b,
			 unsigned int pi)
{
	struct piece *p = &b->piece[pi];
	struct io_uring_sqe *sqe = get_sqe(rx);

	io_uring_prep_write_fixed(sqe, p->direct ? c->fd_direct : c->fd_buf,
				  b->mem + p->boff, p->len, p->foff, b->idx);
	sqe->user_data = ud_make(OP_WRITE, b->idx, pi);
	c->writes++;
}

void write_buf(struct rx *rx, struct conn *c, struct buf *b, bool last)
{
	plan_pieces(c, b, last);
	for (unsigned int i = 0; i < b->pending; i++)
		submit_piece(rx, c, b, i);
}

void request_stats(struct rx *rx, struct conn *c)
{
	struct io_uring_sqe *sqe = get_sqe(rx);

	io_uring_prep_postrx_stats(sqe, rx->devfd, c->sock, &c->st);
	sqe->user_data = ud_make(OP_STATS, c->id, 0);
	c->stats_pending = true;
}

void arm_accept(struct rx *rx)
{
	struct io_uring_sqe *sqe;

	if (rx->o.plain)	/* the poll() loop accepts */
		return;
	sqe = get_sqe(rx);
	io_uring_prep_accept(sqe, rx->lfd, NULL, NULL, SOCK_CLOEXEC);
	sqe->user_data = ud_make(OP_ACCEPT, 0, 0);
}
