#!/busybox/busybox sh
# /init of the postrx test guest.  The host's root file system is shared
# read-only over virtio 9p; the guest runs the host's binaries (ip, tc, fio,
# iperf3, the project's build) from it, so nothing has to be copied into
# the initramfs but busybox and this script.
#
# Output protocol, read by run.sh on the host:
#   POSTRX-BEGIN <name> ... POSTRX-END <name> rc=<n>   around each test program
#   POSTRX-DMESG-BEGIN ... POSTRX-DMESG-END             the kernel log at the end
#   POSTRX-DONE                                        the guest finished

export PATH=/usr/sbin:/usr/bin:/busybox
/busybox/busybox --install -s /busybox

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null

set -a
. /postrx/env
set +a

# The stock kernel has 9p as modules: they are in the initramfs, in order.
for m in $(cat /postrx/modules.order 2>/dev/null); do
	insmod "/postrx/modules/$m" || echo "init: insmod $m failed"
done

mkdir -p /host
if ! mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose host /host; then
	echo "init: cannot mount the host file system"; dmesg | tail -20; ls /postrx/modules
	echo POSTRX-DONE
	poweroff -f
fi
mount --bind /host/usr /usr
mount --bind /host/etc/alternatives /etc/alternatives 2>/dev/null
ip link set lo up
hostname postrx-guest

ktap_line() { echo "$1"; }

# The runner's own checks form one more KTAP test program: "vm".
vm_pass=0
vm_fail=0
vm_n=0
vm_result() { # $1 = 0 for ok, $2 = description
	vm_n=$((vm_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $vm_n $2"; vm_pass=$((vm_pass + 1))
	else
		echo "not ok $vm_n $2"; vm_fail=$((vm_fail + 1))
	fi
}

[ -w /sys/kernel/debug/kmemleak ] && echo clear > /sys/kernel/debug/kmemleak

echo "POSTRX-BEGIN vm-setup"
echo "TAP version 13"
if [ "${POSTRX_MODULE:-build}" = dkms ]; then
	# The module make install had DKMS install, found by modprobe in
	# /lib/modules (run.sh --module dkms).
	modprobe postrx
	vm_result $? "modprobe postrx"
	path=$(modinfo -n postrx 2>/dev/null)
	echo "# postrx: $path"
	case "$path" in
	/lib/modules/*/updates/dkms/postrx.ko*) dkms_ok=0 ;;
	*) dkms_ok=1 ;;
	esac
	vm_result $dkms_ok "modprobe found the DKMS-built postrx.ko"
else
	insmod "$POSTRX_KO"
	vm_result $? "insmod postrx.ko"
fi
[ -c /dev/postrx ]
vm_result $? "/dev/postrx exists"
echo "# Totals: pass:$vm_pass fail:$vm_fail xfail:0 xpass:0 skip:0 error:0"
echo "POSTRX-END vm-setup rc=$vm_fail"

export POSTRX_KO POSTRX_TOP POSTRX_BIN POSTRX_KERNEL
cd /tmp
for t in $POSTRX_TESTS; do
	echo "POSTRX-BEGIN $t"
	case "$t" in
	*/*) timeout -s KILL "$POSTRX_TEST_TIMEOUT" /bin/sh "$POSTRX_TOP/$t" ;;
	*.sh) timeout -s KILL "$POSTRX_TEST_TIMEOUT" /bin/sh "$POSTRX_TOP/selftests/postrx/$t" ;;
	*)
		# POSTRX_TEST_ARGS_<program> (other characters than letters,
		# digits and _ as _): arguments, say a kselftest filter.
		eval "args=\${POSTRX_TEST_ARGS_$(echo "$t" | tr -c 'A-Za-z0-9_\n' _):-}"
		# shellcheck disable=SC2086 # split into arguments on purpose
		timeout -s KILL "$POSTRX_TEST_TIMEOUT" "$POSTRX_BIN/$t" $args ;;
	esac
	echo "POSTRX-END $t rc=$?"
	# Invariant: once a program is gone, so is every reference it made
	# to the module (files, rings, sockets with channels).  Teardown of
	# rings and sockets of a dead process finishes asynchronously.
	echo "POSTRX-BEGIN refs-after-$t"
	i=0
	while [ "$(cat /sys/module/postrx/refcnt 2>/dev/null || echo 0)" != 0 ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	refs=$(cat /sys/module/postrx/refcnt 2>/dev/null || echo 0)
	if [ "$refs" = 0 ]; then
		echo "ok 1 module references back to 0 after $t"
		echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
	else
		echo "not ok 1 module references back to 0 after $t: $refs"
		ss -tanei 2>/dev/null | sed 's/^/# /' | head -20
		echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	fi
	echo "POSTRX-END refs-after-$t rc=0"
done

vm_pass=0
vm_fail=0
vm_n=0
echo "POSTRX-BEGIN vm-teardown"
echo "TAP version 13"
if grep -q '^postrx ' /proc/modules; then
	# Ring and socket teardown of killed tests finishes asynchronously.
	i=0
	until rmmod postrx 2>/dev/null || [ $i -ge 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	! grep -q '^postrx ' /proc/modules
	vm_result $? "rmmod postrx.ko after the suite"
	if grep -q '^postrx ' /proc/modules; then
		echo "# postrx refcnt $(cat /sys/module/postrx/refcnt)"
		ss -tanei 2>/dev/null | sed 's/^/# /' | head -40
	fi
fi
if [ -w /sys/kernel/debug/kmemleak ]; then
	# kmemleak reports objects unreferenced for at least 5 s, after two
	# scans; give the module's freed objects time to age out first.
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	leaks=$(cat /sys/kernel/debug/kmemleak)
	[ -z "$leaks" ]
	vm_result $? "kmemleak reports no leak"
	[ -n "$leaks" ] && echo "$leaks" | sed 's/^/# /'
fi
echo "# Totals: pass:$vm_pass fail:$vm_fail xfail:0 xpass:0 skip:0 error:0"
echo "POSTRX-END vm-teardown rc=$vm_fail"

echo POSTRX-DMESG-BEGIN
dmesg
echo POSTRX-DMESG-END
echo POSTRX-DONE
poweroff -f
