/* SPDX-License-Identifier: GPL-2.0 */
/*
 * postrx internal interfaces shared by the files of postrx.ko.
 */
#ifndef _POSTRX_INTERNAL_H
#define _POSTRX_INTERNAL_H

#include <linux/fs.h>

struct io_uring_cmd;

/* uring.c: the one entry point io_uring calls for /dev/postrx. */
int postrx_uring_cmd(struct io_uring_cmd *ioucmd, unsigned int issue_flags);

#endif /* _POSTRX_INTERNAL_H */
