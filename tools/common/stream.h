/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What postrx-recv and postrx-send share: the project's verifiable byte
 * stream and size parsing.
 *
 * The stream is the project's one test stream: byte i of stream @seed is a
 * function of (seed, i), so a receiver can check any piece of it on its
 * own.  The selftests use this definition too (selftests/postrx/
 * lib/postrx_test.h), so the tools and the tests can talk to each other.
 */
#ifndef POSTRX_TOOLS_STREAM_H
#define POSTRX_TOOLS_STREAM_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline uint64_t st_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static inline uint8_t st_byte(uint64_t seed, uint64_t off)
{
	return st_mix(seed ^ (off >> 3) * 0x100000001b3ULL) >> ((off & 7) * 8);
}

/* Fill @buf with bytes [off, off + len) of stream @seed. */
static inline void st_pattern(uint64_t seed, uint64_t off, void *buf,
			      size_t len)
{
	uint8_t *p = buf;
	size_t i = 0;

	/* Whole words where aligned: the sender must keep up with the link. */
	while (i < len && ((off + i) & 7))
		p[i] = st_byte(seed, off + i), i++;
	for (; i + 8 <= len; i += 8) {
		uint64_t w = st_mix(seed ^ ((off + i) >> 3) * 0x100000001b3ULL);

		memcpy(p + i, &w, 8);
	}
	for (; i < len; i++)
		p[i] = st_byte(seed, off + i);
}

/* Offset of the first byte of @buf that differs from the stream, or -1. */
static inline int64_t st_verify(uint64_t seed, uint64_t off, const void *buf,
				size_t len)
{
	const uint8_t *p = buf;
	uint8_t chunk[4096];
	size_t i, j, n;

	for (i = 0; i < len; i += n) {
		n = len - i < sizeof(chunk) ? len - i : sizeof(chunk);
		st_pattern(seed, off + i, chunk, n);
		if (memcmp(chunk, p + i, n))
			for (j = 0; j < n; j++)
				if (chunk[j] != p[i + j])
					return off + i + j;
	}
	return -1;
}

/*
 * "4096", "1M", "64KiB", "2g": bytes, with binary suffixes K, M, G, T.
 * 0 and *out set, or -EINVAL (not a size) / -ERANGE (overflows 64 bits).
 */
static inline int st_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')	/* strtoull would take "-1" */
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (shift && (!strcmp(end, "iB") || !strcmp(end, "B")))
		end += strlen(end);
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

#endif /* POSTRX_TOOLS_STREAM_H */
