// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: TCP streams to files, through posted receive buffers.
 *
 * Each connection gets QDEPTH registered, 4 KiB-aligned buffers of BUFSIZE
 * bytes, all posted with POSTRX_CMD_RECV (liburing-ext).  The stream fills
 * them in posting order; a filled buffer is written to the connection's
 * file at its stream offset with IORING_OP_WRITE_FIXED from the same
 * registered buffer, O_DIRECT where the file system allows it, and posted
 * again once the write is done.  User space never copies a byte: the data
 * is copied once by the kernel at receive (or placed by the NIC), and
 * O_DIRECT hands the same pages to the block layer.
 *
 * Everything runs in one thread on one ring; user_data says what a
 * completion belongs to.  See --help and README.md for the interface.
 *
 * --plain is the baseline to compare with: the same connections, files,
 * checks and summary, but each connection receives with recv() into one
 * ordinary aligned buffer, which the kernel copies every byte into, and
 * writes it with pwrite(), O_DIRECT where postrx would use it.  It runs in
 * a poll() loop and needs neither /dev/postrx nor io_uring.
 *
 * The parts, one concern a file, around the state in recv.h: args.c (the
 * command line), setup.c (module, ring, buffers), sockets.c (listening,
 * --connect), submit.c (SQEs), pieces.c (writes planned), conn.c (a
 * connection's life), output.c (the files), complete.c (the ring's loop
 * and completions), plain.c (--plain), report.c (progress, summary).
 * This file: main(), the order of set-up, and signals.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "recv.h"

volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	interrupted = sig;
}

static int start(struct rx *rx)
{
	int *socks, ret;

	if (!rx->o.connect) {
		ret = setup_listen(rx);
		if (!ret)
			arm_accept(rx);
		return ret;
	}
	socks = calloc(rx->o.nconn, sizeof(*socks));
	if (!socks)
		return EXIT_SETUP;
	ret = connect_all(rx, socks);
	for (unsigned int i = 0; !ret && i < rx->o.nconn; i++)
		conn_start(rx, rx->accepted++, socks[i]);
	free(socks);
	return ret;
}

/* Everything before the first connection; an exit status on failure. */
static int setup(struct rx *rx)
{
	int ret = check_output(rx);

	if (!ret && rx->o.plain)	/* the buffers only: no ring, no registration */
		ret = alloc_buffers(rx);
	if (!ret && !rx->o.plain)
		ret = check_postrx(&rx->o);
	if (!ret && !rx->o.plain)
		ret = setup_ring(rx);
	if (!ret)
		ret = setup_conns(rx);
	return ret;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: a signal must end the wait for completions. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Connect or listen, receive until every stream ended, and report. */
static int run(struct rx *rx)
{
	int ret = start(rx);

	if (!ret || rx->accepted) {
		ret = (rx->o.plain ? plain_loop(rx) : event_loop(rx)) ?: ret;
		report(rx);
	}
	if (!rx->o.plain)
		io_uring_queue_exit(&rx->ring);
	return ret;
}

int main(int argc, char **argv)
{
	struct rx rx = { .o = { .port = DEFAULT_PORT, .bufsize = 1 << 20,
				.qdepth = 16, .nconn = 1, .waitall = true },
			 .devfd = -1, .lfd = -1 };
	int ret;

	ret = parse_args(argc, argv, &rx.o);
	if (!ret)
		ret = setup(&rx);
	if (ret)
		return ret;
	catch_signals();
	rx.progress = !rx.o.quiet && isatty(STDERR_FILENO);
	ret = run(&rx);
	if (ret)
		return ret;
	if (interrupted || rx.nfailed || rx.accepted < rx.o.nconn)
		return EXIT_FAIL;
	return 0;
}
