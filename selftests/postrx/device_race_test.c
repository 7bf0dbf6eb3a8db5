// SPDX-License-Identifier: GPL-2.0
/*
 * The steering device going away under receives in flight.  Over a pxnic
 * pair whose device places the stream into the posted buffers, a receiver
 * thread keeps eight buffers posted and re-posts each as it completes;
 * meanwhile the main thread, after a random delay, removes the device,
 * deletes the sender's namespace (which takes the pair with it) or unloads
 * pxnic, then shuts the socket's read side down so that the stream ends.
 * Every buffer must complete exactly once and in posting order, the bytes
 * reported must be the stream's next ones, and afterwards the runner finds
 * postrx's module references back at 0 and the kernel log clean.
 *
 * 20 rounds of each (2 on the debug kernel); the long suite
 * (POSTRX_LONG=1) runs 1000 of each.
 */
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define NBUF	8
#define BUFSZ	(256 << 10)

/* What the receiver thread found; read by the main thread after join. */
struct receiver {
	struct io_uring ring;
	int devfd, fd;
	uint64_t seed;
	uint8_t *mem;
	uint64_t bytes;		/* stream bytes received, in order */
	unsigned int posted, completed;
	unsigned int posted_after_shut;
	bool shut;		/* set by the main thread after shutdown() */
	int fails;
};

static void post_one(struct receiver *r, unsigned int slot)
{
	px_prep_recv(&r->ring, r->devfd, r->fd, r->mem + (size_t)slot * BUFSZ,
		     BUFSZ, 0, POSTRX_RECV_WAITALL, r->posted);
	r->posted++;
	io_uring_submit(&r->ring);
}

/*
 * Keep NBUF buffers posted until the stream ends (a completion of 0 or an
 * error): user_data is the posting sequence number, so the CQEs must come
 * as 0, 1, 2, ...
 */
static void *receive(void *arg)
{
	struct receiver *r = arg;
	bool ended = false;
	unsigned int i;

	for (i = 0; i < NBUF; i++)
		post_one(r, i);
	while (r->completed < r->posted) {
		unsigned int slot;
		__u64 ud;
		int res;

		if (px_wait_cqe(&r->ring, 60000, &ud, &res)) {
			fprintf(stderr, "# completion %u missing\n",
				r->completed);
			r->fails++;
			break;
		}
		if (ud != r->completed) {
			fprintf(stderr, "# completion %llu, expected %u\n",
				(unsigned long long)ud, r->completed);
			r->fails++;
		}
		r->completed++;
		slot = ud % NBUF;
		/*
		 * After shutdown(SHUT_RD) TCP still queues what arrives (until
		 * the device is gone), and a buffer re-posted after the one
		 * that ended takes it, as recv() would: the bytes go on.  When
		 * the sender lives on (namespace deleted: its process keeps
		 * it), the stream may never pause long enough for a buffer to
		 * end empty: post NBUF more after the shutdown, then stop.
		 */
		if (res > 0) {
			if (px_verify(r->seed, r->bytes,
				      r->mem + (size_t)slot * BUFSZ, res) != -1) {
				fprintf(stderr, "# wrong bytes at %llu\n",
					(unsigned long long)r->bytes);
				r->fails++;
			}
			r->bytes += res;
		} else {
			ended = true;
		}
		if (__atomic_load_n(&r->shut, __ATOMIC_ACQUIRE) &&
		    r->posted_after_shut++ >= NBUF)
			ended = true;
		if (!ended)
			post_one(r, slot);
	}
	return NULL;
}

FIXTURE(drace)
{
	int devfd;
	uint8_t *mem;
};

FIXTURE_VARIANT(drace)
{
	const char *how;	/* the shell command that takes it away */
	bool unload;
};

FIXTURE_VARIANT_ADD(drace, device_removed)
{
	.how = "ip link del px0",
};

FIXTURE_VARIANT_ADD(drace, netns_deleted)
{
	.how = "ip netns del " PX_NETNS,
};

FIXTURE_VARIANT_ADD(drace, module_unloaded)
{
	.how = "rmmod pxnic",
	.unload = true,
};

FIXTURE_SETUP(drace)
{
	const char *why;

	self->devfd = px_open_with_pxnic(&why);
	if (self->devfd < 0)
		PX_NEED("%s", why);
	self->mem = px_alloc((size_t)NBUF * BUFSZ);
	ASSERT_NE(NULL, self->mem);
}

FIXTURE_TEARDOWN(drace)
{
	if (self->devfd < 0)
		return;
	px_link_down(&px_pxnic4);
	munmap(self->mem, (size_t)NBUF * BUFSZ);
	close(self->devfd);
}

/* One round; returns its failures. */
static int one_round(FIXTURE_DATA(drace) *self,
		     const FIXTURE_VARIANT(drace) *variant, unsigned int round)
{
	struct iovec iov = { self->mem, (size_t)NBUF * BUFSZ };
	struct receiver r = {
		.devfd = self->devfd, .seed = round + 1, .mem = self->mem,
	};
	int lfd, port, fails = 0;
	pthread_t th;
	pid_t sender;

	if (px_pxnic_load() || px_link_up(&px_pxnic4))
		return 1;
	lfd = px_listen(&px_pxnic4, &port);
	if (lfd < 0)
		return 1;
	sender = px_sender(&px_pxnic4, port, r.seed, 1ULL << 40, 1 << 16,
			   PX_END_CLOSE);
	r.fd = accept(lfd, NULL, NULL);
	close(lfd);
	if (r.fd < 0 || io_uring_queue_init(64, &r.ring, 0) ||
	    io_uring_register_buffers(&r.ring, &iov, 1))
		return 1;
	pthread_create(&th, NULL, receive, &r);

	/* Take the device away while the stream runs, at a random moment. */
	usleep((round * 7919) % 200000);
	if (px_sh(variant->how)) {
		fprintf(stderr, "# round %u: '%s' failed\n", round,
			variant->how);
		fails++;
	}
	/* With the device gone nothing comes: end the stream ourselves. */
	shutdown(r.fd, SHUT_RD);
	__atomic_store_n(&r.shut, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	fails += r.fails;
	if (r.completed != r.posted) {
		fprintf(stderr, "# round %u: %u posted, %u completed\n", round,
			r.posted, r.completed);
		fails++;
	}
	io_uring_queue_exit(&r.ring);
	close(r.fd);
	kill(sender, SIGKILL);
	px_wait_child(sender);
	px_link_down(&px_pxnic4);
	return fails;
}

TEST_F_TIMEOUT(drace, teardown_against_placement, 14400)
{
	unsigned int rounds = px_long() ? 1000 : px_scale() > 1 ? 2 : 20;
	time_t start = time(NULL);
	unsigned int i;
	int fails = 0;

	for (i = 0; i < rounds; i++) {
		fails += one_round(self, variant, i);
		if ((i + 1) % 100 == 0)
			fprintf(stderr, "# %u rounds in %ld s, %d failures\n",
				i + 1, (long)(time(NULL) - start), fails);
	}
	EXPECT_EQ(0, fails);
	printf("# %u rounds of '%s' against placement in flight\n", rounds,
	       variant->how);
}

/* pxnic holds a reference on postrx: unload it when the program ends. */
int main(int argc, char **argv)
{
	px_unload_pxnic_at_exit();
	return test_harness_run(argc, argv);
}
