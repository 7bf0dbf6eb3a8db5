// SPDX-License-Identifier: GPL-2.0
/*
 * POSTRX_CMD_QUERY over io_uring, and the SQE validation every postrx
 * command shares: unknown commands, reserved fields and flags, for 64 and
 * 128 byte SQEs and for /dev/postrx as a plain or a fixed file.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define FILL 0xa5

FIXTURE(query)
{
	struct io_uring ring;
	int devfd;
	int fd;		/* what goes into sqe->fd */
	unsigned char buf[256];
};

FIXTURE_VARIANT(query)
{
	unsigned int setup_flags;
	bool fixed_file;
};

PX_SQE_VARIANTS(query);

FIXTURE_VARIANT_ADD(query, fixed_file)
{
	.fixed_file = true,
};

FIXTURE_SETUP(query)
{
	int ret;

	self->devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (self->devfd < 0)
		PX_NEED("%s: %s", POSTRX_DEVICE_PATH, strerror(errno));
	ret = io_uring_queue_init(8, &self->ring, variant->setup_flags);
	ASSERT_EQ(ret, 0);
	self->fd = self->devfd;
	if (variant->fixed_file) {
		ret = io_uring_register_files(&self->ring, &self->devfd, 1);
		ASSERT_EQ(ret, 0);
		self->fd = 0;
	}
	memset(self->buf, FILL, sizeof(self->buf));
}

FIXTURE_TEARDOWN(query)
{
	if (self->devfd < 0)
		return;
	io_uring_queue_exit(&self->ring);
	close(self->devfd);
}

static struct io_uring_sqe *query_sqe(FIXTURE_DATA(query) *self,
				      const FIXTURE_VARIANT(query) *variant,
				      void *addr, __u32 len)
{
	struct io_uring_sqe *sqe;

	sqe = postrx_get_cmd_sqe(&self->ring, self->fd, POSTRX_CMD_QUERY,
				 addr, len);
	if (sqe && variant->fixed_file)
		sqe->flags |= IOSQE_FIXED_FILE;
	return sqe;
}

static bool untouched(const unsigned char *p, size_t n)
{
	while (n--)
		if (*p++ != FILL)
			return false;
	return true;
}

/*
 * What this kernel serves: the capabilities, never an exact version
 * (user space is to test what it needs, so the tests do too).
 */
TEST_F(query, reports_version_and_commands)
{
	struct postrx_query *q = (void *)self->buf;
	int i;

	ASSERT_NE(NULL, query_sqe(self, variant, q, sizeof(*q)));
	ASSERT_EQ(sizeof(*q), postrx_submit_wait(&self->ring));
	/* version 2 brought the ioctl-encoded commands used here */
	EXPECT_LE(2, q->version);
	EXPECT_EQ(sizeof(*q), q->size);
	EXPECT_EQ(POSTRX_FEAT_PUSH_END | POSTRX_FEAT_CANCEL_BY_FILE,
		  q->features);
	EXPECT_EQ(POSTRX_CMD_BIT(POSTRX_CMD_QUERY) |
		  POSTRX_CMD_BIT(POSTRX_CMD_RECV) |
		  POSTRX_CMD_BIT(POSTRX_CMD_STATS) |
		  POSTRX_CMD_BIT(POSTRX_CMD_CANCEL), q->commands);
	EXPECT_EQ(POSTRX_RECV_WAITALL, q->recv_flags);
	EXPECT_GE(q->max_posted, 64);
	EXPECT_EQ(POSTRX_RECV_MAX, q->max_recv_len);
	for (i = 0; i < (int)(sizeof(q->resv) / sizeof(q->resv[0])); i++)
		EXPECT_EQ(0, q->resv[i]);
}

/* A larger buffer from newer user space: only the kernel's size is written. */
TEST_F(query, larger_buffer_written_up_to_kernel_size)
{
	ASSERT_NE(NULL, query_sqe(self, variant, self->buf, sizeof(self->buf)));
	ASSERT_EQ(POSTRX_QUERY_SIZE_V1, postrx_submit_wait(&self->ring));
	EXPECT_TRUE(untouched(self->buf + POSTRX_QUERY_SIZE_V1,
			      sizeof(self->buf) - POSTRX_QUERY_SIZE_V1));
}

TEST_F(query, short_buffer_einval)
{
	ASSERT_NE(NULL, query_sqe(self, variant, self->buf,
				  POSTRX_QUERY_SIZE_V1 - 1));
	EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->ring));
	EXPECT_TRUE(untouched(self->buf, sizeof(self->buf)));
}

TEST_F(query, bad_address_efault)
{
	void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(NULL, query_sqe(self, variant, NULL, POSTRX_QUERY_SIZE_V1));
	EXPECT_EQ(-EFAULT, postrx_submit_wait(&self->ring));
	ASSERT_NE(NULL, query_sqe(self, variant, ro, POSTRX_QUERY_SIZE_V1));
	EXPECT_EQ(-EFAULT, postrx_submit_wait(&self->ring));
	/* Past the end of user space. */
	ASSERT_NE(NULL, query_sqe(self, variant, (void *)-4096L,
				  POSTRX_QUERY_SIZE_V1));
	EXPECT_EQ(-EFAULT, postrx_submit_wait(&self->ring));
	munmap(ro, 4096);
}

TEST_F(query, unknown_command_eopnotsupp)
{
	/*
	 * 1: version 1's QUERY; then a known number with the wrong size, an
	 * unknown number of the right type, and garbage.
	 */
	const __u32 ops[] = { 0, 1, 4, _IOWR('x', 1, __u64),
			      _IOWR('x', 5, struct postrx_sock_cmd),
			      _IOR('x', 2, struct postrx_sock_cmd),
			      0x100, 0xffffffff };
	struct io_uring_sqe *sqe;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		sqe = query_sqe(self, variant, self->buf, POSTRX_QUERY_SIZE_V1);
		ASSERT_NE(NULL, sqe);
		sqe->cmd_op = ops[i];
		EXPECT_EQ(-EOPNOTSUPP, postrx_submit_wait(&self->ring))
			TH_LOG("cmd_op %#x", ops[i]);
	}
	EXPECT_TRUE(untouched(self->buf, sizeof(self->buf)));
}

/* Every byte of the command area is reserved for QUERY. */
TEST_F(query, reserved_cmd_bytes_einval)
{
	size_t n = postrx_cmd_area_size(&self->ring), i;
	struct io_uring_sqe *sqe;

	for (i = 0; i < n; i++) {
		sqe = query_sqe(self, variant, self->buf, POSTRX_QUERY_SIZE_V1);
		ASSERT_NE(NULL, sqe);
		sqe->cmd[i] = 1 << (i % 8);
		EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->ring))
			TH_LOG("cmd byte %zu", i);
	}
	EXPECT_TRUE(untouched(self->buf, sizeof(self->buf)));
}

TEST_F(query, reserved_sqe_fields_einval)
{
	struct io_uring_sqe *sqe;
	int field;

	for (field = 0; field < 4; field++) {
		sqe = query_sqe(self, variant, self->buf, POSTRX_QUERY_SIZE_V1);
		ASSERT_NE(NULL, sqe);
		switch (field) {
		case 0: sqe->ioprio = 1; break;
		case 1: sqe->buf_index = 1; break;
		case 2: sqe->file_index = 1; break;
		case 3: sqe->__pad1 = 1; break;	/* io_uring's own check */
		}
		EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->ring))
			TH_LOG("field %d", field);
	}
	EXPECT_TRUE(untouched(self->buf, sizeof(self->buf)));
}

TEST_F(query, wrong_sqe_flags)
{
	static char regbuf[4096];
	struct iovec iov = { regbuf, sizeof(regbuf) };
	struct io_uring_sqe *sqe;

	/* An unknown uring_cmd flag: io_uring refuses it. */
	sqe = query_sqe(self, variant, self->buf, POSTRX_QUERY_SIZE_V1);
	ASSERT_NE(NULL, sqe);
	sqe->uring_cmd_flags = 1U << 7;
	EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->ring));

	/* io_uring refuses buffer selection for uring commands. */
	sqe = query_sqe(self, variant, self->buf, POSTRX_QUERY_SIZE_V1);
	ASSERT_NE(NULL, sqe);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	EXPECT_EQ(-EOPNOTSUPP, postrx_submit_wait(&self->ring));

	/* A fixed buffer that exists, on a command that takes none. */
	ASSERT_EQ(0, io_uring_register_buffers(&self->ring, &iov, 1));
	sqe = query_sqe(self, variant, self->buf, POSTRX_QUERY_SIZE_V1);
	ASSERT_NE(NULL, sqe);
	sqe->uring_cmd_flags = IORING_URING_CMD_FIXED;
	EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->ring));
	EXPECT_TRUE(untouched(self->buf, sizeof(self->buf)));
}

/* IOSQE_ASYNC runs the command from io-wq, on io_uring's copy of the SQE. */
TEST_F(query, async_issue)
{
	struct postrx_query *q = (void *)self->buf;
	struct io_uring_sqe *sqe;

	sqe = query_sqe(self, variant, q, sizeof(*q));
	ASSERT_NE(NULL, sqe);
	sqe->flags |= IOSQE_ASYNC;
	ASSERT_EQ(sizeof(*q), postrx_submit_wait(&self->ring));
	EXPECT_EQ(sizeof(*q), q->size);
}

TEST_F(query, batch_of_queries)
{
	struct postrx_query q[8];
	struct io_uring_cqe *cqe;
	int i;

	memset(q, 0, sizeof(q));
	for (i = 0; i < 8; i++) {
		struct io_uring_sqe *sqe = query_sqe(self, variant, &q[i],
						     sizeof(q[i]));

		ASSERT_NE(NULL, sqe);
		sqe->user_data = i;
	}
	ASSERT_EQ(8, io_uring_submit(&self->ring));
	for (i = 0; i < 8; i++) {
		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		EXPECT_EQ(sizeof(q[0]), cqe->res);
		EXPECT_EQ(sizeof(q[0]), q[cqe->user_data].size);
		io_uring_cqe_seen(&self->ring, cqe);
	}
}

/* /dev/postrx is for everyone: an unprivileged user can query. */
TEST(unprivileged_user_queries)
{
	pid_t pid;
	int status;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to an unprivileged user");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct postrx_query q;
		struct io_uring ring;
		int fd;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		fd = open(POSTRX_DEVICE_PATH, O_RDWR);
		if (fd < 0)
			_exit(11);
		if (io_uring_queue_init(4, &ring, 0))
			_exit(12);
		if (!postrx_get_cmd_sqe(&ring, fd, POSTRX_CMD_QUERY, &q,
					sizeof(q)))
			_exit(13);
		if (postrx_submit_wait(&ring) != sizeof(q))
			_exit(14);
		_exit(q.commands & POSTRX_CMD_BIT(POSTRX_CMD_RECV) ? 0 : 15);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* An IOPOLL ring cannot poll postrx commands: io_uring says so. */
TEST(iopoll_ring_eopnotsupp)
{
	struct postrx_query q;
	struct io_uring ring;
	int fd;

	fd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (fd < 0)
		PX_NEED("%s: %s", POSTRX_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(0, io_uring_queue_init(4, &ring, IORING_SETUP_IOPOLL));
	ASSERT_NE(NULL, postrx_get_cmd_sqe(&ring, fd, POSTRX_CMD_QUERY, &q,
					   sizeof(q)));
	EXPECT_EQ(-EOPNOTSUPP, postrx_submit_wait(&ring));
	io_uring_queue_exit(&ring);
	close(fd);
}

TEST_HARNESS_MAIN
