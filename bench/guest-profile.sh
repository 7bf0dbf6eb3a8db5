#!/bin/sh
# Runs in the guest: where the receive side's CPU goes, per path.  For
# each path of RXBENCH_PATHS over RXBENCH_LINKS, one rxbench run of
# RXBENCH_BYTES at RXBENCH_SIZES with the whole guest sampled by perf
# (cpu-clock, which under -icount ticks with instructions), then the
# top symbols, the top tasks, and the callers of RXBENCH_PROFILE_SYMS.
# One sample per RXBENCH_PERF_PERIOD instructions (20000; a 4 KiB run
# needs about 100000, or perf's own work crowds out what it measures).
# RXBENCH_PROFILE_OFFSETS="sym ...": also where inside each of those
# symbols the samples fell (sym+0xoff, to look up in the object file).
# RXBENCH_PROFILE_CHILDREN="comm,...": also each function with its
# callees, in those tasks only.
#
#   POSTRX_QEMU_EXTRA="-icount shift=0,sleep=off -smp 1" \
#   POSTRX_GUEST_ENV='RXBENCH_LINKS=pxnic RXBENCH_PATHS="epoll postrx"' \
#	selftests/vm/run.sh --kernel stock --mem 3072 -- bench/guest-profile.sh
#
# RXBENCH_PROFILE=counters instead takes every task's exact run time
# and /proc/stat's fields over an unprofiled run (counters_profile() below);
# RXBENCH_PROFILE=events counts how often chosen functions and tracepoints
# ran (events_profile() below).
set -u
bin=$POSTRX_BIN/rxbench
bytes=${RXBENCH_BYTES:-$((256 << 20))}
sizes=${RXBENCH_SIZES:-1048576}
links=${RXBENCH_LINKS:-pxnic}
paths=${RXBENCH_PATHS:-"epoll postrx"}
syms=${RXBENCH_PROFILE_SYMS:-"kfree memcpy_orig _raw_spin_unlock_irqrestore"}
port=7600
n=0
fail=0

. "$POSTRX_TOP/bench/guest-link.sh"	# link_up, link_down, pids

# The sender runs as "rxsend", so that its samples can be told from the
# receiver's; the report's "receive side" leaves out the sender, its
# device's NAPI thread, the device engines and perf itself.
perf_profile() {
	rm -f /tmp/rx.out /tmp/perf.data
	ln -sf "$bin" /tmp/rxsend	# a link: its rpath follows the target
	"$bin" recv "$2" $port "$bytes" "$3" >/tmp/rx.out &
	rx=$!
	while ! grep -q ready /tmp/rx.out 2>/dev/null; do sleep 0.05; done
	perf record -q -a -g -e cpu-clock -c ${RXBENCH_PERF_PERIOD:-20000} -o /tmp/perf.data -- \
		ip netns exec pxtx /tmp/rxsend send 10.99.0.1 $port "$bytes" \
		>/dev/null 2>&1
	wait $rx || { kill $rx 2>/dev/null; return 1; }
	echo "# ==== $1 $2 $3: $(grep '^{' /tmp/rx.out)"
	echo "# -- tasks"
	perf report -i /tmp/perf.data --stdio --no-children -g none \
		--sort comm --percent-limit 1 2>/dev/null |
		grep -v '^$' | grep -v '^#' | sed 's/^/#   /'
	echo "# -- task and symbol"
	perf report -i /tmp/perf.data --stdio --no-children -g none \
		--sort comm,sym --percent-limit 0.2 2>/dev/null |
		grep -v '^$' | grep -v '^#' | sed 's/^/#   /'
	# What each function costs with all it calls, in the tasks of
	# RXBENCH_PROFILE_CHILDREN ("comm,comm"): where a per-buffer cost
	# spreads over many small functions.
	[ -n "${RXBENCH_PROFILE_CHILDREN:-}" ] && {
		echo "# -- with callees, in $RXBENCH_PROFILE_CHILDREN"
		perf report -i /tmp/perf.data --stdio --children -g none \
			--comms "$RXBENCH_PROFILE_CHILDREN" --sort sym \
			--percent-limit 0.3 2>/dev/null |
			grep -v '^$' | grep -v '^#' | head -60 | sed 's/^/#   /'
	}
	# Where inside a symbol the samples fell: offsets to resolve
	# against the object file (objdump -d, addr2line).
	[ -n "${RXBENCH_PROFILE_OFFSETS:-}" ] &&
		perf script -i /tmp/perf.data -G -F ip,sym,symoff \
			>/tmp/perf.script 2>/dev/null
	for s in ${RXBENCH_PROFILE_OFFSETS:-}; do
		echo "# -- sample offsets in $s"
		awk -v s="$s" '{ for (i = 1; i <= NF; i++)
				if ($i ~ "^" s "\\+0x") n[$i]++ }
			END { for (k in n) print n[k], k }' /tmp/perf.script |
			sort -rn | head -40 | sed 's/^/#   /'
	done
	for s in $syms; do
		echo "# -- callers of $s"
		perf report -i /tmp/perf.data --stdio --no-children -S "$s" \
			--comms rxbench,napi/px0-8194,swapper,ksoftirqd/0,ksoftirqd/1 \
			-g caller,0.5,callee,function,percent --percent-limit 0.3 \
			2>/dev/null | grep -v '^$' | grep -v '^#' | head -80 |
			sed 's/^/#   /'
	done
}

# Every task's exact run time (schedstat, ns), one line per thread:
# "tid comm ns".
task_times() {
	for t in /proc/[0-9]*/task/[0-9]*; do
		read -r ns _ <"$t/schedstat" && read -r c <"$t/comm" &&
			echo "${t##*/} $c $ns"
	done 2>/dev/null
}

# Idle and iowait of all CPUs in microseconds from /proc/bench_idle, or
# nothing without the module.
idle_us() {
	[ -r /proc/bench_idle ] &&
		awk '{ n += $2 + $3 } END { printf "%.0f\n", n }' /proc/bench_idle
}

# RXBENCH_PROFILE=counters: no sampling, so nothing is slowed; the same
# run with every task's exact run time and /proc/stat's fields before and
# after.  Where the receive side's busy time goes by task, and how much
# of it no task was charged with: interrupts and softirqs on an idle CPU
# run in the idle task, whose run time /proc does not show.
counters_profile() {
	rm -f /tmp/rx.out
	ln -sf "$bin" /tmp/rxsend
	rm -f /tmp/sender.pid
	RXBENCH_SENDER_PIDFILE=/tmp/sender.pid \
		"$bin" recv "$2" $port "$bytes" "$3" >/tmp/rx.out &
	rx=$!
	while ! grep -q ready /tmp/rx.out 2>/dev/null; do sleep 0.05; done
	task_times >/tmp/t0
	{ head -1 /proc/stat; cat /proc/uptime; } >/tmp/s0
	idle0=$(idle_us)
	ip netns exec pxtx sh -c "echo \$\$ >/tmp/sender.pid;
		exec /tmp/rxsend send 10.99.0.1 $port $bytes" >/dev/null 2>&1
	wait $rx || return 1
	{ head -1 /proc/stat; cat /proc/uptime; } >/tmp/s1
	idle1=$(idle_us)
	task_times >/tmp/t1
	json=$(grep '^{' /tmp/rx.out)
	echo "# ==== $1 $2 $3: $json"
	# The receiver and the sender have exited by now: their run times
	# come from rxbench.
	app=$(echo "$json" | sed 's/.*"app_cpu_s": \([0-9.]*\).*/\1/')
	snd=$(echo "$json" | sed 's/.*"sender_cpu_s": \([0-9.]*\).*/\1/')
	awk -v app="$app" -v snd="$snd" -v idle0="$idle0" -v idle1="$idle1" \
	    -v gib="$(awk "BEGIN { print $bytes / 2^30 }")" '
	FNR == 1 { f++ }
	f == 1 && FNR == 1 { for (i = 2; i <= 9; i++) s0[i] = $i; next }
	f == 1 { up0 = $1; next }
	f == 2 && FNR == 1 { for (i = 2; i <= 9; i++) s1[i] = $i; next }
	f == 2 { up1 = $1; next }
	f == 3 { t0[$1] = $3; next }
	f == 4 && ($1 in t0) && $3 - t0[$1] > 1e6 {
		c = $2; sub(/[0-9]+$/, "", c)	# per-CPU threads as one
		run[c] += ($3 - t0[$1]) / 1e9; tot += ($3 - t0[$1]) / 1e9
	}
	END {
		n = split("user nice system idle iowait irq softirq", k, " ")
		for (i = 1; i <= n; i++)
			printf "#   stat %-8s %8.4f s/GiB\n", k[i], (s1[i + 1] - s0[i + 1]) / 100 / gib
		busy = 0
		for (i = 2; i <= 9; i++) if (i != 5 && i != 6) busy += s1[i] - s0[i]
		busy /= 100
		# Idle and iowait are exact (NO_HZ idle time), the busy
		# fields sampled by the tick: busy time also as what the
		# CPUs did not spend idle.
		ncpu = 0
		while ((getline l < "/proc/cpuinfo") > 0)
			if (l ~ /^processor/) ncpu++
		if (idle0 != "")	# /proc/bench_idle: microseconds
			wbusy = (up1 - up0) * ncpu - (idle1 - idle0) / 1e6
		else
			wbusy = (up1 - up0) * ncpu - (s1[5] - s0[5] + s1[6] - s0[6]) / 100
		printf "#   busy (wall x %d CPUs - idle - iowait) %.4f s/GiB\n", ncpu, wbusy / gib
		run["rxbench (receiver)"] = app
		run["rxsend (sender)"] = snd
		tot += run["rxbench (receiver)"] + run["rxsend (sender)"]
		for (c in run) printf "#   task %-20s %8.4f s/GiB\n", c, run[c] / gib
		printf "#   busy (stat) %.4f s/GiB, (wall) %.4f s/GiB, tasks %.4f s/GiB, no task %.4f s/GiB\n",
		       busy / gib, wbusy / gib, tot / gib, (wbusy - tot) / gib
	}' /tmp/s0 /tmp/s1 /tmp/t0 /tmp/t1
}

# RXBENCH_PROFILE=events: how often things happen, exactly, per path.
# perf stat counts tracepoints (RXBENCH_PROFILE_TPS) and kprobes on
# functions (RXBENCH_PROFILE_PROBES, "sym" or "module:sym"; a function
# the compiler inlined cannot be probed and is skipped) over the whole
# guest for one run.  The probes slow the run; the counts stay exact.
events_profile() {
	tps=${RXBENCH_PROFILE_TPS:-"napi:napi_poll irq:softirq_entry
		irq:irq_handler_entry sched:sched_wakeup sched:sched_switch
		timer:hrtimer_start timer:hrtimer_expire_entry
		workqueue:workqueue_queue_work"}
	probes=${RXBENCH_PROFILE_PROBES:-"tcp_read_sock __tcp_send_ack
		tcp_send_ack tcp_cleanup_rbuf tcp_event_data_recv tcp_data_queue
		postrx:postrx_data_ready postrx:postrx_rx_service
		postrx:postrx_rx_catch_up postrx:postrx_chan_fill
		postrx:postrx_range_done postrx:postrx_take
		postrx:postrx_chan_await_push postrx:postrx_chan_push_timeout
		postrx:postrx_chan_handover_work postrx:postrx_wnd_consumed
		postrx:postrx_wnd_bound postrx:postrx_place_claim"}
	tr=/sys/kernel/tracing
	[ -d $tr/events ] || mount -t tracefs nodev $tr
	echo >$tr/kprobe_events
	ev=""
	for t in $tps; do ev="$ev -e $t"; done
	for p in $probes; do
		e=$(echo "${p#*:}" | tr -c 'a-zA-Z0-9_\n' _)
		if echo "p:pxp/$e $p" >>$tr/kprobe_events 2>/dev/null; then
			ev="$ev -e pxp:$e"
			echo 'hist:keys=common_pid.execname' \
				>"$tr/events/pxp/$e/trigger"
		else
			echo "# cannot probe $p (inlined?)"
		fi
	done
	rm -f /tmp/rx.out /tmp/stat.out
	ln -sf "$bin" /tmp/rxsend
	"$bin" recv "$2" $port "$bytes" "$3" >/tmp/rx.out &
	rx=$!
	while ! grep -q ready /tmp/rx.out 2>/dev/null; do sleep 0.05; done
	# shellcheck disable=SC2086 # $ev is a list of options
	perf stat -a -x, -o /tmp/stat.out $ev -- \
		ip netns exec pxtx /tmp/rxsend send 10.99.0.1 $port "$bytes" \
		>/dev/null 2>&1
	wait $rx || { kill $rx 2>/dev/null; return 1; }
	echo "# ==== $1 $2 $3: $(grep '^{' /tmp/rx.out)"
	gib=$(awk "BEGIN { print $bytes / 2^30 }")
	awk -F, -v gib="$gib" '
		NF >= 3 && $1 ~ /^[0-9]+$/ {
			printf "#   %-36s %12.0f per GiB\n", $3, $1 / gib }' \
		/tmp/stat.out
	# Which tasks ran each probed function: per-CPU threads as one.
	for h in "$tr"/events/pxp/*/hist; do
		[ -f "$h" ] || continue
		awk -v gib="$gib" -v e="$(basename "$(dirname "$h")")" '
			/hitcount:/ { c = $0; sub(/.*execname: */, "", c)
				sub(/ *\[.*/, "", c); sub(/[0-9]+$/, "", c)
				n[c] += $NF }
			END { for (c in n) if (n[c] / gib >= 1)
				printf "#     %-30s %-20s %10.0f per GiB\n", e, c, n[c] / gib }' \
			"$h" | sort -k4 -rn
	done
	for e in "$tr"/events/pxp/*/trigger; do
		[ -f "$e" ] && echo '!hist:keys=common_pid.execname' >"$e"
	done
	echo >$tr/kprobe_events
}

echo "TAP version 13"
grep -q '^pxnic ' /proc/modules ||
	insmod "$(dirname "$POSTRX_KO")/pxnic/pxnic.ko"
# Idle time in microseconds, as the bench has it (bench/kmod/bench_idle.c,
# built by make bench or make bench-kmod), for rxbench and the counters'
# busy line.  That line from /proc/stat's idle read four times the sum of
# the tasks' run times with one vCPU (not understood); from this, within
# a fifth of it.  (rxbench's own receive figure here leaves in the
# engines and the sender's NAPI thread: no --device-tasks.)
idle_ko=$(dirname "$POSTRX_KO")/../bench-kmod/bench_idle.ko
grep -q '^bench_idle ' /proc/modules || { [ -e "$idle_ko" ] && insmod "$idle_ko"; }
for link in $links; do
	ip netns del pxtx 2>/dev/null
	ip link del px0 2>/dev/null
	if ! link_up "$link"; then
		n=$((n + 1))
		fail=$((fail + 1))
		echo "not ok $n link $link"
		continue
	fi
	for size in $sizes; do
		for path in $paths; do
			n=$((n + 1))
			port=$((port + 1))
			if "${RXBENCH_PROFILE:-perf}_profile" "$link" "$path" "$size"; then
				echo "ok $n profile $link $path $size"
			else
				echo "not ok $n profile $link $path $size"
				fail=$((fail + 1))
			fi
		done
	done
	ip netns del pxtx
	ip link del px0 2>/dev/null
done
rmmod pxnic 2>/dev/null
grep -q '^bench_idle ' /proc/modules && rmmod bench_idle
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
