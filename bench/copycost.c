// SPDX-License-Identifier: GPL-2.0
/*
 * copycost: what one GiB of copying costs on the guest's clock, for each
 * of the instruction sequences the kernel picks for a bulk copy on x86-64.
 *
 * recv() copies with copy_to_user(); postrx's copy at receive goes into
 * the posted pages through the kernel mapping, so with memcpy().  On a
 * CPU with FSRM both are "rep movsb".  On the bench's CPU model (qemu64:
 * no ERMS, no FSRM) they differ: copy_to_user() takes "rep movsq" for
 * anything of 64 bytes or more, memcpy() a loop of four 8-byte loads and
 * four stores per 32 bytes.  Under -icount every instruction is one tick
 * of guest time and a "rep" iteration counts as one instruction, so the
 * two do not cost the same per byte, although on hardware both run at
 * memory speed.  This program measures each sequence on the guest clock
 * (CLOCK_MONOTONIC; guest time under -icount), 4 KiB at a time between
 * page-aligned buffers, as both receive paths copy page by page.
 *
 *	copycost [MiB]		(default 1024)
 *
 * Prints one bench record per sequence:
 *	BENCH {"kind": "copycost", "path": NAME, "s_per_gib": S}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK		4096
#define NCHUNKS		256	/* 1 MiB of source, cycled */

/* rep movsq: copy_to_user() without ERMS/FSRM (rep_movs_alternative). */
static void copy_movsq(void *dst, const void *src, size_t n)
{
	size_t q = n / 8;

	asm volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(q) : : "memory");
}

/* rep movsb: memcpy() and copy_to_user() on a CPU with FSRM. */
static void copy_movsb(void *dst, const void *src, size_t n)
{
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

/*
 * Four 8-byte loads, four stores, two pointer updates, a count and a
 * branch per 32 bytes: the shape of the kernel's memcpy() on a CPU
 * without FSRM (memcpy_orig in arch/x86/lib/memcpy_64.S).  n is a
 * multiple of 32 here.
 */
static void copy_loop32(void *dst, const void *src, size_t n)
{
	asm volatile("1:\n\t"
		     "movq 0(%1), %%r8\n\t"
		     "movq 8(%1), %%r9\n\t"
		     "movq 16(%1), %%r10\n\t"
		     "movq 24(%1), %%r11\n\t"
		     "leaq 32(%1), %1\n\t"
		     "movq %%r8, 0(%0)\n\t"
		     "movq %%r9, 8(%0)\n\t"
		     "movq %%r10, 16(%0)\n\t"
		     "movq %%r11, 24(%0)\n\t"
		     "leaq 32(%0), %0\n\t"
		     "subq $32, %2\n\t"
		     "jnz 1b"
		     : "+r"(dst), "+r"(src), "+r"(n)
		     : : "r8", "r9", "r10", "r11", "memory", "cc");
}

/* The C library's memcpy(), for reference. */
static void copy_libc(void *dst, const void *src, size_t n)
{
	memcpy(dst, src, n);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double run(void (*copy)(void *, const void *, size_t), char *dst,
		  const char *src, size_t chunks)
{
	double t0 = now_ns();
	size_t i;

	for (i = 0; i < chunks; i++) {
		size_t at = (i % NCHUNKS) * CHUNK;

		copy(dst + at, src + at, CHUNK);
	}
	return now_ns() - t0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*copy)(void *, const void *, size_t);
	} seqs[] = {
		{ "rep_movsq", copy_movsq },
		{ "loop32", copy_loop32 },
		{ "rep_movsb", copy_movsb },
		{ "libc_memcpy", copy_libc },
	};
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 1024;
	size_t chunks = mib * (1 << 20) / CHUNK;
	char *src, *dst;
	unsigned int i;

	if (!mib || posix_memalign((void **)&src, 4096, NCHUNKS * CHUNK) ||
	    posix_memalign((void **)&dst, 4096, NCHUNKS * CHUNK)) {
		fprintf(stderr, "usage: copycost [MiB]\n");
		return 2;
	}
	memset(src, 0x5a, NCHUNKS * CHUNK);
	memset(dst, 0, NCHUNKS * CHUNK);
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		double ns = run(seqs[i].copy, dst, src, chunks);

		if (memcmp(dst, src, NCHUNKS * CHUNK)) {
			fprintf(stderr, "copycost: %s copied wrong bytes\n",
				seqs[i].name);
			return 1;
		}
		memset(dst, 0, NCHUNKS * CHUNK);
		printf("BENCH {\"kind\": \"copycost\", \"path\": \"%s\", \"s_per_gib\": %.4f}\n",
		       seqs[i].name, ns * 1024 / mib / 1e9);
	}
	return 0;
}
