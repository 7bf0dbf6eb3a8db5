/* SPDX-License-Identifier: MIT */
/*
 * The drop-in core (dropin-core.c) as its two users see it: liburing-ext's
 * wrappers of liburing's functions (dropin.c, for a program that links
 * liburing dynamically) and the patched liburing's own submission and
 * registration paths (liburing-ext/patches/, for a program linked
 * statically).  The core knows nothing of how it is reached: each user
 * calls these at the same points of liburing's functions.
 */
#ifndef POSTRX_DROPIN_H
#define POSTRX_DROPIN_H

#include <sys/uio.h>

struct io_uring;

/* Set by liburing-ext-preload.so: every ring the program sets up is enabled. */
extern int io_uring_postrx_preload;

/* A ring was set up: enable it if asked to (preload, LIBURING_POSTRX=1). */
void postrx_dropin_ring_init(struct io_uring *ring);
/* The ring goes away. */
void postrx_dropin_ring_exit(struct io_uring *ring);
/* Before the SQEs queued since the last submission go to the kernel. */
void postrx_dropin_flush(struct io_uring *ring);
/* After a registration: all slots hold @iovecs (NULL: @nr empty slots). */
void postrx_dropin_view_set(struct io_uring *ring, const struct iovec *iovecs,
			    unsigned int nr);
/* After an update: slots [@off, @off + @nr) hold @iovecs. */
void postrx_dropin_view_update(struct io_uring *ring, unsigned int off,
			       const struct iovec *iovecs, unsigned int nr);
/*
 * Before io_uring_register(@fd, @opcode, ...) (the raw call): a change of
 * buffer slots drop-in mode cannot follow makes the ring fall back.
 */
void postrx_dropin_raw_register(unsigned int fd, unsigned int opcode);

#endif /* POSTRX_DROPIN_H */
