#!/usr/bin/env bash
# make demo: boot the stock guest under -icount (guest time counts
# instructions, so copies cost what their instructions cost: DESIGN.md
# section 7, docs/bench.md), with two emulated NVMe disks, and run
# selftests/postrx/demo.sh in it; then print the table and draw it
# (scripts/demo-report.py) into DEMO_OUT (default build/demo).
#
# DEMO_BYTES (default 1 GiB) and DEMO_REPS (3) size the runs, DEMO_RUNS
# picks them ("postrx plain veth"); DEMO_ICOUNT=0 runs under plain TCG
# wall time instead (not comparable: it hides copies).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${DEMO_OUT:-$top/build/demo}
vmdir=${POSTRX_VM_DIR:-$top/build/vm/demo}
env="DEMO_BYTES=${DEMO_BYTES:-1073741824} DEMO_REPS=${DEMO_REPS:-3}"
[ -n "${DEMO_RUNS:-}" ] && env="$env DEMO_RUNS=\"$DEMO_RUNS\""
env="$env ${POSTRX_GUEST_ENV:-}"
# The bench's clock and CPU model (bench/run.sh says why -cx16).
extra="-icount shift=0,sleep=${DEMO_ICOUNT_SLEEP:-off} -cpu qemu64,-cx16"
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
