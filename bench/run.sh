#!/usr/bin/env bash
# make bench: boot the stock guest once under -icount (guest time counts
# instructions, so copies cost what their instructions cost; see DESIGN.md
# section 7) and run bench/guest-bench.sh; aggregate to bench/results/.
# QUICK=1 moves 64 MiB per run, 3 runs; the default 1 GiB, 5 runs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "${QUICK:-0}" = 1 ]; then
	export RXBENCH_BYTES=$((64 << 20)) RXBENCH_REPS=3
fi
mkdir -p "$top/bench/results"
POSTRX_QEMU_EXTRA="-icount shift=0,sleep=off" \
POSTRX_GUEST_ENV="RXBENCH_BYTES=${RXBENCH_BYTES:-1073741824} RXBENCH_REPS=${RXBENCH_REPS:-5}" \
	bash "$top/selftests/vm/run.sh" --kernel stock --timeout 7200 \
	--test-timeout 7000 -- bench/guest-bench.sh || true
python3 "$top/bench/report.py" "$top/build/vm/stock/console.log" \
	"$top/bench/results/latest.json" "$top/bench/results/latest.md" \
	"$(cat "$top/build/.deps")"
