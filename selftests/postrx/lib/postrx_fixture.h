/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kselftest-harness tests share beyond the library's functions:
 * skipping or failing when something is missing, the variants most tests
 * run in, and the set-up of a struct px_rx inside a FIXTURE_SETUP.
 * Include after kselftest_harness.h.
 */
#ifndef POSTRX_FIXTURE_H
#define POSTRX_FIXTURE_H

/* What every test program uses, so that each lists only its own. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "postrx_test.h"

/*
 * Something the test needs is missing (@fmt says what).  The guest runner
 * (selftests/vm/) loads postrx.ko and exports POSTRX_KO before any test
 * runs, make builds pxnic.ko beside it, and both of the runner's kernels
 * (Debian's stock one and selftests/vm/debug.config) have what the tests
 * ask of the kernel (kTLS, sockmap, netem): under the runner a missing
 * one is a failure, not a skip.  Run by hand elsewhere (a host that
 * cannot load modules, another kernel), the test is skipped with the
 * reason.  The message is built before anything else touches errno.
 */
#define PX_NEED(fmt, ...) do {						\
	if (getenv("POSTRX_KO")) {					\
		TH_LOG("missing under the runner: " fmt, ##__VA_ARGS__); \
		ASSERT_TRUE(0);						\
	}								\
	SKIP(return, fmt, ##__VA_ARGS__);				\
} while (0)

/*
 * The four links, as variants of @f, whose FIXTURE_VARIANT has a member
 * `const struct px_link *link`: loopback and veth, IPv4 and IPv6.
 */
#define PX_LINK_VARIANTS(f)						\
	FIXTURE_VARIANT_ADD(f, lo4) { .link = &px_lo4 };		\
	FIXTURE_VARIANT_ADD(f, lo6) { .link = &px_lo6 };		\
	FIXTURE_VARIANT_ADD(f, veth4) { .link = &px_veth4 };		\
	FIXTURE_VARIANT_ADD(f, veth6) { .link = &px_veth6 }

/*
 * 64 and 128 byte SQEs, as variants of @f, whose FIXTURE_VARIANT has a
 * member `unsigned int setup_flags` for io_uring_queue_init().
 */
#define PX_SQE_VARIANTS(f)						\
	FIXTURE_VARIANT_ADD(f, sqe64) { .setup_flags = 0 };		\
	FIXTURE_VARIANT_ADD(f, sqe128) { .setup_flags = IORING_SETUP_SQE128 }

/*
 * In a FIXTURE_SETUP: px_rx_open() @rx over @l, with a ring of @entries
 * and @ring_flags; a missing device or pxnic goes to PX_NEED, any other
 * failure fails the test.
 */
#define PX_RX_OPEN(rx, l, entries, ring_flags) do {			\
	const char *__why = "";						\
	int __ret = px_rx_open(rx, l, entries, ring_flags, &__why);	\
									\
	if (__ret == PX_RX_MISSING)					\
		PX_NEED("%s", __why);					\
	ASSERT_EQ(0, __ret) TH_LOG("%s", __why);			\
} while (0)

#endif /* POSTRX_FIXTURE_H */
