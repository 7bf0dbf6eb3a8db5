#!/usr/bin/env bash
# Print the directory of a configured fio source tree for the installed fio,
# fetching it first if needed.  An external fio ioengine must be compiled
# against the headers of the very fio that loads it (struct thread_data and
# struct ioengine_ops are not a stable ABI; fio checks only
# FIO_IOOPS_VERSION), and against the config-host.h its ./configure writes.
#
# usage: fio-src.sh [CACHE]        (default /var/cache/postrx)
#
# scripts/deb-src.sh fetches and unpacks the source package through the
# machine's own apt configuration into CACHE/src/fio-<version>; it is
# configured there once and reused afterwards.
set -euo pipefail

cache=${1:-/var/cache/postrx}
# A tree configured before is used as it is.
srcver=$(dpkg-query -W -f='${source:Version}' fio 2>/dev/null || true)
dir=$cache/src/fio-${srcver#*:}
if [ -e "$dir/.configured" ]; then
	echo "$dir"
	exit 0
fi
dir=$(bash "$(dirname "$0")/deb-src.sh" fio "$cache")
if [ ! -e "$dir/.configured" ]; then
	# One configure at a time; another build may have done it meanwhile.
	exec 9>"$dir/.configure.lock"
	flock 9
	if [ ! -e "$dir/.configured" ]; then
		# Debian configures with --disable-native; nothing in the
		# structures an engine sees depends on the other options.
		(cd "$dir" && ./configure --disable-native >configure.out 2>&1) || {
			echo "fio-src: ./configure failed; see $dir/configure.out" >&2
			exit 1
		}
		touch "$dir/.configured"
	fi
fi
echo "$dir"
