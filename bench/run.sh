#!/usr/bin/env bash
# make bench: boot the stock guest once under -icount (guest time counts
# instructions, so copies cost what their instructions cost; see DESIGN.md
# section 7) and run bench/guest-bench.sh; aggregate to bench/results/.
# QUICK=1 moves 64 MiB per run, 3 runs; the default 1 GiB, 5 runs.
# RXBENCH_LINKS, RXBENCH_PATHS and RXBENCH_SIZES narrow the matrix.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${QUICK:-0}" = 1 ]; then
	export RXBENCH_BYTES=$((64 << 20)) RXBENCH_REPS=3
fi
env="RXBENCH_BYTES=${RXBENCH_BYTES:-1073741824} RXBENCH_REPS=${RXBENCH_REPS:-5}"
for v in RXBENCH_LINKS RXBENCH_PATHS RXBENCH_SIZES; do
	[ -n "${!v:-}" ] && env="$env $v=\"${!v}\""
done
vmdir=$top/build/vm/bench
mkdir -p "$top/bench/results"
POSTRX_VM_DIR=$vmdir \
POSTRX_QEMU_EXTRA="-icount shift=0,sleep=off" \
POSTRX_GUEST_ENV="$env" \
	bash "$top/selftests/vm/run.sh" --kernel stock --timeout 14400 \
	--test-timeout 14000 -- bench/guest-bench.sh || true
python3 "$top/bench/report.py" "$vmdir/console.log" \
	"$top/bench/results/latest.json" "$top/bench/results/latest.md" \
	"$(cat "$top/build/.deps")"
