// SPDX-License-Identifier: GPL-2.0
/*
 * postrx_query: ask the running postrx module, through io_uring, which
 * uAPI version and commands it serves, and print the answer.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "postrx_test.h"

static const char *const cmd_names[] = {
	[POSTRX_CMD_QUERY] = "QUERY",
	[POSTRX_CMD_RECV] = "RECV",
	[POSTRX_CMD_STATS] = "STATS",
	[POSTRX_CMD_CANCEL] = "CANCEL",
};

int main(void)
{
	struct postrx_query q = { 0 };
	struct io_uring ring;
	int fd, ret, c;

	fd = open(POSTRX_DEVICE_PATH, O_RDWR);
	if (fd < 0) {
		perror(POSTRX_DEVICE_PATH);
		return 1;
	}
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret) {
		fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-ret));
		return 1;
	}
	if (!postrx_get_cmd_sqe(&ring, fd, POSTRX_CMD_QUERY, &q, sizeof(q)))
		return 1;
	ret = postrx_submit_wait(&ring);
	if (ret < 0) {
		fprintf(stderr, "POSTRX_CMD_QUERY: %s\n", strerror(-ret));
		return 1;
	}
	printf("postrx uAPI version %u (%d bytes of query)\n", q.version, ret);
	printf("commands:");
	for (c = 0; c < 64; c++) {
		if (!(q.commands & POSTRX_CMD_BIT(c)))
			continue;
		if (c < (int)(sizeof(cmd_names) / sizeof(cmd_names[0])) &&
		    cmd_names[c])
			printf(" %s", cmd_names[c]);
		else
			printf(" %d", c);
	}
	printf("\nrecv flags: %#llx\n", (unsigned long long)q.recv_flags);
	printf("max posted per socket: %u, max buffer: %u bytes\n",
	       q.max_posted, q.max_recv_len);
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
