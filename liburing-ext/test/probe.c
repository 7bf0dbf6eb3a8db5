// SPDX-License-Identifier: MIT
/*
 * Probing reports what the module serves, and a socket's statistics come
 * back on a private ring; exit 77 without postrx.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "liburing/postrx.h"

int main(void)
{
	struct postrx_query q;
	int ret = io_uring_postrx_probe(&q);

	if (ret == -ENOENT) {
		printf("probe: no postrx here, skipped\n");
		return 77;
	}
	if (ret) {
		fprintf(stderr, "probe: %s\n", strerror(-ret));
		return 1;
	}
	if (!(q.commands & POSTRX_CMD_BIT(POSTRX_CMD_RECV)) ||
	    !(q.recv_flags & POSTRX_RECV_WAITALL) || !q.max_posted) {
		fprintf(stderr, "probe: unexpected answer\n");
		return 1;
	}
	/* Errors come back as -errno. */
	if (io_uring_postrx_upgraded(NULL) != -ENOENT ||
	    io_uring_postrx_disable(NULL) != -ENOENT) {
		fprintf(stderr, "probe: bad errno\n");
		return 1;
	}
	/*
	 * STATS: zeros for a TCP socket nothing was posted on, the kernel's
	 * refusal for a socket that is not TCP.
	 */
	struct postrx_stats st;
	int devfd = io_uring_postrx_open();
	int tcp = socket(AF_INET, SOCK_STREAM, 0);
	int unx[2];

	if (devfd < 0 || tcp < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, unx) ||
	    io_uring_postrx_sock_stats(devfd, tcp, &st) || st.completed ||
	    st.posted ||
	    io_uring_postrx_sock_stats(devfd, unx[0], &st) != -EPROTONOSUPPORT) {
		fprintf(stderr, "probe: sock_stats\n");
		return 1;
	}
	close(tcp);
	close(unx[0]);
	close(unx[1]);
	close(devfd);
	printf("probe: version %u, commands %#llx\n", q.version,
	       (unsigned long long)q.commands);
	return 0;
}
