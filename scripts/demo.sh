#!/usr/bin/env bash
# make demo: boot the stock guest under -icount (guest time counts
# instructions, so copies cost what their instructions cost: DESIGN.md
# section 7, docs/bench.md), with two emulated NVMe disks, and run
# selftests/postrx/demo.sh in it; then print the table and draw it
# (scripts/demo-report.py) into DEMO_OUT (default build/demo).
#
# DEMO_BYTES (default 1 GiB) and DEMO_REPS (3) size the runs, DEMO_RUNS
# picks them ("postrx plain veth"), DEMO_BENCH_PATHS the rxbench runs
# beside them ("postrx epoll"), DEMO_RX_QUEUE the receiver's posted
# buffers (256); DEMO_ICOUNT=0 runs under plain TCG wall time instead
# (not comparable: it hides copies).
#
# -icount with sleep=on, where the bench has sleep=off: with sleep=off an
# idle guest's clock jumps to its next timer at once, so every wait for
# the emulated disk (whose I/O QEMU does in real time) lasted until some
# timer, up to hundreds of ms of guest time (plain, with synchronous
# reads: 0.04 Gbit/s).  With sleep=on an idle guest's clock runs at real
# time, so a disk wait costs what it costs the host.  Busy time is
# counted in instructions either way: the rxbench runs in the same guest
# give make bench's figures (docs/bench.md, "make demo and the bench").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${DEMO_OUT:-$top/build/demo}
vmdir=${POSTRX_VM_DIR:-$top/build/vm/demo}
env="DEMO_BYTES=${DEMO_BYTES:-1073741824} DEMO_REPS=${DEMO_REPS:-3}"
for v in DEMO_RUNS DEMO_BENCH_PATHS DEMO_RX_QUEUE; do
	[ -n "${!v+set}" ] && env="$env $v=\"${!v}\""
done
env="$env ${POSTRX_GUEST_ENV:-}"
# The bench's clock, CPU model and single vCPU (bench/run.sh says why
# -cx16 and why one vCPU; DEMO_SMP sets another count).
extra="-icount shift=0,sleep=${DEMO_ICOUNT_SLEEP:-on} -cpu qemu64,-cx16 -smp ${DEMO_SMP:-1}"
[ "${DEMO_ICOUNT:-1}" = 0 ] && extra=
bash "$top/scripts/deps.sh" demo >/dev/null
mkdir -p "$out"
start=$(date +%s)
rc=0
POSTRX_VM_DIR=$vmdir POSTRX_NVME_DISKS=2 \
POSTRX_QEMU_EXTRA="$extra ${POSTRX_QEMU_EXTRA:-}" POSTRX_GUEST_ENV="$env" \
	bash "$top/selftests/vm/run.sh" --kernel stock --mem 3072 --timeout 1500 \
	--test-timeout 1400 -- demo.sh || rc=$?
# The disk images are only needed during the run.
rm -f "$vmdir"/nvme*.img
/usr/bin/python3 "$top/scripts/demo-report.py" "$vmdir/console.log" "$out" \
	"$(( $(date +%s) - start ))" || rc=1
exit $rc
