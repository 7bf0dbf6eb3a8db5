// SPDX-License-Identifier: MIT
/*
 * liburing-ext drop-in mode.
 *
 * liburing hands SQEs to the kernel only from its exported submission and
 * wait functions (the inline helpers only fill the SQ ring).  This file
 * defines those functions too; the dynamic linker binds an application's
 * calls to ours when liburing-ext comes before liburing (linking with
 * -luring-ext -luring, or LD_PRELOAD=liburing-ext-preload.so), and ours
 * call liburing's through dlsym(RTLD_NEXT).  Before passing on, each SQE
 * not yet submitted on an enabled ring is looked at once:
 *
 *   IORING_OP_RECV, no IOSQE_FIXED_FILE or IOSQE_BUFFER_SELECT, ioprio 0
 *   (no multishot, no poll-first), msg_flags 0 or MSG_WAITALL, len > 0,
 *   on a connected TCP socket, with [addr, addr + len) inside a buffer
 *   that is in one of the ring's buffer slots (the view below follows
 *   every liburing call that registers, updates or unregisters them)
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
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "liburing/postrx.h"

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
	fd = io_uring_postrx_open();
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

#define REAL(name) ({							\
	static typeof(&name) real_##name;				\
	if (!real_##name)						\
		real_##name = (typeof(&name))dlsym(RTLD_NEXT, #name);	\
	real_##name;							\
})

int io_uring_postrx_enable(struct io_uring *ring)
{
	struct dropin_ring *d;
	int devfd;

	if (!ring)
		return -EINVAL;
	/* Is postrx there?  The descriptor is opened at the first upgrade. */
	devfd = io_uring_postrx_open();
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
static void upgrade_pending(struct io_uring *ring)
{
	struct io_uring_sq *sq = &ring->sq;
	int shift = ring->flags & IORING_SETUP_SQE128 ? 1 : 0;
	struct dropin_ring *d;
	unsigned int i;

	if (!__atomic_load_n(&nr_enabled, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&rings_lock);
	d = find_ring(ring);
	if (d)
		for (i = sq->sqe_head; i != sq->sqe_tail; i++)
			upgrade_sqe(d, &sq->sqes[(i & sq->ring_mask) << shift]);
	pthread_mutex_unlock(&rings_lock);
}

/* ---- liburing's functions, as the application sees them */

int io_uring_submit(struct io_uring *ring)
{
	upgrade_pending(ring);
	return REAL(io_uring_submit)(ring);
}

int io_uring_submit_and_wait(struct io_uring *ring, unsigned int wait_nr)
{
	upgrade_pending(ring);
	return REAL(io_uring_submit_and_wait)(ring, wait_nr);
}

int io_uring_submit_and_wait_timeout(struct io_uring *ring,
				     struct io_uring_cqe **cqe_ptr,
				     unsigned int wait_nr,
				     struct __kernel_timespec *ts,
				     sigset_t *sigmask)
{
	upgrade_pending(ring);
	return REAL(io_uring_submit_and_wait_timeout)(ring, cqe_ptr, wait_nr,
						      ts, sigmask);
}

int io_uring_submit_and_get_events(struct io_uring *ring)
{
	upgrade_pending(ring);
	return REAL(io_uring_submit_and_get_events)(ring);
}

int io_uring_wait_cqes(struct io_uring *ring, struct io_uring_cqe **cqe_ptr,
		       unsigned int wait_nr, struct __kernel_timespec *ts,
		       sigset_t *sigmask)
{
	upgrade_pending(ring);
	return REAL(io_uring_wait_cqes)(ring, cqe_ptr, wait_nr, ts, sigmask);
}

int io_uring_wait_cqe_timeout(struct io_uring *ring,
			      struct io_uring_cqe **cqe_ptr,
			      struct __kernel_timespec *ts)
{
	upgrade_pending(ring);
	return REAL(io_uring_wait_cqe_timeout)(ring, cqe_ptr, ts);
}

/*
 * The ring's view of its buffer slots, kept exact through every way
 * liburing registers buffers: a receive is upgraded only into a buffer
 * that is in a slot when it is submitted.  @iovecs NULL: @nr empty slots
 * (sparse registration).
 */
static void view_set(struct io_uring *ring, const struct iovec *iovecs,
		     unsigned int nr)
{
	struct dropin_ring *d;

	pthread_mutex_lock(&rings_lock);
	d = find_ring(ring);
	if (d) {
		free(d->bufs);
		d->bufs = calloc(nr ? nr : 1, sizeof(*d->bufs));
		d->nbufs = d->bufs ? nr : 0;
		if (d->bufs && iovecs)
			memcpy(d->bufs, iovecs, nr * sizeof(*iovecs));
	}
	pthread_mutex_unlock(&rings_lock);
}

/* Slots [@off, @off + @nr) now hold @iovecs. */
static void view_update(struct io_uring *ring, unsigned int off,
			const struct iovec *iovecs, unsigned int nr)
{
	struct dropin_ring *d;

	pthread_mutex_lock(&rings_lock);
	d = find_ring(ring);
	if (d) {
		if (off <= d->nbufs && nr <= d->nbufs - off) {
			memcpy(d->bufs + off, iovecs, nr * sizeof(*iovecs));
		} else {
			/* Slots we never saw: upgrade nothing from now on. */
			free(d->bufs);
			d->bufs = NULL;
			d->nbufs = 0;
		}
	}
	pthread_mutex_unlock(&rings_lock);
}

int io_uring_register_buffers(struct io_uring *ring, const struct iovec *iovecs,
			      unsigned int nr_iovecs)
{
	int ret = REAL(io_uring_register_buffers)(ring, iovecs, nr_iovecs);

	if (!ret)
		view_set(ring, iovecs, nr_iovecs);
	return ret;
}

int io_uring_register_buffers_tags(struct io_uring *ring,
				   const struct iovec *iovecs,
				   const __u64 *tags, unsigned int nr)
{
	int ret = REAL(io_uring_register_buffers_tags)(ring, iovecs, tags, nr);

	if (!ret)
		view_set(ring, iovecs, nr);
	return ret;
}

int io_uring_register_buffers_sparse(struct io_uring *ring, unsigned int nr)
{
	int ret = REAL(io_uring_register_buffers_sparse)(ring, nr);

	if (!ret)
		view_set(ring, NULL, nr);
	return ret;
}

/* Returns the number of slots updated, which come first. */
int io_uring_register_buffers_update_tag(struct io_uring *ring,
					 unsigned int off,
					 const struct iovec *iovecs,
					 const __u64 *tags, unsigned int nr)
{
	int ret = REAL(io_uring_register_buffers_update_tag)(ring, off, iovecs,
							     tags, nr);

	if (ret > 0)
		view_update(ring, off, iovecs, ret);
	return ret;
}

int io_uring_unregister_buffers(struct io_uring *ring)
{
	view_set(ring, NULL, 0);
	return REAL(io_uring_unregister_buffers)(ring);
}

/* Preload mode enables every ring; enabling fails quietly without postrx. */
int io_uring_queue_init_params(unsigned int entries, struct io_uring *ring,
			       struct io_uring_params *p)
{
	int ret = REAL(io_uring_queue_init_params)(entries, ring, p);

	if (!ret && io_uring_postrx_preload)
		io_uring_postrx_enable(ring);
	return ret;
}

int io_uring_queue_init(unsigned int entries, struct io_uring *ring,
			unsigned int flags)
{
	int ret = REAL(io_uring_queue_init)(entries, ring, flags);

	if (!ret && io_uring_postrx_preload)
		io_uring_postrx_enable(ring);
	return ret;
}

void io_uring_queue_exit(struct io_uring *ring)
{
	io_uring_postrx_disable(ring);
	REAL(io_uring_queue_exit)(ring);
}
