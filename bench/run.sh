#!/usr/bin/env bash
# make bench: boot the stock guest once under -icount (guest time counts
# instructions, so copies cost what their instructions cost; see DESIGN.md
# section 7) and run bench/guest-bench.sh; aggregate to bench/results/.
# QUICK=1 moves 64 MiB per run, one run each, two sizes, a shorter
# latency run and the scale run up to 100 sockets; the default 512 MiB,
# 3 runs, four sizes, 2000 round trips and 1 to 10,000 sockets (2 runs):
# with one vCPU most rows' runs lie within 2% of their median.  RXBENCH_LINKS,
# RXBENCH_PATHS, RXBENCH_SIZES, RXBENCH_LAT_ROUNDS and RXBENCH_SCALE
# narrow the matrix (SIZES=none, LAT_ROUNDS=0, SCALE=none: none of them);
# RXBENCH_SMP sets the guest's vCPUs (1; see below).
# RXBENCH_OUT: where the report goes (bench/results, which is tracked: a
# QUICK run there replaces the recorded full run's files).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${QUICK:-0}" = 1 ]; then
	export RXBENCH_BYTES=$((64 << 20)) RXBENCH_REPS=1
	export RXBENCH_SIZES=${RXBENCH_SIZES:-"4096 1048576"}
	export RXBENCH_LAT_ROUNDS=${RXBENCH_LAT_ROUNDS:-300}
	export RXBENCH_SCALE=${RXBENCH_SCALE:-"1 100"} RXBENCH_SCALE_REPS=1
	export RXBENCH_FIO_SIZES=${RXBENCH_FIO_SIZES:-1048576}
fi
env="RXBENCH_BYTES=${RXBENCH_BYTES:-536870912} RXBENCH_REPS=${RXBENCH_REPS:-3}"
for v in RXBENCH_LINKS RXBENCH_PATHS RXBENCH_SIZES RXBENCH_LAT_ROUNDS \
	 RXBENCH_SCALE RXBENCH_SCALE_PATHS RXBENCH_SCALE_REPS RXBENCH_IPERF3 RXBENCH_FIO \
	 RXBENCH_FIO_SIZES RXBENCH_COPYCOST RXBENCH_PXNIC_COALESCE \
	 RXBENCH_PXNIC_RX_SIZES RXBENCH_PXNIC_TX_SIZES \
	 RXBENCH_POSTRX_PARAMS; do
	[ -n "${!v:-}" ] && env="$env $v=\"${!v}\""
done
vmdir=${RXBENCH_VM_DIR:-$top/build/vm/bench}
# -cx16: the guest kernel then never runs cmpxchg16b. With it, long runs
# crashed the guest now and then in SLUB right after a cmpxchg16b, epoll
# runs too; without it, 159 GiB of the same runs did not
# (docs/reliability.md). The later -cpu replaces run.sh's.
bash "$top/scripts/deps.sh" bench >/dev/null
# The guest's exact idle time (bench/kmod); without it /proc/stat's.
make -s -C "$top" bench-kmod >/dev/null
out=${RXBENCH_OUT:-$top/bench/results}
mkdir -p "$out"
# One vCPU (RXBENCH_SMP, default 1): under -icount the emulator runs all
# vCPUs in one host thread, in turns, on one instruction clock, so with
# two a busy CPU's time also counts what the other executed meanwhile,
# and a waiter spinning on a lock burns its whole turn while the holder
# waits for its own.  With one, each instruction is counted once, for
# what ran it.  Throughput gains nothing from a second one: the clock
# counts every vCPU's instructions either way (docs/bench.md, "One vCPU").
smp=${RXBENCH_SMP:-1}
POSTRX_VM_DIR=$vmdir \
POSTRX_QEMU_EXTRA="-icount shift=0,sleep=off -cpu qemu64,-cx16 -smp $smp" \
POSTRX_GUEST_ENV="$env" \
	bash "$top/selftests/vm/run.sh" --kernel stock --mem 3072 --timeout 14400 \
	--test-timeout 14000 -- bench/guest-bench.sh || true
# Debian's python3, where the plotting library was installed; a full run
# (not QUICK) into bench/results also puts its tables into docs/bench.md.
docs=--docs
[ "${QUICK:-0}" = 1 ] && docs=
[ -n "${RXBENCH_OUT:-}" ] && docs=
/usr/bin/python3 "$top/bench/report.py" $docs "$out" \
	"$(cat "$top/build/.deps")" "$vmdir/console.log"
