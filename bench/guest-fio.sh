#!/bin/sh
# fio over a benchmark link (runs in the guest): fio's net engine sends a
# stream from the namespace pxtx (10.99.0.2) to a fio receiver in the init
# namespace (10.99.0.1), once with fio's net engine ("fio_net") and once
# with the postrx engine ("fio_postrx", build/fio/postrx-engine.so; and
# "fio_postrx_push": waitall=0), for each buffer size, REPS times.  One line per run:
#
#   BENCH {"link": ..., "path": "fio_net"|"fio_postrx", "size": BS,
#          "bytes": N, "throughput_gbps": X, "cpu_s_per_gib": Y, ...}
#
# and a KTAP line per run.
#
# Sourced by bench/guest-bench.sh for each link, after its link is up: it
# then uses that script's $link, $sizes, $reps, $bytes, $engines and
# $senders, and continues its $n and $fail.  Run on its own (sh
# bench/guest-fio.sh), it creates a veth link itself and prints its own
# KTAP header and totals.
#
# Throughput is the bytes over the receiving job's run time as fio reports
# it (from the accepted connection to the last block; milliseconds).  CPU
# is measured as rxbench does: busy time of all CPUs (wall time minus
# /proc/stat's idle and iowait) from the
# sender's start until both fio processes have exited, minus the sender's
# whole CPU time (its fio processes, from getrusage), minus the run time of
# the sender's device NAPI threads and the device engines (pxnic).  What
# remains is the receive side, including the receiving fio's own start of
# the job and its teardown and report: compare fio_net with fio_postrx, not
# with rxbench's paths.
#
# fio 3.33's net engine re-queues the rest of a short recv() and counts it
# once more toward size, so its receiver runs with number_ios (full blocks)
# and a large size, and its bytes are its full blocks times the block size.

fio_engine=$POSTRX_TOP/build/fio/postrx-engine.so
fio_tmp=/tmp/guest-fio
fio_port=${fio_port:-7800}	# kept across links when sourced

# The measuring wrapper, run in the sender's namespace:
#   python3 -c "$fio_measure" RXPID ENGINE_PIDS SENDER_TASKS OUT -- CMD...
# runs CMD (the sender), waits until RXPID (the receiver) has exited too,
# and writes "busy_s sender_cpu_s sender_tasks_s engine_s" to OUT.
fio_measure='
import os, resource, subprocess, sys, time

def busy():
    # As rxbench: wall time of each CPU minus its exact idle and iowait.
    wall = time.monotonic()
    cpus = [l.split() for l in open("/proc/stat") if l[:3] == "cpu" and l[3].isdigit()]
    idle = sum(int(c[4]) + int(c[5]) for c in cpus)
    return len(cpus) * wall - idle / os.sysconf("SC_CLK_TCK")

def tasks(pids):
    s = 0
    for p in pids.split():
        try:
            s += int(open("/proc/%s/schedstat" % p).read().split()[0]) / 1e9
        except OSError:
            pass
    return s

def gone(pid):
    try:
        return open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0] in "ZX"
    except OSError:
        return True

rx, engines, senders, out = sys.argv[1:5]
cmd = sys.argv[6:]
e0, s0, b0 = tasks(engines), tasks(senders), busy()
rc = subprocess.call(cmd)
while not gone(rx):
    time.sleep(0.005)
b1, s1, e1 = busy(), tasks(senders), tasks(engines)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
open(out, "w").write("%.6f %.6f %.6f %.6f\n" %
                     (b1 - b0, ru.ru_utime + ru.ru_stime, s1 - s0, e1 - e0))
sys.exit(rc)
'

# fio_json FILE EXPR: EXPR over j, the first job of fio's JSON in FILE (the
# postrx engine's log lines may come first).
fio_json() {
	python3 - "$@" <<'EOT'
import json, sys
lines = open(sys.argv[1]).read().split('\n')
j = json.loads('\n'.join(lines[lines.index('{'):]))['jobs'][0]
print(eval(sys.argv[2]))
EOT
}

fio_wait_listen() { # $1 = port
	fio_i=0
	while ! ss -ltn | grep -q ":$1 " && [ $fio_i -lt 400 ]; do
		sleep 0.05; fio_i=$((fio_i + 1))
	done
}

# fio_run PATH BS: one run; prints BENCH and KTAP lines, counts $n, $fail.
fio_run() {
	fio_path=$1 fio_bs=$2
	fio_port=$((fio_port + 1))
	n=$((n + 1))
	rm -f $fio_tmp/rx.json $fio_tmp/rx.out $fio_tmp/tx.json $fio_tmp/cpu
	if [ "$fio_path" != fio_net ]; then
		# As rxbench posts: at least 8 MiB, for TCP's window.
		fio_depth=$(((8 << 20) / fio_bs))
		[ $fio_depth -lt 4 ] && fio_depth=4
		[ $fio_depth -gt 256 ] && fio_depth=256
		# fio_postrx_push: buffers without WAITALL (end at a push).
		fio_waitall=1
		[ "$fio_path" = fio_postrx_push ] && fio_waitall=0
		set -- --ioengine=external:$fio_engine --port=$fio_port \
			--iodepth=$fio_depth --size=$bytes --waitall=$fio_waitall
	else
		set -- --ioengine=net --listen --port=$fio_port \
			--size=1t --number_ios=$((bytes / fio_bs))
	fi
	fio --name=rx "$@" --rw=read --bs=$fio_bs --output-format=json \
		--output=$fio_tmp/rx.json >$fio_tmp/rx.out 2>&1 &
	fio_rx=$!
	fio_wait_listen $fio_port
	# fio listens before it sets up the job's buffers: let it finish
	# and wait in accept() before the window opens (idle time is free
	# under -icount sleep=off).
	sleep 1
	ip netns exec pxtx python3 -c "$fio_measure" $fio_rx "${engines:-}" \
		"${senders:-}" $fio_tmp/cpu -- \
		fio --name=tx --ioengine=net --hostname=10.99.0.1 \
		--port=$fio_port --rw=write --bs=$fio_bs --size=$bytes \
		--output-format=json --output=$fio_tmp/tx.json \
		>$fio_tmp/tx.out 2>&1
	fio_txrc=$?
	wait $fio_rx
	fio_rxrc=$?
	if [ $fio_txrc = 0 ] && [ $fio_rxrc = 0 ] &&
	   fio_line=$(fio_bench_line) && [ -n "$fio_line" ]; then
		echo "BENCH $fio_line"
		echo "ok $n $link $fio_path size $fio_bs run $fio_rep"
	else
		echo "# sender rc $fio_txrc, receiver rc $fio_rxrc"
		cat $fio_tmp/rx.out $fio_tmp/tx.out | sed 's/^/# /' | head -20
		grep -h '^postrx: \|^fio: \|error' $fio_tmp/rx.json | sed 's/^/# /' | head -10
		echo "not ok $n $link $fio_path size $fio_bs run $fio_rep"
		fail=$((fail + 1))
	fi
}

# The BENCH JSON of the run in $fio_tmp; empty if the stream was not whole.
fio_bench_line() {
	python3 - $fio_tmp "$link" $fio_path $fio_bs $bytes <<'EOT'
import json, re, sys
tmp, link, path, bs, want = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
text = open(tmp + '/rx.json').read()
lines = text.split('\n')
rd = json.loads('\n'.join(lines[lines.index('{'):]))['jobs'][0]['read']
busy, sender, tasks, engine = [float(x) for x in open(tmp + '/cpu').read().split()]
if path != 'fio_net':
    st = dict(re.findall(r'(\w+)=(-?\d+)',
                         re.search(r'^postrx: received_bytes=.*', text, re.M).group(0)))
    got = int(st['received_bytes'])
    extra = {'copied_bytes': int(st['copied_rx_bytes']) + int(st['copied_late_bytes']),
             'copied_rx_bytes': int(st['copied_rx_bytes']),
             'copied_late_bytes': int(st['copied_late_bytes']),
             'placed_bytes': int(st['placed_bytes'])}
else:
    got = (rd['total_ios'] - rd['short_ios']) * bs
    extra = {}
if got != want or rd['runtime'] <= 0:
    sys.exit(0)
secs = rd['runtime'] / 1000
gib = got / 2**30
line = {'link': link, 'path': path, 'size': bs, 'bytes': got,
        'seconds': secs, 'throughput_gbps': round(got * 8 / secs / 1e9, 3),
        'cpu_s_per_gib': round((busy - sender - tasks - engine) / gib, 4),
        'sender_cpu_s': round(sender + tasks, 4),
        'device_cpu_s_per_gib': round(engine / gib, 4), 'runs': 1}
line.update(extra)
print(json.dumps(line))
EOT
}

# fio_link: every size and repetition, both receivers, over $link.
fio_link() {
	# RXBENCH_FIO_SIZES: fio's own buffer sizes (default: the link's).
	fio_sizes=${RXBENCH_FIO_SIZES:-$sizes}
	[ "$fio_sizes" = none ] && return 0
	mkdir -p $fio_tmp
	# deps.sh installs fio and make builds the engine: a missing one
	# is a failed run, not a quietly shorter report.
	if ! command -v fio >/dev/null || [ ! -e "$fio_engine" ]; then
		n=$((n + 1)) fail=$((fail + 1))
		echo "not ok $n $link fio: fio or $fio_engine missing"
		return 0
	fi
	for fio_bs in $fio_sizes; do
		for fio_rep in $(seq 1 "$reps"); do
			for fio_p in fio_net fio_postrx fio_postrx_push; do
				fio_run $fio_p $fio_bs
			done
		done
	done
	rm -rf $fio_tmp
}

if [ -n "${link:-}" ]; then
	fio_link	# sourced by guest-bench.sh, its link is up
else
	# On its own: a veth link as guest-bench.sh makes it.
	link=veth
	bytes=${RXBENCH_BYTES:-$((64 << 20))}
	reps=${RXBENCH_REPS:-1}
	sizes=${RXBENCH_SIZES:-"65536 1048576"}
	n=0
	fail=0
	echo "TAP version 13"
	ip netns del pxtx 2>/dev/null; ip link del px0 2>/dev/null
	ip netns add pxtx &&
	ip link add px0 type veth peer name px1 netns pxtx &&
	ip addr add 10.99.0.1/24 dev px0 && ip link set px0 up &&
	ip -n pxtx addr add 10.99.0.2/24 dev px1 && ip -n pxtx link set px1 up &&
	ip -n pxtx link set lo up || { echo "not ok 1 veth link"; exit 1; }
	fio_link
	ip netns del pxtx; ip link del px0 2>/dev/null
	echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
	[ "$fail" = 0 ]
fi
