// SPDX-License-Identifier: MIT
/*
 * liburing-ext drop-in mode for a program linked with liburing's shared
 * library: liburing's exported functions that submit, wait, set up and
 * tear down rings and register buffers are defined here too; the dynamic
 * linker binds an application's calls to these when liburing-ext comes
 * before liburing (linking with -luring-ext -luring, or
 * LD_PRELOAD=liburing-ext-preload.so), and these call the drop-in core
 * (dropin-core.c) and liburing's own through dlsym(RTLD_NEXT).  The
 * patched liburing calls the same core from inside those functions
 * instead (liburing-ext/patches/).
 */
#include "liburing/postrx.h"
#include "dropin.h"
#include "real.h"

/* ---- submission and waiting */

int io_uring_submit(struct io_uring *ring)
{
	postrx_dropin_flush(ring);
	return LIBURING(io_uring_submit)(ring);
}

int io_uring_submit_and_wait(struct io_uring *ring, unsigned int wait_nr)
{
	postrx_dropin_flush(ring);
	return LIBURING(io_uring_submit_and_wait)(ring, wait_nr);
}

int io_uring_submit_and_wait_timeout(struct io_uring *ring,
				     struct io_uring_cqe **cqe_ptr,
				     unsigned int wait_nr,
				     struct __kernel_timespec *ts,
				     sigset_t *sigmask)
{
	postrx_dropin_flush(ring);
	return LIBURING(io_uring_submit_and_wait_timeout)(ring, cqe_ptr, wait_nr,
						      ts, sigmask);
}

int io_uring_submit_and_get_events(struct io_uring *ring)
{
	postrx_dropin_flush(ring);
	return LIBURING(io_uring_submit_and_get_events)(ring);
}

int io_uring_wait_cqes(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		       unsigned int wait_nr, struct __kernel_timespec *ts,
		       sigset_t *sigmask)
{
	postrx_dropin_flush(ring);
	return LIBURING(io_uring_wait_cqes)(ring, cqe_ptr, wait_nr, ts, sigmask);
}

int io_uring_wait_cqe_timeout(struct io_uring *ring,
			      struct io_uring_cqe **cqe_ptr,
			      struct __kernel_timespec *ts)
{
	postrx_dropin_flush(ring);
	return LIBURING(io_uring_wait_cqe_timeout)(ring, cqe_ptr, ts);
}

/* ---- buffer registration */

int io_uring_register_buffers(struct io_uring *ring, const struct iovec *iovecs,
			      unsigned int nr_iovecs)
{
	int ret = LIBURING(io_uring_register_buffers)(ring, iovecs, nr_iovecs);

	if (!ret)
		postrx_dropin_view_set(ring, iovecs, nr_iovecs);
	return ret;
}

int io_uring_register_buffers_tags(struct io_uring *ring,
				   const struct iovec *iovecs,
				   const __u64 *tags, unsigned int nr)
{
	int ret = LIBURING(io_uring_register_buffers_tags)(ring, iovecs, tags, nr);

	if (!ret)
		postrx_dropin_view_set(ring, iovecs, nr);
	return ret;
}

int io_uring_register_buffers_sparse(struct io_uring *ring, unsigned int nr)
{
	int ret = LIBURING(io_uring_register_buffers_sparse)(ring, nr);

	if (!ret)
		postrx_dropin_view_set(ring, NULL, nr);
	return ret;
}

/* Returns the number of slots updated, which come first. */
int io_uring_register_buffers_update_tag(struct io_uring *ring,
					 unsigned int off,
					 const struct iovec *iovecs,
					 const __u64 *tags, unsigned int nr)
{
	int ret = LIBURING(io_uring_register_buffers_update_tag)(ring, off, iovecs,
							     tags, nr);

	if (ret > 0)
		postrx_dropin_view_update(ring, off, iovecs, ret);
	return ret;
}

int io_uring_unregister_buffers(struct io_uring *ring)
{
	postrx_dropin_view_set(ring, NULL, 0);
	return LIBURING(io_uring_unregister_buffers)(ring);
}

/* The raw call: whatever it does to buffer slots, the view cannot follow. */
int io_uring_register(unsigned int fd, unsigned int opcode, const void *arg,
		      unsigned int nr_args)
{
	postrx_dropin_raw_register(fd, opcode);
	return LIBURING(io_uring_register)(fd, opcode, arg, nr_args);
}

/* ---- set-up and exit */

int io_uring_queue_init_params(unsigned int entries, struct io_uring *ring,
			       struct io_uring_params *p)
{
	int ret = LIBURING(io_uring_queue_init_params)(entries, ring, p);

	if (!ret)
		postrx_dropin_ring_init(ring);
	return ret;
}

int io_uring_queue_init(unsigned int entries, struct io_uring *ring,
			unsigned int flags)
{
	int ret = LIBURING(io_uring_queue_init)(entries, ring, flags);

	if (!ret)
		postrx_dropin_ring_init(ring);
	return ret;
}

void io_uring_queue_exit(struct io_uring *ring)
{
	postrx_dropin_ring_exit(ring);
	LIBURING(io_uring_queue_exit)(ring);
}
