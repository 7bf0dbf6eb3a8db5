// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: set-up before the first connection.  The module's limits
 * (POSTRX_CMD_QUERY), the output, the ring, /dev/postrx, the buffers (one
 * mapping, registered with the ring) and each connection's state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "recv.h"

/* Is the module there, and does it take what we are about to post? */
int check_postrx(const struct opts *o)
{
	struct postrx_query q;
	int ret = io_uring_postrx_probe(&q);

	if (ret == -ENOENT) {
		fprintf(stderr, PROG ": " POSTRX_DEVICE_PATH " does not exist: the postrx module is not loaded (insmod postrx.ko)\n");
		return EXIT_SETUP;
	}
	if (ret) {
		fprintf(stderr, PROG ": cannot query " POSTRX_DEVICE_PATH ": %s\n",
			strerror(-ret));
		return EXIT_SETUP;
	}
	if (o->waitall && !(q.recv_flags & POSTRX_RECV_WAITALL))
		return usage_error("this postrx module has no POSTRX_RECV_WAITALL; use --no-waitall");
	if (q.max_posted && o->qdepth > q.max_posted)
		return usage_error("--queue-depth %llu is more than the module's %u buffers per socket",
				   (unsigned long long)o->qdepth, q.max_posted);
	if (q.max_recv_len && o->bufsize > q.max_recv_len)
		return usage_error("--buffer-size is more than the module's limit of %u bytes",
				   q.max_recv_len);
	return 0;
}

/* The output: an existing directory, or one file (then only -n 1). */
int check_output(struct rx *rx)
{
	struct stat st;

	rx->out_is_dir = !stat(rx->o.output, &st) && S_ISDIR(st.st_mode);
	if (!rx->out_is_dir && rx->o.nconn > 1)
		return usage_error("with %llu connections, --output must be an existing directory",
				   (unsigned long long)rx->o.nconn);
	return 0;
}

/* One mapping for all buffers: page-aligned, as O_DIRECT wants. */
int alloc_buffers(struct rx *rx)
{
	unsigned int n = rx->o.qdepth * rx->o.nconn;
	size_t bsz = rx->o.bufsize;

	rx->mem = mmap(NULL, bsz * n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rx->mem == MAP_FAILED) {
		fprintf(stderr, PROG ": cannot allocate %u buffers of %zu bytes\n",
			n, bsz);
		return EXIT_SETUP;
	}
	return 0;
}

/* One registered buffer per posted buffer. */
static int setup_buffers(struct rx *rx)
{
	unsigned int n = rx->o.qdepth * rx->o.nconn, i;
	size_t bsz = rx->o.bufsize;
	struct iovec *iov;
	int ret;

	ret = alloc_buffers(rx);
	if (ret)
		return ret;
	iov = calloc(n, sizeof(*iov));
	if (!iov)
		return EXIT_SETUP;
	for (i = 0; i < n; i++)
		iov[i] = (struct iovec){ rx->mem + i * bsz, bsz };
	ret = io_uring_register_buffers(&rx->ring, iov, n);
	free(iov);
	if (ret) {
		fprintf(stderr, PROG ": cannot register %u buffers of %zu bytes: %s%s\n",
			n, bsz, strerror(-ret),
			ret == -ENOMEM ? " (RLIMIT_MEMLOCK too low?)" : "");
		return EXIT_SETUP;
	}
	return 0;
}

static unsigned int pow2_at_least(unsigned int v)
{
	unsigned int p = 8;

	while (p < v)
		p <<= 1;
	return p;
}

/*
 * The completion queue holds what can be outstanding at once: per buffer
 * one receive or two writes, per connection a stats and a cancel.
 */
int setup_ring(struct rx *rx)
{
	unsigned int nbufs = rx->o.qdepth * rx->o.nconn;
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE };
	int ret;

	/* CQSIZE must not be below the SQ size (EINVAL). */
	p.cq_entries = pow2_at_least(2 * nbufs + 2 * rx->o.nconn + 8);
	if (p.cq_entries < 2 * SQ_ENTRIES)
		p.cq_entries = 2 * SQ_ENTRIES;
	ret = io_uring_queue_init_params(SQ_ENTRIES, &rx->ring, &p);
	if (ret) {
		fprintf(stderr, PROG ": io_uring_queue_init: %s\n", strerror(-ret));
		return EXIT_SETUP;
	}
	rx->devfd = io_uring_postrx_open();
	if (rx->devfd < 0) {
		fprintf(stderr, PROG ": open " POSTRX_DEVICE_PATH ": %s\n",
			strerror(-rx->devfd));
		return EXIT_SETUP;
	}
	return setup_buffers(rx);
}

int setup_conns(struct rx *rx)
{
	unsigned int i, j, q = rx->o.qdepth;

	rx->conns = calloc(rx->o.nconn, sizeof(*rx->conns));
	if (!rx->conns)
		return EXIT_SETUP;
	for (i = 0; i < rx->o.nconn; i++) {
		struct conn *c = &rx->conns[i];

		c->id = i;
		c->sock = c->fd_direct = c->fd_buf = -1;
		c->bufs = calloc(q, sizeof(*c->bufs));
		c->fifo = calloc(q, sizeof(*c->fifo));
		if (!c->bufs || !c->fifo)
			return EXIT_SETUP;
		for (j = 0; j < q; j++) {
			c->bufs[j].idx = i * q + j;
			c->bufs[j].mem = rx->mem + (size_t)c->bufs[j].idx * rx->o.bufsize;
		}
	}
	return 0;
}
