#!/bin/sh
# liburing's own test suite, from Debian's liburing source package
# (make liburing-patched builds it, scripts/liburing-patched.sh), run four
# ways in the guest; each test must end the same way in all four (pass,
# fail or skip, by its exit status: 0, 77 skip, else fail):
#
#   plain     the unpatched tests, linked statically against Debian's
#             unpatched liburing.a, as upstream links them
#   patched   the same tests linked statically against the patched
#             liburing.a: drop-in mode present, not enabled
#   dropin    those, with LIBURING_POSTRX=1: every ring enabled
#   preload   the unpatched tests linked against Debian's liburing.so.2,
#             under LD_PRELOAD=liburing-ext-preload.so (five tests that
#             liburing 2.3's shared library cannot link run statically
#             linked, as in "plain": docs/testing.md)
#
# By default a subset: the tests of receiving, sending, registered files
# and buffers and of submission (a smaller one on the debug kernel;
# docs/testing.md says why); with POSTRX_LONG=1 all of them.  LIBURING_EXT_VERBOSE=1 makes drop-in mode
# say at each ring's exit how many receives it upgraded: the sums are
# printed, so that the run shows where drop-in mode was at work.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
lp=$POSTRX_TOP/build/liburing-patched
preload=$POSTRX_TOP/build/liburing-ext/liburing-ext-preload.so
per_test=60	# seconds, upstream's runtests.sh limit

# Fourteen by default (about two minutes for the four ways), the ones
# nearest to what drop-in mode touches; the rest with POSTRX_LONG=1.
subset="defer-taskrun file-register file-update fixed-buf-iter fixed-link
	link nop recv-msgall recv-msgall-stream recv-multishot rsrc_tags
	send_recvmsg socket-rw submit-and-wait"
# The debug kernel is many times slower: five tests closest to what
# drop-in mode touches (a receive, registered buffers with tags and
# updates, the descriptor numbers file-update counts on, DEFER_TASKRUN).
debug_subset="defer-taskrun file-update fixed-buf-iter recv-msgall rsrc_tags"

ktap_header
for d in "$lp/suite/test" "$lp/tree/liburing/test" "$lp/suite/test-dyn"; do
	if [ ! -x "$d/nop.t" ]; then
		echo "1..0 # liburing's tests are not built: make liburing-patched ($d)"
		echo "Bail out! no $d/nop.t"
		exit 1
	fi
done
if [ "${POSTRX_LONG:-0}" = 1 ]; then
	# exec-target is a helper that timeout.t executes, not a test.
	tests=$(cd "$lp/suite/test" && for t in *.t; do echo "${t%.t}"; done | grep -vx exec-target)
	echo "# all of liburing's tests (POSTRX_LONG=1)"
elif [ "${POSTRX_KERNEL:-stock}" = debug ]; then
	tests=$debug_subset
	echo "# liburing's tests of receives and registered buffers and files (debug kernel; all with POSTRX_LONG=1)"
else
	tests=$subset
	echo "# liburing's tests of receive, send, registration and submission (all with POSTRX_LONG=1)"
fi

# run CONFIG DIR [ENV...]: each test once, its outcome into $work/CONFIG.
run() {
	cfg=$1 dir=$2
	shift 2
	rm -rf "${work:?}/$cfg.d"
	mkdir -p "$work/$cfg.d"
	# Tests write their files into the current directory; timeout.t
	# executes ./exec-target.t.
	ln -s "$dir/exec-target.t" "$work/$cfg.d/exec-target.t"
	: >"$work/$cfg"
	start=$(date +%s)
	for t in $tests; do
		bin=$dir/$t.t
		[ -x "$bin" ] || bin=$lp/suite/test/$t.t	# preload: see above
		(cd "$work/$cfg.d" && env "$@" timeout -s KILL $per_test "$bin" \
			>"$work/$cfg.d/$t.out" 2>&1)
		case $? in
		0) r=pass ;;
		77) r=skip ;;
		*) r=fail ;;
		esac
		up=$(awk '/liburing-ext: drop-in upgraded/ { n += $4 } END { print n + 0 }' \
			"$work/$cfg.d/$t.out")
		echo "$t $r $up" >>"$work/$cfg"
	done
	echo "# $cfg: $(awk '{ n[$2]++ } END { printf "%d pass, %d fail, %d skip", n["pass"], n["fail"], n["skip"] }' "$work/$cfg"), $(($(date +%s) - start)) s"
}

work_dir lu
run plain "$lp/suite/test"
run patched "$lp/tree/liburing/test"
run dropin "$lp/tree/liburing/test" LIBURING_POSTRX=1 LIBURING_EXT_VERBOSE=1
run preload "$lp/suite/test-dyn" LD_PRELOAD="$preload" LIBURING_EXT_VERBOSE=1

for t in $tests; do
	line=
	for cfg in plain patched dropin preload; do
		line="$line $(awk -v t="$t" '$1 == t { print $2 }' "$work/$cfg")"
	done
	up=$(awk -v t="$t" '$1 == t && $3 > 0 { f = FILENAME; sub(/.*\//, "", f)
			s = s sep f " " $3; sep = ", " }
		END { if (s != "") print "receives upgraded: " s }' "$work/dropin" "$work/preload")
	# shellcheck disable=SC2086 # the four outcomes
	set -- $line
	if [ "$1" = "$2" ] && [ "$1" = "$3" ] && [ "$1" = "$4" ]; then
		result 0 "liburing $t: $1 in all four${up:+; $up}"
		# liburing 2.3's tests against a newer kernel: say why.
		[ "$1" = pass ] || sed "s/^/# $t: /" "$work/plain.d/$t.out" | tail -3
	else
		result 1 "liburing $t: plain $1, patched $2, dropin $3, preload $4${up:+; $up}"
		for cfg in plain patched dropin preload; do
			sed "s/^/# $cfg: /" "$work/$cfg.d/$t.out" | tail -5
		done
	fi
done
ktap_finished
