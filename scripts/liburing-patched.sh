#!/usr/bin/env bash
# make liburing-patched: Debian's liburing with postrx's patches
# (liburing-ext/patches/), as Debian packages and as libraries to link
# against, and liburing's own test suite for the guest.
#
# usage: liburing-patched.sh BUILD [CACHE]
#
# Into CACHE/build/liburing-patched-<hash of the inputs>/, copied to
# BUILD/liburing-patched/:
#   deb/*.deb             liburing2, liburing-dev (and -dbgsym) of version
#                         <Debian's>+postrx1, built by dpkg-buildpackage
#   lib/                  liburing.a, liburing.so.2* (patched), include/
#   recv-loop-static      liburing-ext/examples/recv-loop.c, unmodified,
#                         linked statically (-static) against lib/liburing.a
#   dropin-update-static  liburing-ext/test/dropin-update.c, the same way
#   tree/liburing/test/   liburing's tests, linked statically against the
#                         patched liburing.a (by the package build)
#   suite/test/, test-dyn/ the same tests, unpatched: linked statically
#                         against the unpatched liburing.a, and against
#                         liburing.so.2 (for the preload library)
#                         (selftests/postrx/liburing_suite_test.sh)
#
# The source is the one of the installed liburing-dev, fetched by
# scripts/deb-src.sh through the machine's apt sources; nothing of it
# enters the repository.  The patches need liburing-ext's own sources:
# they are copied into the tree (src/postrx/, src/include/), so that the
# drop-in core has one source, compiled into both libraries.  A stamp
# of the inputs makes a second run with nothing changed do nothing.
set -euo pipefail

build=${1:?usage: liburing-patched.sh BUILD [CACHE]}
cache=${2:-/var/cache/postrx}
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$build/liburing-patched
ext=$top/liburing-ext
suffix=+postrx1
jobs=-j2

copied=("$ext/src/postrx.c" "$ext/src/dropin-core.c" "$ext/src/dropin.h" "$ext/src/real.h"
	"$ext/include/liburing/postrx.h" "$top/uapi/linux/postrx.h")
src=$(bash "$top/scripts/deb-src.sh" liburing-dev "$cache")
stamp=$(cat "$0" "$ext/patches/series" "$ext/patches"/*.patch "${copied[@]}" \
	"$ext/examples/recv-loop.c" "$ext/test/dropin-update.c" | sha256sum | cut -c1-16)-$(basename "$src")
if [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi
# Built once per input set, outside the checkout, as the debug kernel
# is (a fresh clone then copies 60 MB instead of building for minutes),
# and copied into BUILD: the guest sees the checkout, not the cache.
out=$cache/build/liburing-patched-${stamp%%-*}
install_copy() {
	rm -rf "$dest"
	mkdir -p "$build"
	cp -a "$out" "$dest"
}
# Checkouts side by side (worktrees, a CI clone) share the cache: one
# build at a time, and only trees unused for a day are taken away, so
# a build never deletes the tree another checkout is copying.
mkdir -p "$cache/build"
exec 9>"$cache/build/liburing-patched.lock"
flock 9
if [ "$(cat "$out/.stamp" 2>/dev/null)" = "$stamp" ]; then
	touch "$out"
	install_copy
	exit 0
fi
find "$cache/build" -maxdepth 1 -name 'liburing-patched-*' -type d \
	-mmin +1440 -exec rm -rf {} +
rm -rf "$out"
mkdir -p "$out"
log=$out/build.log
fail() {
	echo "liburing-patched: $1; see $log" >&2
	exit 1
}

# ---- the patched tree
tree=$out/tree/liburing
mkdir -p "$out/tree"
cp -a "$src" "$tree"
rm -f "$tree/.unpacked"
mkdir -p "$tree/src/postrx" "$tree/src/include/linux"
cp "$ext/src/postrx.c" "$ext/src/dropin-core.c" "$ext/src/dropin.h" "$ext/src/real.h" \
	"$tree/src/postrx/"
cp "$ext/include/liburing/postrx.h" "$tree/src/include/liburing/"
cp "$top/uapi/linux/postrx.h" "$tree/src/include/linux/"
while read -r p; do
	case "$p" in ''|'#'*) continue ;; esac
	patch -d "$tree" -p1 -s --no-backup-if-mismatch <"$ext/patches/$p" >>"$log" 2>&1 ||
		fail "patch $p does not apply to $(basename "$src")"
done <"$ext/patches/series"

# The version says what it is: Debian's, then +postrx1 (sorts after it,
# before Debian's next revision).
(cd "$tree" && {
	srcname=$(dpkg-parsechangelog -S Source)
	ver=$(dpkg-parsechangelog -S Version)$suffix
	dist=$(dpkg-parsechangelog -S Distribution)
	{
		printf '%s (%s) %s; urgency=medium\n\n' "$srcname" "$ver" "$dist"
		printf '  * postrx: liburing-ext helpers, probing and drop-in mode built in\n'
		printf '    (liburing-ext/patches/ of the postrx sources).\n\n'
		printf ' -- postrx <postrx@localhost>  %s\n\n' "$(date -R)"
		cat debian/changelog
	} >debian/changelog.new && mv debian/changelog.new debian/changelog
	# liburing-dev now ships liburing/postrx.h and linux/postrx.h, which
	# liburing-ext-dev ships too: one or the other.
	awk '{ print }
	     /^Package: liburing-dev$/ { print "Conflicts: liburing-ext-dev"
					 print "Replaces: liburing-ext-dev" }' \
		debian/control >debian/control.new && mv debian/control.new debian/control
	# The new symbols, so that dpkg-gensymbols knows them.
	for s in LIBURING_EXT_1.0@LIBURING_EXT_1.0 LIBURING_EXT_1.1@LIBURING_EXT_1.1 \
		io_uring_postrx_disable@LIBURING_EXT_1.0 io_uring_postrx_enable@LIBURING_EXT_1.0 \
		io_uring_postrx_open@LIBURING_EXT_1.0 io_uring_postrx_probe@LIBURING_EXT_1.0 \
		io_uring_postrx_register@LIBURING_EXT_1.0 io_uring_postrx_sock_stats@LIBURING_EXT_1.1 \
		io_uring_postrx_upgraded@LIBURING_EXT_1.0; do
		echo " $s $ver"
	done >>debian/liburing2.symbols
}) || fail "cannot edit debian/ in the tree"

# ---- the packages: Debian's own build, its tests left out (they need
# the kernel under test: they run in the guest instead)
echo "liburing-patched: dpkg-buildpackage in $tree" >&2
(cd "$tree" && DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b >>"$log" 2>&1) || fail "dpkg-buildpackage failed"
mkdir -p "$out/deb"
mv "$out/tree"/*.deb "$out/deb/"

# ---- the libraries, as installed by the package build
multi=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
mkdir -p "$out/lib"
cp -a "$tree/debian/tmp/usr/lib/$multi"/liburing.* "$out/lib/"
cp -a "$tree/debian/tmp/usr/include" "$out/include"

# ---- unmodified liburing programs, fully static: the receive loop, and
# liburing-ext's test of the buffer slots (its postrx functions, weak
# references, come from the patched liburing.a)
for prog in examples/recv-loop test/dropin-update; do
	gcc -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -static \
		-I"$out/include" -o "$out/$(basename "$prog")-static" \
		"$ext/$prog.c" "$out/lib/liburing.a" >>"$log" 2>&1 ||
		fail "cannot link $prog statically"
done

# ---- liburing's tests.  The Debian build above built them, linked as
# upstream links them, statically against the patched liburing.a
# (tree/liburing/test/).  The same tests from the unpatched source, linked
# the same way against the unpatched liburing.a, into suite/test/; and
# linked against liburing.so.2, for the preload library, into
# suite/test-dyn/: upstream's -L../src -luring finds a directory holding
# only liburing.so first.  Five tests call functions that liburing 2.3's
# shared library does not export (io_uring_enable_rings(),
# io_uring_register_restrictions(), __io_uring_flush_sq()): they exist
# only statically linked (docs/testing.md).
suite=$out/suite
cp -a "$src" "$suite"
rm -f "$suite/.unpacked"
cp -a "$suite/test" "$suite/test-dyn"
mkdir -p "$suite/dynlib"
ln -s "/usr/lib/$multi/liburing.so.2" "$suite/dynlib/liburing.so"
(cd "$suite" && ./configure --prefix=/usr >>"$log" 2>&1 &&
	make -C src $jobs >>"$log" 2>&1 && make -C test $jobs >>"$log" 2>&1) ||
	fail "cannot build liburing's tests"
make -C "$suite/test-dyn" -k $jobs LDFLAGS="-L$suite/dynlib" >>"$log" 2>&1 || true
[ "$(ls "$suite/test-dyn"/*.t | wc -l)" -ge $(($(ls "$suite/test"/*.t | wc -l) - 5)) ] ||
	fail "too few of liburing's tests link against liburing.so"
echo "$stamp" >"$out/.stamp"
install_copy
echo "liburing-patched: $(ls "$out/deb" | tr '\n' ' ')" >&2
