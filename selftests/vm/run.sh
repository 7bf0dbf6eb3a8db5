#!/usr/bin/env bash
# Boot a QEMU guest (TCG) on the stock Debian kernel or the debug kernel,
# load postrx.ko, run the named test programs, and judge the run:
#  - each program's kselftest "# Totals:" line (or its exit status),
#  - the guest's kernel log: any BUG/WARNING/Oops/lockdep/kmemleak report
#    fails the run,
#  - a guest that does not finish within --timeout is killed and fails,
#  - every program asked for (and init.sh's own checks around them) must
#    have run: one that never began fails the run.
# Prints "<kernel>: N passed, N failed, N skipped" last; exits 0 only if
# nothing failed.
#
# usage: run.sh [--kernel stock|debug] [--timeout SECS] [--mem MIB]
#               [--test-timeout SECS] [--nvme N] [--module build|dkms]
#               -- TEST...
# TEST is the name of a program in build/selftests/ or of a script in
# selftests/postrx/.  --nvme N (or POSTRX_NVME_DISKS=N) gives the guest N
# emulated NVMe disks of POSTRX_NVME_SIZE (default 8G) each: sparse raw
# images in the VM directory, empty at every boot; the guest sees
# POSTRX_NVME_DISKS and loads the stock nvme driver itself.
# --module dkms (or POSTRX_MODULE=dkms), stock kernel only: the guest
# loads the modules that make install had DKMS build and install on this
# machine, with modprobe from /lib/modules (the host's, over 9p), instead
# of build/stock/kernel/postrx.ko; tests that reload a module by path get
# copies of those same DKMS-built files.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=$top/build
flavour=stock
timeout=900
test_timeout=600
mem=2048
nvme=${POSTRX_NVME_DISKS:-0}
module=${POSTRX_MODULE:-build}

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) flavour=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--nvme) nvme=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
tests="$*"

kver=$(cat "$build/.deps")
# POSTRX_CMDLINE: more kernel parameters (page_poison=1, loglevel=7, ...).
cmdline_extra="${POSTRX_CMDLINE:-}"

case "$flavour" in
stock)
	kimage=/boot/vmlinuz-$kver
	;;
debug)
	kimage=$(cat "$build/.debug-kdir")/arch/x86/boot/bzImage
	mem=$((mem + 1024))	# KASAN shadow and kmemleak pools
	# ACPI's AML interpreter is so slow under KASAN and TCG that routing
	# the virtio-9p device's interrupt through _PRT times out; the MP
	# table routes it just as well.
	cmdline_extra="pci=noacpi $cmdline_extra"
	;;
*) echo "run.sh: unknown kernel $flavour" >&2; exit 2 ;;
esac
# POSTRX_VM_DIR lets runs that overlap in time keep their files apart.
vmdir=${POSTRX_VM_DIR:-$build/vm/$flavour}
rm -rf "$vmdir"
mkdir -p "$vmdir/root"/{busybox,postrx/modules,proc,sys,dev,tmp,run,usr,etc/alternatives,root}
root=$vmdir/root

case "$module" in
build) ko=$build/$flavour/kernel/postrx.ko ;;
dkms)
	[ "$flavour" = stock ] || { echo "run.sh: --module dkms needs the stock kernel" >&2; exit 2; }
	# The DKMS-built files, decompressed into the layout the tests
	# expect (pxnic/pxnic.ko beside postrx.ko).
	dkmsdir=/lib/modules/$kver/updates/dkms
	mkdir -p "$vmdir/dkms/pxnic"
	for m in postrx pxnic; do
		f=$(ls "$dkmsdir/$m.ko"* 2>/dev/null | head -1)
		[ -n "$f" ] || { echo "run.sh: no $m.ko in $dkmsdir (make install first)" >&2; exit 2; }
		out=$vmdir/dkms/$m.ko
		[ $m = pxnic ] && out=$vmdir/dkms/pxnic/pxnic.ko
		case "$f" in
		*.xz) xz -dc "$f" >"$out" ;;
		*.zst) zstd -qdc "$f" >"$out" ;;
		*) cp "$f" "$out" ;;
		esac
	done
	ko=$vmdir/dkms/postrx.ko
	;;
*) echo "run.sh: unknown --module $module" >&2; exit 2 ;;
esac
for f in "$kimage" "$ko"; do
	[ -e "$f" ] || { echo "run.sh: missing $f (run make first)" >&2; exit 2; }
done

# ---- initramfs: busybox, /init, and (stock only) the 9p modules
cp /bin/busybox "$root/busybox/busybox"
cp "$top/selftests/vm/init.sh" "$root/init"
chmod +x "$root/init"
for l in bin sbin lib lib64; do ln -s "usr/$l" "$root/$l"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"

if [ "$flavour" = stock ]; then
	# Dependency order from the stock kernel's modules.dep, decompressed
	# so that busybox insmod can load them before /usr is there.
	modprobe -S "$kver" --show-depends -a 9p 9pnet_virtio |
		awk '$1 == "insmod" {print $2}' | awk '!seen[$0]++' |
		while read -r m; do
			name=$(basename "$m"); name=${name%.xz}; name=${name%.zst}
			case "$m" in
			*.xz) xz -dc "$m" >"$root/postrx/modules/$name" ;;
			*.zst) zstd -qdc "$m" >"$root/postrx/modules/$name" ;;
			*) cp "$m" "$root/postrx/modules/$name" ;;
			esac
			echo "$name" >>"$root/postrx/modules.order"
		done
fi

# Paths as the guest sees them: the host's / is mounted at /host.
cat >"$root/postrx/env" <<EOT
POSTRX_TOP=/host$top
POSTRX_BIN=/host$build/selftests
POSTRX_KO=/host$ko
POSTRX_TESTS="$tests"
POSTRX_TEST_TIMEOUT=$test_timeout
POSTRX_KERNEL=$flavour
POSTRX_NVME_DISKS=$nvme
POSTRX_MODULE=$module
${POSTRX_GUEST_ENV:-}
EOT
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$vmdir/initramfs.gz"

# ---- NVMe disks: QEMU's NVMe controller does the DMA, as a real disk
# does, so O_DIRECT I/O to them costs the guest no copy (a loop device's
# worker would copy every byte).  One controller per disk.
disks=()
case "$nvme" in ''|*[!0-9]*) echo "run.sh: --nvme needs a number" >&2; exit 2 ;; esac
for i in $(seq 1 "$nvme"); do
	img=$vmdir/nvme$i.img
	truncate -s "${POSTRX_NVME_SIZE:-8G}" "$img"
	disks+=(-drive "file=$img,if=none,id=nvme$i,format=raw,cache=unsafe,discard=unmap"
		-device "nvme,serial=postrx$i,drive=nvme$i")
done

# ---- boot
# TCG only: KVM is not usable on these machines (see DESIGN.md).  qemu64
# with two vCPUs boots the Debian kernel reliably under TCG.  Without cx16
# the kernel never runs cmpxchg16b, whose emulation the SLUB crashes in
# docs/reliability.md point at; a -cpu in POSTRX_QEMU_EXTRA comes later
# and wins.
log=$vmdir/console.log
echo "# $flavour kernel: booting $(basename "$kimage") with: $tests"
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 \
	-machine pc -accel tcg -cpu qemu64,-cx16 -smp 2 -m "$mem" \
	-nodefaults -display none -no-reboot \
	-chardev stdio,id=con,signal=off -serial chardev:con \
	-kernel "$kimage" -initrd "$vmdir/initramfs.gz" \
	-append "console=ttyS0 quiet panic=-1 rdinit=/init $cmdline_extra" \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	"${disks[@]}" ${POSTRX_QEMU_EXTRA:-} </dev/null 2>&1 | sed -u 's/\r$//' | tee "$log" |
	sed -u -e '/^POSTRX-DMESG-BEGIN/,/^POSTRX-DMESG-END/d' \
		-e 's/^POSTRX-BEGIN \(.*\)/# ---- \1/' -e '/^POSTRX-/d'
qrc=${PIPESTATUS[0]}
set -e

# What init.sh runs, in its order: judge.awk fails each one that did not.
expected="vm-setup"
for t in $tests; do
	expected="$expected $t refs-after-$t"
done
expected="$expected vm-teardown"

exec awk -v flavour="$flavour" -v qrc="$qrc" -v timeout="$timeout" \
	-v expected="$expected" -f "$top/selftests/vm/judge.awk" "$log"
