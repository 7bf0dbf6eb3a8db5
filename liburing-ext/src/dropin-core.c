// SPDX-License-Identifier: MIT
/*
 * Drop-in mode, the part that does not depend on how it is reached.
 *
 * liburing hands SQEs to the kernel only from its submission and wait
 * functions (the inline helpers only fill the SQ ring).  This file is
 * called at those points, and where liburing sets up, registers buffers
 * for and tears down a ring (dropin.h); it is compiled twice from this
 * one source: into liburing-ext, whose wrappers interpose liburing's
 * exported functions (dropin.c), and into the patched liburing
 * (liburing-ext/patches/), whose own functions call it, so that a
 * program linked statically against that liburing.a gets drop-in mode
 * too.  Before the SQEs go, each one not yet submitted on an enabled ring
 * is looked at once:
 *
 *   IORING_OP_RECV, no IOSQE_FIXED_FILE or IOSQE_BUFFER_SELECT, ioprio 0
 *   (no multishot, no poll-first), msg_flags 0 or MSG_WAITALL, len > 0,
 *   on a connected TCP socket, with [addr, addr + len) inside a buffer
 *   that is in one of the ring's buffer slots (the view below follows
 *   every liburing call that registers, updates or unregisters them, and
 *   gives up on a raw io_uring_register() that changes them)
 *
 * becomes POSTRX_CMD_RECV on /dev/postrx with the same buffer, length,
 * user_data and link flags, and WAITALL for MSG_WAITALL.  The completion
 * has recv()'s meaning either way.  Every other SQE goes as it was.
 *
 * Caveat, documented in io_uring_postrx_enable(3): while a posted receive
 * is pending on a socket, a plain receive on it fails with EBUSY, so an
 * application that mixes eligible and ineligible receives on one socket
 * should not enable drop-in mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liburing/postrx.h"
#include "dropin.h"

#define MAX_RINGS 64

struct dropin_ring {
	struct io_uring *ring;
	unsigned int nbufs;
	struct iovec *bufs;	/* the ring's registered buffers */
	long upgraded;
};

static struct dropin_ring rings[MAX_RINGS];
/* Rings enabled; 0 lets every submission pass without taking the lock. */
static int nr_enabled;
static pthread_mutex_t rings_lock = PTHREAD_MUTEX_INITIALIZER;
int io_uring_postrx_preload;	/* set by the preload library */

/*
 * One /dev/postrx for the whole process, opened at the first upgrade and
 * closed when the last ring is disabled, close-on-exec and moved up out
 * of the low numbers: a program's own open() calls get the descriptors
 * they would get without drop-in mode (some count on them).
 */
static int proc_devfd = -1;
static dev_t proc_devfd_rdev;
#define DEVFD_MIN 1000

/*
 * /dev/postrx, opened here with open(2): the core calls nothing of
 * liburing-ext's own (postrx.c), whose probing runs a ring through
 * liburing, and so, in the shared libraries, back through dropin.c.
 */
static int dev_open(void)
{
	int fd = open(POSTRX_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * The process's /dev/postrx.  A program that closes every descriptor it
 * does not know (daemons do) closes it too, and its number may then be
 * another file: one fstat() per upgrade notices, and it is opened again.
 */
static int devfd_get(void)	/* under rings_lock */
{
	struct rlimit rl;
	struct stat st;
	int fd, high, min = DEVFD_MIN;

	if (proc_devfd >= 0) {
		if (!fstat(proc_devfd, &st) && S_ISCHR(st.st_mode) &&
		    st.st_rdev == proc_devfd_rdev)
			return proc_devfd;
		proc_devfd = -1;	/* not ours any more: leave it be */
	}
	fd = dev_open();
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	proc_devfd_rdev = st.st_rdev;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur <= (rlim_t)min * 2)
		min = rl.rlim_cur / 2;
	high = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (high >= 0) {
		close(fd);
		fd = high;
	}
	proc_devfd = fd;
	return fd;
}

/* The slot of @ring, or a free slot for @ring == NULL. */
static struct dropin_ring *slot_of(struct io_uring *ring)
{
	int i;

	for (i = 0; i < MAX_RINGS; i++)
		if (rings[i].ring == ring)
			return &rings[i];
	return NULL;
}

static struct dropin_ring *find_ring(struct io_uring *ring)
{
	return ring ? slot_of(ring) : NULL;
}

/*
 * @ring's drop-in state with rings_lock held, or NULL (lock not held) if
 * no ring is enabled or @ring is not: the hooks' common first step, a
 * lock-free check first so that programs that never enable pay nothing.
 */
static struct dropin_ring *lock_ring(struct io_uring *ring)
{
	struct dropin_ring *d;

	if (!__atomic_load_n(&nr_enabled, __ATOMIC_ACQUIRE))
		return NULL;
	pthread_mutex_lock(&rings_lock);
	d = find_ring(ring);
	if (!d)
		pthread_mutex_unlock(&rings_lock);
	return d;
}

int io_uring_postrx_enable(struct io_uring *ring)
{
	struct dropin_ring *d;
	int devfd;

	if (!ring)
		return -EINVAL;
	/*
	 * On a DEFER_TASKRUN ring a plain receive takes bytes out of the
	 * socket only when the program next waits on the ring; a posted one
	 * takes them as they arrive.  A program that exits such a ring with
	 * a receive pending leaves the bytes that came meanwhile in the
	 * socket for its next reader; upgraded, they would be gone with the
	 * ring's buffer.  Drop-in mode must not change that, so it stays out.
	 */
	if (ring->flags & IORING_SETUP_DEFER_TASKRUN)
		return -EOPNOTSUPP;
	/* Is postrx there?  The descriptor is opened at the first upgrade. */
	devfd = dev_open();
	if (devfd < 0)
		return devfd;
	close(devfd);
	pthread_mutex_lock(&rings_lock);
	if (find_ring(ring)) {
		pthread_mutex_unlock(&rings_lock);
		return 0;
	}
	d = slot_of(NULL);
	if (!d) {
		pthread_mutex_unlock(&rings_lock);
		return -ENOSPC;
	}
	*d = (struct dropin_ring){ .ring = ring };
	__atomic_add_fetch(&nr_enabled, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&rings_lock);
	return 0;
}

int io_uring_postrx_disable(struct io_uring *ring)
{
	struct dropin_ring *d;

	pthread_mutex_lock(&rings_lock);
	d = find_ring(ring);
	if (d) {
		if (getenv("LIBURING_EXT_VERBOSE"))
			fprintf(stderr, "liburing-ext: drop-in upgraded %ld receives\n",
				d->upgraded);
		free(d->bufs);
		memset(d, 0, sizeof(*d));
		/*
		 * Upgraded requests hold their own reference to the file,
		 * so the last ring's exit can close it.
		 */
		if (!__atomic_sub_fetch(&nr_enabled, 1, __ATOMIC_RELEASE) &&
		    proc_devfd >= 0) {
			close(proc_devfd);
			proc_devfd = -1;
		}
	}
	pthread_mutex_unlock(&rings_lock);
	return d ? 0 : -ENOENT;
}

long io_uring_postrx_upgraded(struct io_uring *ring)
{
	struct dropin_ring *d;
	long n;

	pthread_mutex_lock(&rings_lock);
	d = find_ring(ring);
	n = d ? d->upgraded : -ENOENT;
	pthread_mutex_unlock(&rings_lock);
	return n;
}

static bool is_tcp(int fd)
{
	int type, proto;
	socklen_t len = sizeof(int);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_STREAM)
		return false;
	len = sizeof(int);
	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) &&
	       proto == IPPROTO_TCP;
}

static int find_buf(const struct dropin_ring *d, __u64 addr, __u32 len)
{
	unsigned int i;

	for (i = 0; i < d->nbufs; i++) {
		__u64 start = (uintptr_t)d->bufs[i].iov_base;

		if (addr >= start && addr + len <= start + d->bufs[i].iov_len)
			return i;
	}
	return -1;
}

static void upgrade_sqe(struct dropin_ring *d, struct io_uring_sqe *sqe)
{
	size_t sqe_size = d->ring->flags & IORING_SETUP_SQE128 ? 128 : 64;
	__u64 user_data = sqe->user_data, addr = sqe->addr;
	__u16 personality = sqe->personality;
	__u8 flags = sqe->flags;
	__u32 len = sqe->len;
	int sockfd = sqe->fd, idx, devfd;

	if (sqe->opcode != IORING_OP_RECV || !len || sqe->ioprio ||
	    (flags & (IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT)) ||
	    (sqe->msg_flags & ~MSG_WAITALL))
		return;
	idx = find_buf(d, addr, len);
	if (idx < 0 || !is_tcp(sockfd))
		return;
	devfd = devfd_get();
	if (devfd < 0)
		return;

	bool waitall = sqe->msg_flags & MSG_WAITALL;

	memset(sqe, 0, sqe_size);
	io_uring_prep_postrx_recv(sqe, devfd, sockfd, (void *)(uintptr_t)addr,
				  len, idx, waitall ? POSTRX_RECV_WAITALL : 0);
	sqe->flags = flags;
	sqe->user_data = user_data;
	sqe->personality = personality;
	d->upgraded++;
}

/* Upgrade what the application queued since the last submission. */
void postrx_dropin_flush(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;
	int shift = ring->flags & IORING_SETUP_SQE128 ? 1 : 0;
	struct dropin_ring *d = lock_ring(ring);
	unsigned int i;

	if (!d)
		return;
	for (i = sq->sqe_head; i != sq->sqe_tail; i++)
		upgrade_sqe(d, &sq->sqes[(i & sq->ring_mask) << shift]);
	pthread_mutex_unlock(&rings_lock);
}


/*
 * The ring's view of its buffer slots, kept exact through every way
 * liburing registers buffers: a receive is upgraded only into a buffer
 * that is in a slot when it is submitted.  @iovecs NULL: @nr empty slots
 * (sparse registration).
 */
void postrx_dropin_view_set(struct io_uring *ring, const struct iovec *iovecs,
			    unsigned int nr)
{
	struct dropin_ring *d = lock_ring(ring);

	if (!d)
		return;
	free(d->bufs);
	d->bufs = calloc(nr ? nr : 1, sizeof(*d->bufs));
	d->nbufs = d->bufs ? nr : 0;
	if (d->bufs && iovecs)
		memcpy(d->bufs, iovecs, nr * sizeof(*iovecs));
	pthread_mutex_unlock(&rings_lock);
}

/* Slots we never saw changed: upgrade nothing until the next registration. */
static void view_forget(struct dropin_ring *d)
{
	free(d->bufs);
	d->bufs = NULL;
	d->nbufs = 0;
}

void postrx_dropin_view_update(struct io_uring *ring, unsigned int off,
			       const struct iovec *iovecs, unsigned int nr)
{
	struct dropin_ring *d = lock_ring(ring);

	if (!d)
		return;
	if (off <= d->nbufs && nr <= d->nbufs - off)
		memcpy(d->bufs + off, iovecs, nr * sizeof(*iovecs));
	else
		view_forget(d);
	pthread_mutex_unlock(&rings_lock);
}

/*
 * Does a raw registration @opcode (IORING_REGISTER_*) change buffer
 * slots?  Those named here do; so may any opcode newer than the ones
 * this file knows, since what it does is unknown.
 */
static bool changes_buffers(unsigned int opcode)
{
	switch (opcode) {
	case IORING_REGISTER_BUFFERS:
	case IORING_UNREGISTER_BUFFERS:
	case IORING_REGISTER_BUFFERS2:
	case IORING_REGISTER_BUFFERS_UPDATE:
		return true;
	}
	/* IORING_REGISTER_CLONE_BUFFERS (6.12) is 30; 2.3's headers stop before. */
	return opcode >= 30;
}

/*
 * A program calling io_uring_register() itself (liburing 2.3 has no
 * wrapper for, say, cloning another ring's buffers) changes slots that
 * the view cannot follow: the ring falls back, whether the call succeeds
 * or not, until liburing registers a whole new set.  @fd is the ring's
 * descriptor, or with IORING_REGISTER_USE_REGISTERED_RING its registered
 * index.
 */
void postrx_dropin_raw_register(unsigned int fd, unsigned int opcode)
{
	const unsigned int use_reg = 1U << 31;
	struct dropin_ring *d;
	int i;

	if (!__atomic_load_n(&nr_enabled, __ATOMIC_ACQUIRE) ||
	    !changes_buffers(opcode & ~use_reg))
		return;
	pthread_mutex_lock(&rings_lock);
	for (i = 0; i < MAX_RINGS; i++) {
		d = &rings[i];
		if (!d->ring)
			continue;
		if (opcode & use_reg ? d->ring->enter_ring_fd == (int)fd :
				       d->ring->ring_fd == (int)fd)
			view_forget(d);
	}
	pthread_mutex_unlock(&rings_lock);
}

/*
 * Opt-in: a ring is enabled at set-up only under the preload library or
 * with LIBURING_POSTRX=1 in the environment, so that the patched liburing
 * behaves as the original one for a program that does not ask (enabling
 * fails quietly where postrx is absent, or on DEFER_TASKRUN rings).
 */
void postrx_dropin_ring_init(struct io_uring *ring)
{
	const char *env = getenv("LIBURING_POSTRX");

	if (io_uring_postrx_preload || (env && !strcmp(env, "1")))
		io_uring_postrx_enable(ring);
}

void postrx_dropin_ring_exit(struct io_uring *ring)
{
	io_uring_postrx_disable(ring);
}
