#!/usr/bin/env bash
# Run the whole selftest suite in the guest on the stock kernel, the debug
# kernel, or both ("all"), and print one summary line for everything.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
kernels=${1:-stock}
[ "$kernels" = all ] && kernels="stock debug"

# The suite is every test in the sources, not whatever happens to be
# built: a program that is missing from build/selftests still goes to the
# guest and fails there (run.sh fails each one that did not run), instead
# of silently dropping out of the count.
tests=$(cd "$top/selftests/postrx" && ls *_test.c 2>/dev/null | sed 's/\.c$//' | sort)
tests="$tests $(cd "$top/selftests/postrx" && ls *_test.sh 2>/dev/null | sort)"
tests=$(echo $tests)
[ -n "$tests" ] || { echo "# no tests in $top/selftests/postrx"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
for t in $tests; do
	case "$t" in
	*.sh) ;;
	*) [ -x "$top/build/selftests/$t" ] || echo "# $t: not built (build/selftests/$t missing)" ;;
	esac
done

# LONG=1 (make check LONG=1): the long suite: 1 GiB through each fault
# path, 1,000,000 fuzzed commands per SQE size, 1000 rounds of each race.
timeout=3600 test_timeout=1800
if [ "${LONG:-0}" = 1 ]; then
	export POSTRX_GUEST_ENV="${POSTRX_GUEST_ENV:-} POSTRX_LONG=1 POSTRX_FUZZ_ITERATIONS=1000000"
	timeout=86400 test_timeout=43200
fi

passed=0 failed=0 skipped=0
for k in $kernels; do
	out=$(mktemp)
	# Whole-suite and per-program limits: generous, they only catch hangs
	# (the debug kernel moves data some 16 times slower).
	bash "$top/selftests/vm/run.sh" --kernel "$k" --timeout "$timeout" \
		--test-timeout "$test_timeout" -- $tests | tee "$out"
	line=$(grep -E "^$k: [0-9]+ passed, [0-9]+ failed" "$out" | tail -1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "# $k: the runner gave no result"
		failed=$((failed + 1))
		continue
	fi
	read -r p f s < <(echo "$line" | sed -E 's/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped/\1 \2 \3/')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
