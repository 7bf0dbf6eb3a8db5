#!/bin/sh
# The main job in the guest, as far as postrx serves it today: the module
# answers over io_uring, then one TCP stream over a veth pair between two
# namespaces is received through posted buffers (copied once, at receive
# time) and, for comparison, through recv() in an epoll loop.
bin=$POSTRX_BIN
bytes=${DEMO_BYTES:-268435456}
n=0
fail=0
result() { # $1 = status, $2 = description
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=$((fail + 1)); fi
}

echo "TAP version 13"
echo "# kernel $(uname -r)"
if out=$("$bin/postrx_query"); then
	echo "$out" | sed 's/^/# /'
	result 0 "postrx answers QUERY over io_uring"
else
	result 1 "postrx answers QUERY over io_uring"
fi

ip netns add pxdemo
ip link add dm0 type veth peer name dm1 netns pxdemo
ip addr add 10.98.0.1/24 dev dm0
ip link set dm0 up
ip -n pxdemo addr add 10.98.0.2/24 dev dm1
ip -n pxdemo link set dm1 up

port=7100
for path in postrx epoll; do
	port=$((port + 1))
	rm -f /tmp/demo.pid /tmp/demo.out
	RXBENCH_SENDER_PIDFILE=/tmp/demo.pid "$bin/rxbench" recv $path $port $bytes 1048576 >/tmp/demo.out &
	rx=$!
	while ! grep -q ready /tmp/demo.out 2>/dev/null; do sleep 0.05; done
	ip netns exec pxdemo sh -c "echo \$\$ > /tmp/demo.pid; exec $bin/rxbench send 10.98.0.1 $port $bytes" &
	tx=$!
	wait $rx; rc=$?
	wait $tx
	echo "# $(grep '^{' /tmp/demo.out)"
	result $rc "$((bytes >> 20)) MiB over veth received with $path"
done
ip netns del pxdemo
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
