// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown racing a stream in flight: a sender streams without pause while
 * the receiver posts buffers and, at a random moment, closes the socket,
 * cancels, exits the ring, shuts the socket down or is killed (SIGKILL).  Every posted buffer
 * must complete exactly once, what it reports must be the stream's next
 * bytes, and nothing may leak (the runner checks module references and
 * kmemleak afterwards; the debug kernel adds KASAN and lockdep).
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define NBUF	8
#define BUFSZ	(64 << 10)

enum how { BY_CLOSE, BY_CANCEL, BY_RING_EXIT, BY_SHUTDOWN, BY_KILL, NR_HOW };

struct racer {
	int fd;
	int devfd;
	struct io_uring *ring;
	enum how how;
	unsigned int delay_us;
};

static void *racer_fn(void *arg)
{
	struct racer *r = arg;

	usleep(r->delay_us);
	switch (r->how) {
	case BY_CLOSE:
		close(r->fd);
		break;
	case BY_SHUTDOWN:
		shutdown(r->fd, SHUT_RD);
		break;
	case BY_CANCEL: {
		/* Its own ring: a ring is not for two threads at once. */
		struct io_uring ring;
		struct io_uring_sqe *sqe;

		if (io_uring_queue_init(4, &ring, 0))
			break;
		sqe = postrx_get_cmd_sqe(&ring, r->devfd, POSTRX_CMD_CANCEL,
					 NULL, 0);
		((struct postrx_sock_cmd *)sqe->cmd)->sockfd = r->fd;
		((struct postrx_sock_cmd *)sqe->cmd)->flags = POSTRX_CANCEL_ALL;
		postrx_submit_wait(&ring);	/* ENOENT: other ring's buffers */
		io_uring_queue_exit(&ring);
		break;
	}
	default:
		break;
	}
	return NULL;
}

/* One round; returns the number of failures. */
static int one_round(int lfd, int port, int devfd, enum how how,
		     unsigned int seed)
{
	struct io_uring ring;
	uint8_t *mem = px_alloc(NBUF * BUFSZ);
	struct iovec iov = { mem, NBUF * BUFSZ };
	int completed[NBUF] = { 0 }, posted = 0, done = 0, fails = 0, fd, i;
	uint64_t off = 0;
	pthread_t th;
	pid_t sender;
	struct racer r;

	if (io_uring_queue_init(64, &ring, 0) ||
	    io_uring_register_buffers(&ring, &iov, 1))
		return 1;
	sender = px_sender(&px_lo4, port, seed, 1ULL << 40, 1 << 16, PX_END_CLOSE);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	for (i = 0; i < NBUF; i++, posted++)
		px_prep_recv(&ring, devfd, fd, mem + i * BUFSZ, BUFSZ, 0,
			     i & 1 ? POSTRX_RECV_WAITALL : 0, i);
	io_uring_submit(&ring);

	r = (struct racer){ fd, devfd, &ring, how, seed % 20000 };
	pthread_create(&th, NULL, racer_fn, &r);

	/* Reap and re-post until the racer ends the stream for us. */
	while (done < posted) {
		__u64 ud;
		int res;

		if (how == BY_RING_EXIT && done >= 4 + (int)(seed % 8))
			break;
		if (how == BY_CANCEL && done >= 16) {
			/* Cancel from the owning ring: the real cancel. */
			struct io_uring_sqe *sqe = postrx_get_cmd_sqe(
				&ring, devfd, POSTRX_CMD_CANCEL, NULL, 0);

			((struct postrx_sock_cmd *)sqe->cmd)->sockfd = fd;
			((struct postrx_sock_cmd *)sqe->cmd)->flags = POSTRX_CANCEL_ALL;
			sqe->user_data = 999;
			io_uring_submit(&ring);
			how = NR_HOW;	/* once */
		}
		if (px_wait_cqe(&ring, 20000, &ud, &res)) {
			fprintf(stderr, "# round %u: completion missing\n", seed);
			fails++;
			break;
		}
		if (ud == 999)
			continue;
		if (ud >= NBUF || completed[ud]++) {
			fprintf(stderr, "# round %u: buffer %llu completed twice\n",
				seed, (unsigned long long)ud);
			fails++;
		}
		done++;
		if (res > 0) {
			if (px_verify(seed, off, mem + ud * BUFSZ, res) != -1) {
				fprintf(stderr, "# round %u: wrong bytes\n", seed);
				fails++;
			}
			off += res;
		}
		/* Re-post while the socket is still being read. */
		if (res > 0 && done < 64) {
			completed[ud] = 0;
			px_prep_recv(&ring, devfd, fd, mem + ud * BUFSZ, BUFSZ,
				     0, 0, ud);
			io_uring_submit(&ring);
			posted++;
		}
	}
	pthread_join(th, NULL);
	io_uring_queue_exit(&ring);
	kill(sender, SIGKILL);
	px_wait_child(sender);
	if (r.how != BY_CLOSE)
		close(fd);	/* a close racing nothing: the plain path */
	munmap(mem, NBUF * BUFSZ);
	return fails;
}

/*
 * kill -9 of the process that owns the ring, with buffers posted and the
 * stream running: io_uring cancels its requests as the process exits.  The
 * socket, which the parent shares, stays usable: once the dead ring's
 * buffers are gone, recv() reads the stream on.
 */
static int kill_round(int lfd, int port, int devfd, unsigned int seed)
{
	char tmp[4096];
	pid_t sender, child;
	int fd, status, fails = 0, i;
	ssize_t n = -1;

	sender = px_sender(&px_lo4, port, seed, 1ULL << 40, 1 << 16, PX_END_CLOSE);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	child = fork();
	if (!child) {
		uint8_t *mem = px_alloc(NBUF * BUFSZ);
		struct iovec iov = { mem, NBUF * BUFSZ };
		struct io_uring ring;
		__u64 ud;
		int res;

		if (!mem || io_uring_queue_init(64, &ring, 0) ||
		    io_uring_register_buffers(&ring, &iov, 1))
			_exit(1);
		for (i = 0; i < NBUF; i++)
			px_prep_recv(&ring, devfd, fd, mem + i * BUFSZ, BUFSZ,
				     0, i & 1 ? POSTRX_RECV_WAITALL : 0, i);
		io_uring_submit(&ring);
		for (;;) {
			if (px_wait_cqe(&ring, 20000, &ud, &res) || res <= 0)
				_exit(2);
			px_prep_recv(&ring, devfd, fd, mem + ud * BUFSZ, BUFSZ,
				     0, 0, ud);
			io_uring_submit(&ring);
		}
	}
	usleep(seed % 20000);
	kill(child, SIGKILL);
	if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status)) {
		fprintf(stderr, "# round %u: receiver ended by itself\n", seed);
		fails++;
	}
	/* -EBUSY only while the dead ring's buffers are still posted. */
	for (i = 0; i < 1000; i++) {
		n = recv(fd, tmp, sizeof(tmp), 0);
		if (n >= 0 || errno != EBUSY)
			break;
		usleep(10000);
	}
	if (n <= 0) {
		fprintf(stderr, "# round %u: recv() after the kill: %zd (%s)\n",
			seed, n, n < 0 ? strerror(errno) : "end");
		fails++;
	}
	kill(sender, SIGKILL);
	px_wait_child(sender);
	close(fd);
	return fails;
}

FIXTURE(race)
{
	int devfd, lfd, port;
};

FIXTURE_SETUP(race)
{
	self->devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (self->devfd < 0)
		PX_NEED("%s: %s", POSTRX_DEVICE_PATH, strerror(errno));
	self->lfd = px_listen(&px_lo4, &self->port);
	ASSERT_GE(self->lfd, 0);
}

FIXTURE_TEARDOWN(race)
{
	if (self->devfd < 0)
		return;
	close(self->lfd);
	close(self->devfd);
}

TEST_F_TIMEOUT(race, teardown_against_stream, 14400)
{
	/* The long suite: 1000 rounds of each way, on any kernel. */
	int rounds = px_long() ? 1000 * NR_HOW : 1000 / px_scale(), i;
	int fails = 0;

	for (i = 0; i < rounds; i++) {
		if (i % NR_HOW == BY_KILL)
			fails += kill_round(self->lfd, self->port, self->devfd,
					    i + 1);
		else
			fails += one_round(self->lfd, self->port, self->devfd,
					   i % NR_HOW, i + 1);
	}
	EXPECT_EQ(0, fails);
	printf("# %d rounds of close, cancel, ring exit, shutdown and kill -9\n",
	       rounds);
}

TEST_HARNESS_MAIN
