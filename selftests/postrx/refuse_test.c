// SPDX-License-Identifier: GPL-2.0
/*
 * POSTRX_CMD_RECV refusals: every bad input gets its documented errno and
 * changes nothing; the socket stays fully usable by recv() and by a later
 * valid post.
 */
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define SEED 0xbad

FIXTURE(refuse)
{
	struct px_rx rx;	/* rx.pid: a sender of 3000 bytes, holding */
	long saved_user_limit;	/* max_posted_per_user to restore, or -1 */
};

FIXTURE_VARIANT(refuse)
{
	unsigned int setup_flags;
};

PX_SQE_VARIANTS(refuse);

FIXTURE_SETUP(refuse)
{
	self->saved_user_limit = -1;
	PX_RX_OPEN(&self->rx, &px_lo4, 16, variant->setup_flags);
	ASSERT_EQ(0, px_rx_register(&self->rx, 1 << 16));
	ASSERT_GE(px_rx_start(&self->rx, SEED, 3000, 3000, PX_END_HOLD), 0);
	ASSERT_EQ(3000, px_wait_queued(self->rx.fd, 3000));
}

FIXTURE_TEARDOWN(refuse)
{
	if (self->saved_user_limit >= 0)
		px_postrx_param("max_posted_per_user", self->saved_user_limit);
	px_rx_close(&self->rx);
}

static int post(FIXTURE_DATA(refuse) *self, int sockfd, void *addr,
		__u32 len, __u32 flags)
{
	if (!px_prep_recv(&self->rx.ring, self->rx.devfd, sockfd, addr, len, 0,
			  flags, 1))
		return -ENOMEM;
	return postrx_submit_wait(&self->rx.ring);
}

/* After a refusal the socket is untouched: 1000 bytes by recv() work. */
static void socket_untouched(struct __test_metadata *_metadata,
			     FIXTURE_DATA(refuse) *self, uint64_t off)
{
	char tmp[1000];

	ASSERT_EQ(1000, recv(self->rx.fd, tmp, sizeof(tmp), MSG_WAITALL));
	EXPECT_EQ(-1, px_verify(SEED, off, tmp, sizeof(tmp)));
}

TEST_F(refuse, field_checks)
{
	struct io_uring_sqe *sqe;
	int i;

	/* Not a registered buffer: IORING_URING_CMD_FIXED is required. */
	ASSERT_NE(NULL, sqe = px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					   self->rx.buf, 100, 0, 0, 1));
	sqe->uring_cmd_flags = 0;
	EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->rx.ring));
	/* A buffer index the ring does not have: io_uring refuses it. */
	ASSERT_NE(NULL, sqe = px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					   self->rx.buf, 100, 3, 0, 1));
	EXPECT_EQ(-EFAULT, postrx_submit_wait(&self->rx.ring));
	/* Outside the registered buffer, before, across and after it. */
	EXPECT_EQ(-EFAULT, post(self, self->rx.fd, self->rx.buf - 4096, 100, 0));
	EXPECT_EQ(-EFAULT, post(self, self->rx.fd, self->rx.buf + 65000, 1000, 0));
	EXPECT_EQ(-EFAULT, post(self, self->rx.fd, self->rx.buf + (1 << 16), 1, 0));
	EXPECT_EQ(-EINVAL, post(self, self->rx.fd, self->rx.buf, 0, 0));
	EXPECT_EQ(-EINVAL, post(self, self->rx.fd, self->rx.buf, POSTRX_RECV_MAX + 1, 0));
	EXPECT_EQ(-EINVAL, post(self, self->rx.fd, self->rx.buf, 100, 1U << 1));
	EXPECT_EQ(-EINVAL, post(self, self->rx.fd, self->rx.buf, 100, 1U << 31));
	/* Reserved bytes of the command area, and past it with SQE128. */
	for (i = sizeof(struct postrx_sock_cmd) - 8;
	     i < (int)postrx_cmd_area_size(&self->rx.ring); i++) {
		ASSERT_NE(NULL, sqe = px_prep_recv(&self->rx.ring, self->rx.devfd,
						   self->rx.fd, self->rx.buf, 100, 0,
						   0, 1));
		sqe->cmd[i] = 0x80;
		EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->rx.ring)) TH_LOG("byte %d", i);
	}
	ASSERT_NE(NULL, sqe = px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					   self->rx.buf, 100, 0, 0, 1));
	sqe->ioprio = 3;
	EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->rx.ring));
	ASSERT_NE(NULL, sqe = px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					   self->rx.buf, 100, 0, 0, 1));
	sqe->file_index = 2;
	EXPECT_EQ(-EINVAL, postrx_submit_wait(&self->rx.ring));
	socket_untouched(_metadata, self, 0);
}

TEST_F(refuse, not_a_tcp_socket)
{
	int pfd[2], udp, unx, raw6;

	EXPECT_EQ(-EBADF, post(self, -1, self->rx.buf, 100, 0));
	EXPECT_EQ(-EBADF, post(self, 100000, self->rx.buf, 100, 0));
	ASSERT_EQ(0, pipe(pfd));
	EXPECT_EQ(-ENOTSOCK, post(self, pfd[0], self->rx.buf, 100, 0));
	EXPECT_EQ(-ENOTSOCK, post(self, self->rx.devfd, self->rx.buf, 100, 0));
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	EXPECT_EQ(-EPROTONOSUPPORT, post(self, udp, self->rx.buf, 100, 0));
	unx = socket(AF_UNIX, SOCK_STREAM, 0);
	EXPECT_EQ(-EPROTONOSUPPORT, post(self, unx, self->rx.buf, 100, 0));
	raw6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
	EXPECT_EQ(-EPROTONOSUPPORT, post(self, raw6, self->rx.buf, 100, 0));
	close(pfd[0]);
	close(pfd[1]);
	close(udp);
	close(unx);
	close(raw6);
	socket_untouched(_metadata, self, 0);
}

TEST_F(refuse, not_connected)
{
	int fresh = socket(AF_INET, SOCK_STREAM, 0);
	char tmp[16];

	EXPECT_EQ(-ENOTCONN, post(self, fresh, self->rx.buf, 100, 0));
	EXPECT_EQ(-ENOTCONN, post(self, self->rx.lfd, self->rx.buf, 100, 0));
	/* The listener still accepts and its sockets still read. */
	int c = px_connect(&px_lo4, self->rx.port);
	int a = accept(self->rx.lfd, NULL, NULL);

	ASSERT_GE(c, 0);
	ASSERT_GE(a, 0);
	ASSERT_EQ(5, write(c, "hello", 5));
	EXPECT_EQ(5, recv(a, tmp, sizeof(tmp), 0));
	close(a);
	close(c);
	close(fresh);
	socket_untouched(_metadata, self, 0);
}

/* A socket whose receive path kTLS owns is refused, and kTLS stays. */
TEST_F(refuse, ktls_socket_busy)
{
	if (setsockopt(self->rx.fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")))
		PX_NEED("no kTLS: %s", strerror(errno));
	EXPECT_EQ(-EBUSY, post(self, self->rx.fd, self->rx.buf, 100, 0));
	socket_untouched(_metadata, self, 0);
}

static int bpf(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* A socket in a sockmap is refused; one of ours cannot join a sockmap. */
TEST_F(refuse, sockmap_busy)
{
	union bpf_attr attr;
	int map, key = 0, c2, a2;
	__u64 ud;
	int res;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_SOCKMAP;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 2;
	map = bpf(BPF_MAP_CREATE, &attr);
	if (map < 0)
		PX_NEED("no sockmap: %s", strerror(errno));
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)&self->rx.fd;
	ASSERT_EQ(0, bpf(BPF_MAP_UPDATE_ELEM, &attr));
	EXPECT_EQ(-EBUSY, post(self, self->rx.fd, self->rx.buf, 100, 0));
	attr.value = 0;
	ASSERT_EQ(0, bpf(BPF_MAP_DELETE_ELEM, &attr)) TH_LOG("%s", strerror(errno));
	socket_untouched(_metadata, self, 0);

	/* Now the other way round, on a second connection. */
	c2 = px_connect(&px_lo4, self->rx.port);
	a2 = accept(self->rx.lfd, NULL, NULL);
	ASSERT_GE(a2, 0);
	ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, a2, self->rx.buf,
				     100, 0, 0, 5));
	ASSERT_EQ(1, io_uring_submit(&self->rx.ring));
	attr.value = (uintptr_t)&a2;
	EXPECT_NE(0, bpf(BPF_MAP_UPDATE_ELEM, &attr));
	EXPECT_EQ(EBUSY, errno);
	/* ... nor take kTLS while it is ours. */
	EXPECT_NE(0, setsockopt(a2, SOL_TCP, TCP_ULP, "tls", sizeof("tls")));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(3, write(c2, "abc", 3));
	ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
	EXPECT_EQ(3, res);
	EXPECT_EQ(0, memcmp(self->rx.buf, "abc", 3));
	close(c2);
	close(a2);
	close(map);
}

/* Cancel every buffer posted on the socket; its own completion has ~1. */
static int cancel_all(FIXTURE_DATA(refuse) *self)
{
	struct io_uring_sqe *sqe = postrx_get_cmd_sqe(&self->rx.ring, self->rx.devfd,
						      POSTRX_CMD_CANCEL, NULL, 0);
	struct postrx_sock_cmd *cmd = (void *)sqe->cmd;

	cmd->sockfd = self->rx.fd;
	cmd->flags = POSTRX_CANCEL_ALL;
	sqe->user_data = ~1ULL;
	return io_uring_submit(&self->rx.ring);
}

/* Posting more than max_posted buffers on one socket: -ENOBUFS. */
TEST_F(refuse, too_many_posted)
{
	struct postrx_query q;
	struct postrx_stats st;
	unsigned int i, n;
	__u64 ud;
	int res;

	ASSERT_NE(NULL, postrx_get_cmd_sqe(&self->rx.ring, self->rx.devfd,
					   POSTRX_CMD_QUERY, &q, sizeof(q)));
	ASSERT_EQ(sizeof(q), postrx_submit_wait(&self->rx.ring));
	/* Take the 3000 queued bytes out of the way first. */
	socket_untouched(_metadata, self, 0);
	socket_untouched(_metadata, self, 1000);
	socket_untouched(_metadata, self, 2000);
	for (i = 0, n = 0; i < q.max_posted; i++) {
		ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					     self->rx.buf, 16, 0, 0, i));
		n++;
		if (n == 8 || i + 1 == q.max_posted) {
			ASSERT_EQ(n, io_uring_submit(&self->rx.ring));
			n = 0;
		}
	}
	ASSERT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd, &st));
	EXPECT_EQ(q.max_posted, st.posted);
	EXPECT_EQ(-ENOBUFS, post(self, self->rx.fd, self->rx.buf, 16, 0));
	/* Cancel them all; each completes once, with -ECANCELED. */
	ASSERT_EQ(1, cancel_all(self));
	for (i = 0; i <= q.max_posted; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		if (ud == ~1ULL) {
			EXPECT_EQ((int)q.max_posted, res);
		} else {
			EXPECT_EQ(-ECANCELED, res);
		}
	}
	EXPECT_EQ(-ETIME, px_wait_cqe(&self->rx.ring, 100, &ud, &res));
}

TEST_HARNESS_MAIN

/*
 * A user may have max_posted_per_user buffers posted at once, over all its
 * sockets: one more is refused with -EDQUOT and changes nothing, and the
 * quota comes back as buffers complete.
 */
TEST_F(refuse, too_many_posted_per_user)
{
	struct postrx_stats st;
	unsigned int n;
	__u64 ud;
	int i, res;

	self->saved_user_limit = px_postrx_param("max_posted_per_user", 4);
	ASSERT_LE(0, self->saved_user_limit);
	for (i = 0; i < 4; i++)
		ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					     self->rx.buf + 8192 * i, 1000, 0,
					     POSTRX_RECV_WAITALL, i));
	ASSERT_EQ(4, io_uring_submit(&self->rx.ring));
	/* The 3000 queued bytes fill three; the fourth waits. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		EXPECT_EQ(i, ud);
		EXPECT_EQ(1000, res);
	}
	/* Three are completed: the user has one posted, three to go. */
	for (i = 4; i < 7; i++)
		ASSERT_NE(NULL, px_prep_recv(&self->rx.ring, self->rx.devfd, self->rx.fd,
					     self->rx.buf + 8192 * i, 16, 0, 0, i));
	ASSERT_EQ(3, io_uring_submit(&self->rx.ring));
	EXPECT_EQ(-EDQUOT, post(self, self->rx.fd, self->rx.buf, 16, 0));
	ASSERT_EQ(sizeof(st), px_stats(&self->rx.ring, self->rx.devfd, self->rx.fd, &st));
	EXPECT_EQ(4, st.posted);
	ASSERT_EQ(1, cancel_all(self));
	for (i = 0, n = 3; i < 5; i++) {
		ASSERT_EQ(0, px_wait_cqe(&self->rx.ring, 10000, &ud, &res));
		if (ud == ~1ULL) {
			EXPECT_EQ(4, res);
			continue;
		}
		/* In posting order: 3, then 4, 5, 6. */
		EXPECT_EQ(n, ud);
		EXPECT_EQ(-ECANCELED, res);
		n++;
	}
	EXPECT_EQ(-ETIME, px_wait_cqe(&self->rx.ring, 100, &ud, &res));
	ASSERT_EQ(4, px_postrx_param("max_posted_per_user",
				     self->saved_user_limit));
	self->saved_user_limit = -1;
}
