#!/usr/bin/env bash
# make install / make uninstall: put down every part of postrx, and take
# away exactly what was put down.
#
# usage: install.sh install|uninstall
#
# Everything comes from the environment (the top-level Makefile exports it):
#   TOP BUILD VERSION   the checkout, its build directory, VERSION's content
#   DESTDIR PREFIX BINDIR LIBDIR INCLUDEDIR MANDIR DOCDIR IPLIBDIR
#   DKMS_SRCDIR         DKMS sources (/usr/src: DKMS looks nowhere else)
#   DKMS_KVERS          kernels to build the modules for now (default:
#                       none with DESTDIR; KVER otherwise)
#   MANIFEST            1 (default): record the files in
#                       $PREFIX/share/postrx/install-manifest; 0: not
#                       (a package manager keeps its own list)
#
# With DESTDIR the files are staged only: DKMS is not run, ldconfig is
# not run.  Without it the module source is registered with DKMS, built
# and installed for DKMS_KVERS; AUTOINSTALL in dkms.conf has Debian's
# kernel hook build it for every 6.12 kernel installed later.
#
# The manifest has one entry a line: "f PATH" a file, "l PATH" a symlink,
# "d PATH" a directory that did not exist before, "dkms NAME/VERSION" the
# DKMS registration.  PATH is as installed, without DESTDIR.  Uninstall
# undoes them in reverse order and removes directories only if they are
# empty and were made by install.
set -euo pipefail

action=${1:?usage: install.sh install|uninstall}
: "${TOP:?}" "${BUILD:?}" "${VERSION:?}" "${PREFIX:?}"
DESTDIR=${DESTDIR:-}
BINDIR=${BINDIR:-$PREFIX/bin}
LIBDIR=${LIBDIR:-$PREFIX/lib}
INCLUDEDIR=${INCLUDEDIR:-$PREFIX/include}
MANDIR=${MANDIR:-$PREFIX/share/man}
DOCDIR=${DOCDIR:-$PREFIX/share/doc/postrx}
IPLIBDIR=${IPLIBDIR:-$LIBDIR/ip}
DKMS_SRCDIR=${DKMS_SRCDIR:-/usr/src}
MANIFEST=${MANIFEST:-1}
manifest=$PREFIX/share/postrx/install-manifest
dkms_name=postrx/$VERSION
src=$DKMS_SRCDIR/postrx-$VERSION

entries=()

# mkdirs DIR: make DIR and its missing parents, remembering the new ones.
mkdirs() {
	local d=$1 missing=()
	while [ "$d" != / ] && [ ! -d "$DESTDIR$d" ]; do
		missing=("$d" "${missing[@]}")
		d=$(dirname "$d")
	done
	for d in "${missing[@]}"; do
		mkdir -m 755 "$DESTDIR$d"
		entries+=("d $d")
	done
}

# inst MODE SOURCE DEST: install one file (DEST is the full path).
inst() {
	mkdirs "$(dirname "$3")"
	install -m "$1" "$2" "$DESTDIR$3"
	entries+=("f $3")
}

# link TARGET DEST: a symlink.
link() {
	mkdirs "$(dirname "$2")"
	ln -sfn "$1" "$DESTDIR$2"
	entries+=("l $2")
}

# gen MODE DEST CMD...: a file made by CMD on its standard output.
gen() {
	local mode=$1 dest=$2
	shift 2
	mkdirs "$(dirname "$dest")"
	"$@" >"$DESTDIR$dest"
	chmod "$mode" "$DESTDIR$dest"
	entries+=("f $dest")
}

do_install() {
	local f m lib=$BUILD/liburing-ext

	if [ -n "$MANIFEST" ] && [ "$MANIFEST" != 0 ] && [ -e "$DESTDIR$manifest" ]; then
		echo "install: $DESTDIR$manifest exists: make uninstall first" >&2
		exit 1
	fi
	# Another installation of this version (the postrx-dkms package, or
	# make install with another PREFIX) owns the DKMS registration and
	# the source tree: taking them over would let either uninstall
	# remove the other's module.
	if [ -z "$DESTDIR" ]; then
		if command -v dkms >/dev/null && dkms status -m postrx -v "$VERSION" 2>/dev/null | grep -q .; then
			echo "install: $dkms_name is registered with DKMS already (the postrx-dkms package?): remove it first" >&2
			exit 1
		fi
		[ ! -e "$src" ] || { echo "install: $src exists already: remove it first" >&2; exit 1; }
	fi
	# DESTDIR itself is the stager's, not part of the installation.
	[ -z "$DESTDIR" ] || mkdir -p "$DESTDIR"

	# The kernel modules' source, for DKMS: the repository's layout.
	gen 644 "$src/dkms.conf" sed "s/#MODULE_VERSION#/$VERSION/" "$TOP/kernel/dkms.conf"
	# Kbuild files and C sources of kernel/ (not pxnic's iproute2 plugin,
	# a user-space program) and the uAPI header.
	mapfile -t ksrc < <(cd "$TOP" && find kernel uapi -type f \
		\( -name '*.[ch]' -o -name Kbuild \) -not -path 'kernel/pxnic/iproute2/*' |
		LC_ALL=C sort)
	for f in "${ksrc[@]}"; do
		inst 644 "$TOP/$f" "$src/$f"
	done

	# uAPI header and liburing-ext.
	inst 644 "$TOP/uapi/linux/postrx.h" "$INCLUDEDIR/linux/postrx.h"
	inst 644 "$TOP/liburing-ext/include/liburing/postrx.h" "$INCLUDEDIR/liburing/postrx.h"
	inst 644 "$lib/liburing-ext.a" "$LIBDIR/liburing-ext.a"
	inst 644 "$lib/liburing-ext.so.1" "$LIBDIR/liburing-ext.so.1"
	link liburing-ext.so.1 "$LIBDIR/liburing-ext.so"
	inst 644 "$lib/liburing-ext-preload.so" "$LIBDIR/liburing-ext-preload.so"
	gen 644 "$LIBDIR/pkgconfig/liburing-ext.pc" \
		sed -e "s|@PREFIX@|$PREFIX|" -e "s|@LIBDIR@|$LIBDIR|" \
		-e "s|@INCLUDEDIR@|$INCLUDEDIR|" "$TOP/liburing-ext/liburing-ext.pc.in"
	for m in "$TOP"/liburing-ext/man/*.3; do
		inst 644 "$m" "$MANDIR/man3/$(basename "$m")"
	done

	# The tools, their man pages, pxnic's iproute2 plugin.
	inst 755 "$BUILD/dist/postrx-recv" "$BINDIR/postrx-recv"
	inst 755 "$BUILD/dist/postrx-send" "$BINDIR/postrx-send"
	for m in "$TOP"/tools/postrx-recv/*.1; do
		inst 644 "$m" "$MANDIR/man1/$(basename "$m")"
	done
	inst 644 "$BUILD/iproute2/link_pxnic.so" "$IPLIBDIR/link_pxnic.so"

	# Loading postrx at boot is opt-in: an example to copy into
	# /etc/modules-load.d/, never enabled by install.
	inst 644 "$TOP/kernel/modules-load.d/postrx.conf" \
		"$DOCDIR/examples/modules-load.d/postrx.conf"

	if [ -n "$MANIFEST" ] && [ "$MANIFEST" != 0 ]; then
		mkdirs "$(dirname "$manifest")"
		entries+=("f $manifest")
	fi

	# DKMS: only for a real installation.  The registration goes into the
	# manifest before dkms runs, so that a failed build is undone too.
	if [ -z "$DESTDIR" ]; then
		entries+=("dkms $dkms_name")
		write_manifest
		command -v dkms >/dev/null || { echo "install: dkms is not installed (make install installs it)" >&2; exit 1; }
		dkms add "$dkms_name"
		for k in ${DKMS_KVERS:-}; do
			dkms install "$dkms_name" -k "$k" || {
				rc=$?
				# 77: skipped, BUILD_EXCLUSIVE_KERNEL says not this one.
				[ $rc = 77 ] || { echo "install: dkms install for $k failed" >&2; exit 1; }
			}
		done
		ldconfig
	else
		write_manifest
	fi
}

write_manifest() {
	[ -n "$MANIFEST" ] && [ "$MANIFEST" != 0 ] || return 0
	printf '%s\n' "${entries[@]}" >"$DESTDIR$manifest"
}

do_uninstall() {
	local m=$DESTDIR$manifest kind path
	[ -e "$m" ] || { echo "uninstall: no $m: nothing installed with this PREFIX and DESTDIR" >&2; exit 1; }
	mapfile -t entries <"$m"
	# The DKMS registration first, while its source is still there.
	for e in "${entries[@]}"; do
		read -r kind path <<<"$e"
		if [ "$kind" = dkms ] && [ -z "$DESTDIR" ] &&
		   dkms status -m "${path%/*}" -v "${path#*/}" 2>/dev/null | grep -q .; then
			dkms remove "$path" --all
		fi
	done
	for ((i = ${#entries[@]} - 1; i >= 0; i--)); do
		read -r kind path <<<"${entries[i]}"
		case "$kind" in
		f|l) rm -f "$DESTDIR$path" ;;
		d) rmdir "$DESTDIR$path" 2>/dev/null ||
			echo "uninstall: $DESTDIR$path is not empty, left in place" >&2 ;;
		esac
	done
	[ -n "$DESTDIR" ] || ldconfig
}

case "$action" in
install) do_install ;;
uninstall) do_uninstall ;;
*) echo "usage: install.sh install|uninstall" >&2; exit 2 ;;
esac
