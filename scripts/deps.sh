#!/usr/bin/env bash
# Install what postrx needs from Debian's packages, choosing kernel versions
# at run time: the newest 6.12 generic amd64 kernel for which headers, an
# unsigned image and a matching source package are all in the archive.
# Prints nothing but errors when everything is present already.
set -euo pipefail

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

# Wait for the package lock rather than fail at once: make demo and make
# bench started side by side both install what they miss.
apt_get="apt-get -o DPkg::Lock::Timeout=600"

apt_updated=0
apt_update() {
	[ "$apt_updated" = 1 ] && return
	echo "deps: apt-get update" >&2
	$sudo $apt_get update -qq >/dev/null
	apt_updated=1
}

# Newest N in linux-headers-6.12.N+debXX-amd64 that also has -unsigned image.
pick_kver() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb[0-9]+-amd64$' |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V -r |
		while read -r v; do
			if apt-cache show "linux-image-$v-unsigned" >/dev/null 2>&1; then
				echo "$v"
				break
			fi
		done
}

# make install on a real machine needs only a compiler, liburing, dkms and
# the headers of a 6.12 kernel: of the running kernel when it is one (the
# user's 6.12 from bookworm-backports), else the newest installed.  It
# installs no kernel image and nothing the test guest needs.
if [ "${1:-}" = install ]; then
	missing=""
	for p in build-essential kmod pkg-config liburing-dev dkms; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	run=$(uname -r)
	case "$run" in
	6.12.*)
		kver=$run
		[ -e "/lib/modules/$run/build" ] || missing="$missing linux-headers-$run"
		;;
	*)
		kver=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null |
			sed 's|.*/linux-headers-||' | sort -V | tail -1 || true)
		[ -n "$kver" ] || { echo "deps: the running kernel is $run; postrx needs a 6.12 kernel and its headers (linux-image-amd64 and linux-headers-amd64 from bookworm-backports)" >&2; exit 1; }
		;;
	esac
	if [ -n "$missing" ]; then
		apt_update
		echo "deps: installing$missing" >&2
		$sudo env DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends $missing >/dev/null
	fi
	echo "$kver"
	exit 0
fi

# dpkg-dev: dpkg-source, for the source packages of fio and liburing
# (scripts/deb-src.sh); debhelper and fakeroot: dpkg-buildpackage of the
# patched liburing (scripts/liburing-patched.sh).
tools="build-essential bc bison flex libelf-dev libssl-dev dwarves cpio kmod
       sparse python3 pkg-config qemu-system-x86 liburing-dev fio iperf3
       busybox-static iproute2 linux-source-6.12 xz-utils zstd ethtool
       dpkg-dev debhelper fakeroot"
# make bench and make demo draw their plots with matplotlib.  make deb
# builds Debian packages with debhelper (dh_dkms for postrx-dkms) and
# checks them with lintian.
case "${1:-}" in
bench|demo) tools="$tools python3-matplotlib e2fsprogs" ;;
deb) tools="$tools debhelper dh-dkms fakeroot lintian" ;;
esac

missing=""
for p in $tools; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done

kver=$(ls -d /usr/src/linux-headers-6.12.*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -1 || true)
if [ -z "$kver" ] || [ ! -e "/boot/vmlinuz-$kver" ]; then
	apt_update
	kver=$(pick_kver)
	[ -n "$kver" ] || { echo "deps: no linux 6.12 amd64 kernel in the archive" >&2; exit 1; }
	missing="$missing linux-headers-$kver linux-image-$kver-unsigned"
fi

if [ -n "$missing" ]; then
	apt_update
	echo "deps: installing$missing" >&2
	$sudo env DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends $missing >/dev/null
fi
echo "$kver"
