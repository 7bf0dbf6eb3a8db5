#!/usr/bin/env bash
# Build the debug kernel (tinyconfig + selftests/vm/debug.config) from
# Debian's linux-source-6.12 into a cache outside the repository, keyed by
# the source package version and the config's hash, so that unchanged
# inputs rebuild nothing and later builds are incremental.
# Prints the build directory on stdout; progress goes to stderr.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=${POSTRX_CACHE:-/var/cache/postrx}
frag=$top/selftests/vm/debug.config

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 | tr '~:' '__')
tarball=$(ls /usr/src/linux-source-6.12.tar.* | head -1)
srcdir=$cache/src/linux-source-$srcver
if [ ! -f "$srcdir/.extracted" ]; then
	echo "debug-kernel: extracting $tarball" >&2
	rm -rf "$srcdir" "$srcdir.tmp"
	mkdir -p "$srcdir.tmp"
	tar -C "$srcdir.tmp" --strip-components=1 -xf "$tarball"
	mv "$srcdir.tmp" "$srcdir"
	touch "$srcdir/.extracted"
fi

hash=$(sha256sum "$frag" | cut -c1-12)
build=$cache/build/debug-$srcver-$hash
mkdir -p "$build"
if [ ! -f "$build/.config.done" ]; then
	echo "debug-kernel: configuring $build" >&2
	make -s -C "$srcdir" O="$build" ARCH=x86_64 tinyconfig >/dev/null
	"$srcdir/scripts/kconfig/merge_config.sh" -m -O "$build" \
		"$build/.config" "$frag" >/dev/null
	make -s -C "$srcdir" O="$build" ARCH=x86_64 olddefconfig >/dev/null
	# Every fragment line must have survived; a dropped one means a
	# dependency is missing and the checker would silently be absent.
	missing=0
	while IFS= read -r line; do
		case "$line" in CONFIG_*=y) ;; *) continue ;; esac
		grep -qx "$line" "$build/.config" ||
			{ echo "debug-kernel: $line did not stick" >&2; missing=1; }
	done <"$frag"
	[ "$missing" = 0 ] || exit 1
	touch "$build/.config.done"
fi

echo "debug-kernel: building in $build" >&2
make -s -C "$build" ARCH=x86_64 -j"$(nproc)" bzImage modules >&2
echo "$build"
