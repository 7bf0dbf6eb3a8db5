// SPDX-License-Identifier: MIT
/*
 * Every prep helper fills the SQE exactly as uapi/linux/postrx.h documents.
 * Needs no kernel support: it only looks at SQEs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "liburing/postrx.h"

static int failed;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		failed++;						\
	}								\
} while (0)

static void dirty(struct io_uring_sqe *sqe)
{
	memset(sqe, 0xff, sizeof(*sqe));
}

static void common(struct io_uring_sqe *sqe, int fd, __u32 op)
{
	CHECK(sqe->opcode == IORING_OP_URING_CMD);
	CHECK(sqe->fd == fd);
	CHECK(sqe->cmd_op == op);
	CHECK(sqe->__pad1 == 0);
	CHECK(sqe->ioprio == 0);
	CHECK(sqe->personality == 0);
	CHECK(sqe->file_index == 0);
	CHECK(io_uring_postrx_sock_cmd(sqe)->resv == 0);
}

int main(void)
{
	struct io_uring_sqe sqe;
	struct postrx_query q;
	struct postrx_stats st;
	char buf[64] = { 0 };

	dirty(&sqe);
	io_uring_prep_postrx_recv(&sqe, 5, 9, buf, sizeof(buf), 3,
				  POSTRX_RECV_WAITALL);
	common(&sqe, 5, POSTRX_CMD_RECV);
	CHECK(sqe.flags == 0);
	CHECK(sqe.addr == (uintptr_t)buf);
	CHECK(sqe.len == sizeof(buf));
	CHECK(sqe.uring_cmd_flags == IORING_URING_CMD_FIXED);
	CHECK(sqe.buf_index == 3);
	CHECK(io_uring_postrx_sock_cmd(&sqe)->sockfd == 9);
	CHECK(io_uring_postrx_sock_cmd(&sqe)->flags == POSTRX_RECV_WAITALL);

	dirty(&sqe);
	io_uring_prep_postrx_recv_fixed_file(&sqe, 0, 9, buf, 7, 1, 0);
	common(&sqe, 0, POSTRX_CMD_RECV);
	CHECK(sqe.flags == IOSQE_FIXED_FILE);
	CHECK(sqe.buf_index == 1);
	CHECK(io_uring_postrx_sock_cmd(&sqe)->flags == 0);

	dirty(&sqe);
	io_uring_prep_postrx_query(&sqe, 4, &q);
	common(&sqe, 4, POSTRX_CMD_QUERY);
	CHECK(sqe.addr == (uintptr_t)&q);
	CHECK(sqe.len == sizeof(q));
	CHECK(sqe.uring_cmd_flags == 0);
	CHECK(sqe.buf_index == 0);
	CHECK(io_uring_postrx_sock_cmd(&sqe)->sockfd == 0);

	dirty(&sqe);
	io_uring_prep_postrx_stats(&sqe, 4, 11, &st);
	common(&sqe, 4, POSTRX_CMD_STATS);
	CHECK(sqe.addr == (uintptr_t)&st);
	CHECK(sqe.len == sizeof(st));
	CHECK(io_uring_postrx_sock_cmd(&sqe)->sockfd == 11);
	CHECK(io_uring_postrx_sock_cmd(&sqe)->flags == 0);

	dirty(&sqe);
	io_uring_prep_postrx_cancel(&sqe, 4, 11, 0x1234, 0);
	common(&sqe, 4, POSTRX_CMD_CANCEL);
	CHECK(sqe.addr == 0x1234);
	CHECK(sqe.len == 0);
	CHECK(io_uring_postrx_sock_cmd(&sqe)->sockfd == 11);

	dirty(&sqe);
	io_uring_prep_postrx_cancel(&sqe, 4, 11, 0, POSTRX_CANCEL_ALL);
	CHECK(io_uring_postrx_sock_cmd(&sqe)->flags == POSTRX_CANCEL_ALL);

	printf("helpers: %s\n", failed ? "FAILED" : "ok");
	return failed ? 1 : 0;
}
