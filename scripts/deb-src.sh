#!/usr/bin/env bash
# Print the directory of the unpacked Debian source package of an
# installed package, fetching and unpacking it first if needed.  The fio
# ioengine is compiled against fio's source (scripts/fio-src.sh), and the
# patched liburing is built from liburing's (scripts/liburing-patched.sh).
#
# usage: deb-src.sh PACKAGE [CACHE]      (default /var/cache/postrx)
#
# PACKAGE is a binary package that is installed (fio, liburing-dev); the
# source is that of its installed version.  It comes through the
# machine's own apt configuration, so that it works wherever installing
# the package worked: if apt does not know that source yet, the entries
# of the configured sources that carry the version are copied as deb-src
# entries into postrx-src.sources (deb822 entries) or postrx-src.list
# (one-line entries) in apt's sources.list.d (with those written before
# for other packages), apt-get update runs once, and apt-get source
# downloads the .dsc, the upstream tarball and Debian's patches (checked
# against the signed Sources index), which dpkg-source unpacks.  The tree
# lands in CACHE/src/<source>-<version>, unchanged (callers build in a
# copy or configure it in place), and is reused afterwards.  Nothing of it
# enters the repository.
set -euo pipefail

pkg=${1:?usage: deb-src.sh PACKAGE [CACHE]}
cache=${2:-/var/cache/postrx}
me="deb-src($pkg)"
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo

status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
[ "$status" = "install ok installed" ] || {
	echo "$me: $pkg is not installed (scripts/deps.sh installs it)" >&2
	exit 1
}
ver=$(dpkg-query -W -f='${Version}' "$pkg")
src=$(dpkg-query -W -f='${source:Package}' "$pkg")
srcver=$(dpkg-query -W -f='${source:Version}' "$pkg")
nover=${srcver#*:}		# directory names carry no epoch
dir=$cache/src/$src-$nover
if [ -e "$dir/.unpacked" ]; then
	echo "$dir"
	exit 0
fi

# Does apt know the source package of the installed version?
src_known() {
	apt-cache showsrc --only-source "$src" 2>/dev/null | grep -qx "Version: $srcver"
}

# The repositories of the deb-src entries written before, for other
# packages: they stay when the file is written again.
our_repos() {
	awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }
	     $1 == "deb-src" { u = $2; if (u ~ /^\[/) { for (i = 2; i <= NF; i++) if ($i ~ /\]$/) break; u = $(i + 1) } print u }' \
		"$@" 2>/dev/null || true
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
	repos=$(apt-cache madison "$pkg" |
		awk -F'|' -v v="$ver" '{ gsub(/^[ \t]+|[ \t]+$/, "", $2) }
			$2 == v { split($3, a, " "); print a[1] }' | sort -u)
	[ -n "$repos" ] || {
		echo "$me: no configured apt source carries $pkg $ver" >&2
		exit 1
	}
	eval "$(apt-config shell etc_list Dir::Etc::sourcelist/f \
		etc_parts Dir::Etc::sourceparts/d)"
	etc_parts=${etc_parts%/}
	repos=$(printf '%s\n' "$repos" $(our_repos "$etc_parts"/postrx-src.*) | sort -u)
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
		echo "$me: no deb entry for $(echo $repos) in ${files[*]}" >&2
		exit 1
	}
	hdr="# Written by postrx's scripts/deb-src.sh: deb-src entries derived
# from the configured deb entries that carry the source packages postrx
# builds against (fio, liburing), for apt-get source."
	install_file "$etc_parts/postrx-src.sources" "${sources:+$hdr
$sources}" || true
	install_file "$etc_parts/postrx-src.list" "${list:+$hdr
$list}" || true
	echo "$me: apt-get update for the deb-src entries in $etc_parts/postrx-src.*" >&2
	$sudo apt-get update -qq >/dev/null
	src_known || {
		echo "$me: apt knows no source package $src $srcver after apt-get update" >&2
		exit 1
	}
fi

mkdir -p "$cache/src"
tmp=$(mktemp -d "$cache/src/.$src-$nover.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "$me: fetching the source of $src $srcver into $dir" >&2
# Downloads run as root when the directory is not writable by apt's
# sandbox user; the files are checked against the signed index either way.
(cd "$tmp" && apt-get source --download-only -q -o APT::Sandbox::User=root \
	"$src=$srcver" >apt-source.out 2>&1) || {
	echo "$me: apt-get source $src=$srcver failed:" >&2
	sed 's/^/  /' "$tmp/apt-source.out" >&2
	exit 1
}
dsc=$(ls "$tmp"/"$src"_*.dsc)
# --no-check: the .dsc's own signature; apt checked every file against
# the Sources index, whose Release file is signed.
(cd "$tmp" && dpkg-source -q --no-check -x "$(basename "$dsc")" tree >/dev/null) || {
	echo "$me: dpkg-source failed to unpack $(basename "$dsc")" >&2
	exit 1
}
touch "$tmp/tree/.unpacked"
# Another build may have won the race; its tree is as good as ours.
mv -T "$tmp/tree" "$dir" 2>/dev/null || [ -e "$dir/.unpacked" ]
echo "$dir"
