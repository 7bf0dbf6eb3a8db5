#!/bin/sh
# fio in the guest: fio's own net engine sends a TCP stream (rw=write) and
# fio receives it, through postrx with the postrx ioengine
# (build/fio/postrx-engine.so), and with the net engine as the baseline;
# over loopback and over a veth pair from another namespace, with 64 KiB
# and 1 MiB blocks.
#
# The sender stamps every block with its offset (verify_pattern=%o), and
# the postrx receiver verifies each block against it with fio's own verify,
# so a block that is short, shifted or out of order fails the job.  The
# engine logs the bytes its completions carried and the socket's
# POSTRX_CMD_STATS: every byte must have been received through postrx.
# The net receiver cannot verify or count that way: fio 3.33 re-queues the
# rest of a short recv(), checks the block against the rest's offset,
# leaves the first part out of io_bytes and counts the rest once more
# toward size, ending the job early.  So it runs with number_ios (full
# blocks) instead of size, and must complete every block.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
engine=$POSTRX_TOP/build/fio/postrx-engine.so
ns=$(ns_name pxfio)
rxaddr=10.96.0.1
txaddr=10.96.0.2
bytes=$((64 << 20))
[ "$POSTRX_KERNEL" = debug ] && bytes=$((8 << 20))	# KASAN under TCG is slow

ktap_header
# scripts/deps.sh installs fio and python3, and make builds the engine:
# none of them is optional, so a missing one fails, it does not skip.
missing=
for tool in fio python3; do
	command -v "$tool" >/dev/null || missing="$missing $tool (scripts/deps.sh installs it)"
done
[ -e "$engine" ] || missing="$missing $engine (make builds it)"
[ -z "$missing" ] ||
	ktap_bail "fio, python3 and the postrx engine are there; missing:$missing"

# jget FILE EXPR: EXPR over j, the first job of fio's JSON in FILE (which
# may begin with the engine's log lines).
jget() {
	python3 - "$@" <<'EOT'
import json, sys
lines = open(sys.argv[1]).read().split('\n')
j = json.loads('\n'.join(lines[lines.index('{'):]))['jobs'][0]
print(eval(sys.argv[2]))
EOT
}

# stat_of NAME: a field of the engine's "postrx: received_bytes=..." line.
stat_of() {
	cat "$work/rx.json" "$work/rx.out" 2>/dev/null |
		sed -n "s/^postrx: .*\<$1=\(-*[0-9]*\).*/\1/p" | head -1
}

# rx_start postrx|net BS IODEPTH [FIO-ARGS...]: a receiver listening on a
# new $port in the background ($rxpid).
rx_start() {
	kind=$1 bs=$2 depth=$3
	shift 3
	next_port
	rm -f "$work/rx.json" "$work/rx.out"
	if [ "$kind" = postrx ]; then
		set -- --ioengine=external:"$engine" --port="$port" "$@"
	else
		set -- --ioengine=net --listen --port="$port" "$@"
	fi
	fio --name=rx "$@" --rw=read --bs="$bs" --iodepth="$depth" \
		--output-format=json --output="$work/rx.json" >"$work/rx.out" 2>&1 &
	rxpid=$!
}

# tx_run HOST BS SIZE [NETNS]: fio's net engine sends SIZE bytes of
# offset-stamped blocks to the receiver.
tx_run() {
	${4:+ip netns exec "$4"} fio --name=tx --ioengine=net --hostname="$1" \
		--port="$port" --rw=write --bs="$2" --size="$3" \
		--verify=pattern --verify_pattern=%o --do_verify=0 \
		--output-format=json --output="$work/tx.json" >"$work/tx.out" 2>&1
}

show() { # the runs' output, as comments
	for f in rx.out tx.out; do
		[ -s "$work/$f" ] && sed "s/^/# $f: /" "$work/$f" | head -20
	done
	grep -h '^postrx: \|^fio: \|verify' "$work/rx.json" 2>/dev/null | sed 's/^/# rx: /' | head -20
}

# stream KIND LINK BS IODEPTH: one stream of $bytes; checks as described.
stream() {
	kind=$1 link=$2 bs=$3 depth=$4
	if [ "$link" = veth ]; then host=$rxaddr txns=$ns; else host=127.0.0.1 txns=; fi
	if [ "$kind" = postrx ]; then
		rx_start postrx "$bs" "$depth" --size=$bytes --verify=pattern --verify_pattern=%o
	else
		rx_start net "$bs" "$depth" --size=1t --number_ios=$((bytes / bs))
	fi
	wait_listen "$port"
	tx_run $host "$bs" $bytes "$txns"; txrc=$?
	wait $rxpid; rxrc=$?
	sent=$(jget "$work/tx.json" "j['write']['io_bytes']" 2>/dev/null)
	got=$(jget "$work/rx.json" "j['read']['io_bytes']" 2>/dev/null)
	rxerr=$(jget "$work/rx.json" "j['error']" 2>/dev/null)
	ms=$(jget "$work/rx.json" "j['read']['runtime']" 2>/dev/null)
	echo "# $kind $link bs $bs iodepth $depth: sent $sent, fio counted $got received in ${ms} ms"
	if [ $txrc != 0 ] || [ $rxrc != 0 ] || [ "$rxerr" != 0 ] || [ "$sent" != $bytes ]; then
		show; return 1
	fi
	if [ "$kind" = net ]; then
		blocks=$(jget "$work/rx.json" "j['read']['total_ios'] - j['read']['short_ios']")
		echo "# net: $blocks full blocks"
		[ "$blocks" = $((bytes / bs)) ] || { show; return 1; }
		return 0
	fi
	rcvd=$(stat_of received_bytes)
	moved=$(($(stat_of placed_bytes) + $(stat_of copied_rx_bytes) + $(stat_of copied_late_bytes)))
	done_bufs=$(stat_of completed)
	echo "# postrx: received $rcvd, placed+copied $moved, $done_bufs buffers completed"
	if [ "$got" != $bytes ] || [ "$rcvd" != $bytes ] || [ "$moved" != $bytes ] ||
	   [ "$done_bufs" != $((bytes / bs)) ]; then
		show; return 1
	fi
}

work_dir pxfio
if ! { ns_add "$ns" && pair_add veth pf0 pf1 "$ns" $rxaddr/24 $txaddr/24; }; then
	ktap_bail "veth between namespaces"
fi

for link in loopback veth; do
	sizes="65536 1048576"
	# The debug kernel: one size per link, both sizes in all.
	if [ "$POSTRX_KERNEL" = debug ]; then
		sizes=65536
		[ $link = veth ] && sizes=1048576
	fi
	for bs in $sizes; do
		# Posted buffers stand in for the receive buffer: 2 MiB and 8 MiB.
		depth=$((bs == 65536 ? 32 : 8))
		for kind in net postrx; do
			stream $kind "$link" "$bs" "$depth"
			result $? "$link: fio $kind receiver, bs $bs, iodepth $depth, $bytes bytes"
		done
	done
done

# The stream ends before the job's size: the job ends at EOF, cleanly,
# with a short last read, and counts every byte (fio's net sender ends
# with an 8-byte link close message, which is not payload).
rx_start postrx 1048576 8 --size=$((bytes * 2))
wait_listen "$port"
tx_run $rxaddr 65536 $((bytes + 65536)) "$ns"; txrc=$?
wait $rxpid; rxrc=$?
rcvd=$(stat_of received_bytes)
echo "# EOF before size: sender rc $txrc, receiver rc $rxrc, received $rcvd"
if [ $txrc = 0 ] && [ $rxrc = 0 ] && [ "$(jget "$work/rx.json" "j['error']")" = 0 ] &&
   [ "$rcvd" = $((bytes + 65536)) ] &&
   [ "$(jget "$work/rx.json" "j['read']['io_bytes']")" = $((bytes + 65536)) ]; then
	rc=0
else
	show; rc=1
fi
result $rc "postrx: a stream shorter than size ends the job at EOF, all bytes received"

# Without WAITALL (recv() semantics): short completions, re-posted by fio.
rx_start postrx 1048576 8 --size=$bytes --waitall=0
wait_listen "$port"
tx_run $rxaddr 65536 $bytes "$ns"; txrc=$?
wait $rxpid; rxrc=$?
rcvd=$(stat_of received_bytes)
echo "# waitall=0: received $rcvd, $(stat_of completed) completions for $((bytes >> 20)) buffers"
if [ $txrc = 0 ] && [ $rxrc = 0 ] && [ "$(jget "$work/rx.json" "j['error']")" = 0 ] &&
   [ "$rcvd" = $bytes ] && [ "$(jget "$work/rx.json" "j['read']['io_bytes']")" = $bytes ]; then
	rc=0
else
	show; rc=1
fi
result $rc "postrx: waitall=0, the engine re-posts short buffers, every byte received"

# The receiver connects (hostname, no listen) to a listening sender.
next_port
rm -f "$work/rx.json" "$work/rx.out"
ip netns exec "$ns" fio --name=tx --ioengine=net --listen --port="$port" --rw=write \
	--bs=1m --size=$((bytes / 4)) --verify=pattern --verify_pattern=%o \
	--do_verify=0 --output-format=json --output="$work/tx.json" >"$work/tx.out" 2>&1 &
txpid=$!
wait_listen "$port" "$ns"
fio --name=rx --ioengine=external:"$engine" --hostname=$txaddr --port="$port" \
	--rw=read --bs=1m --iodepth=8 --size=$((bytes / 4)) --verify=pattern \
	--verify_pattern=%o --output-format=json --output="$work/rx.json" \
	>"$work/rx.out" 2>&1; rxrc=$?
wait $txpid; txrc=$?
if [ $txrc = 0 ] && [ $rxrc = 0 ] && [ "$(stat_of received_bytes)" = $((bytes / 4)) ]; then
	rc=0
else
	show; rc=1
fi
result $rc "postrx: the receiver connects to a listening sender (hostname=)"

# Refusals with a clear message, before any connection.
refused() { # MESSAGE FIO-ARGS...: the engine refuses the job with MESSAGE.
	msg=$1
	shift
	next_port
	if fio --name=rx --ioengine=external:"$engine" --port="$port" "$@" \
		--size=1m >"$work/rx.out" 2>&1 || ! grep -q "$msg" "$work/rx.out"; then
		show; return 1
	fi
}
refused 'only receives' --rw=write --bs=64k
result $? "postrx: rw=write is refused"
refused 'at most 1024 buffers' --rw=read --bs=4k --iodepth=2048
result $? "postrx: iodepth beyond max_posted is refused"
refused 'verify needs waitall=1' --rw=read --bs=4k --iodepth=4 --waitall=0 \
	--verify=pattern --verify_pattern=%o
result $? "postrx: verify without WAITALL is refused"

ktap_finished
