#!/usr/bin/env bash
# Print the directory of a configured fio source tree for the installed fio,
# fetching it first if needed.  An external fio ioengine must be compiled
# against the headers of the very fio that loads it (struct thread_data and
# struct ioengine_ops are not a stable ABI; fio checks only
# FIO_IOOPS_VERSION), and against the config-host.h its ./configure writes.
#
# usage: fio-src.sh [CACHE]        (default /var/cache/postrx)
#
# The source package of the installed version comes from Debian's pool (no
# deb-src line needed): the .dsc over HTTPS names the upstream tarball and
# Debian's patches, and dpkg-source checks their checksums and applies the
# patches.  The tree lands in CACHE/src/fio-<version>, is configured once,
# and is reused afterwards.  Nothing of it enters the repository.
set -euo pipefail

cache=${1:-/var/cache/postrx}
mirror=${DEBIAN_MIRROR:-https://deb.debian.org/debian}

ver=$(dpkg-query -W -f='${Version}' fio 2>/dev/null) || {
	echo "fio-src: fio is not installed" >&2
	exit 1
}
nover=${ver#*:}			# pool file names carry no epoch
dir=$cache/src/fio-$nover
if [ -e "$dir/.configured" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$cache/src"
tmp=$(mktemp -d "$cache/src/.fio-$nover.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

pool=$mirror/pool/main/f/fio
fetch() { # $1 = file name in the pool
	curl -fsSL --retry 3 -o "$tmp/$1" "$pool/$1" || {
		echo "fio-src: cannot fetch $pool/$1" >&2
		exit 1
	}
}

echo "fio-src: fetching the source of fio $ver into $dir" >&2
fetch "fio_$nover.dsc"
# The files of the source package, as the .dsc lists them.
files=$(awk '/^Checksums-Sha256:/ { on = 1; next }
	     /^[^ ]/ { on = 0 }
	     on && NF == 3 { print $3 }' "$tmp/fio_$nover.dsc")
[ -n "$files" ] || { echo "fio-src: no files listed in fio_$nover.dsc" >&2; exit 1; }
for f in $files; do
	fetch "$f"
done
# --no-check: the .dsc's signature (it came over HTTPS); the checksums of
# the files it lists are still verified.
(cd "$tmp" && dpkg-source -q --no-check -x "fio_$nover.dsc" fio >/dev/null) || {
	echo "fio-src: dpkg-source failed to unpack fio_$nover.dsc" >&2
	exit 1
}

# Debian configures with --disable-native; nothing in the structures an
# engine sees depends on the other options.
(cd "$tmp/fio" && ./configure --disable-native >configure.out 2>&1) || {
	echo "fio-src: ./configure failed; see $tmp/fio/configure.out" >&2
	trap - EXIT
	exit 1
}
touch "$tmp/fio/.configured"
# Another build may have won the race; its tree is as good as ours.
mv -T "$tmp/fio" "$dir" 2>/dev/null || [ -e "$dir/.configured" ]
echo "$dir"
