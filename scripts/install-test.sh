#!/usr/bin/env bash
# make install-check (run by make check, on the host, in about a second):
# make install into a temporary DESTDIR, compare what it put down with
# the expected file list, check the manifest names exactly those files,
# then make uninstall and check that nothing is left, not even a
# directory.  Staging runs neither DKMS nor ldconfig, so no root is
# needed; the real installation is checked by hand (README, "On a real
# machine").
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
version=$(cat "$top/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
fail=0
not_ok() { echo "not ok install-check: $*"; fail=1; }

run_make() {
	make --no-print-directory -C "$top" "$@" >"$tmp/make.log" 2>&1 ||
		{ cat "$tmp/make.log"; not_ok "make $*"; exit 1; }
}

# Every file install puts down for PREFIX=/usr/local.
expected() {
	local p=/usr/local s=/usr/src/postrx-$version f
	echo "$s/dkms.conf"
	(cd "$top" && find kernel uapi -type f \( -name '*.[ch]' -o -name Kbuild \) \
		-not -path 'kernel/pxnic/iproute2/*') | sed "s|^|$s/|"
	echo "$p/include/linux/postrx.h"
	echo "$p/include/liburing/postrx.h"
	for f in liburing-ext.a liburing-ext.so.1 liburing-ext.so liburing-ext-preload.so \
		 pkgconfig/liburing-ext.pc ip/link_pxnic.so; do
		echo "$p/lib/$f"
	done
	(cd "$top/liburing-ext/man" && ls *.3) | sed "s|^|$p/share/man/man3/|"
	echo "$p/bin/postrx-recv"
	echo "$p/bin/postrx-send"
	echo "$p/share/man/man1/postrx-recv.1"
	echo "$p/share/man/man1/postrx-send.1"
	echo "$p/share/doc/postrx/examples/modules-load.d/postrx.conf"
	echo "$p/share/postrx/install-manifest"
}

run_make install DESTDIR="$dest"
expected | LC_ALL=C sort >"$tmp/expected"
(cd "$dest" && find . -not -type d | sed 's|^\.||') | LC_ALL=C sort >"$tmp/found"
if ! diff -u "$tmp/expected" "$tmp/found" >"$tmp/diff"; then
	not_ok "installed files differ from the expected list (- expected, + found):"
	sed 's/^/# /' "$tmp/diff"
fi

manifest=$dest/usr/local/share/postrx/install-manifest
awk '$1 == "f" || $1 == "l" {print $2}' "$manifest" | LC_ALL=C sort >"$tmp/listed"
diff -q "$tmp/listed" "$tmp/found" >/dev/null || not_ok "the manifest does not list exactly the files installed"
grep -q '^dkms ' "$manifest" && not_ok "a DESTDIR install registered with DKMS"

# The staged pieces are usable: the version is filled in, the library's
# symlink and pkg-config paths are right, the tools have no run-path.
grep -qx "PACKAGE_VERSION=\"$version\"" "$dest/usr/src/postrx-$version/dkms.conf" ||
	not_ok "dkms.conf has no PACKAGE_VERSION=\"$version\""
[ "$(readlink "$dest/usr/local/lib/liburing-ext.so")" = liburing-ext.so.1 ] ||
	not_ok "liburing-ext.so does not point at liburing-ext.so.1"
grep -qx 'libdir=/usr/local/lib' "$dest/usr/local/lib/pkgconfig/liburing-ext.pc" ||
	not_ok "liburing-ext.pc: libdir is not /usr/local/lib"
if readelf -d "$dest/usr/local/bin/postrx-recv" | grep -Eq 'RPATH|RUNPATH'; then
	not_ok "postrx-recv carries a run-path"
fi
make --no-print-directory -C "$top" install DESTDIR="$dest" >/dev/null 2>&1 &&
	not_ok "a second install over the first did not refuse"

run_make uninstall DESTDIR="$dest"
left=$(cd "$dest" 2>/dev/null && find . -mindepth 1 | head -5)
[ -z "$left" ] || not_ok "uninstall left: $left"

[ $fail = 0 ] && echo "ok install-check: $(wc -l <"$tmp/expected") files installed into DESTDIR and removed again"
exit $fail
