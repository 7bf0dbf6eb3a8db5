/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CPU time as the benchmarks and the tools measure it (DESIGN.md section
 * 7, docs/bench.md "Busy time"): the busy time of all CPUs over a
 * transfer, split into the sending side (the sender's tasks, by their
 * exact run time), the device (the pxnic engine threads: the NIC's work,
 * reported apart) and the receiving side, which is everything else: the
 * receiver, its softirqs, NAPI, interrupts and completions.  The one
 * place this is done; rxbench, rxscale and postrx-recv use it.
 */
#ifndef POSTRX_TOOLS_BUSYTIME_H
#define POSTRX_TOOLS_BUSYTIME_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static inline double bt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Idle and iowait time of all CPUs in seconds from /proc/bench_idle, the
 * bench guest's module (bench/kmod/bench_idle.c): the same figures as
 * /proc/stat's, in microseconds rather than 10 ms units.  Also the number
 * of CPUs in *@ncpu; negative without that file.
 */
static inline double bt_idle_seconds_exact(int *ncpu)
{
	unsigned long long idle_us, iowait_us, sum = 0;
	FILE *f = fopen("/proc/bench_idle", "r");

	*ncpu = 0;
	if (!f)
		return -1;
	while (fscanf(f, "%*s %llu %llu", &idle_us, &iowait_us) == 2) {
		sum += idle_us + iowait_us;
		(*ncpu)++;
	}
	fclose(f);
	return *ncpu ? sum / 1e6 : -1;
}

/*
 * Sum over CPUs of non-idle time, in seconds: each CPU's wall time minus
 * its idle and iowait time, from /proc/bench_idle where the bench loaded
 * it, else from /proc/stat (10 ms units).  With NO_HZ those two are
 * exact (tick-sched.c accounts every idle period, and ends one when an
 * interrupt comes in), while the busy fields are only sampled by the
 * tick, which misses work in interrupts on an idle CPU (the tick is
 * stopped there) and work the tick itself sets off (timers; under -icount
 * in lockstep with it): by 0.1-0.4 s per GiB in the bench's runs.
 * Negative if neither can be read.
 */
static inline double bt_busy_seconds(void)
{
	unsigned long long v[8], idle = 0;
	double wall = bt_now(), exact;
	char line[256];
	int ncpu = 0;
	FILE *f;

	exact = bt_idle_seconds_exact(&ncpu);
	if (exact >= 0)
		return ncpu * wall - exact;
	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "cpu", 3) || line[3] < '0' || line[3] > '9')
			continue;
		if (sscanf(line, "%*s %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7]) != 8) {
			ncpu = 0;
			break;
		}
		idle += v[3] + v[4];	/* idle, iowait */
		ncpu++;
	}
	fclose(f);
	if (!ncpu)
		return -1;
	return ncpu * wall - idle / (double)sysconf(_SC_CLK_TCK);
}

static inline unsigned long long bt_schedstat_ns(const char *path)
{
	unsigned long long ns = 0;
	FILE *f = fopen(path, "r");

	if (f && fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	if (f)
		fclose(f);
	return ns;
}

/*
 * Run time in seconds of every thread of process @pid ("self" for this
 * one), from each thread's schedstat (exact, ns): io_uring's io-wq
 * workers are threads of the process that submitted.  0 for NULL or a
 * process that is gone (so a sender must live until it was measured).
 */
static inline double bt_task_seconds(const char *pid)
{
	unsigned long long ns = 0;
	char path[300];
	struct dirent *d;
	DIR *dir;

	if (!pid || !*pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	dir = opendir(path);
	if (!dir) {
		snprintf(path, sizeof(path), "/proc/%s/schedstat", pid);
		return bt_schedstat_ns(path) / 1e9;
	}
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid,
			 d->d_name);
		ns += bt_schedstat_ns(path);
	}
	closedir(dir);
	return ns / 1e9;
}

/* Summed run time of the tasks @pids lists, space-separated (or NULL). */
static inline double bt_tasks_seconds(const char *pids)
{
	char copy[512], *p, *save;
	double s = 0;

	if (!pids)
		return 0;
	snprintf(copy, sizeof(copy), "%s", pids);
	for (p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save))
		s += bt_task_seconds(p);
	return s;
}

/* The pid written to @file (first line), in @buf; NULL if there is none. */
static inline char *bt_read_pid(const char *file, char *buf, size_t len)
{
	char *pid = NULL;
	FILE *f;

	if (!file)
		return NULL;
	f = fopen(file, "r");
	if (f && fgets(buf, len, f))
		pid = strtok(buf, "\n");
	if (f)
		fclose(f);
	return pid;
}

/* Who is who, by pid: the sender and its device's threads, the device. */
struct bt_roles {
	const char *sender;		/* the sending process */
	const char *sender_tasks;	/* its NIC's NAPI threads (pxnic) */
	const char *device_tasks;	/* the NIC engines (pxnic) */
};

struct bt_snap {
	double wall, busy, send, device;
};

static inline void bt_snap(const struct bt_roles *r, struct bt_snap *s)
{
	s->wall = bt_now();
	s->busy = bt_busy_seconds();
	s->send = bt_task_seconds(r->sender) + bt_tasks_seconds(r->sender_tasks);
	s->device = bt_tasks_seconds(r->device_tasks);
}

/* Seconds between two snapshots, per side. */
struct bt_split {
	double wall, busy, receive, send, device;
};

static inline void bt_split(const struct bt_snap *a, const struct bt_snap *b,
			    struct bt_split *d)
{
	d->wall = b->wall - a->wall;
	d->busy = b->busy - a->busy;
	d->send = b->send - a->send;
	d->device = b->device - a->device;
	d->receive = d->busy - d->send - d->device;
}

#endif /* POSTRX_TOOLS_BUSYTIME_H */
