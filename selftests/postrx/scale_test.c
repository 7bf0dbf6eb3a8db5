// SPDX-License-Identifier: GPL-2.0
/*
 * Many sockets at once, each with posted buffers: every one receives its own
 * stream exactly.  And the veth link with netem's loss, reordering and
 * duplication: TCP repairs the stream and the posted buffers hold it exactly.
 */
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "postrx_fixture.h"

#define NSOCK	1000
#define PER	3000	/* bytes per socket: one full 2048 buffer, one partial */

FIXTURE(scale)
{
	int unused;
};

FIXTURE_SETUP(scale)
{
}

FIXTURE_TEARDOWN(scale)
{
}

TEST_F_TIMEOUT(scale, thousand_sockets, 600)
{
	struct rlimit rl = { 4 * NSOCK + 64, 4 * NSOCK + 64 };
	static int cli[NSOCK], srv[NSOCK];
	struct io_uring ring;
	struct io_uring_params p = { .flags = IORING_SETUP_CQSIZE,
				     .cq_entries = 4 * NSOCK };
	uint8_t *mem, tmp[PER];
	int devfd, lfd, port, i, done = 0, res;
	static int got[NSOCK][2];
	__u64 ud;

	devfd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (devfd < 0)
		PX_NEED("%s: %s", POSTRX_DEVICE_PATH, strerror(errno));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, io_uring_queue_init_params(256, &ring, &p));
	mem = px_alloc(NSOCK * 2 * 2048);
	struct iovec iov = { mem, NSOCK * 2 * 2048 };

	ASSERT_EQ(0, io_uring_register_buffers(&ring, &iov, 1));
	lfd = px_listen(&px_lo4, &port);
	ASSERT_GE(lfd, 0);
	for (i = 0; i < NSOCK; i++) {
		cli[i] = px_connect(&px_lo4, port);
		ASSERT_GE(cli[i], 0);
		srv[i] = accept(lfd, NULL, NULL);
		ASSERT_GE(srv[i], 0);
	}
	/* Two buffers per socket: a full one, then one without WAITALL. */
	for (i = 0; i < NSOCK; i++) {
		ASSERT_NE(NULL, px_prep_recv(&ring, devfd, srv[i],
					     mem + i * 4096, 2048, 0,
					     POSTRX_RECV_WAITALL, i * 2));
		ASSERT_NE(NULL, px_prep_recv(&ring, devfd, srv[i],
					     mem + i * 4096 + 2048, 2048, 0, 0,
					     i * 2 + 1));
		if (i % 64 == 63 || i == NSOCK - 1)
			ASSERT_LT(0, io_uring_submit(&ring));
	}
	/* Each socket gets its own stream, seeded by its index. */
	for (i = 0; i < NSOCK; i++) {
		px_pattern(i, 0, tmp, PER);
		ASSERT_EQ(PER, write(cli[i], tmp, PER));
	}
	while (done < 2 * NSOCK) {
		ASSERT_EQ(0, px_wait_cqe(&ring, 30000, &ud, &res))
			TH_LOG("%d of %d completions", done, 2 * NSOCK);
		ASSERT_LT(ud, 2 * NSOCK);
		got[ud / 2][ud % 2] = res;
		done++;
	}
	for (i = 0; i < NSOCK; i++) {
		ASSERT_EQ(2048, got[i][0]) TH_LOG("socket %d", i);
		ASSERT_EQ(PER - 2048, got[i][1]) TH_LOG("socket %d", i);
		ASSERT_EQ(-1, px_verify(i, 0, mem + i * 4096, PER))
			TH_LOG("socket %d", i);
	}
	for (i = 0; i < NSOCK; i++) {
		close(cli[i]);
		close(srv[i]);
	}
	close(lfd);
	io_uring_queue_exit(&ring);
	close(devfd);
}

FIXTURE(netem)
{
	struct px_rx rx;
};

FIXTURE_VARIANT(netem)
{
	const struct px_link *link;
	size_t total;
};

/* reorder needs a delay to reorder against. */
#define NETEM_MIX "delay 1ms loss 1% reorder 5% 50% duplicate 1%"

static const struct px_link veth4_mix = {
	.name = "veth4", .family = AF_INET, .rx_addr = "10.99.0.1",
	.veth = true, .netem = NETEM_MIX,
};

static const struct px_link veth6_mix = {
	.name = "veth6", .family = AF_INET6, .rx_addr = "fd00:99::1",
	.veth = true, .netem = NETEM_MIX,
};

FIXTURE_VARIANT_ADD(netem, veth4_mix)
{
	.link = &veth4_mix,
	.total = 24 << 20,
};

FIXTURE_VARIANT_ADD(netem, veth6_mix)
{
	.link = &veth6_mix,
	.total = 24 << 20,
};

FIXTURE_SETUP(netem)
{
	PX_RX_OPEN(&self->rx, variant->link, 64, 0);
}

FIXTURE_TEARDOWN(netem)
{
	px_rx_close(&self->rx);
}

TEST_F_TIMEOUT(netem, stream_exact, 14400)
{
	static const struct { size_t size; unsigned int nbufs; __u32 flags; } t[] = {
		{ 65536, 16, POSTRX_RECV_WAITALL }, { 1 << 20, 4, 0 },
	};
	size_t i;

	/* Each buffer size is a path of its own: 1 GiB each when long. */
	size_t total = px_fault_volume(variant->total);

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int64_t got;

		if (self->rx.fd >= 0) {
			close(self->rx.fd);
			ASSERT_EQ(0, px_wait_child(self->rx.pid));
		}
		ASSERT_GE(px_rx_start(&self->rx, 42 + i, total, 1 << 16,
				      PX_END_CLOSE), 0);
		got = px_stream(&self->rx.ring, self->rx.devfd, self->rx.fd,
				t[i].size, t[i].nbufs, t[i].flags, 42 + i);
		EXPECT_EQ((int64_t)total, got)
			TH_LOG("buffers of %zu", t[i].size);
	}
	/* netem really did drop, reorder and duplicate: TCP saw it. */
	EXPECT_EQ(0, px_sh("ip netns exec " PX_NETNS " nstat -az TcpRetransSegs "
			   "| sed -n 's/^Tcp/# sender: Tcp/p'; "
			   "nstat -az TcpExtTCPOFOQueue TcpExtTCPDSACKOldSent "
			   "| sed -n 's/^Tcp/# receiver: Tcp/p'"));
}

TEST_HARNESS_MAIN
