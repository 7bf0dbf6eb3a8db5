# Judge a guest console log written by init.sh (see run.sh).
# Counts kselftest totals per program, falls back to the exit status for
# programs without one, and scans the kernel log for splats.

function finish_prog() {
	if (!inprog)
		return
	if (!rcseen) {
		failed++
		printf "# %s: did not finish\n", prog
	} else if (!totals) {
		if (rc == 0) passed++
		else if (rc == 4) skipped++
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
	prog = $2; inprog = 1; rcseen = 0; totals = 0; progfail = 0
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
