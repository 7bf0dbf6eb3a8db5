// SPDX-License-Identifier: GPL-2.0
/*
 * Receiving a whole stream through postrx, buffers re-posted as they
 * complete, every completion's order and every byte checked.
 */
#include <sys/mman.h>

#include "postrx_test.h"

int px_stream_err;
uint64_t px_stream_verified;

__u32 px_buf_flags(__u32 flags, unsigned int idx)
{
	if (!(flags & PX_RECV_MIXED))
		return flags;
	return idx & 1 ? 0 : POSTRX_RECV_WAITALL;
}

void px_describe_diff(uint64_t seed, uint64_t off, const uint8_t *buf,
		      size_t len)
{
	uint8_t *want = malloc(len);
	unsigned int shown = 0;
	size_t i = 0;

	if (!want)
		return;
	px_pattern(seed, off, want, len);
	while (i < len && shown < 8) {
		size_t j;
		bool inv = true;

		if (buf[i] == want[i]) {
			i++;
			continue;
		}
		for (j = i; j < len && buf[j] != want[j]; j++)
			inv &= buf[j] == (uint8_t)~want[j];
		fprintf(stderr, "# stream differs at byte %llu: %zu bytes%s\n",
			(unsigned long long)(off + i), j - i,
			inv ? ", the complement of the stream" : "");
		shown++;
		i = j;
	}
	free(want);
}

/* What px_stream() keeps while it runs. */
struct px_stream_state {
	struct io_uring *ring;
	int devfd, sockfd;
	size_t bufsize;
	unsigned int nbufs;
	__u32 flags;
	uint64_t seed;
	uint8_t *mem;
	unsigned int *fifo, head, tail;	/* posted buffers, in order */
	uint64_t off;			/* stream bytes verified */
	bool eof;
};

/* Post buffer @idx again and remember it as the newest; 0 or -1. */
static int px_stream_post(struct px_stream_state *s, unsigned int idx)
{
	if (!px_prep_recv(s->ring, s->devfd, s->sockfd,
			  s->mem + idx * s->bufsize, s->bufsize, 0,
			  px_buf_flags(s->flags, idx), idx))
		return -1;
	s->fifo[s->tail++ % (s->nbufs + 1)] = idx;
	return 0;
}

/*
 * Check one completion of buffer @ud with result @res and move the
 * stream on; 0 if it is right, -1 (said why) if not.
 */
static int px_stream_complete(struct px_stream_state *s, __u64 ud, int res)
{
	int64_t bad;

	if (ud != s->fifo[s->head % (s->nbufs + 1)]) {
		fprintf(stderr, "# completion of buffer %llu out of order\n",
			(unsigned long long)ud);
		return -1;
	}
	s->head++;
	if (res < 0) {
		fprintf(stderr, "# buffer %llu: %s\n",
			(unsigned long long)ud, strerror(-res));
		px_stream_err = res;
		return -1;
	}
	if (res > (int)s->bufsize || (s->eof && res)) {
		fprintf(stderr, "# buffer %llu: res %d after eof %d\n",
			(unsigned long long)ud, res, s->eof);
		return -1;
	}
	if (res == 0) {
		s->eof = true;
		return 0;
	}
	/* A short WAITALL buffer is the last one before end of stream. */
	if ((px_buf_flags(s->flags, ud) & POSTRX_RECV_WAITALL) &&
	    res != (int)s->bufsize)
		s->eof = true;
	bad = px_verify(s->seed, s->off, s->mem + ud * s->bufsize, res);
	if (bad >= 0) {
		px_describe_diff(s->seed, s->off, s->mem + ud * s->bufsize, res);
		return -1;
	}
	s->off += res;
	px_stream_verified = s->off;
	return 0;
}

int64_t px_stream(struct io_uring *ring, int devfd, int sockfd,
		  size_t bufsize, unsigned int nbufs, __u32 flags,
		  uint64_t seed)
{
	struct px_stream_state s = {
		.ring = ring, .devfd = devfd, .sockfd = sockfd,
		.bufsize = bufsize, .nbufs = nbufs, .flags = flags,
		.seed = seed,
	};
	size_t region = bufsize * nbufs;
	struct iovec iov;
	int64_t ret = -1;
	unsigned int i;

	px_stream_err = 0;
	px_stream_verified = 0;
	s.mem = px_alloc(region);
	s.fifo = calloc(nbufs + 1, sizeof(*s.fifo));
	iov.iov_base = s.mem;
	iov.iov_len = region;
	if (!s.mem || !s.fifo || io_uring_register_buffers(ring, &iov, 1))
		goto out;
	for (i = 0; i < nbufs; i++)
		if (px_stream_post(&s, i))
			goto out;
	io_uring_submit(ring);

	while (s.head != s.tail) {
		__u64 ud;
		int res;

		if (px_wait_cqe(ring, 60000, &ud, &res)) {
			fprintf(stderr, "# no completion within 60 s at %llu\n",
				(unsigned long long)s.off);
			goto out;
		}
		if (px_stream_complete(&s, ud, res))
			goto out;
		if (s.eof)
			continue;
		if (px_stream_post(&s, ud))
			goto out;
		io_uring_submit(ring);
	}
	ret = s.off;
out:
	io_uring_unregister_buffers(ring);
	if (s.mem)
		munmap(s.mem, region);
	free(s.fifo);
	return ret;
}
