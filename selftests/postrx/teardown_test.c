// SPDX-License-Identifier: GPL-2.0
/*
 * Teardown of posted buffers: socket close, shutdown, POSTRX_CMD_CANCEL,
 * IORING_OP_ASYNC_CANCEL, ring exit and process kill each complete or
 * cancel every posted buffer exactly once, report the bytes a buffer holds,
 * and leave the socket usable by recv() where it still exists.  Also a
 * socket passed over SCM_RIGHTS, unprivileged use and the memlock limit.
 */
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define SEED 0x7ea5

FIXTURE(td)
{
	struct px_rx rx;	/* rx.peer: the sending end, over loopback */
};

FIXTURE_SETUP(td)
{
	PX_RX_OPEN(&self->rx, &px_lo4, 64, 0);
	ASSERT_EQ(0, px_rx_register(&self->rx, 1 << 20));
	ASSERT_EQ(0, px_rx_connect(&self->rx));
}

FIXTURE_TEARDOWN(td)
{
	px_rx_close(&self->rx);
}

/* Send @n bytes of the stream from @off on the peer side. */
static void send_stream(FIXTURE_DATA(td) *self, uint64_t off, size_t n)
{
	uint8_t *tmp = malloc(n);

	px_pattern(SEED, off, tmp, n);
	if (write(self->rx.peer, tmp, n) != (ssize_t)n)
		abort();
	free(tmp);
}

static void post_n(struct io_uring *ring, int devfd, int fd, uint8_t *buf,
		   int n, __u32 len, __u32 flags)
{
	int i;

	for (i = 0; i < n; i++)
		if (!px_prep_recv(ring, devfd, fd, buf + i * len, len, 0, flags, i))
			abort();
	if (io_uring_submit(ring) != n)
		abort();
}

/* Wait until the socket's channel holds @posted buffers. */
static int wait_posted(struct io_uring *ring, int devfd, int fd, __u32 posted,
		       __u64 copied)
{
	struct postrx_stats st;
	int i;

	for (i = 0; i < 2000; i++) {
		if (px_stats(ring, devfd, fd, &st) != sizeof(st))
			return -1;
		if (st.posted == posted &&
		    st.copied_rx_bytes + st.copied_late_bytes >= copied)
			return 0;
		usleep(1000);
	}
	return -1;
}

TEST_F_TIMEOUT(td, close_half_full, 120)
{
	__u64 ud;
	int res;

	post_n(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf, 3, 1 << 16,
	       POSTRX_RECV_WAITALL);
	send_stream(self, 0, 1000);
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 3, 1000));
	close(self->rx.fd);
	self->rx.fd = -1;
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(0, ud);
	EXPECT_EQ(1000, res);
	EXPECT_EQ(-1, px_verify(SEED, 0, self->rx.buf, 1000));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(1, ud);
	EXPECT_EQ(-ECANCELED, res);
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(2, ud);
	EXPECT_EQ(-ECANCELED, res);
	EXPECT_EQ(-ETIME, px_wait_cqe(&self->rx.ring, 200, &ud, &res));
}

TEST_F_TIMEOUT(td, shutdown_read_side, 120)
{
	__u64 ud;
	int res;

	post_n(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf, 2, 4096, 0);
	ASSERT_EQ(0, shutdown(self->rx.fd, SHUT_RD));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(0, res);
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(0, res);
}

/* connect(AF_UNSPEC) ends the stream the buffers were posted for. */
TEST_F_TIMEOUT(td, disconnect_aborts, 120)
{
	struct sockaddr sa = { .sa_family = AF_UNSPEC };
	__u64 ud;
	int res, i;

	post_n(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf, 2, 4096,
	       POSTRX_RECV_WAITALL);
	send_stream(self, 0, 10);
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 2, 10));
	ASSERT_EQ(0, connect(self->rx.fd, &sa, sizeof(sa)));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		EXPECT_EQ(i, ud);
		EXPECT_EQ(i ? -ECONNABORTED : 10, res);
	}
}

static int cancel(struct io_uring *ring, int devfd, int fd, __u64 user_data,
		  __u32 flags)
{
	if (!px_prep_cancel(ring, devfd, fd, user_data, flags, 1000))
		return -1;
	return io_uring_submit(ring);
}

TEST_F_TIMEOUT(td, cancel_command, 120)
{
	int res, i, got[3] = { 0 };
	__u64 ud;

	post_n(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf, 3, 4096, 0);
	/* The middle one, by user_data. */
	ASSERT_EQ(1, cancel(&self->rx.ring, self->rx.devfd, self->rx.fd, 1, 0));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		if (ud == 1000) {
			EXPECT_EQ(1, res);
		} else {
			EXPECT_EQ(1, ud);
			EXPECT_EQ(-ECANCELED, res);
		}
	}
	/* Nothing matches: -ENOENT; ALL with a user_data: -EINVAL. */
	ASSERT_EQ(1, cancel(&self->rx.ring, self->rx.devfd, self->rx.fd, 77, 0));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(-ENOENT, res);
	ASSERT_EQ(1, cancel(&self->rx.ring, self->rx.devfd, self->rx.fd, 77,
			    POSTRX_CANCEL_ALL));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(-EINVAL, res);
	/* The others still receive, in order. */
	send_stream(self, 0, 5000);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		ASSERT_LT(ud, 3);
		got[ud] = res;
	}
	EXPECT_EQ(4096, got[0]);
	EXPECT_EQ(5000 - 4096, got[2]);
	EXPECT_EQ(-1, px_verify(SEED, 0, self->rx.buf, 4096));
	EXPECT_EQ(-1, px_verify(SEED, 4096, self->rx.buf + 2 * 4096, 5000 - 4096));
}

/*
 * Linux 6.12's IORING_OP_ASYNC_CANCEL does not look at uring commands:
 * it answers -ENOENT and the buffer stays posted.  POSTRX_CMD_CANCEL is
 * the way; this test notices when a kernel starts to do otherwise.
 */
TEST_F_TIMEOUT(td, async_cancel_does_not_reach_uring_cmd, 120)
{
	struct io_uring_sqe *sqe;
	__u64 ud;
	int res;

	post_n(&self->rx.ring, self->rx.devfd, self->rx.fd, self->rx.buf, 1, 4096, 0);
	sqe = io_uring_get_sqe(&self->rx.ring);
	io_uring_prep_cancel64(sqe, 0, 0);
	sqe->user_data = 2000;
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(2000, ud);
	EXPECT_EQ(-ENOENT, res);
	send_stream(self, 0, 100);
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(0, ud);
	EXPECT_EQ(100, res);
}

/* A ring that exits with buffers posted takes them off the socket. */
TEST_F_TIMEOUT(td, ring_exit_with_posted, 120)
{
	struct io_uring ring2;
	struct iovec iov = { self->rx.buf, 1 << 20 };
	char tmp[3000];

	ASSERT_EQ(0, io_uring_queue_init(16, &ring2, 0));
	ASSERT_EQ(0, io_uring_register_buffers(&ring2, &iov, 1));
	post_n(&ring2, self->rx.devfd, self->rx.fd, self->rx.buf, 4, 1 << 16,
	       POSTRX_RECV_WAITALL);
	send_stream(self, 0, 1000);
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 4, 1000));
	io_uring_queue_exit(&ring2);
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 0, 1000));
	/* The 1000 bytes went to the exited ring; recv() reads on. */
	send_stream(self, 1000, 3000);
	ASSERT_EQ(3000, recv(self->rx.fd, tmp, sizeof(tmp), MSG_WAITALL));
	EXPECT_EQ(-1, px_verify(SEED, 1000, tmp, sizeof(tmp)));
}

/* kill -9 of the process that posted: the buffers leave the socket. */
TEST_F_TIMEOUT(td, kill_with_posted, 120)
{
	int ready[2];
	char c, tmp[100];
	pid_t pid;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct io_uring ring;
		struct iovec iov = { self->rx.buf, 1 << 20 };

		if (io_uring_queue_init(16, &ring, 0) ||
		    io_uring_register_buffers(&ring, &iov, 1))
			_exit(1);
		post_n(&ring, self->rx.devfd, self->rx.fd, self->rx.buf, 8, 4096,
		       POSTRX_RECV_WAITALL);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 8, 0));
	send_stream(self, 0, 10);
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 8, 10));
	kill(pid, SIGKILL);
	EXPECT_EQ(128 + SIGKILL, px_wait_child(pid));
	ASSERT_EQ(0, wait_posted(&self->rx.ring, self->rx.devfd, self->rx.fd, 0, 10));
	send_stream(self, 10, 100);
	ASSERT_EQ(100, recv(self->rx.fd, tmp, sizeof(tmp), MSG_WAITALL));
	EXPECT_EQ(-1, px_verify(SEED, 10, tmp, sizeof(tmp)));
	close(ready[0]);
	close(ready[1]);
}

/* A socket received over SCM_RIGHTS works like any other descriptor. */
TEST_F_TIMEOUT(td, socket_passed_over_scm_rights, 120)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 0;
	struct iovec io = { &c, 1 };
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	int sv[2], passed, res;
	pid_t pid;
	__u64 ud;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Another process: its own connection, handed over. */
		int fd = px_connect(&px_lo4, self->rx.port);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 1);
	}
	ASSERT_EQ(0, px_wait_child(pid));
	ASSERT_EQ(1, recvmsg(sv[0], &mh, 0));
	memcpy(&passed, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	int acc = accept(self->rx.lfd, NULL, NULL);

	ASSERT_GE(acc, 0);
	/* Post on the passed (client) side; the accepted side sends. */
	post_n(&self->rx.ring, self->rx.devfd, passed, self->rx.buf, 1, 4096, 0);
	uint8_t tmp[777];

	px_pattern(SEED, 0, tmp, sizeof(tmp));
	ASSERT_EQ(sizeof(tmp), write(acc, tmp, sizeof(tmp)));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(sizeof(tmp), res);
	EXPECT_EQ(0, memcmp(tmp, self->rx.buf, sizeof(tmp)));
	close(acc);
	close(passed);
	close(sv[0]);
	close(sv[1]);
}

/*
 * An unprivileged user posts on its own socket; its pinned memory is what
 * io_uring accounts for registered buffers against RLIMIT_MEMLOCK.
 */
TEST_F_TIMEOUT(td, unprivileged_and_memlock, 120)
{
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch users");
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { 64 << 10, 64 << 10 };
		struct io_uring ring;
		uint8_t *big = px_alloc(1 << 20);
		struct iovec iov = { big, 1 << 20 };
		int fd, devfd, res;
		__u64 ud;

		if (setrlimit(RLIMIT_MEMLOCK, &rl) || setgid(65534) ||
		    setuid(65534))
			_exit(10);
		devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
		if (devfd < 0 || io_uring_queue_init(8, &ring, 0))
			_exit(11);
		if (io_uring_register_buffers(&ring, &iov, 1) != -ENOMEM)
			_exit(12);
		iov.iov_len = 32 << 10;
		if (io_uring_register_buffers(&ring, &iov, 1))
			_exit(13);
		fd = px_connect(&px_lo4, self->rx.port);
		if (fd < 0)
			_exit(14);
		if (!px_prep_recv(&ring, devfd, fd, big, 32 << 10, 0,
				  POSTRX_RECV_WAITALL, 5) ||
		    io_uring_submit(&ring) != 1)
			_exit(15);
		if (px_wait_cqe(&ring, 20000, &ud, &res) || res != (32 << 10))
			_exit(16);
		_exit(px_verify(SEED, 0, big, 32 << 10) == -1 ? 0 : 17);
	}
	int acc = accept(self->rx.lfd, NULL, NULL);
	uint8_t *tmp = malloc(32 << 10);

	ASSERT_GE(acc, 0);
	px_pattern(SEED, 0, tmp, 32 << 10);
	ASSERT_EQ(32 << 10, write(acc, tmp, 32 << 10));
	EXPECT_EQ(0, px_wait_child(pid));
	close(acc);
	free(tmp);
}

TEST_HARNESS_MAIN
