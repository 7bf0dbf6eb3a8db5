#!/usr/bin/env bash
# Print the directory of a configured fio source tree for the installed fio,
# fetching it first if needed.  An external fio ioengine must be compiled
# against the headers of the very fio that loads it (struct thread_data and
# struct ioengine_ops are not a stable ABI; fio checks only
# FIO_IOOPS_VERSION), and against the config-host.h its ./configure writes.
#
# usage: fio-src.sh [CACHE]        (default /var/cache/postrx)
#
# The source package comes through the machine's own apt configuration, so
# that it works wherever installing fio worked: if apt does not know the
# source of the installed version yet, the entries of the configured
# sources that carry that version are copied as deb-src entries into
# postrx-src.sources (deb822 entries) or postrx-src.list (one-line
# entries) in apt's sources.list.d, apt-get update runs once, and
# apt-get source downloads the .dsc, the upstream tarball and Debian's
# patches (checked against the signed Sources index), which dpkg-source
# unpacks.  The tree lands in CACHE/src/fio-<version>, is configured once,
# and is reused afterwards.  Nothing of it enters the repository.
set -euo pipefail

cache=${1:-/var/cache/postrx}
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

status=$(dpkg-query -W -f='${Status}' fio 2>/dev/null || true)
[ "$status" = "install ok installed" ] || {
	echo "fio-src: fio is not installed (scripts/deps.sh installs it)" >&2
	exit 1
}
ver=$(dpkg-query -W -f='${Version}' fio)
srcver=$(dpkg-query -W -f='${source:Version}' fio)
nover=${ver#*:}			# directory names carry no epoch
dir=$cache/src/fio-$nover
if [ -e "$dir/.configured" ]; then
	echo "$dir"
	exit 0
fi

# Does apt know the source package of the installed version?
src_known() {
	apt-cache showsrc --only-source fio 2>/dev/null | grep -qx "Version: $srcver"
}

# The deb-src entries for the repositories ($1: their URIs, one a line)
# in the configured source files ($2...): deb822 stanzas (*.sources) with
# Types: deb become the same stanza with Types: deb-src (same URIs,
# Suites, Components, Signed-By, ...); one-line entries (*.list) "deb ..."
# become "deb-src ...".  Output: "sources" and "list" records, prefixed.
derive_src() {
	local repos=$1
	shift
	awk -v repos="$repos" '
	function norm(u) { sub(/\/+$/, "", u); return u }
	function carries(uris,   n, a, i) {
		n = split(uris, a, /[ \t]+/)
		for (i = 1; i <= n; i++)
			if (norm(a[i]) in want)
				return 1
		return 0
	}
	function flush(   i, types, uris, enabled, f, v) {
		types = ""; uris = ""; enabled = "yes"
		for (i = 1; i <= nl; i++) {
			if (line[i] ~ /^[ \t]/)
				continue
			f = tolower(line[i]); sub(/:.*/, "", f)
			v = line[i]; sub(/^[^:]*:[ \t]*/, "", v)
			if (f == "types") types = " " v " "
			else if (f == "uris") uris = v
			else if (f == "enabled") enabled = tolower(v)
		}
		if (enabled != "no" && types ~ /[ \t]deb[ \t]/ &&
		    types !~ /[ \t]deb-src[ \t]/ && carries(uris)) {
			print "sources # from " FILENAME
			for (i = 1; i <= nl; i++) {
				if (tolower(line[i]) ~ /^types:/)
					print "sources Types: deb-src"
				else
					print "sources " line[i]
			}
			print "sources "
		}
		nl = 0
	}
	BEGIN {
		n = split(repos, r, "\n")
		for (i = 1; i <= n; i++)
			if (r[i] != "")
				want[norm(r[i])] = 1
	}
	FNR == 1 { if (nl) flush(); deb822 = FILENAME ~ /\.sources$/ }
	deb822 && /^[ \t]*#/ { next }
	deb822 && /^[ \t]*$/ { if (nl) flush(); next }
	deb822 { line[++nl] = $0; next }
	# One-line format: deb [options] uri suite [component...]
	$1 == "deb" {
		rest = $0
		sub(/^[ \t]*deb[ \t]+/, "", rest)
		uri = rest
		if (uri ~ /^\[/)
			sub(/^\[[^]]*\][ \t]*/, "", uri)
		sub(/[ \t].*/, "", uri)
		if (norm(uri) in want)
			print "list deb-src " rest
	}
	END { if (nl) flush() }
	' "$@"
}

# Write $2 (contents) to $1 if it differs; 0 if it was written.
install_file() {
	if [ -z "$2" ]; then
		[ -e "$1" ] || return 1
		$sudo rm -f "$1"
		return 0
	fi
	[ -e "$1" ] && [ "$(cat "$1")" = "$2" ] && return 1
	printf '%s\n' "$2" | $sudo tee "$1.tmp" >/dev/null
	$sudo mv "$1.tmp" "$1"
}

if ! src_known; then
	# The repositories that carry the installed version, as apt sees them.
	repos=$(apt-cache madison fio |
		awk -F'|' -v v="$ver" '{ gsub(/^[ \t]+|[ \t]+$/, "", $2) }
			$2 == v { split($3, a, " "); print a[1] }' | sort -u)
	[ -n "$repos" ] || {
		echo "fio-src: no configured apt source carries fio $ver" >&2
		exit 1
	}
	eval "$(apt-config shell etc_list Dir::Etc::sourcelist/f \
		etc_parts Dir::Etc::sourceparts/d)"
	etc_parts=${etc_parts%/}
	files=()
	[ -f "$etc_list" ] && files+=("$etc_list")
	for f in "$etc_parts"/*.list "$etc_parts"/*.sources; do
		case "$f" in
		"$etc_parts"/postrx-src.*) ;;	# our own, derived before
		*) [ -f "$f" ] && files+=("$f") ;;
		esac
	done
	entries=$(derive_src "$repos" "${files[@]}")
	sources=$(echo "$entries" | sed -n 's/^sources //p; s/^sources$//p')
	list=$(echo "$entries" | sed -n 's/^list //p')
	[ -n "$sources$list" ] || {
		echo "fio-src: no deb entry for $(echo $repos) in ${files[*]}" >&2
		exit 1
	}
	hdr="# Written by postrx's scripts/fio-src.sh: deb-src entries derived
# from the configured deb entries that carry fio, for apt-get source."
	install_file "$etc_parts/postrx-src.sources" "${sources:+$hdr
$sources}" || true
	install_file "$etc_parts/postrx-src.list" "${list:+$hdr
$list}" || true
	echo "fio-src: apt-get update for the deb-src entries in $etc_parts/postrx-src.*" >&2
	$sudo apt-get update -qq >/dev/null
	src_known || {
		echo "fio-src: apt knows no source package fio $srcver after apt-get update" >&2
		exit 1
	}
fi

mkdir -p "$cache/src"
tmp=$(mktemp -d "$cache/src/.fio-$nover.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "fio-src: fetching the source of fio $srcver into $dir" >&2
# Downloads run as root when the directory is not writable by apt's
# sandbox user; the files are checked against the signed index either way.
(cd "$tmp" && apt-get source --download-only -q -o APT::Sandbox::User=root \
	"fio=$srcver" >apt-source.out 2>&1) || {
	echo "fio-src: apt-get source fio=$srcver failed:" >&2
	sed 's/^/  /' "$tmp/apt-source.out" >&2
	exit 1
}
dsc=$(ls "$tmp"/fio_*.dsc)
# --no-check: the .dsc's own signature; apt checked every file against
# the Sources index, whose Release file is signed.
(cd "$tmp" && dpkg-source -q --no-check -x "$(basename "$dsc")" fio >/dev/null) || {
	echo "fio-src: dpkg-source failed to unpack $(basename "$dsc")" >&2
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
