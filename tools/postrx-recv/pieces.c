// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: how a buffer's bytes become writes.  The pieces of a buffer
 * (O_DIRECT for whole blocks at an aligned offset, the rest through the
 * page cache), and what a write's result leaves to be written.  Both
 * modes use them: the ring (submit.c) and --plain's pwrite() (plain.c).
 */
#include <string.h>

#include "recv.h"

static void add_piece(struct buf *b, bool direct, uint32_t boff, uint32_t len,
		      uint32_t data)
{
	b->piece[b->pending++] = (struct piece){ .foff = b->off + boff,
		.boff = boff, .len = len, .data = data, .direct = direct };
}

/*
 * Write the buffer's b->len stream bytes at file offset b->off.  O_DIRECT
 * takes whole 4 KiB blocks at an aligned offset (the buffer itself is
 * aligned); the last, partial buffer of a stream is padded with zeros to
 * a block (the file is truncated to the stream length at the end).  What
 * is left goes through the page cache.  Page-cache and O_DIRECT pieces
 * never share a block, so they cannot race in the page cache.
 */
void plan_pieces(struct conn *c, struct buf *b, bool last)
{
	uint32_t len = b->len, dlen = 0;

	if (c->fd_direct >= 0 && !(b->off % ALIGN))
		dlen = last ? (len + ALIGN - 1) / ALIGN * ALIGN : len / ALIGN * ALIGN;
	if (dlen > len)
		memset(b->mem + len, 0, dlen - len);
	b->pending = 0;
	if (dlen)
		add_piece(b, true, 0, dlen, dlen < len ? dlen : len);
	if (len > dlen)
		add_piece(b, false, dlen, len - dlen, len - dlen);
}

/* Count what a write completion wrote; true if the piece is all written. */
bool piece_done(struct conn *c, struct piece *p, int res)
{
	uint32_t n = (uint32_t)res < p->data ? (uint32_t)res : p->data;

	p->data -= n;
	*(p->direct ? &c->direct_bytes : &c->fallback_bytes) += n;
	if ((uint32_t)res == p->len)
		return true;
	/* A short write (the file system is filling up): the rest again. */
	p->boff += res;
	p->foff += res;
	p->len -= res;
	if (res % ALIGN)	/* no longer aligned for O_DIRECT */
		p->direct = false;
	return false;
}
