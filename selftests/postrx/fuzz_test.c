// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile SQEs: random and boundary values in every field a postrx command
 * reads, on 64 and 128 byte SQEs, plain and IOSQE_ASYNC; a third of them
 * fully random, a third valid commands (posts that fill, wait and get
 * cancelled, stats, cancels), a third valid but for one random field, so
 * that the checks deep in the module are reached too.  Every SQE must
 * complete exactly once, with a result from the documented set; the kernel
 * must not splat or leak (the runner checks).  Addresses are only ever
 * ones the test owns or ones that cannot be written, so a wrong write by
 * the kernel could only land in the test's scratch memory.
 * POSTRX_FUZZ_ITERATIONS overrides the count (50,000 by default).
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/sockios.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

static uint64_t rnd_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(...) ({ const uint64_t __v[] = { __VA_ARGS__ };		\
		     pick(__v, sizeof(__v) / sizeof(__v[0])); })

static bool allowed(int res)
{
	switch (res) {
	case -EINVAL: case -EFAULT: case -EBADF: case -ENOTSOCK:
	case -EPROTONOSUPPORT: case -ENOTCONN: case -EBUSY: case -ENOBUFS:
	case -EDQUOT:
	case -EOPNOTSUPP: case -ENOENT: case -ECANCELED:
		return true;
	default:
		return res >= 0;
	}
}

FIXTURE(fuzz)
{
	struct px_rx rx;	/* rx.peer and rx.fd: a connected pair */
	int udp;
	uint8_t *scratch, *none, *ro;
};

FIXTURE_VARIANT(fuzz)
{
	unsigned int setup_flags;
};

PX_SQE_VARIANTS(fuzz);

#define SCRATCH	(1 << 20)

FIXTURE_SETUP(fuzz)
{
	struct iovec iov[2];

	/* SUBMIT_ALL: a refused SQE must not hold back the ones after it. */
	PX_RX_OPEN(&self->rx, &px_lo4, 64,
		   variant->setup_flags | IORING_SETUP_SUBMIT_ALL);
	/* A guard page after the scratch area: writes past it fault. */
	self->scratch = px_alloc(SCRATCH + 4096);
	ASSERT_EQ(0, mprotect(self->scratch + SCRATCH, 4096, PROT_NONE));
	self->none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	self->ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	iov[0].iov_base = self->scratch;
	iov[0].iov_len = SCRATCH / 2;
	iov[1].iov_base = self->scratch + SCRATCH / 2;
	iov[1].iov_len = SCRATCH / 2;
	ASSERT_EQ(0, io_uring_register_buffers(&self->rx.ring, iov, 2));
	ASSERT_EQ(0, io_uring_register_files(&self->rx.ring, &self->rx.devfd, 1));
	ASSERT_EQ(0, px_rx_connect(&self->rx));
	self->udp = socket(AF_INET, SOCK_DGRAM, 0);
}

FIXTURE_TEARDOWN(fuzz)
{
	close(self->udp);
	px_rx_close(&self->rx);
}

static void random_sqe(FIXTURE_DATA(fuzz) *self, struct io_uring_sqe *sqe,
		       size_t sqe_size)
{
	struct postrx_sock_cmd *cmd = (void *)sqe->cmd;
	uint64_t s = (uintptr_t)self->scratch;

	memset(sqe, 0, sqe_size);
	sqe->opcode = IORING_OP_URING_CMD;
	/*
	 * Now and then a descriptor that is not /dev/postrx; never a socket,
	 * whose own uring commands (getsockopt, setsockopt) would take the
	 * random fields as pointers into this process.
	 */
	sqe->fd = rnd() % 16 ? self->rx.devfd : (int)PICK(-1, 100000, self->udp + 1000);
	if (rnd() % 16 == 0) {
		sqe->fd = 0;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
	if (rnd() % 8 == 0)
		sqe->flags |= IOSQE_ASYNC;
	sqe->cmd_op = rnd() % 8 ? PICK(POSTRX_CMD_QUERY, POSTRX_CMD_RECV,
				       POSTRX_CMD_STATS, POSTRX_CMD_CANCEL,
				       _IOWR('x', 5, struct postrx_sock_cmd)) :
				  (uint32_t)rnd();
	sqe->addr = PICK(0, s, s + 1, s + 4095, s + SCRATCH / 2 - 64,
			 s + SCRATCH / 2, s + SCRATCH - 1, s + SCRATCH,
			 s + rnd() % SCRATCH, (uintptr_t)self->none,
			 (uintptr_t)self->ro, 0xffffffffffff0000ULL,
			 0xffff888000000000ULL, ~0ULL, 1ULL << 47);
	sqe->len = PICK(0, 1, 7, 63, 64, 65, 4096, 65536, SCRATCH / 2,
			SCRATCH / 2 + 1, 1U << 30, (1U << 30) + 1, ~0U,
			rnd() % SCRATCH);
	sqe->uring_cmd_flags = rnd() % 4 ? (rnd() % 2 ? IORING_URING_CMD_FIXED : 0)
				       : (uint32_t)rnd();
	sqe->buf_index = rnd() % 4 ? rnd() % 2 : (uint16_t)rnd();
	if (rnd() % 16 == 0)
		sqe->ioprio = rnd();
	if (rnd() % 32 == 0)
		sqe->file_index = rnd();
	cmd->sockfd = PICK(self->rx.fd, self->rx.fd, self->rx.fd, self->rx.peer,
			   self->rx.lfd, self->udp, self->rx.devfd, -1, 0, 100000,
			   (uint32_t)rnd());
	cmd->flags = rnd() % 4 ? rnd() % 2 : (uint32_t)rnd();
	if (rnd() % 16 == 0)
		cmd->resv = rnd();
	/* Rarely a stray byte in the rest of the command area. */
	if (sqe_size == 128 && rnd() % 32 == 0)
		((uint8_t *)sqe)[64 + rnd() % 64] = 1;
	sqe->user_data = 1;
}

/*
 * A command the module accepts: mostly a post on the connected pair
 * (WAITALL or not, into either registered half), sometimes a STATS, a
 * CANCEL (of everything, or of user_data 1, which every fuzzed SQE
 * carries) or a QUERY.  Such commands drive the state machine (posted,
 * filled, cancelled, refused) that fully random ones never reach.
 */
static void valid_sqe(FIXTURE_DATA(fuzz) *self, struct io_uring_sqe *sqe,
		      size_t sqe_size)
{
	struct postrx_sock_cmd *cmd = (void *)sqe->cmd;
	unsigned int half = rnd() % 2;
	uint64_t base = (uintptr_t)self->scratch + half * (SCRATCH / 2);
	uint32_t len = 1 + rnd() % 65536;

	memset(sqe, 0, sqe_size);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = self->rx.devfd;
	sqe->user_data = 1;
	cmd->sockfd = rnd() % 4 ? self->rx.fd : self->rx.peer;
	switch (rnd() % 16) {
	case 0:
		sqe->cmd_op = POSTRX_CMD_STATS;
		sqe->addr = base;
		sqe->len = sizeof(struct postrx_stats);
		break;
	case 1:
		sqe->cmd_op = POSTRX_CMD_CANCEL;
		if (rnd() % 2)
			cmd->flags = POSTRX_CANCEL_ALL;
		else
			sqe->addr = 1;
		break;
	case 2:
		sqe->cmd_op = POSTRX_CMD_QUERY;	/* names no socket */
		sqe->addr = base;
		sqe->len = sizeof(struct postrx_query);
		cmd->sockfd = 0;
		break;
	default:
		sqe->cmd_op = POSTRX_CMD_RECV;
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		sqe->buf_index = half;
		sqe->addr = base + rnd() % (SCRATCH / 2 - len + 1);
		sqe->len = len;
		cmd->flags = rnd() % 2 ? POSTRX_RECV_WAITALL : 0;
		break;
	}
	if (rnd() % 8 == 0)
		sqe->flags |= IOSQE_ASYNC;
}

/* The fields a command reads, as (offset, size) in the SQE. */
#define SQE_FIELD(f)	{ offsetof(struct io_uring_sqe, f),		\
			  sizeof(((struct io_uring_sqe *)0)->f) }
#define CMD_FIELD(f)	{ offsetof(struct io_uring_sqe, cmd) +		\
			  offsetof(struct postrx_sock_cmd, f),		\
			  sizeof(((struct postrx_sock_cmd *)0)->f) }

static const struct { size_t off, size; } fields[] = {
	SQE_FIELD(flags), SQE_FIELD(ioprio), SQE_FIELD(fd), SQE_FIELD(cmd_op),
	SQE_FIELD(addr), SQE_FIELD(len), SQE_FIELD(uring_cmd_flags),
	SQE_FIELD(buf_index), SQE_FIELD(file_index), CMD_FIELD(sockfd),
	CMD_FIELD(flags), CMD_FIELD(resv),
};

/* One field of a valid command replaced by the same field of a random one. */
static void mutated_sqe(FIXTURE_DATA(fuzz) *self, struct io_uring_sqe *sqe,
			size_t sqe_size)
{
	uint8_t bad[128];
	size_t i = rnd() % (sizeof(fields) / sizeof(fields[0]));

	random_sqe(self, (void *)bad, sqe_size);
	valid_sqe(self, sqe, sqe_size);
	memcpy((uint8_t *)sqe + fields[i].off, bad + fields[i].off,
	       fields[i].size);
}

static void cancel_all(FIXTURE_DATA(fuzz) *self, int sockfd)
{
	struct io_uring_sqe *c = io_uring_get_sqe(&self->rx.ring);

	io_uring_prep_rw(IORING_OP_URING_CMD, c, self->rx.devfd, NULL, 0, 0);
	c->cmd_op = POSTRX_CMD_CANCEL;
	((struct postrx_sock_cmd *)c->cmd)->sockfd = sockfd;
	((struct postrx_sock_cmd *)c->cmd)->flags = POSTRX_CANCEL_ALL;
	c->user_data = 2;
}

static long idle_waits;	/* drain rounds that found nothing within 10 ms */

/*
 * How the commands ended, for the log: a positive result (bytes received,
 * stats or query bytes written, buffers cancelled), 0, or errno e < 256.
 */
static long with_positive, with_zero, with_errno[256];

static void count(int res)
{
	if (res > 0)
		with_positive++;
	else if (res == 0)
		with_zero++;
	else if (-res < 256)
		with_errno[-res]++;
}

static void print_results(void)
{
	unsigned int e;

	printf("# results: positive %ld, 0 %ld", with_positive, with_zero);
	for (e = 1; e < 256; e++)
		if (with_errno[e])
			printf(", %s %ld", strerrorname_np(e), with_errno[e]);
	printf("\n");
}

/*
 * Collect every outstanding completion.  Buffers still posted (WAITALL
 * ones waiting for data, ones on the socket that never receives) are
 * cancelled, again and again, since an IOSQE_ASYNC post may land after a
 * cancel.  Returns the number of failures.
 */
static int drain(FIXTURE_DATA(fuzz) *self, long *outstanding)
{
	int bad = 0, tries = 0;

	while (*outstanding > 0) {
		__u64 ud;
		int res;

		if (tries++ > 6000) {	/* a minute */
			fprintf(stderr, "# %ld completions missing\n", *outstanding);
			return bad + 1;
		}
		if (self->rx.fd >= 0)
			cancel_all(self, self->rx.fd);
		cancel_all(self, self->rx.peer);
		io_uring_submit(&self->rx.ring);
		while (*outstanding > 0) {
			if (px_wait_cqe(&self->rx.ring, 10, &ud, &res)) {
				idle_waits++;
				break;
			}
			if (ud != 1)
				continue;
			(*outstanding)--;
			count(res);
			if (!allowed(res)) {
				fprintf(stderr, "# undocumented result %d\n", res);
				bad++;
			}
		}
	}
	return bad;
}

/*
 * Feed the posted buffers, never blocking: the fuzzed posts take only some
 * of what is written, and a write blocked on a full window would wait
 * forever, since nothing else reads.
 */
static void feed(FIXTURE_DATA(fuzz) *self, char *junk, size_t size)
{
	if (send(self->rx.peer, junk, 1 + rnd() % size, MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN)
		fprintf(stderr, "# feed: %s\n", strerror(errno));
}

/*
 * With no post outstanding (after a drain) a plain read may take what the
 * posts left, so that the queue stays short and the stream keeps moving.
 */
static void trim(FIXTURE_DATA(fuzz) *self, char *junk, size_t size)
{
	int inq = 0;

	if (!ioctl(self->rx.fd, SIOCINQ, &inq) && inq > (1 << 20))
		while (recv(self->rx.fd, junk, size, MSG_DONTWAIT) > 0)
			;
}

TEST_F_TIMEOUT(fuzz, random_commands, 14400)
{
	size_t sqe_size = variant->setup_flags & IORING_SETUP_SQE128 ? 128 : 64;
	const char *env = getenv("POSTRX_FUZZ_ITERATIONS");
	long n = env ? atol(env) : 50000 / (long)px_scale();
	long i, outstanding = 0;
	time_t start = time(NULL);
	int bad = 0;
	char junk[4096];

	memset(junk, 'x', sizeof(junk));
	for (i = 0; i < n; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->rx.ring);

		/* A third each: random, valid, valid but for one field. */
		switch (rnd() % 3) {
		case 0:
			random_sqe(self, sqe, sqe_size);
			break;
		case 1:
			valid_sqe(self, sqe, sqe_size);
			break;
		default:
			mutated_sqe(self, sqe, sqe_size);
			break;
		}
		outstanding++;
		if (i % 32 != 31 && i != n - 1)
			continue;
		ASSERT_LE(0, io_uring_submit(&self->rx.ring));
		feed(self, junk, sizeof(junk));
		bad += drain(self, &outstanding);
		trim(self, junk, sizeof(junk));
		if ((i + 1) % 100000 == 0)
			fprintf(stderr, "# %ld commands in %ld s\n", i + 1,
				(long)(time(NULL) - start));
	}
	/* Closing the socket with buffers posted, too. */
	for (i = 0; i < 8; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&self->rx.ring);

		io_uring_prep_rw(IORING_OP_URING_CMD, sqe, self->rx.devfd,
				 self->scratch + i * 4096, 4096, 0);
		sqe->cmd_op = POSTRX_CMD_RECV;
		sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
		((struct postrx_sock_cmd *)sqe->cmd)->sockfd = self->rx.fd;
		((struct postrx_sock_cmd *)sqe->cmd)->flags = POSTRX_RECV_WAITALL;
		sqe->user_data = 1;
		outstanding++;
	}
	io_uring_submit(&self->rx.ring);
	close(self->rx.fd);
	self->rx.fd = -1;
	bad += drain(self, &outstanding);
	EXPECT_EQ(0, bad);
	printf("# %ld hostile commands, each completed once, in %ld s (%ld idle waits)\n",
	       n, (long)(time(NULL) - start), idle_waits);
	print_results();
}

TEST_HARNESS_MAIN
