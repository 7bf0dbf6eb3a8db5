#!/bin/sh
# Runs in the guest (see bench/run.sh): every receive path over each link
# between two namespaces (a veth pair, and a pxnic pair whose device places
# payload), the same sender, several buffer sizes, REPS repetitions each;
# then request-response latency per path (rxlat), the scale run (rxscale:
# postrx with 1 to 10,000 sockets) and iperf3 as the link's reference.
# Prints one JSON line per run, prefixed "BENCH ".
set -u
bin=$POSTRX_BIN/rxbench
bytes=${RXBENCH_BYTES:-536870912}
reps=${RXBENCH_REPS:-3}
sizes=${RXBENCH_SIZES:-"4096 65536 1048576 16777216"}
links=${RXBENCH_LINKS:-"veth pxnic"}
paths=${RXBENCH_PATHS:-"epoll uring_recv uring_recv_ring tcp_zerocopy postrx postrx_push postrx_dropin"}
lat_rounds=${RXBENCH_LAT_ROUNDS:-2000}
lat_size=4096
scale=${RXBENCH_SCALE:-"1 100 1000 10000"}
scale_paths=${RXBENCH_SCALE_PATHS:-"epoll postrx"}
# Two runs each: 10,000 connections take long to set up under TCG.
scale_reps=${RXBENCH_SCALE_REPS:-2}
# rxscale: 4 buffers of 16 KiB posted per socket (640 MiB at 10,000).
scale_bufsize=16384
scale_posted=4
port=7300
. "$POSTRX_TOP/bench/guest-link.sh"
# The vCPUs, for the report (bench/run.sh says why one).
echo "# guest CPUs: $(nproc)"
# Idle time in microseconds rather than /proc/stat's 10 ms units, for
# tools/common/busytime.h (bench/kmod/bench_idle.c; make bench builds it).
idle_ko=$(dirname "$POSTRX_KO")/../bench-kmod/bench_idle.ko
if [ -e "$idle_ko" ] && insmod "$idle_ko"; then
	echo "# CPU idle time from /proc/bench_idle (us)"
else
	echo "# CPU idle time from /proc/stat (10 ms units)"
fi

# RXBENCH_POSTRX_PARAMS="name=value ...": postrx's module parameters for
# this run, to compare a policy on and off (posted_window=0, say).
for kv in ${RXBENCH_POSTRX_PARAMS:-}; do
	echo "${kv#*=}" > "/sys/module/postrx/parameters/${kv%%=*}" ||
		echo "# cannot set postrx.$kv" >&2
done

# TCP segments the receiver's namespace has sent (its ACKs), or with
# an argument, that counter instead (TcpInSegs: segments received).
segs() {
	nstat -az "${1:-TcpOutSegs}" | awk -v c="${1:-TcpOutSegs}" '$1 == c {print $2}'
}

# result RC NAME FILE FIELDS: the BENCH line (FILE's JSON with the link
# and FIELDS put in front) and the TAP line of a run that returned RC.
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "BENCH $(grep '^{' "$3" | sed "s/^{/{\"link\": \"$link\", $4/")"
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		fail=$((fail + 1))
	fi
}

throughput_runs() {
	[ "$sizes" = none ] && return
	for size in $sizes; do
		for rep in $(seq 1 "$reps"); do
			for path in $paths; do
				port=$((port + 1))
				echo "# $link $path $size run $rep" >&2
				rx0=$(segs)
				in0=$(segs TcpInSegs)
				col0=$(segs TcpExtTCPRcvCollapsed)
				prune0=$(segs TcpExtPruneCalled)
				run_pair "$bin recv $path $port $bytes $size" \
					"$bin send 10.99.0.1 $port $bytes"
				rc=$?
				acks=$(($(segs) - rx0))
				segs_in=$(($(segs TcpInSegs) - in0))
				# TCP's own copies when a receive queue outgrows
				# its buffer (tcp_prune_queue(), tcp_collapse()).
				collapsed=$(($(segs TcpExtTCPRcvCollapsed) - col0))
				pruned=$(($(segs TcpExtPruneCalled) - prune0))
				result $rc "$link $path size $size run $rep" \
					/tmp/rx.out "\"acks\": $acks, \"segs_in\": $segs_in, \"collapsed\": $collapsed, \"pruned\": $pruned, "
			done
		done
	done
}

# Request-response latency: the client (sender's namespace) times each
# round trip of a $lat_size request answered by a $lat_size response.
latency_runs() {
	for rep in $(seq 1 "$reps"); do
		for path in $paths; do
			port=$((port + 1))
			echo "# $link $path latency, $lat_rounds rounds, run $rep" >&2
			run_pair "$POSTRX_BIN/rxlat server $path $port $lat_rounds $lat_size" \
				"$POSTRX_BIN/rxlat client 10.99.0.1 $port $lat_rounds $lat_size"
			result $? "$link $path latency run $rep" /tmp/tx.out \
				"\"kind\": \"latency\", \"path\": \"$path\", "
		done
	done
}

# The scale run: many sockets at once, postrx and recv() with epoll (the
# baseline tells TCP's own growth with many sockets from postrx's).
#
# One sender process carries every connection, so its device's queue
# holds all their bursts at once: 10,000 connections with 64 KiB each in
# flight overflow pxnic's default queue discipline (fq_codel: 10,240
# packets, 32 MiB), where clients on many hosts would each have their
# own.  Those drops made most of what 10,000 sockets measured: tail
# losses, RTO and loss-probe retransmissions, out-of-order queues pruned
# under memory pressure, for epoll and postrx alike (docs/bench.md,
# "Many sockets: the sender's own queue").  So the scale runs give the
# sender a FIFO that holds them all (TCP Small Queues bounds what each
# socket queues, the device's stopped queue the rate), and report what
# it dropped all the same (sender_qdisc_drops).
scale_runs() {
	[ "$scale" = none ] && return
	scale_queue_up
	for rep in $(seq 1 "$scale_reps"); do
		for socks in $scale; do
			for path in $scale_paths; do
				scale_run "$path" "$socks" "$rep"
			done
		done
	done
	scale_queue_down
}

scale_queue_up() {
	is_pxnic "$link" || return 0
	ip netns exec "$link_ns" tc qdisc replace dev px1 root pfifo limit 200000
}

scale_queue_down() {
	is_pxnic "$link" || return 0
	ip netns exec "$link_ns" tc qdisc del dev px1 root 2>/dev/null
	true
}

# Packets the sender's queue discipline dropped so far.
sender_qdisc_drops() {
	ip netns exec "$link_ns" tc -s qdisc show dev px1 |
		awk '/dropped/ { sub(",", "", $7); n += $7 } END { print n + 0 }'
}

scale_run() {
	port=$((port + 1))
	echo "# $link $1 with $2 sockets, run $3" >&2
	out0=$(segs)
	in0=$(segs TcpInSegs)
	qd0=$(sender_qdisc_drops)
	run_pair "$POSTRX_BIN/rxscale recv $1 $port $2 $bytes $scale_bufsize $scale_posted" \
		"$POSTRX_BIN/rxscale send 10.99.0.1 $port $2 $bytes $scale_bufsize $((scale_bufsize * scale_posted))"
	rc=$?
	# Segments each way, connection set-up included.
	result $rc "$link $1 scale $2 sockets run $3" /tmp/rx.out \
		"\"kind\": \"scale\", \"acks\": $(($(segs) - out0)), \"segs_in\": $(($(segs TcpInSegs) - in0)), \"sender_qdisc_drops\": $(($(sender_qdisc_drops) - qd0)), "
}

echo "TAP version 13"
n=0
fail=0
# What a GiB of copying costs on this clock with each sequence the kernel
# uses for a bulk copy (bench/copycost.c): recv() and postrx's copy at
# receive do not use the same one on this CPU model.
if [ "${RXBENCH_COPYCOST:-1}" = 1 ]; then
	n=$((n + 1))
	if "$POSTRX_BIN/copycost" 256; then
		echo "ok $n copy cost per sequence"
	else
		echo "not ok $n copy cost per sequence"
		fail=$((fail + 1))
	fi
fi
for link in $links; do
	if is_pxnic "$link" && ! grep -q '^pxnic ' /proc/modules; then
		insmod "$(dirname "$POSTRX_KO")/pxnic/pxnic.ko" || continue
	fi
	link_down
	if ! link_up "$link"; then
		echo "# $link: cannot create the link, skipped"
		link_down
		continue
	fi
	engines=$(engine_pids "$link")
	senders=$(sender_tasks)
	throughput_runs
	[ "$lat_rounds" -gt 0 ] && latency_runs
	scale_runs
	# iperf3 over the same link: the reference for what it carries.
	# deps.sh installs it: missing, it fails rather than leaving the
	# reference out of the report.
	if [ "${RXBENCH_IPERF3:-1}" = 1 ] && ! command -v iperf3 >/dev/null; then
		n=$((n + 1)) fail=$((fail + 1))
		echo "not ok $n $link iperf3: not installed (scripts/deps.sh installs it)"
	elif [ "${RXBENCH_IPERF3:-1}" = 1 ]; then
		for rep in $(seq 1 "$reps"); do
			n=$((n + 1))
			iperf3 -s -1 -p 7299 >/dev/null 2>&1 &
			srv=$!
			sleep 0.5
			if ip netns exec pxtx iperf3 -c 10.99.0.1 -p 7299 -n "$bytes" -J \
				>/tmp/iperf3.json 2>/dev/null; then
				gbps=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(round(d["end"]["sum_received"]["bits_per_second"] / 1e9, 3))' /tmp/iperf3.json)
				echo "BENCH {\"link\": \"$link\", \"path\": \"iperf3\", \"size\": 131072, \"bytes\": $bytes, \"throughput_gbps\": $gbps}"
				echo "ok $n $link iperf3 run $rep"
			else
				echo "not ok $n $link iperf3 run $rep"
				fail=$((fail + 1))
			fi
			wait $srv 2>/dev/null
		done
	fi
	# fio as the receiver: its net engine and the postrx engine.
	[ "${RXBENCH_FIO:-1}" = 1 ] && . "$POSTRX_TOP/bench/guest-fio.sh"
	if is_pxnic "$link"; then
		echo "# pxnic counters after the runs:"
		ethtool -S px0 | sed 's/^/#   /'
	fi
	link_down
done
grep -q '^pxnic ' /proc/modules && rmmod pxnic
grep -q '^bench_idle ' /proc/modules && rmmod bench_idle
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
