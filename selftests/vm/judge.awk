# Judge a guest console log written by init.sh (see run.sh).
# Counts kselftest totals per program, falls back to the exit status for
# programs without one, and scans the kernel log for splats.
#
# expected (from run.sh): the programs that must have run, in the order
# init.sh runs them: vm-setup, each test and its refs-after-<test>, and
# vm-teardown.  Each one that did not begin, or that began but was not
# asked for, is one failure: a part that silently goes missing (a test not
# built, a guest that stops early, a runner that skips a program) fails
# the run instead of shrinking it.

function finish_prog() {
	if (!inprog)
		return
	if (!rcseen) {
		failed++
		printf "# %s: did not finish\n", prog
	} else if (!totals) {
		# "1..0 # SKIP reason" with status 0 is a skip too, not a pass.
		if (rc == 0 && !plan0) passed++
		else if (rc == 0 || rc == 4) {
			skipped++
			printf "# %s: skipped%s\n", prog, plan0 ? ": " plan0 : ""
		}
		else { failed++; printf "# %s: exit status %d\n", prog, rc }
	} else if (rc != 0 && rc != 4 && progfail == 0) {
		failed++
		printf "# %s: exit status %d with no failed test\n", prog, rc
	}
	inprog = 0
}

function splat(line) {
	if (line ~ /loading out-of-tree module taints kernel/ ||
	    line ~ /module verification failed/)
		return 0
	return line ~ /BUG:|WARNING:|Oops|Call Trace|Kernel panic|general protection fault|KASAN:|UBSAN:|ODEBUG:|kmemleak: [0-9]+ new suspected|unreferenced object|possible circular locking|possible recursive locking|inconsistent lock state|turning off the locking correctness validator|lockdep is turned off|INFO: task .* blocked|rcu_.*detected stalls|soft lockup|hard LOCKUP/
}

/^POSTRX-BEGIN / {
	finish_prog()
	prog = $2; inprog = 1; rcseen = 0; totals = 0; progfail = 0; plan0 = ""
	ran[prog]++
	next
}
inprog && /^1\.\.0([^0-9]|$)/ {
	plan0 = $0
	sub(/^1\.\.0 *(# *)?(SKIP|skip)? */, "", plan0)
	if (plan0 == "") plan0 = "no tests planned"
	next
}
/^POSTRX-END / {
	rc = $3; sub(/^rc=/, "", rc); rc += 0; rcseen = 1
	finish_prog()
	next
}
inprog && /^# Totals: / {
	for (i = 3; i <= NF; i++) {
		split($i, kv, ":")
		if (kv[1] == "pass" || kv[1] == "xfail") passed += kv[2]
		else if (kv[1] == "fail" || kv[1] == "xpass" || kv[1] == "error") { failed += kv[2]; progfail += kv[2] }
		else if (kv[1] == "skip") skipped += kv[2]
	}
	totals = 1
	next
}
/^POSTRX-DMESG-BEGIN/ { indmesg = 1; dmesgseen = 1; next }
/^POSTRX-DMESG-END/ { indmesg = 0; next }
/^POSTRX-DONE/ { done = 1; next }
{
	# Kernel lines: the dmesg dump, and console lines with a timestamp
	# (printed before the dump if the guest died).
	if ((indmesg || $0 ~ /^\[ *[0-9]+\.[0-9]+\]/) && splat($0)) {
		if (!(($0) in seen)) {
			seen[$0] = 1
			nsplat++
			if (nsplat <= 40)
				printf "# kernel: %s\n", $0
		}
	}
}
END {
	finish_prog()
	# The set that ran against the set that should have run.
	nexp = split(expected, exp_list, /[ \t\n]+/)
	nmissing = 0
	for (i = 1; i <= nexp; i++) {
		if (exp_list[i] == "")
			continue
		want[exp_list[i]] = 1
		if (!(exp_list[i] in ran)) {
			nmissing++
			if (nmissing <= 40)
				printf "# %s: never ran\n", exp_list[i]
		}
	}
	if (nexp && nmissing) {
		printf "not ok - %s: %d of the expected programs never ran\n", flavour, nmissing
		failed += nmissing
	}
	for (p in ran) {
		if (nexp && !(p in want)) {
			printf "not ok - %s: %s ran but was not expected\n", flavour, p
			failed++
		} else if (ran[p] > 1) {
			printf "not ok - %s: %s ran %d times\n", flavour, p, ran[p]
			failed++
		}
	}
	if (qrc == 124 || qrc == 137) {
		printf "# guest killed after %d s timeout\n", timeout
		failed++
	} else if (!done || !dmesgseen) {
		printf "# guest did not finish (qemu exit %d)\n", qrc
		failed++
	}
	if (nsplat) {
		printf "not ok - %s kernel log has %d splat line(s)\n", flavour, nsplat
		failed++
	} else if (dmesgseen) {
		printf "ok - %s kernel log clean\n", flavour
		passed++
	}
	printf "%s: %d passed, %d failed, %d skipped\n", flavour, passed, failed, skipped
	exit failed ? 1 : 0
}
