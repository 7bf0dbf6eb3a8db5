// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: a connection's life.  Its start (output opened, buffers
 * posted), its failure (the message, its buffers cancelled), and its end
 * once nothing of it is in flight (statistics asked for, sockets and files
 * closed, the file committed or removed).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "recv.h"

/*
 * A connection is done once nothing of it is in flight and its stream
 * ended or failed.  The statistics are asked for first, while the socket
 * is still open.
 */
void maybe_finish(struct rx *rx, struct conn *c)
{
	if (c->finished || c->posted || c->writes || c->cancel_pending ||
	    c->stats_pending || (!c->eof && !c->failed))
		return;
	if (!c->stats_done && c->sock >= 0) {
		request_stats(rx, c);
		return;
	}
	conn_finish(rx, c);
}

/*
 * Fail @c: say why (@err 0: the message is complete without an errno),
 * take its buffers back from the socket, and let it finish; its .part
 * file is removed then.
 */
void conn_fail(struct rx *rx, struct conn *c, int err,
		      const char *fmt, ...)
{
	struct io_uring_sqe *sqe;
	size_t n;
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	c->err = err;
	va_start(ap, fmt);
	n = vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	if (err && n < sizeof(c->errmsg))
		snprintf(c->errmsg + n, sizeof(c->errmsg) - n, ": %s",
			 strerror(err));
	fprintf(stderr, "%s" PROG ": connection %u: %s\n",
		rx->progress ? "\n" : "", c->id, c->errmsg);
	if (c->posted) {	/* take our buffers back from the socket */
		sqe = get_sqe(rx);
		io_uring_prep_postrx_cancel(sqe, rx->devfd, c->sock, 0,
					    POSTRX_CANCEL_ALL);
		sqe->user_data = ud_make(OP_CANCEL, c->id, 0);
		c->cancel_pending = true;
	}
	maybe_finish(rx, c);
}

/* The transfer starts: time, CPU and the machine's CPU split from here. */
static void measure_start(struct rx *rx)
{
	rx->t0 = now();
	rx->cpu0 = cpu_seconds();
	/* the sender wrote its pid before it connected */
	rx->o.roles.sender = bt_read_pid(rx->o.sender_pidfile,
					 rx->o.sender_pid,
					 sizeof(rx->o.sender_pid));
	bt_snap(&rx->o.roles, &rx->snap0);
}

void conn_start(struct rx *rx, unsigned int id, int sock)
{
	struct conn *c = &rx->conns[id];
	int err;

	c->sock = sock;
	c->started = true;
	c->stats_done = rx->o.plain;	/* no POSTRX_CMD_STATS for recv() */
	rx->active++;
	if (!rx->t0)
		measure_start(rx);
	err = open_output(rx, c);
	if (err) {
		conn_fail(rx, c, -err, "cannot create %s",
			  c->part ? c->part : rx->o.output);
		return;
	}
	if (rx->o.plain)	/* plain_loop() reads when the socket is ready */
		return;
	for (unsigned int i = 0; i < rx->o.qdepth; i++)
		post_buf(rx, c, &c->bufs[i]);
}

/* Commit the file, or remove it if the connection failed (then or before). */
static void close_output(struct rx *rx, struct conn *c)
{
	int err;

	if (c->fd_direct >= 0)
		close(c->fd_direct);
	if (!c->failed && (err = commit_output(rx, c)))
		conn_fail(rx, c, -err, "cannot complete %s", c->path);
	if (c->fd_buf >= 0)
		close(c->fd_buf);
	if (c->failed) {
		rx->nfailed++;
		if (c->part)
			unlink(c->part);
	}
}

void conn_finish(struct rx *rx, struct conn *c)
{
	c->finished = true;
	rx->active--;
	/*
	 * The machine's CPU split ends here, while the sender still waits
	 * for this close: once it exits, its run time can no longer be read.
	 */
	if (!rx->active) {
		bt_snap(&rx->o.roles, &rx->snap1);
		rx->snapped = true;
	}
	if (c->sock >= 0)
		close(c->sock);
	close_output(rx, c);
	rx->t1 = now();
}

void stop_all(struct rx *rx)
{
	rx->stop = true;
	for (unsigned int i = 0; i < rx->accepted; i++)
		if (!rx->conns[i].finished)
			conn_fail(rx, &rx->conns[i], 0, "interrupted by a signal");
}
