// SPDX-License-Identifier: GPL-2.0
/*
 * bench_idle: each CPU's idle and iowait time in microseconds, for the
 * bench's CPU accounting (tools/common/busytime.h).
 *
 * /proc/stat has the same two figures, exact under NO_HZ (tick-sched.c
 * accounts every idle period and ends one when an interrupt comes in),
 * but in USER_HZ units of 10 ms: over a 256 MiB run two CPUs' readings
 * at both ends leave up to 0.08 s per GiB of doubt (not, as it turned
 * out, what made runs of one path differ: docs/bench.md, "Method").
 * The kernel keeps them in nanoseconds and exports them
 * (get_cpu_idle_time_us(), get_cpu_iowait_time_us(), which also count
 * the idle period a CPU is in as it is read); this file shows them in
 * microseconds.
 *
 * /proc/bench_idle, one line per online CPU: "cpuN IDLE_US IOWAIT_US".
 */
#include <linux/cpumask.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/tick.h>

static int bench_idle_show(struct seq_file *m, void *v)
{
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		u64 idle = get_cpu_idle_time_us(cpu, NULL);
		u64 iowait = get_cpu_iowait_time_us(cpu, NULL);

		/* -1: NO_HZ is off, and /proc/stat is the only source. */
		if (idle == (u64)-1 || iowait == (u64)-1)
			return -ENODEV;
		seq_printf(m, "cpu%u %llu %llu\n", cpu, idle, iowait);
	}
	return 0;
}

static int __init bench_idle_init(void)
{
	if (!proc_create_single("bench_idle", 0444, NULL, bench_idle_show))
		return -ENOMEM;
	return 0;
}

static void __exit bench_idle_exit(void)
{
	remove_proc_entry("bench_idle", NULL);
}

module_init(bench_idle_init);
module_exit(bench_idle_exit);
MODULE_DESCRIPTION("Per-CPU idle and iowait time in microseconds, for benchmarks");
MODULE_LICENSE("GPL");
