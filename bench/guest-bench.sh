#!/bin/sh
# Runs in the guest (see bench/run.sh): every receive path over a veth pair
# between two namespaces, the same sender, several buffer sizes, REPS
# repetitions each.  Prints one JSON line per run, prefixed "BENCH ".
set -u
bin=$POSTRX_BIN/rxbench
bytes=${RXBENCH_BYTES:-1073741824}
reps=${RXBENCH_REPS:-5}
sizes=${RXBENCH_SIZES:-"65536 1048576"}
paths=${RXBENCH_PATHS:-"epoll uring_recv uring_recv_ring postrx postrx_dropin"}
port=7300

ip netns add pxtx
ip link add px0 type veth peer name px1 netns pxtx
ip addr add 10.99.0.1/24 dev px0
ip link set px0 up
ip -n pxtx addr add 10.99.0.2/24 dev px1
ip -n pxtx link set px1 up
ip -n pxtx link set lo up

# TCP segments the receiver's namespace has sent: its ACKs.
segs() {
	nstat -az TcpOutSegs | awk '/TcpOutSegs/ {print $2}'
}

echo "TAP version 13"
n=0
fail=0
for size in $sizes; do
	for rep in $(seq 1 "$reps"); do
		for path in $paths; do
			n=$((n + 1))
			port=$((port + 1))
			rm -f /tmp/sender.pid /tmp/rx.out
			RXBENCH_SENDER_PIDFILE=/tmp/sender.pid \
				"$bin" recv "$path" "$port" "$bytes" "$size" >/tmp/rx.out &
			rx=$!
			while ! grep -q ready /tmp/rx.out 2>/dev/null; do sleep 0.05; done
			ip netns exec pxtx sh -c "echo \$\$ > /tmp/sender.pid; exec $bin send 10.99.0.1 $port $bytes" &
			tx=$!
			rx0=$(segs)
			if wait $rx && wait $tx; then
				# Segments each side sent: the receiver's are ACKs.
				echo "# $path $size: the receiver sent $(($(segs) - rx0)) ACKs"
				echo "BENCH $(grep '^{' /tmp/rx.out)"
				echo "ok $n $path size $size run $rep"
			else
				echo "not ok $n $path size $size run $rep"
				fail=$((fail + 1))
			fi
		done
	done
done
ip netns del pxtx
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
