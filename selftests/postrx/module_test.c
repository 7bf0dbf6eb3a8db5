// SPDX-License-Identifier: GPL-2.0
/*
 * postrx.ko life cycle: the module is loaded and serves /dev/postrx to
 * everyone; it cannot be unloaded while a file or a ring holds the device;
 * it unloads and reloads cleanly otherwise, also after commands ran.
 * Needs root and POSTRX_KO (the module's path); leaves the module loaded.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

static int delete_postrx(void)
{
	return syscall(SYS_delete_module, "postrx", O_NONBLOCK);
}

static int load_postrx(void)
{
	const char *ko = getenv("POSTRX_KO");
	int fd, ret;

	if (!ko)
		return -1;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return ret;
}

static bool module_loaded(void)
{
	return access("/sys/module/postrx", F_OK) == 0;
}

/* Deferred io_uring teardown drops its file references from a worker. */
static int delete_postrx_retry(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int i;

	for (i = 0; i < 250; i++) {
		if (delete_postrx() == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
		nanosleep(&ts, NULL);
	}
	return -1;
}

static int query_once(struct io_uring *ring, int fd, bool fixed)
{
	struct postrx_query q;
	struct io_uring_sqe *sqe;

	sqe = postrx_get_cmd_sqe(ring, fd, POSTRX_CMD_QUERY, &q, sizeof(q));
	if (!sqe)
		return -ENOMEM;
	if (fixed)
		sqe->flags |= IOSQE_FIXED_FILE;
	return postrx_submit_wait(ring);
}

FIXTURE(module)
{
	bool root;
};

FIXTURE_SETUP(module)
{
	self->root = geteuid() == 0 && getenv("POSTRX_KO");
	if (!self->root)
		SKIP(return, "needs root and POSTRX_KO");
	if (!module_loaded())
		ASSERT_EQ(0, load_postrx());
}

/* Every test hands the module back loaded, for the tests that follow. */
FIXTURE_TEARDOWN(module)
{
	if (self->root && !module_loaded())
		EXPECT_EQ(0, load_postrx());
}

TEST_F(module, device_node_for_everyone)
{
	struct stat st;

	ASSERT_TRUE(module_loaded());
	ASSERT_EQ(0, stat(POSTRX_DEVICE_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0666, st.st_mode & 0777);
}

TEST_F(module, unload_and_reload)
{
	ASSERT_EQ(0, delete_postrx());
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(0, access(POSTRX_DEVICE_PATH, F_OK));
	ASSERT_EQ(0, load_postrx());
	EXPECT_EQ(0, access(POSTRX_DEVICE_PATH, F_OK));
}

/* A load of a loaded module is refused and leaves it serving. */
TEST_F(module, double_load_eexist)
{
	EXPECT_NE(0, load_postrx());
	EXPECT_EQ(EEXIST, errno);
	EXPECT_TRUE(module_loaded());
}

TEST_F(module, open_file_pins_module)
{
	int fd = open(POSTRX_DEVICE_PATH, O_RDWR);

	ASSERT_GE(fd, 0);
	EXPECT_NE(0, delete_postrx());
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_TRUE(module_loaded());
	close(fd);
	EXPECT_EQ(0, delete_postrx());
}

/*
 * A ring that registered /dev/postrx as a fixed file keeps the module
 * pinned after the descriptor is closed, until the ring goes away.
 */
TEST_F(module, fixed_file_in_ring_pins_module)
{
	struct io_uring ring;
	int fd = open(POSTRX_DEVICE_PATH, O_RDWR);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, io_uring_register_files(&ring, &fd, 1));
	close(fd);
	EXPECT_EQ(POSTRX_QUERY_SIZE_V1, query_once(&ring, 0, true));
	EXPECT_NE(0, delete_postrx());
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_EQ(POSTRX_QUERY_SIZE_V1, query_once(&ring, 0, true));
	io_uring_queue_exit(&ring);
	EXPECT_EQ(0, delete_postrx_retry());
}

/* Load, use and unload many times: nothing may accumulate or break. */
TEST_F(module, load_use_unload_cycles)
{
	struct io_uring ring;
	int i, fd;

	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	for (i = 0; i < 50; i++) {
		fd = open(POSTRX_DEVICE_PATH, O_RDWR);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(POSTRX_QUERY_SIZE_V1, query_once(&ring, fd, false));
		close(fd);
		ASSERT_EQ(0, delete_postrx()) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, load_postrx()) TH_LOG("cycle %d", i);
	}
	io_uring_queue_exit(&ring);
}

/*
 * A socket with a channel keeps the module: its proto and callbacks point
 * into it.  Posted buffers hold the device file, and the channel holds it
 * until the socket is closed.  Closing both lets the module go.
 */
TEST_F(module, socket_with_channel_pins_module)
{
	static const struct px_link lo4 = {
		.name = "lo4", .family = AF_INET, .rx_addr = "127.0.0.1",
	};
	uint8_t *buf = px_alloc(4096);
	struct iovec iov = { buf, 4096 };
	struct io_uring ring;
	int devfd, lfd, port = 0, cli, srv, res;
	__u64 ud;

	devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	ASSERT_GE(devfd, 0);
	ASSERT_EQ(0, io_uring_queue_init(8, &ring, 0));
	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));
	lfd = px_listen(&lo4, &port);
	cli = px_connect(&lo4, port);
	srv = accept(lfd, NULL, NULL);
	ASSERT_GE(srv, 0);
	ASSERT_NE(NULL, px_prep_recv(&ring, devfd, srv, buf, 4096, 0, 0, 1));
	ASSERT_EQ(1, io_uring_submit(&ring));
	close(devfd);
	/* A buffer is posted: busy. */
	EXPECT_NE(0, delete_postrx());
	EXPECT_EQ(EWOULDBLOCK, errno);
	ASSERT_EQ(5, write(cli, "hello", 5));
	ASSERT_EQ(0, px_wait_cqe(&ring, 10000, &ud, &res));
	EXPECT_EQ(5, res);
	io_uring_queue_exit(&ring);
	/* Nothing posted, no ring, no open device: the socket still pins. */
	EXPECT_NE(0, delete_postrx_retry());
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(srv);
	EXPECT_EQ(0, delete_postrx_retry());
	close(cli);
	close(lfd);
}

TEST_HARNESS_MAIN
