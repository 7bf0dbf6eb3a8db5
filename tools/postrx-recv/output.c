// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: the output files.  Each connection's NAME.part, opened twice
 * (with and without O_DIRECT), and made the file NAME when its stream
 * ended cleanly.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "recv.h"

static int path_of(struct rx *rx, struct conn *c)
{
	int n;

	if (rx->out_is_dir)
		n = asprintf(&c->path, "%s/conn-%u.dat", rx->o.output, c->id);
	else
		n = asprintf(&c->path, "%s", rx->o.output);
	if (n < 0 || asprintf(&c->part, "%s.part", c->path) < 0)
		return -ENOMEM;
	return 0;
}

/* Would O_DIRECT on @fd need more than our 4 KiB alignment? */
static bool dio_align_too_big(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) ||
	    !(stx.stx_mask & STATX_DIOALIGN) || !stx.stx_dio_offset_align)
		return false;	/* unknown: let the writes tell */
	return stx.stx_dio_offset_align > ALIGN || stx.stx_dio_mem_align > ALIGN;
}

static void warn_no_direct(struct rx *rx, const char *why)
{
	if (rx->odirect_warned)
		return;
	rx->odirect_warned = true;
	fprintf(stderr, PROG ": warning: %s: %s; writing through the page cache instead (still IORING_OP_WRITE_FIXED from the registered buffers)\n",
		rx->o.output, why);
}

/* The O_DIRECT descriptor, or none (-1) where O_DIRECT cannot serve. */
static int open_direct(struct rx *rx, struct conn *c)
{
	c->fd_direct = open(c->part, O_WRONLY | O_DIRECT | O_CLOEXEC);
	if (c->fd_direct < 0 && errno != EINVAL)
		return -errno;
	if (c->fd_direct < 0) {
		warn_no_direct(rx, "the file system refuses O_DIRECT (EINVAL)");
	} else if (dio_align_too_big(c->fd_direct)) {
		warn_no_direct(rx, "O_DIRECT needs more than 4 KiB alignment");
		close(c->fd_direct);
		c->fd_direct = -1;
	}
	return 0;
}

/*
 * Two descriptors on NAME.part: one with O_DIRECT for aligned blocks, one
 * without for the rest.  A file system that refuses O_DIRECT (EINVAL at
 * open) gets the second only.
 */
int open_output(struct rx *rx, struct conn *c)
{
	if (path_of(rx, c))
		return -ENOMEM;
	c->fd_buf = open(c->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (c->fd_buf < 0)
		return -errno;
	/*
	 * A file of its final size takes O_DIRECT writes beside each other:
	 * ext4 waits for each write beyond the end of the file before the
	 * next (IOMAP_DIO_FORCE_WAIT), so io_uring's writes would go to the
	 * disk one at a time.  The length is trimmed to the stream's at the
	 * end.  A file system without fallocate() just does without.
	 */
	if (rx->o.prealloc &&
	    fallocate(c->fd_buf, 0, 0, (rx->o.prealloc + ALIGN - 1) / ALIGN * ALIGN) &&
	    errno != EOPNOTSUPP)
		return -errno;
	return open_direct(rx, c);
}

static void fsync_dir_of(const char *path)
{
	char *dir = strdup(path), *slash = strrchr(dir, '/');
	int dfd;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = 0;
	dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dir);
}

/* Make NAME.part the file NAME: exact length, durable if asked. */
int commit_output(struct rx *rx, struct conn *c)
{
	if (ftruncate(c->fd_buf, c->rx_bytes))
		return -errno;
	if (rx->o.fsync && fsync(c->fd_buf))
		return -errno;
	if (close(c->fd_buf)) {
		c->fd_buf = -1;
		return -errno;
	}
	c->fd_buf = -1;
	if (rename(c->part, c->path))
		return -errno;
	if (rx->o.fsync)	/* the rename itself */
		fsync_dir_of(c->path);
	return 0;
}
