// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-engine: a fio ioengine that receives a TCP stream through postrx.
 *
 *   ioengine=external:build/fio/postrx-engine.so
 *   rw=read port=7300 [hostname=ADDR] [listen] [waitall=1]
 *
 * Each io_u's buffer is registered with io_uring once (buffer index =
 * io_u->index); queue() posts it on the socket with POSTRX_CMD_RECV, so
 * with iodepth=N the job keeps N buffers posted, and the stream fills them
 * in posting order.  A completion is a read of cqe->res bytes: with WAITALL
 * (the default) a full buffer, or fewer at the end of the stream.
 *
 * The connection: without hostname, or with `listen`, the job listens on
 * the port (on hostname's address if given, else on every address) and
 * accepts one connection, as fio's net engine does with `listen`; with
 * hostname and no `listen` it connects to hostname:port.  numjobs=N gives
 * job k the port port+k, like the net engine.
 *
 * At the end of the stream the job ends early and cleanly: the last,
 * short block counts as a read of what it holds (without the link close
 * message fio's net sender appends), the buffers still posted complete
 * with 0 and are reaped at once, and the job is marked done.  When the
 * socket closes, the engine logs the bytes its completions carried and the
 * socket's POSTRX_CMD_STATS (where every byte went: placed by the device,
 * or copied).
 *
 * Compile against the headers of the fio that loads it (scripts/fio-src.sh
 * fetches them): fio checks FIO_IOOPS_VERSION only, not the layout of
 * struct thread_data.
 */
#include <endian.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <liburing.h>
#include <liburing/postrx.h>

#include "fio.h"
#include "optgroup.h"
#include "verify.h"

struct postrx_options {
	void *td;		/* fio keeps its thread_data here */
	unsigned int port;
	unsigned int listen;
	unsigned int waitall;
	char *hostname;
};

struct postrx_data {
	struct io_uring ring;
	bool have_ring;
	int devfd;		/* /dev/postrx, also registered as fixed file 0 */
	int listenfd;
	unsigned int recv_flags;
	unsigned int max_posted;	/* the kernel's limit per socket */
	unsigned int pending;	/* fio's SQEs prepared, not yet submitted */
	unsigned int reposts;	/* the engine's own SQEs, not yet submitted */
	unsigned int inflight;	/* submitted, completion not yet reaped */
	bool ended;		/* the stream ended (or failed) */
	unsigned long long received;	/* bytes of all completions */
	unsigned int nr_events;
	struct io_u **events;	/* reaped by getevents(), handed out by event() */
	unsigned long long *filled;	/* per io_u: bytes of this read so far */
};

static struct fio_option options[] = {
	{
		.name	= "port",
		.lname	= "postrx port",
		.type	= FIO_OPT_INT,
		.off1	= offsetof(struct postrx_options, port),
		.minval	= 1,
		.maxval	= 65535,
		.help	= "TCP port to listen on (or to connect to)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_NETIO,
	},
	{
		.name	= "hostname",
		.lname	= "postrx hostname",
		.type	= FIO_OPT_STR_STORE,
		.off1	= offsetof(struct postrx_options, hostname),
		.help	= "Address to connect to; with listen, the address to listen on",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_NETIO,
	},
	{
		.name	= "listen",
		.lname	= "postrx listen",
		.type	= FIO_OPT_STR_SET,
		.off1	= offsetof(struct postrx_options, listen),
		.help	= "Listen and accept one connection (the default without hostname)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_NETIO,
	},
	{
		.name	= "waitall",
		.lname	= "postrx WAITALL",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct postrx_options, waitall),
		.def	= "1",
		.help	= "Post buffers with POSTRX_RECV_WAITALL (complete when full)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_NETIO,
	},
	{
		.name	= NULL,
	},
};

static bool postrx_listens(const struct postrx_options *o)
{
	return o->listen || !o->hostname || !*o->hostname;
}

/* ---- the connection ------------------------------------------------------ */

/* Addresses for hostname:port; with @passive and no hostname, "any". */
static int postrx_resolve(const struct postrx_options *o, bool passive,
			  struct addrinfo **res)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = passive ? AI_PASSIVE : 0,
	};
	const char *host = o->hostname && *o->hostname ? o->hostname : NULL;
	char port[8];
	int ret;

	/* One address for every family: the IPv6 wildcard takes IPv4 too. */
	if (!host)
		hints.ai_family = AF_INET6;
	snprintf(port, sizeof(port), "%u", o->port);
	ret = getaddrinfo(host, port, &hints, res);
	if (ret) {
		log_err("postrx: %s:%s: %s\n", host ?: "*", port,
			gai_strerror(ret));
		return 1;
	}
	return 0;
}

static int postrx_listen(struct thread_data *td)
{
	struct postrx_data *pd = td->io_ops_data;
	struct postrx_options *o = td->eo;
	struct addrinfo *res, *ai;
	int one = 1, err = 0;

	if (postrx_resolve(o, true, &res))
		return 1;
	for (ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
				ai->ai_protocol);

		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 1)) {
			pd->listenfd = fd;
			break;
		}
		err = errno;
		close(fd);
	}
	freeaddrinfo(res);
	if (pd->listenfd < 0) {
		log_err("postrx: cannot listen on port %u: %s\n", o->port,
			strerror(err));
		td_verror(td, err, "listen");
		return 1;
	}
	return 0;
}

/*
 * Accept the one connection.  Waiting in poll() with a timeout lets a job
 * that fio terminates meanwhile give up instead of blocking in accept().
 */
static int postrx_accept(struct thread_data *td, struct fio_file *f)
{
	struct postrx_data *pd = td->io_ops_data;
	struct pollfd pfd = { .fd = pd->listenfd, .events = POLLIN };
	int state = td->runstate;

	td_set_runstate(td, TD_SETTING_UP);
	log_info("postrx: waiting for a connection\n");
	for (;;) {
		int ret = poll(&pfd, 1, 200);

		if (td->terminate) {
			td_set_runstate(td, state);
			return 1;
		}
		if (ret > 0)
			break;
		if (ret < 0 && errno != EINTR) {
			td_verror(td, errno, "poll");
			td_set_runstate(td, state);
			return 1;
		}
	}
	f->fd = accept4(pd->listenfd, NULL, NULL, SOCK_CLOEXEC);
	if (f->fd < 0) {
		td_verror(td, errno, "accept");
		td_set_runstate(td, state);
		return 1;
	}
	/* Like the net engine: the wait for the peer is not part of the run. */
	reset_all_stats(td);
	td_set_runstate(td, state);
	return 0;
}

static int postrx_connect(struct thread_data *td, struct fio_file *f)
{
	struct postrx_options *o = td->eo;
	struct addrinfo *res, *ai;
	int err = 0;

	if (postrx_resolve(o, false, &res))
		return 1;
	for (ai = res; ai; ai = ai->ai_next) {
		f->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			       ai->ai_protocol);
		if (f->fd < 0) {
			err = errno;
			continue;
		}
		if (!connect(f->fd, ai->ai_addr, ai->ai_addrlen))
			break;
		err = errno;
		close(f->fd);
		f->fd = -1;
	}
	freeaddrinfo(res);
	if (f->fd < 0) {
		log_err("postrx: cannot connect to %s port %u: %s\n",
			o->hostname, o->port, strerror(err));
		td_verror(td, err, "connect");
		return 1;
	}
	return 0;
}

/* ---- set-up and teardown ------------------------------------------------- */

/* Like the net engine: one pseudo file, the connection. */
static int fio_postrx_setup(struct thread_data *td)
{
	struct postrx_data *pd;

	if (!td->files_index) {
		add_file(td, "postrx", 0, 0);
		td->o.nr_files = td->o.nr_files ?: 1;
		td->o.open_files++;
	}
	if (td->io_ops_data)
		return 0;
	pd = calloc(1, sizeof(*pd));
	if (!pd)
		return 1;
	pd->devfd = -1;
	pd->listenfd = -1;
	td->io_ops_data = pd;
	return 0;
}

/* What the loaded module serves must fit the job. */
static int postrx_check_kernel(struct thread_data *td)
{
	struct postrx_data *pd = td->io_ops_data;
	struct postrx_query q;
	int ret;

	ret = io_uring_postrx_probe(&q);
	if (ret == -ENOENT) {
		log_err("postrx: %s is missing: load postrx.ko\n",
			POSTRX_DEVICE_PATH);
		return 1;
	}
	if (ret < 0) {
		log_err("postrx: POSTRX_CMD_QUERY failed: %s\n", strerror(-ret));
		return 1;
	}
	if (!(q.commands & POSTRX_CMD_BIT(POSTRX_CMD_RECV)) ||
	    (pd->recv_flags & ~q.recv_flags)) {
		log_err("postrx: this kernel does not serve POSTRX_CMD_RECV with flags %#x\n",
			pd->recv_flags);
		return 1;
	}
	pd->max_posted = q.max_posted;
	if (td->o.iodepth > q.max_posted) {
		log_err("postrx: iodepth=%u: at most %u buffers may be posted on a socket\n",
			td->o.iodepth, q.max_posted);
		return 1;
	}
	if (td_max_bs(td) > q.max_recv_len) {
		log_err("postrx: bs=%llu: one posted buffer holds at most %llu bytes\n",
			td_max_bs(td), (unsigned long long)q.max_recv_len);
		return 1;
	}
	return 0;
}

/*
 * A ring as current io_uring applications set one up: one submitter, and
 * completion task work run when the job waits (DEFER_TASKRUN).  The job
 * thread is the only submitter: FIO_NO_OFFLOAD keeps fio from submitting
 * on other threads.
 */
static int postrx_ring_init(struct thread_data *td)
{
	struct postrx_data *pd = td->io_ops_data;
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	unsigned int entries = td->o.iodepth < 8 ? 8 : td->o.iodepth;
	int ret;

	ret = io_uring_queue_init_params(entries, &pd->ring, &p);
	if (ret == -EINVAL)	/* a kernel before 6.1 */
		ret = io_uring_queue_init(entries, &pd->ring, 0);
	if (ret < 0) {
		log_err("postrx: io_uring_queue_init: %s\n", strerror(-ret));
		td_verror(td, -ret, "io_uring_queue_init");
		return 1;
	}
	pd->have_ring = true;

	/* The device as fixed file 0 spares a file lookup per post. */
	ret = io_uring_postrx_register(&pd->ring, pd->devfd);
	if (ret < 0) {
		log_err("postrx: registering %s: %s\n", POSTRX_DEVICE_PATH,
			strerror(-ret));
		return 1;
	}
	return 0;
}

static int fio_postrx_init(struct thread_data *td)
{
	struct postrx_data *pd = td->io_ops_data;
	struct postrx_options *o = td->eo;

	if (!td_read(td) || td_write(td) || td_trim(td) || td_random(td)) {
		log_err("postrx: the engine only receives: use rw=read\n");
		return 1;
	}
	if (!o->port) {
		log_err("postrx: port= is required\n");
		return 1;
	}
	/*
	 * Without WAITALL a short buffer's rest is re-posted behind the
	 * buffers posted after it, so blocks are not in stream order.
	 */
	if (!o->waitall && td->o.verify != VERIFY_NONE && td->o.iodepth > 1) {
		log_err("postrx: verify needs waitall=1 (or iodepth=1)\n");
		return 1;
	}
	o->port += td->subjob_number;
	pd->recv_flags = o->waitall ? POSTRX_RECV_WAITALL : 0;

	if (postrx_check_kernel(td))
		return 1;
	pd->events = calloc(td->o.iodepth, sizeof(*pd->events));
	pd->filled = calloc(td->o.iodepth, sizeof(*pd->filled));
	if (!pd->events || !pd->filled)
		return 1;
	pd->devfd = io_uring_postrx_open();
	if (pd->devfd < 0) {
		log_err("postrx: open %s: %s\n", POSTRX_DEVICE_PATH,
			strerror(-pd->devfd));
		return 1;
	}
	if (postrx_ring_init(td))
		return 1;
	/* Listen now, so that the peer may connect before the job runs. */
	return postrx_listens(o) ? postrx_listen(td) : 0;
}

/*
 * After fio has laid out the io_u buffers: register each one, so that a
 * post names its buffer by index (io_u->index).  FIO_RAWIO makes fio align
 * them to pages, as it does for O_DIRECT: a device places payload in
 * whole pages of a posted buffer.
 */
static int fio_postrx_post_init(struct thread_data *td)
{
	struct postrx_data *pd = td->io_ops_data;
	unsigned int i, nr = td->io_u_all.nr;
	struct iovec *iov;
	int ret;

	iov = calloc(nr, sizeof(*iov));
	if (!iov)
		return 1;
	for (i = 0; i < nr; i++) {
		struct io_u *io_u = td->io_u_all.io_us[i];

		iov[io_u->index].iov_base = io_u->buf;
		iov[io_u->index].iov_len = td_max_bs(td);
	}
	ret = io_uring_register_buffers(&pd->ring, iov, nr);
	free(iov);
	if (ret < 0) {
		log_err("postrx: registering %u buffers of %llu bytes: %s%s\n",
			nr, td_max_bs(td), strerror(-ret),
			ret == -ENOMEM ? " (RLIMIT_MEMLOCK?)" : "");
		td_verror(td, -ret, "io_uring_register_buffers");
		return 1;
	}
	return 0;
}

static int fio_postrx_open_file(struct thread_data *td, struct fio_file *f)
{
	struct postrx_options *o = td->eo;
	int ret;

	ret = postrx_listens(o) ? postrx_accept(td, f) : postrx_connect(td, f);
	if (ret)
		f->fd = -1;
	return ret;
}

static int fio_postrx_close_file(struct thread_data *td, struct fio_file *f)
{
	struct postrx_data *pd = td->io_ops_data;
	struct postrx_stats st;
	int ret;

	if (f->fd < 0)
		return 0;
	/*
	 * The bytes the completions carried, counted here: fio's io_bytes
	 * leaves out the first part of a short read that it re-queues.
	 */
	ret = io_uring_postrx_sock_stats(pd->devfd, f->fd, &st);
	if (ret < 0)
		log_err("postrx: POSTRX_CMD_STATS: %s\n", strerror(-ret));
	else
		log_info("postrx: received_bytes=%llu placed_bytes=%llu copied_rx_bytes=%llu copied_late_bytes=%llu bounced_bytes=%llu completed=%llu flow=%d\n",
			 pd->received,
			 (unsigned long long)st.placed_bytes,
			 (unsigned long long)st.copied_rx_bytes,
			 (unsigned long long)st.copied_late_bytes,
			 (unsigned long long)st.bounced_bytes,
			 (unsigned long long)st.completed, st.flow);
	/* The job process may leave without flushing fio's output. */
	log_info_flush();
	/* Buffers still posted complete with -ECANCELED or what they hold. */
	close(f->fd);
	f->fd = -1;
	return 0;
}

static void fio_postrx_cleanup(struct thread_data *td)
{
	struct postrx_data *pd = td->io_ops_data;

	if (!pd)
		return;
	/* Ring exit cancels what is still posted and unpins the buffers. */
	if (pd->have_ring)
		io_uring_queue_exit(&pd->ring);
	if (pd->devfd >= 0)
		close(pd->devfd);
	if (pd->listenfd >= 0)
		close(pd->listenfd);
	free(pd->events);
	free(pd->filled);
	free(pd);
	td->io_ops_data = NULL;
}

/* ---- the data path ------------------------------------------------------- */

/* Post what is still empty of io_u's buffer: 0 or -EBUSY (SQ ring full). */
static int postrx_post(struct postrx_data *pd, struct io_u *io_u)
{
	unsigned long long filled = pd->filled[io_u->index];
	struct io_uring_sqe *sqe = io_uring_get_sqe(&pd->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_postrx_recv_fixed_file(sqe, 0, io_u->file->fd,
					     io_u->xfer_buf + filled,
					     io_u->xfer_buflen - filled,
					     io_u->index, pd->recv_flags);
	io_uring_sqe_set_data(sqe, io_u);
	return 0;
}

static enum fio_q_status fio_postrx_queue(struct thread_data *td,
					  struct io_u *io_u)
{
	struct postrx_data *pd = td->io_ops_data;

	fio_ro_check(td, io_u);
	if (io_u->ddir != DDIR_READ) {
		/* Nothing to sync on a stream. */
		io_u->error = io_u->ddir == DDIR_SYNC ? 0 : EINVAL;
		return FIO_Q_COMPLETED;
	}
	pd->filled[io_u->index] = 0;
	if (postrx_post(pd, io_u))
		return FIO_Q_BUSY;	/* fio commits and reaps, then retries */
	pd->pending++;
	return FIO_Q_QUEUED;
}

/*
 * Submit every prepared SQE: fio's posts and the engine's re-posts.  Only
 * fio's count in its submission statistics.
 */
static int postrx_submit(struct thread_data *td)
{
	struct postrx_data *pd = td->io_ops_data;

	while (pd->pending + pd->reposts) {
		int ret = io_uring_submit(&pd->ring);

		if (ret == -EINTR || ret == -EAGAIN)
			continue;
		if (ret < 0) {
			td_verror(td, -ret, "io_uring_submit");
			return ret;
		}
		if (!ret) {
			/* Refusals complete as CQEs: none taken is a bug. */
			log_err("postrx: io_uring_submit took none of %u SQEs\n",
				pd->pending + pd->reposts);
			td_verror(td, EIO, "io_uring_submit");
			return -EIO;
		}
		pd->inflight += ret;
		if (ret >= pd->pending + pd->reposts) {
			if (pd->pending)
				io_u_mark_submit(td, pd->pending);
			pd->pending = pd->reposts = 0;
		}
	}
	return 0;
}

static int fio_postrx_commit(struct thread_data *td)
{
	return postrx_submit(td);
}

/*
 * fio's net engine, as a TCP sender, ends its stream with an 8-byte link
 * close message (le32 magic "link", le32 command 0x89), which its receiver
 * recognises.  At the end of a stream, that is not payload: leave it out.
 */
#define FIO_NET_CLOSE_MAGIC	0x6c696e6bU
#define FIO_NET_CLOSE_CMD	0x89U

static void postrx_strip_close_msg(struct postrx_data *pd, struct io_u *io_u,
				   unsigned long long *filled)
{
	const unsigned char *p;
	uint32_t magic, cmd;

	if (*filled < 8)
		return;
	p = (const unsigned char *)io_u->xfer_buf + *filled - 8;
	memcpy(&magic, p, 4);
	memcpy(&cmd, p + 4, 4);
	if (le32toh(magic) != FIO_NET_CLOSE_MAGIC ||
	    le32toh(cmd) != FIO_NET_CLOSE_CMD)
		return;
	*filled -= 8;
	pd->received -= 8;
}

/*
 * One completion.  fio sees a read end only when its buffer is full, or
 * at the end of the stream: it would re-queue the rest of a short read,
 * and counts a re-queued rest once more toward size (fio 3.33), ending
 * the job before the stream does.  So without WAITALL (recv() semantics)
 * the engine re-posts the rest itself, and the last, short read of a
 * stream is reported as a whole read of what it holds.
 */
static void postrx_complete(struct thread_data *td, struct io_uring_cqe *cqe)
{
	struct postrx_data *pd = td->io_ops_data;
	struct io_u *io_u = io_uring_cqe_get_data(cqe);
	unsigned long long *filled = &pd->filled[io_u->index];
	int res = cqe->res;

	pd->inflight--;
	io_u->error = 0;
	io_u->resid = 0;
	if (res < 0) {
		io_u->error = -res;
		io_u->resid = io_u->xfer_buflen;
		pd->ended = true;
	} else {
		pd->received += res;
		*filled += res;
		if (*filled == io_u->xfer_buflen)
			goto event;
		if (res && !(pd->recv_flags & POSTRX_RECV_WAITALL)) {
			/* Room in the SQ ring: one SQE per io_u at most. */
			if (postrx_post(pd, io_u)) {
				io_u->error = EBUSY;
				io_u->resid = io_u->xfer_buflen;
				goto event;
			}
			pd->reposts++;
			return;
		}
		/* The stream ended (FIN, or an error the next CQE reports). */
		pd->ended = true;
		postrx_strip_close_msg(pd, io_u, filled);
		if (*filled) {
			io_u->xfer_buflen = *filled;
		} else {
			/* Nothing to count, and nothing for verify to check. */
			io_u->resid = io_u->xfer_buflen;
			io_u->end_io = NULL;
		}
	}
event:
	pd->events[pd->nr_events++] = io_u;
}

/* Take every completion that is there, up to @max events in all. */
static void postrx_reap(struct thread_data *td, unsigned int max)
{
	struct postrx_data *pd = td->io_ops_data;
	struct io_uring_cqe *cqe;

	while (pd->nr_events < max && !io_uring_peek_cqe(&pd->ring, &cqe)) {
		postrx_complete(td, cqe);
		io_uring_cqe_seen(&pd->ring, cqe);
	}
}

static int postrx_wait(struct thread_data *td, unsigned int nr,
		       const struct timespec *t)
{
	struct postrx_data *pd = td->io_ops_data;
	struct __kernel_timespec ts, *tsp = NULL;
	struct io_uring_cqe *cqe;

	if (t) {
		ts.tv_sec = t->tv_sec;
		ts.tv_nsec = t->tv_nsec;
		tsp = &ts;
	}
	return io_uring_wait_cqes(&pd->ring, &cqe, nr, tsp, NULL);
}

static int fio_postrx_getevents(struct thread_data *td, unsigned int min,
				unsigned int max, const struct timespec *t)
{
	struct postrx_data *pd = td->io_ops_data;
	int ret;

	pd->nr_events = 0;
	if (postrx_submit(td))
		return -EIO;
	/* With DEFER_TASKRUN, completions surface only when we enter. */
	if (!min && pd->inflight)
		io_uring_get_events(&pd->ring);
	postrx_reap(td, max);
	while (pd->nr_events < min) {
		/* Re-posts of the last round first: they may be awaited. */
		if (postrx_submit(td))
			return -EIO;
		ret = postrx_wait(td, min - pd->nr_events, t);
		if (ret == -ETIME || ret == -EINTR)
			break;	/* fio looks at td->terminate and retries */
		if (ret < 0) {
			td_verror(td, -ret, "io_uring_wait_cqes");
			return ret;
		}
		postrx_reap(td, max);
	}
	/*
	 * The stream ended: every buffer still posted completes with 0 at
	 * once.  Reap them all now and mark the job done; fio reaps nothing
	 * after that, and re-posting short reads would only spin.
	 */
	if (pd->ended) {
		while (pd->inflight + pd->reposts &&
		       pd->nr_events < td->o.iodepth) {
			if (postrx_submit(td))
				break;
			ret = postrx_wait(td, 1, NULL);
			if (ret < 0 && ret != -EINTR)
				break;
			postrx_reap(td, td->o.iodepth);
		}
		td->done = 1;
	}
	return pd->nr_events;
}

static struct io_u *fio_postrx_event(struct thread_data *td, int event)
{
	struct postrx_data *pd = td->io_ops_data;

	return pd->events[event];
}

/* Like the net engine: a job stuck waiting for data is told by a signal. */
static void fio_postrx_terminate(struct thread_data *td)
{
	kill(td->pid, SIGTERM);
}

struct ioengine_ops ioengine = {
	.name			= "postrx",
	.version		= FIO_IOOPS_VERSION,
	.flags			= FIO_DISKLESSIO | FIO_UNIDIR | FIO_PIPEIO |
				  FIO_RAWIO | FIO_NO_OFFLOAD,
	.setup			= fio_postrx_setup,
	.init			= fio_postrx_init,
	.post_init		= fio_postrx_post_init,
	.queue			= fio_postrx_queue,
	.commit			= fio_postrx_commit,
	.getevents		= fio_postrx_getevents,
	.event			= fio_postrx_event,
	.cleanup		= fio_postrx_cleanup,
	.open_file		= fio_postrx_open_file,
	.close_file		= fio_postrx_close_file,
	.terminate		= fio_postrx_terminate,
	.options		= options,
	.option_struct_size	= sizeof(struct postrx_options),
};
