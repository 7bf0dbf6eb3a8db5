#!/bin/sh
# The installed packages (make deb; apt install) in the guest, which sees
# the host's /usr and /lib/modules over 9p.  Not part of make check (the
# packages are not installed there); run it on a host where they are:
#
#   bash selftests/vm/run.sh --module dkms -- selftests/vm/installed.sh
#
# vm-setup has loaded the DKMS-built postrx.ko with modprobe.  Here: the
# packaged postrx-recv receives a stream from the packaged postrx-send,
# exactly, through postrx; the preload library loads by name, and an
# unmodified liburing loop receives through postrx under it; pxnic.ko
# loads with modprobe and the packaged iproute2 plugin creates a pair.
# shellcheck source=../postrx/lib.sh
. "$(dirname "$0")/../postrx/lib.sh"
libdir=/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
ktap_header
work_dir installed

for f in /usr/bin/postrx-recv /usr/bin/postrx-send "$libdir/liburing-ext.so.1" \
	 "$libdir/ip/link_pxnic.so"; do
	[ -e "$f" ]
	result $? "$f is installed"
done

size=$((16 << 20))
next_port
/usr/bin/postrx-recv -o "$work/stream.dat" -p "$port" --json >"$work/recv.json" 2>"$work/recv.err" &
rpid=$!
wait_listen "$port"
/usr/bin/postrx-send -H 127.0.0.1 -p "$port" -s $size -q
result $? "postrx-send sent $size bytes"
wait $rpid
result $? "postrx-recv exited 0"
note <"$work/recv.err"
/usr/bin/postrx-send --stdout -s $size | cmp - "$work/stream.dat"
result $? "the file equals the stream"
# STATS accounts for every byte: placed, copied at receive or late.
field() { sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" "$work/recv.json"; }
grep -q '"mode": *"postrx"' "$work/recv.json" &&
	[ $(($(field placed_bytes) + $(field copied_rx_bytes) + $(field copied_late_bytes))) = $size ]
rc=$?
[ $rc = 0 ] || note <"$work/recv.json"
result $rc "postrx-recv received through postrx"

out=$(LD_PRELOAD=liburing-ext-preload.so /bin/true 2>&1)
[ -z "$out" ]
result $? "LD_PRELOAD=liburing-ext-preload.so loads by name"
[ -z "$out" ] || echo "# $out"

# Drop-in through the packaged preload library: the build's unmodified
# liburing loop (linked with liburing only) receives through postrx.
loop=$POSTRX_TOP/build/liburing-ext/examples/recv-loop
if [ -x "$loop" ] && [ -x "$POSTRX_BIN/rxbench" ]; then
	next_port
	LD_PRELOAD=liburing-ext-preload.so LIBURING_EXT_VERBOSE=1 \
		"$loop" "$port" >"$work/loop.out" 2>"$work/loop.err" &
	lpid=$!
	wait_listen "$port"
	LD_LIBRARY_PATH=$POSTRX_TOP/build/liburing-ext \
		"$POSTRX_BIN/rxbench" send 127.0.0.1 "$port" $size
	wait $lpid && grep -q "received $size bytes" "$work/loop.out" &&
		grep -q "upgraded [1-9]" "$work/loop.err"
	rc=$?
	echo "# $(cat "$work/loop.out" "$work/loop.err")"
else
	echo "# $loop or rxbench not built (make)"
	rc=1
fi
result $rc "an unmodified liburing loop under the packaged preload library receives through postrx"

at_exit mod_unload pxnic
modprobe pxnic
result $? "modprobe pxnic"
case "$(modinfo -n pxnic 2>/dev/null)" in
/lib/modules/*/updates/dkms/pxnic.ko*) rc=0 ;;
*) rc=1 ;;
esac
result $rc "modprobe found the DKMS-built pxnic.ko"
at_exit "ip link del pxa 2>/dev/null"
ip link add pxa type pxnic peer name pxb && [ -d /sys/class/net/pxb ]
result $? "ip link add ... type pxnic, with the packaged plugin"
ip link del pxa 2>/dev/null
rmmod pxnic
result $? "rmmod pxnic"

ktap_finished
