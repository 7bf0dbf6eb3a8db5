// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv --plain: the baseline.  recv() into one ordinary buffer per
 * connection and pwrite() in the same pieces as the ring's writes, in a
 * poll() loop; no /dev/postrx, no io_uring.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "recv.h"

/*
 * Write the buffer's b->len bytes at file offset b->off with pwrite(): the
 * same pieces as write_buf() (O_DIRECT for whole blocks at an aligned
 * offset, the padded tail, the rest through the page cache), so that the
 * two modes differ in the receive path only.
 */
static void pwrite_buf(struct conn *c, struct buf *b, bool last)
{
	struct piece *p;
	ssize_t res;

	plan_pieces(c, b, last);
	for (unsigned int i = 0; i < b->pending; i++) {
		p = &b->piece[i];
		do {
			res = pwrite(p->direct ? c->fd_direct : c->fd_buf,
				     b->mem + p->boff, p->len, p->foff);
			if (res < 0 && errno == EINTR)
				continue;
			if (res <= 0) {
				c->err = res ? errno : EIO;
				return;
			}
		} while (!piece_done(c, p, res));
	}
}

/* Write what the buffer holds and start it again at the next offset. */
static void plain_flush(struct rx *rx, struct conn *c, struct buf *b, bool last)
{
	uint64_t foff = b->off;

	if (!b->len)
		return;
	c->err = 0;
	pwrite_buf(c, b, last);
	if (c->err) {
		conn_fail(rx, c, c->err, "write to %s at byte %llu", c->part,
			  (unsigned long long)foff);
		return;
	}
	b->off += b->len;
	b->len = 0;
}

/* Bytes that recv() returned: check them; write the buffer once full. */
static void plain_data(struct rx *rx, struct conn *c, struct buf *b, size_t n)
{
	int64_t bad;

	if (rx->o.verify) {
		bad = st_verify(rx->o.seed, c->rx_bytes, b->mem + b->len, n);
		if (bad >= 0) {
			conn_fail(rx, c, 0,
				  "stream differs from the pattern at byte %lld",
				  (long long)bad);
			return;
		}
	}
	b->len += n;
	c->rx_bytes += n;
	rx->total_rx += n;
	/* Without WAITALL every recv() is written as it came, as postrx does. */
	if (b->len == rx->o.bufsize || !rx->o.waitall)
		plain_flush(rx, c, b, false);
}

/*
 * The socket is readable: recv() until it would block, the stream ends, or
 * a buffer was written (then the other sockets get their turn).
 */
static void plain_recv(struct rx *rx, struct conn *c)
{
	struct buf *b = &c->bufs[0];
	uint64_t written = b->off;
	ssize_t res;

	while (!c->failed && b->off == written) {
		res = recv(c->sock, b->mem + b->len, rx->o.bufsize - b->len,
			   MSG_DONTWAIT);
		if (res < 0 && errno == EINTR)
			continue;
		if (res < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (res < 0) {
			conn_fail(rx, c, errno, "receive at byte %llu",
				  (unsigned long long)c->rx_bytes);
			return;
		}
		if (!res) {	/* end of stream: the partial buffer, padded */
			plain_flush(rx, c, b, true);
			c->eof = true;
			maybe_finish(rx, c);
			return;
		}
		plain_data(rx, c, b, res);
	}
}

static void plain_accept(struct rx *rx)
{
	int fd = accept4(rx->lfd, NULL, NULL, SOCK_CLOEXEC);

	on_accept(rx, fd < 0 ? -errno : fd);
}

/*
 * One pollfd per connection (fd -1, which poll() skips, when it is not
 * receiving) and the listener last.
 */
static void plain_pollset(struct rx *rx, struct pollfd *pfd)
{
	unsigned int n = rx->o.nconn, i;
	struct conn *c;

	for (i = 0; i < n; i++) {
		c = &rx->conns[i];
		pfd[i].fd = c->started && !c->finished ? c->sock : -1;
		pfd[i].events = POLLIN;
	}
	pfd[n].fd = rx->lfd >= 0 && rx->accepted < n && !rx->stop ?
		    rx->lfd : -1;
	pfd[n].events = POLLIN;
}

/* Receive on every readable socket, accept on the listener, until done. */
int plain_loop(struct rx *rx)
{
	unsigned int n = rx->o.nconn, i;
	struct pollfd *pfd = calloc(n + 1, sizeof(*pfd));
	int ret;

	if (!pfd)
		return EXIT_FAIL;
	while (rx->active || (rx->accepted < n && !rx->stop)) {
		plain_pollset(rx, pfd);
		ret = poll(pfd, n + 1, 1000);
		if (ret < 0 && errno != EINTR) {
			fprintf(stderr, PROG ": poll: %s\n", strerror(errno));
			free(pfd);
			return EXIT_FAIL;
		}
		for (i = 0; ret > 0 && i < n; i++)
			if (pfd[i].revents && !rx->conns[i].finished)
				plain_recv(rx, &rx->conns[i]);
		if (ret > 0 && pfd[n].revents)
			plain_accept(rx);
		if (interrupted && !rx->stop)
			stop_all(rx);
		show_progress(rx);
	}
	if (rx->progress)
		fprintf(stderr, "\n");
	free(pfd);
	return 0;
}
