// SPDX-License-Identifier: MIT
/* Probing reports what the module serves; exit 77 without postrx. */
#include <errno.h>
#include <stdio.h>

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
	if (q.version != POSTRX_UAPI_VERSION ||
	    !(q.commands & POSTRX_CMD_BIT(POSTRX_CMD_RECV)) ||
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
	printf("probe: version %u, commands %#llx\n", q.version,
	       (unsigned long long)q.commands);
	return 0;
}
