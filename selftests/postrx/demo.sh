#!/bin/sh
# The main job in the guest: network to O_DIRECT storage with no copy.
# A pxnic pair (the header-split NIC model) joins the root namespace and a
# second one, MTU 9000.  postrx-send in the second namespace sends DEMO_BYTES
# of the test stream (default 256 MiB); postrx-recv in the root namespace
# receives it into ext4 on a loop device, twice: with postrx (buffers posted
# ahead, the device writes the payload into them, the same pages go to the
# disk with O_DIRECT) and with --plain (recv() copies every byte into user
# memory, then pwrite(), O_DIRECT too).  Both files must be exact; the
# table at the end says who moved the bytes.
#
# The receiver runs without --verify by default, so that its CPU time is
# the receive and write path and not the pattern check (which costs more
# than the copy under TCG); the files are compared with the stream
# (postrx-send --stdout) and with each other afterwards.  DEMO_VERIFY=1
# checks while receiving as well.
bin=$POSTRX_BIN
tools=$POSTRX_TOP/build/tools
export LD_LIBRARY_PATH=$POSTRX_TOP/build/liburing-ext	# rpath is the host's path
ko=$(dirname "$POSTRX_KO")/pxnic/pxnic.ko
bytes=${DEMO_BYTES:-268435456}
verify=${DEMO_VERIFY:+--verify}
ns=pxdemo
rxaddr=10.98.0.1
work=/tmp/pxdemo
dir=$work/ext4		# the file system the files go to
port=7100
n=0
fail=0
result() { # $1 = status, $2 = description
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fail=$((fail + 1)); fi
}
totals() {
	echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
}
stat_of() { # $1 = device in the root namespace, $2 = ethtool -S counter
	ethtool -S "$1" 2>/dev/null | awk -v k="$2:" '$1 == k {print $2}'
}
jget() { # $1 = JSON file, $2 = key: the number (or string) after it
	sed -n "s/.*\"$2\": \"\{0,1\}\([^,\"}]*\).*/\1/p" "$1"
}
wait_listen() { # $1 = port
	i=0
	while ! ss -ltn | grep -q ":$1 " && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}

cleanup() {
	rm -f $dir/*.dat $dir/*.part 2>/dev/null
	umount $work/ext4 2>/dev/null
	[ -n "$loopdev" ] && losetup -d "$loopdev"
	loopdev=
	ip netns del $ns 2>/dev/null	# takes px1 and with it px0
	i=0
	while grep -q '^pxnic ' /proc/modules && ! rmmod pxnic 2>/dev/null &&
	      [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	rm -rf $work
}

echo "TAP version 13"
echo "# kernel $(uname -r)"
if out=$("$bin/postrx_query"); then
	echo "$out" | sed 's/^/# /'
	result 0 "postrx answers QUERY over io_uring"
else
	result 1 "postrx answers QUERY over io_uring"
fi
rm -rf $work; mkdir -p $work
trap cleanup EXIT

# Both files live in ext4 on a loop device whose image is in /tmp, that
# is in the guest's RAM (tmpfs, half of it): shrink the stream if two
# copies and some room for ext4 do not fit, and say so.
room=$(($(df -k /tmp | awk 'NR == 2 {print $4}') * 1024))
while [ $((2 * bytes + (64 << 20))) -gt "$room" ] && [ $bytes -gt $((16 << 20)) ]; do
	bytes=$((bytes / 2))
done
[ $bytes != "${DEMO_BYTES:-268435456}" ] &&
	echo "# /tmp has $((room >> 20)) MiB free: the stream is $((bytes >> 20)) MiB, not ${DEMO_BYTES:-268435456} bytes"
echo "# stream: $bytes bytes ($((bytes >> 20)) MiB) of postrx-send's test stream, twice"

# ---- the NIC: a pxnic pair, MTU 9000
IP_LIB_DIR=$POSTRX_TOP/build/iproute2
if [ ! -e "$IP_LIB_DIR/link_pxnic.so" ]; then	# the repo is read-only here
	IP_LIB_DIR=/tmp/pxnic-iproute2
	make -s -C "$POSTRX_TOP/kernel/pxnic/iproute2" O=$IP_LIB_DIR >/dev/null 2>&1
fi
export IP_LIB_DIR
insmod "$ko"
result $? "insmod pxnic.ko"
ip netns add $ns &&
	ip link add px0 type pxnic peer name px1 netns $ns &&
	ip link set px0 mtu 9000 && ip -n $ns link set px1 mtu 9000 &&
	ip addr add $rxaddr/24 dev px0 && ip link set px0 up &&
	ip -n $ns addr add 10.98.0.2/24 dev px1 && ip -n $ns link set px1 up &&
	ip -n $ns link set lo up &&
	ping -c 2 -W 5 -s 8972 10.98.0.2 >/dev/null
result $? "pxnic pair px0 (here) / px1 (netns $ns), MTU 9000, full-size ping"

# ---- the disk: ext4 on a loop device, for O_DIRECT
mkdir -p $dir
modprobe loop 2>/dev/null; modprobe ext4 2>/dev/null
truncate -s $((2 * bytes + bytes / 4 + (64 << 20))) $work/ext4.img &&
	mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 $work/ext4.img &&
	loopdev=$(losetup -f --show $work/ext4.img) &&
	mount -t ext4 "$loopdev" $dir
result $? "ext4 on a loop device ($((($(stat -c %s $work/ext4.img) >> 20))) MiB sparse image in /tmp)"
if mountpoint -q $dir; then
	direct=1
else
	direct=0
	echo "# no ext4: writing to tmpfs instead, O_DIRECT not checked"
fi

# run MODE [ARGS...]: one stream received by postrx-recv ARGS into
# $dir/MODE.dat; its length, its bytes (against the stream) and, on ext4,
# that all of it went with O_DIRECT.
run() {
	mode=$1
	shift
	port=$((port + 1))
	placed0=$(stat_of px0 rx_placed_bytes)
	"$tools/postrx-recv" -p $port $verify --json -o $dir/$mode.dat "$@" \
		>$work/$mode.json 2>$work/$mode.err &
	rxpid=$!
	wait_listen $port
	ip netns exec $ns timeout 500 "$tools/postrx-send" -q -H $rxaddr -p $port -s $bytes
	wait $rxpid; rc=$?
	placed1=$(stat_of px0 rx_placed_bytes)
	eval "dev_$mode=$((${placed1:-0} - ${placed0:-0}))"
	echo "# $(cat $work/$mode.json)"
	sed 's/^/# /' $work/$mode.err
	[ $rc = 0 ] && [ "$(jget $work/$mode.json bytes)" = $bytes ] &&
		[ "$(stat -c %s $dir/$mode.dat 2>/dev/null)" = $bytes ] &&
		"$tools/postrx-send" --stdout -s $bytes | cmp - $dir/$mode.dat &&
		{ [ $direct = 0 ] ||
		  [ "$(jget $work/$mode.json write_direct_bytes)" = $bytes ]; }
}

# 128 buffers of 1 MiB: what is posted ahead must cover what arrives
# while filled buffers wait for their writes, or segments find no buffer
# and are copied late (under TCG, 16 or 64 left a third of the stream to
# copies at times; 128 placed all of it).
run postrx -q 128
result $? "postrx: $((bytes >> 20)) MiB over pxnic into a file, exact, O_DIRECT"
run plain --plain
result $? "plain recv(): $((bytes >> 20)) MiB over pxnic into a file, exact, O_DIRECT"
cmp $dir/postrx.dat $dir/plain.dat
result $? "the two files are identical"

placed=$(jget $work/postrx.json placed_bytes)
[ "${placed:-0}" -gt 0 ] && [ "$dev_postrx" -gt 0 ]
result $? "postrx: the device placed payload into the posted buffers"

# ---- the table: the tool's own numbers, and the device's
echo "#"
printf '# %-7s %8s %10s %12s %12s %12s\n' mode Gbit/s "CPU s/GiB" placed copied O_DIRECT
for mode in postrx plain; do
	j=$work/$mode.json
	printf '# %-7s %8s %10s %12s %12s %12s\n' $mode \
		"$(jget $j throughput_gbps)" "$(jget $j cpu_s_per_gib)" \
		"$(jget $j placed_bytes)" \
		"$(($(jget $j copied_rx_bytes) + $(jget $j copied_late_bytes) + 0))" \
		"$(jget $j write_direct_bytes)"
done
echo "# placed: written into the posted buffers by the device; copied: by the"
echo "# kernel into user memory (at receive, or late); CPU: the receiving"
echo "# process (user + system), softirq not included${verify:+, --verify included}; under TCG."
echo "# pxnic px0 rx_placed_bytes: +$dev_postrx during the postrx run, +$dev_plain during the plain run"
ethtool -S px0 | grep -E 'rx_(segs|bytes|placed_segs|placed_bytes|fallback_[a-z]+):' |
	awk '$2 != 0' | sed 's/^ */# px0 /'

cleanup
! grep -q '^pxnic ' /proc/modules
result $? "cleanup: netns, loop device, rmmod pxnic"
totals
[ "$fail" = 0 ]
