#!/bin/sh
# pxnic smoke test, in the guest: a pxnic pair between the root namespace
# and a netns, made with the iproute2 plugin; ping; exact TCP streams
# (IPv4, IPv6, GRO off/on, MTU 9000 and 65535); postrx receives with
# placement; the fault knobs; netem corruption; deleting the pair while a
# stream runs; rmmod.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
bin=$POSTRX_BIN
ns=$(ns_name pxsmoke)
rx() { ip netns exec "$ns" "$@"; }
# shellcheck disable=SC2317 # called by wait_until
px0_gone() { ! ip link show px0 >/dev/null 2>&1; }
stat_of() { # $1 = netns or "", $2 = dev, $3 = counter
	if [ -n "$1" ]; then ip netns exec "$1" ethtool -S "$2"; else ethtool -S "$2"; fi |
		awk -v k="$3:" '$1 == k {print $2}'
}

ktap_header
# make builds pxnic.ko and rxbench, and scripts/deps.sh installs ethtool,
# tc and python3: a missing one fails, it does not skip.
missing=
for f in "$pxnic_ko" "$bin/rxbench"; do
	[ -e "$f" ] || missing="$missing $f (make builds it)"
done
for tool in ethtool tc python3; do
	command -v "$tool" >/dev/null || missing="$missing $tool (scripts/deps.sh installs it)"
done
[ -z "$missing" ] ||
	ktap_bail "pxnic.ko, rxbench, ethtool, tc and python3 are there; missing:$missing"

pxnic_plugin
work_dir pxsmoke

# One TCP stream of $3 bytes of a known pattern to $1 port $2, received
# in the netns and compared byte for byte.
cat >"$work/xfer.py" <<'EOF'
import socket, sys
pat = bytes(range(251)) * 4200
def serve(port, total):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(1)
    print("ready", flush=True)
    c, _ = s.accept(); c.settimeout(120)
    pos = 0
    while pos < total:
        d = c.recv(1 << 20)
        if not d: break
        o = pos % 251
        if d != pat[o:o + len(d)]:
            print("mismatch at", pos); sys.exit(1)
        pos += len(d)
    print("received", pos); sys.exit(0 if pos == total else 1)
def send(host, port, total):
    c = socket.create_connection((host, port), timeout=120)
    pos = 0
    while pos < total:
        o = pos % 251
        k = min(1 << 20, total - pos)
        c.sendall(pat[o:o + k]); pos += k
    c.close()
if sys.argv[1] == "serve": serve(int(sys.argv[2]), int(sys.argv[3]))
else: send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
EOF

# xfer ADDRESS BYTES: one stream to ADDRESS on a new port.
xfer() {
	next_port
	rx python3 "$work/xfer.py" serve "$port" "$2" >"$work/xfer.out" 2>&1 &
	srv=$!
	wait_listen "$port" "$ns"
	timeout 150 python3 "$work/xfer.py" send "$1" "$port" "$2"
	wait $srv; rc=$?
	echo "# $(tail -1 "$work/xfer.out")"
	return $rc
}
# postrx receive with placement: rxbench's postrx path.
postrx_xfer() { # $1 = address, $2 = bytes
	next_port
	rx "$bin/rxbench" recv postrx "$port" "$2" 262144 >"$work/rb.out" 2>&1 &
	srv=$!
	wait_listen "$port" "$ns"
	timeout 150 "$bin/rxbench" send "$1" "$port" "$2" >/dev/null
	wait $srv; rc=$?
	echo "# $(tail -1 "$work/rb.out")"
	[ $rc = 0 ] && grep -q "\"bytes\": $2," "$work/rb.out"
}

insmod "$pxnic_ko"
result $? "insmod pxnic.ko"
at_exit mod_unload pxnic

ns_add "$ns" &&
	pair_add pxnic px0 px1 "$ns" "10.77.0.1/24 fd77::1/64" "10.77.0.2/24 fd77::2/64"
# The name without its run suffix: the same description in every run.
result $? "ip link add px0 type pxnic peer name px1 netns pxsmoke-ID, with addresses, up"
ip -d link show px0 | note

ping -c 2 -W 2 10.77.0.2 >/dev/null
result $? "ping IPv4 across the pair"
ping -6 -c 2 -W 2 fd77::2 >/dev/null
result $? "ping IPv6 across the pair"

ethtool -i px0 | grep -q "^driver: pxnic"
result $? "ethtool -i reports the pxnic driver"

# The fault knobs are the device's, in debugfs under its bus-info.
bus_of() { # $1 = netns or "", $2 = dev
	if [ -n "$1" ]; then ip netns exec "$1" ethtool -i "$2"; else ethtool -i "$2"; fi |
		awk '$1 == "bus-info:" {print $2}'
}
dbg0=/sys/kernel/debug/pxnic/$(bus_of "" px0)
dbg1=/sys/kernel/debug/pxnic/$(bus_of "$ns" px1)
echo "# px0 $dbg0, px1 $dbg1"
[ "$dbg0" != "$dbg1" ] && [ "$(cat "$dbg1/fault_dup")" = 0 ] &&
	[ "$(cat "$dbg0/fault_stall_us")" = 0 ]
result $? "each device has its fault knobs in debugfs, off"

# The debug kernel (KASAN, lockdep) under TCG is ~100x slower.
if [ "$POSTRX_KERNEL" = debug ]; then
	bytes=$((2 << 20)) small=$((1 << 20))
else
	bytes=$((16 << 20)) small=$((4 << 20))
fi
xfer 10.77.0.2 $bytes
result $? "IPv4 TCP stream arrives exact"
xfer fd77::2 $bytes
result $? "IPv6 TCP stream arrives exact"

segs=$(stat_of "$ns" px1 rx_segs)
rt=$(stat_of "$ns" px1 engine_runtime_ns)
echo "# px1: rx_segs $segs engine_runtime_ns $rt"
[ "${segs:-0}" -gt 0 ] && [ "${rt:-0}" -gt 0 ] &&
	grep -qx pxnic-eng/px1 /proc/[0-9]*/comm
result $? "ethtool -S counts segments and the engine thread's run time"

# Interrupt moderation: NAPI is woken per 16 skbs, after 50 us or when
# the engine runs dry; the stream is as exact, and out-of-range values
# are refused with nothing changed.
rx ethtool -C px1 rx-usecs 50 rx-frames 16 &&
	rx ethtool -c px1 | grep -q '^rx-usecs:[[:space:]]*50$' &&
	rx ethtool -c px1 | grep -q '^rx-frames:[[:space:]]*16$'
result $? "ethtool -C sets rx-usecs and rx-frames"
xfer 10.77.0.2 $bytes
result $? "IPv4 TCP stream arrives exact with interrupt moderation"
! rx ethtool -C px1 rx-usecs 20000 2>/dev/null &&
	rx ethtool -c px1 | grep -q '^rx-usecs:[[:space:]]*50$'
result $? "ethtool -C refuses rx-usecs beyond 10000 and keeps the old value"
rx ethtool -C px1 rx-usecs 0 rx-frames 0
result $? "ethtool -C turns moderation off"

rx ethtool -K px1 gro off
rx ethtool -k px1 | grep -q "generic-receive-offload: off" &&
	xfer 10.77.0.2 $bytes
result $? "stream with GRO off"
rx ethtool -K px1 gro on
rx ethtool -k px1 | grep -q "generic-receive-offload: on"
result $? "GRO back on"

for mtu in 9000 65535; do
	ip link set px0 mtu $mtu && rx ip link set px1 mtu $mtu &&
		ping -c 1 -W 2 -s $((mtu - 28)) 10.77.0.2 >/dev/null &&
		xfer 10.77.0.2 $bytes
	result $? "MTU $mtu: full-size ping and stream"
done
! ip link set px0 mtu 65536 2>/dev/null
result $? "MTU above 65535 refused"
ip link set px0 mtu 1500
rx ip link set px1 mtu 1500

before=$(stat_of "$ns" px1 rx_placed_bytes)
postrx_xfer 10.77.0.2 $((2 * bytes))
rc=$?
placed=$(stat_of "$ns" px1 rx_placed_bytes)
echo "# px1 rx_placed_bytes $before -> $placed; flows_installed $(stat_of "$ns" px1 flows_installed) flow_add_ok $(stat_of "$ns" px1 flow_add_ok)"
[ $rc = 0 ] && [ "${placed:-0}" -gt "${before:-0}" ]
result $? "postrx receive over pxnic is placed by the device"

# Faults, all at once; the plain stream must stay exact and the postrx
# stream must complete.  All but the forged copy: a forgery that arrives
# where the device's write was dropped contradicts placed bytes, and the
# stream then ends with -EBADMSG by design (design.md); pxnic_test's
# device_faults and device_faults_combined check that outcome.
echo 7 >"$dbg1/fault_drop_placed"
echo 5 >"$dbg1/fault_dup"
echo 3 >"$dbg1/fault_reorder"
echo 20 >"$dbg1/fault_stall_us"
xfer 10.77.0.2 $small
result $? "stream exact under dup, reorder and a stalled engine"
postrx_xfer 10.77.0.2 $small
result $? "postrx stream completes under every fault"
echo 0 >"$dbg1/fault_stall_us"
for k in dup reorder drop; do
	v=$(stat_of "$ns" px1 "rx_fault_$k")
	echo "# rx_fault_$k $v"
done
[ "$(stat_of "$ns" px1 rx_fault_dup)" -gt 0 ] &&
	[ "$(stat_of "$ns" px1 rx_fault_reorder)" -gt 0 ]
result $? "fault counters move"
echo 1 >"$dbg1/fault_flow_add"
f0=$(stat_of "$ns" px1 flow_add_fail)
postrx_xfer 10.77.0.2 $small &&
	[ "$(stat_of "$ns" px1 flow_add_fail)" -gt "${f0:-0}" ]
result $? "a failing flow_add falls back to copy"
for k in drop_placed dup reorder forge flow_add; do echo 0 >"$dbg1/fault_$k"; done

# netem corrupts after the sender's checksum: the device must not place
# or pass up a bad segment as verified, and the stream stays exact.  With
# TSO the debug kernel's 1 MiB stream is only some 16 packets: at 10% one
# run in five has no corrupted packet at all (a CI run met one), so
# transfer again, each stream exact, until one was corrupted (at most 5
# times).  Both of the runner's kernels have sch_netem: without it this
# fails.
if tc qdisc add dev px0 root netem corrupt 10% 2>"$work/netem.err"; then
	bad0=$(stat_of "$ns" px1 rx_csum_bad)
	for try in 1 2 3 4 5; do
		xfer 10.77.0.2 $small
		rc=$?
		bad=$(($(stat_of "$ns" px1 rx_csum_bad) - ${bad0:-0}))
		echo "# transfer $try: rx_csum_bad +$bad"
		[ $rc != 0 ] || [ "$bad" -gt 0 ] && break
	done
	[ $rc = 0 ] && [ "$bad" -gt 0 ]
	result $? "netem corrupt: bad checksums counted, stream exact"
	tc qdisc del dev px0 root
else
	sed 's/^/# tc: /' "$work/netem.err"
	result 1 "netem corrupt: tc cannot add a netem qdisc"
fi

ethtool -S px0 | sed 's/^/# px0 /'
rx ethtool -S px1 | sed 's/^/# px1 /'

# Deleting the namespace deletes px1 and with it px0, mid-stream.
next_port
rx python3 "$work/xfer.py" serve "$port" $((1 << 30)) >/dev/null 2>&1 &
srv=$!
wait_listen "$port" "$ns"
python3 "$work/xfer.py" send 10.77.0.2 "$port" $((1 << 30)) >/dev/null 2>&1 &
cli=$!
sleep 2
ip netns del "$ns"
wait_until 100 0.1 px0_gone
! ip link show px0 >/dev/null 2>&1 && [ ! -e "$dbg0" ] && [ ! -e "$dbg1" ]
result $? "deleting the netns mid-stream removes both devices and their debugfs"
kill $cli $srv 2>/dev/null
wait $cli $srv 2>/dev/null

# A test device is for the machine's administrator: CAP_NET_ADMIN over a
# namespace of one's own (an unprivileged user namespace) is not enough.
out=$(unshare -Urn ip link add px8 type pxnic peer name px9 2>&1)
rc=$?
echo "# in a user namespace: ${out:-created}"
[ $rc != 0 ] && echo "$out" | grep -q "Operation not permitted"
result $? "pxnic refuses a pair from an unprivileged user namespace (EPERM)"

# A second pair, left for rmmod to delete.
ip link add px2 type pxnic peer name px3 &&
	ip link set px2 up && ip link set px3 up
result $? "a pair in one namespace"

mod_unload pxnic
result $? "rmmod pxnic removes the remaining pair"

ktap_finished
