// SPDX-License-Identifier: GPL-2.0
/*
 * postrx-recv: what it tells.  The progress line while receiving, and the
 * summary at the end, as text or as one JSON object.
 */
#include <stdio.h>
#include <string.h>

#include "recv.h"

void show_progress(struct rx *rx)
{
	double t = now(), secs = rx->t0 ? t - rx->t0 : 0;

	if (!rx->progress || t - rx->last_progress < 1)
		return;
	rx->last_progress = t;
	fprintf(stderr, "\r" PROG ": %u/%llu connections, %.1f MiB, %.3f Gbit/s   ",
		rx->accepted, (unsigned long long)rx->o.nconn,
		rx->total_rx / 1048576.0,
		secs > 0 ? rx->total_rx * 8 / secs / 1e9 : 0.0);
}

struct totals {
	uint64_t bytes, placed, copied_rx, copied_late, direct, fallback;
	double secs, cpu, gbps, cpu_per_gib;
	struct bt_split split;	/* seconds per GiB, each side */
};

static void sum_up(struct rx *rx, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned int i = 0; i < rx->accepted; i++) {
		struct conn *c = &rx->conns[i];

		t->bytes += c->rx_bytes;
		t->placed += c->st.placed_bytes;
		/* recv() copies every byte; there are no postrx stats. */
		t->copied_rx += rx->o.plain ? c->rx_bytes : c->st.copied_rx_bytes;
		t->copied_late += c->st.copied_late_bytes;
		t->direct += c->direct_bytes;
		t->fallback += c->fallback_bytes;
	}
	t->cpu = rx->t0 ? cpu_seconds() - rx->cpu0 : 0;
	t->secs = rx->t0 ? rx->t1 - rx->t0 : 0;
	t->gbps = t->secs > 0 ? t->bytes * 8 / t->secs / 1e9 : 0;
	t->cpu_per_gib = t->bytes ? t->cpu / (t->bytes / 1073741824.0) : 0;
	if (rx->snapped && t->bytes) {
		double gib = t->bytes / 1073741824.0;

		bt_split(&rx->snap0, &rx->snap1, &t->split);
		t->split.busy /= gib;
		t->split.receive /= gib;
		t->split.send /= gib;
		t->split.device /= gib;
	}
}

static void json_string(const char *s)
{
	putchar('"');
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *mode_name(const struct rx *rx)
{
	return rx->o.plain ? "plain" : "postrx";
}

/* The "files" array's members: each connection's bytes, file or error. */
static void report_json_files(struct rx *rx)
{
	for (unsigned int i = 0; i < rx->accepted; i++) {
		struct conn *c = &rx->conns[i];

		printf("%s{\"id\": %u, \"bytes\": %llu, \"path\": ", i ? ", " : "",
		       c->id, (unsigned long long)c->rx_bytes);
		json_string(c->failed ? NULL : c->path);
		printf(", \"error\": ");
		json_string(c->failed ? c->errmsg : "");
		printf("}");
	}
}

static void report_json(struct rx *rx, const struct totals *t)
{
	printf("{\"mode\": \"%s\", \"connections\": %u, \"failed\": %u, "
	       "\"bytes\": %llu, "
	       "\"seconds\": %.4f, \"throughput_gbps\": %.3f, "
	       "\"cpu_seconds\": %.4f, \"cpu_s_per_gib\": %.4f, "
	       "\"machine_cpu_s_per_gib\": %.4f, \"rx_cpu_s_per_gib\": %.4f, "
	       "\"tx_cpu_s_per_gib\": %.4f, \"device_cpu_s_per_gib\": %.4f, "
	       "\"placed_bytes\": %llu, \"copied_rx_bytes\": %llu, "
	       "\"copied_late_bytes\": %llu, \"write_direct_bytes\": %llu, "
	       "\"write_fallback_bytes\": %llu, \"odirect\": %s, "
	       "\"waitall\": %s, \"buffer_size\": %llu, \"queue_depth\": %llu, "
	       "\"files\": [",
	       mode_name(rx), rx->accepted, rx->nfailed,
	       (unsigned long long)t->bytes, t->secs, t->gbps, t->cpu, t->cpu_per_gib,
	       t->split.busy, t->split.receive, t->split.send, t->split.device,
	       (unsigned long long)t->placed, (unsigned long long)t->copied_rx,
	       (unsigned long long)t->copied_late, (unsigned long long)t->direct,
	       (unsigned long long)t->fallback,
	       rx->odirect_warned ? "false" : "true",
	       rx->o.waitall ? "true" : "false",
	       (unsigned long long)rx->o.bufsize,
	       (unsigned long long)rx->o.qdepth);
	report_json_files(rx);
	printf("]}\n");
}

static void report_text(struct rx *rx, const struct totals *t)
{
	for (unsigned int i = 0; i < rx->accepted; i++) {
		struct conn *c = &rx->conns[i];

		printf("connection %u: %llu bytes, %s%s\n", c->id,
		       (unsigned long long)c->rx_bytes,
		       c->failed ? "FAILED: " : "", c->failed ? c->errmsg :
		       c->path);
	}
	printf("mode: %s\n", rx->o.plain ?
	       "plain (recv() into user memory, pwrite())" :
	       "postrx (posted buffers, IORING_OP_WRITE_FIXED)");
	printf("%llu bytes in %.3f s: %.3f Gbit/s; %u connection(s), %u failed\n",
	       (unsigned long long)t->bytes, t->secs, t->gbps, rx->accepted,
	       rx->nfailed);
	printf("cpu: %.3f s per GiB (user+sys of this process, %.3f s; softirq not included)\n",
	       t->cpu_per_gib, t->cpu);
	printf("machine cpu: %.3f s per GiB: receive side %.3f, send side %.3f, device %.3f\n",
	       t->split.busy, t->split.receive, t->split.send, t->split.device);
	printf("receive: placed by the device %llu, copied by the kernel at receive %llu, copied late %llu\n",
	       (unsigned long long)t->placed, (unsigned long long)t->copied_rx,
	       (unsigned long long)t->copied_late);
	printf("write: %llu bytes with O_DIRECT, %llu through the page cache (fallback)\n",
	       (unsigned long long)t->direct, (unsigned long long)t->fallback);
}

void report(struct rx *rx)
{
	struct totals t;

	sum_up(rx, &t);
	if (rx->o.json)
		report_json(rx, &t);
	else if (!rx->o.quiet)
		report_text(rx, &t);
}
