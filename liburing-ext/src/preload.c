// SPDX-License-Identifier: MIT
/*
 * liburing-ext-preload.so: drop-in mode with no code change.
 * LD_PRELOAD it in front of an application linked with liburing; every ring
 * the application creates is enabled (where postrx is present).
 */
extern int io_uring_postrx_preload;

__attribute__((constructor)) static void postrx_preload_init(void)
{
	io_uring_postrx_preload = 1;
}
