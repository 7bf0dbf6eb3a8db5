# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
#
# Sourced by the shell tests and the guest-side scripts (selftests/postrx/
# *_test.sh, demo.sh, selftests/vm/installed.sh, bench/guest-link.sh):
#
#   KTAP        ktap_header, ktap_plan, result, ktap_skip, note, totals,
#               ktap_finished, ktap_bail: the lines selftests/vm/judge.awk
#               reads, "# Totals: pass:P fail:F ... skip:S error:0" last
#   clean-up    at_exit: a stack of commands run, last pushed first, when
#               the script exits, also on SIGINT and SIGTERM; work_dir: a
#               scratch directory of the run's own, removed at exit
#   namespaces  ns_name, ns_add: names unique to this run (pxrecv-3fa9c1),
#               deleted at exit; pair_add: a veth or pxnic pair between
#               this namespace and another, with addresses; dev_stat
#   ports       next_port: a port that no other run nor earlier test of
#               this run is using
#   waiting     wait_until, wait_listen
#   modules     pxnic_ko, pxnic_load, pxnic_plugin, mod_unload
#
# The guest runs the tests with /bin/sh, which is dash on Debian: POSIX
# sh only, no arrays.  Variables of the library start with lib_.
# Sourcing it twice (a test that sources bench/guest-link.sh, which sources
# it too) changes nothing.

[ -n "${lib_sourced:-}" ] && return 0
lib_sourced=1

# ---- KTAP ------------------------------------------------------------------

lib_n=0		# tests so far
lib_fail=0
lib_skip=0

ktap_header() {
	echo "TAP version 13"
}

ktap_plan() { # N
	echo "1..$1"
}

# result STATUS DESCRIPTION: "ok N ..." for status 0, else "not ok N ...".
result() {
	lib_n=$((lib_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $lib_n $2"
	else
		echo "not ok $lib_n $2"
		lib_fail=$((lib_fail + 1))
	fi
}

ktap_skip() { # DESCRIPTION REASON
	lib_n=$((lib_n + 1))
	lib_skip=$((lib_skip + 1))
	echo "ok $lib_n $1 # SKIP $2"
}

# note: standard input as KTAP comment lines.
note() {
	sed 's/^/# /'
}

totals() {
	echo "# Totals: pass:$((lib_n - lib_fail - lib_skip)) fail:$lib_fail xfail:0 xpass:0 skip:$lib_skip error:0"
}

# ktap_finished: the totals, and exit 0 only if no test failed.
ktap_finished() {
	totals
	[ "$lib_fail" = 0 ] && exit 0
	exit 1
}

# ktap_bail DESCRIPTION: one failed test (what is missing), the totals,
# exit 1: for what the rest of a script cannot run without.
ktap_bail() {
	result 1 "$1"
	ktap_finished
}

# ---- clean-up at exit --------------------------------------------------------

# The stack: one command a line, the newest first.
lib_at_exit=

# at_exit COMMAND...: run COMMAND (its words joined, then evaluated) when
# the script exits, before what was pushed earlier.  A failing command does
# not stop the others.
at_exit() {
	lib_at_exit="$*
$lib_at_exit"
}

# Runs the stack once (also by hand, before a script checks that it left
# nothing behind).
at_exit_run() {
	lib_cmds=$lib_at_exit
	lib_at_exit=
	# Read from descriptor 3: a command may read standard input.
	while IFS= read -r lib_cmd <&3; do
		[ -n "$lib_cmd" ] && { eval "$lib_cmd" || :; }
	done 3<<EOF
$lib_cmds
EOF
}

# The EXIT trap keeps the script's exit status; a signal exits with
# 128 + its number, through the EXIT trap.
lib_on_exit() {
	lib_rc=$?
	at_exit_run
	exit $lib_rc
}
trap lib_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- names and ports unique to this run ------------------------------------

# Six hex digits from the kernel's random pool (dash has no $RANDOM).
lib_id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
lib_id=${lib_id:-$$}

# ns_name PREFIX: a namespace name for this run, PREFIX-<id>.
ns_name() {
	echo "$1-$lib_id"
}

# ns_add NAME: a network namespace NAME (from ns_name) with lo up, deleted
# at exit.  A namespace of that name left by an earlier run goes first.
ns_add() {
	ip netns del "$1" 2>/dev/null
	at_exit "ip netns del '$1' 2>/dev/null"
	ip netns add "$1" && ip -n "$1" link set lo up
}

# pair_add TYPE DEV PEER NS ADDRS PEER_ADDRS [MTU]: a TYPE (veth or pxnic)
# pair, DEV in this namespace with the addresses ADDRS (a list, say
# "10.1.0.1/24 fd01::1/64"; IPv6 without duplicate address detection),
# PEER in namespace NS with PEER_ADDRS, both up (with MTU if given).  A
# DEV left by an earlier run goes first, and DEV goes at exit (deleting
# NS deletes it too).
pair_add() {
	lib_type=$1 lib_dev=$2 lib_peer=$3 lib_ns=$4 lib_addrs=$5 lib_paddrs=$6
	ip link del "$lib_dev" 2>/dev/null
	at_exit "ip link del '$lib_dev' 2>/dev/null"
	ip link add "$lib_dev" type "$lib_type" peer name "$lib_peer" netns "$lib_ns" || return 1
	if [ -n "${7:-}" ]; then
		ip link set "$lib_dev" mtu "$7" && ip -n "$lib_ns" link set "$lib_peer" mtu "$7" ||
			return 1
	fi
	lib_addr_add "" "$lib_dev" "$lib_addrs" &&
		ip link set "$lib_dev" up &&
		lib_addr_add "$lib_ns" "$lib_peer" "$lib_paddrs" &&
		ip -n "$lib_ns" link set "$lib_peer" up
}

lib_addr_add() { # NS ("" for this one) DEV ADDRS
	for lib_a in $3; do
		case "$lib_a" in
		*:*) ip ${1:+-n "$1"} addr add "$lib_a" dev "$2" nodad ;;
		*) ip ${1:+-n "$1"} addr add "$lib_a" dev "$2" ;;
		esac || return 1
	done
}

# A base between 10000 and 29999, below the ephemeral ports, that differs
# from run to run; next_port goes up from it.
lib_port=$((10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' \n') % 200 * 100))

# next_port: set $port to the next port above the last one that no TCP
# socket in this namespace uses.
next_port() {
	while :; do
		lib_port=$((lib_port + 1))
		[ -z "$(ss -Htan "sport = :$lib_port" 2>/dev/null)" ] && break
	done
	# shellcheck disable=SC2034 # the caller's
	port=$lib_port
}

# work_dir PREFIX: $work, a new directory /tmp/PREFIX.XXXXXX, removed at
# exit.
work_dir() {
	work=$(mktemp -d "/tmp/$1.XXXXXX") || return 1
	at_exit "rm -rf '$work'"
}

# ---- waiting -----------------------------------------------------------------

# wait_until TRIES INTERVAL COMMAND...: run COMMAND until it succeeds, at
# most TRIES times, INTERVAL seconds apart; the status of the last try.
wait_until() {
	lib_tries=$1 lib_interval=$2
	shift 2
	while ! "$@"; do
		lib_tries=$((lib_tries - 1))
		[ "$lib_tries" -gt 0 ] || return 1
		sleep "$lib_interval"
	done
}

# listening PORT [NS]: something listens on TCP port PORT (in namespace NS).
listening() {
	${2:+ip netns exec "$2"} ss -ltn | grep -q ":$1 "
}

# wait_listen PORT [NS]: until something listens on PORT, 20 s at most.
wait_listen() {
	wait_until 400 0.05 listening "$@"
}

# dev_stat NS DEV COUNTER: DEV's ethtool -S COUNTER, DEV in namespace NS
# ("" for this one).
dev_stat() {
	${1:+ip netns exec "$1"} ethtool -S "$2" 2>/dev/null | awk -v k="$3:" '$1 == k {print $2}'
}

# ---- modules -----------------------------------------------------------------

# pxnic.ko beside the postrx.ko the runner loaded.
pxnic_ko=${PXNIC_KO:-$(dirname "${POSTRX_KO:-.}")/pxnic/pxnic.ko}

lib_loaded() { # NAME
	grep -q "^$1 " /proc/modules
}

# pxnic_load: insmod pxnic.ko unless it is loaded.
pxnic_load() {
	lib_loaded pxnic || insmod "$pxnic_ko"
}

lib_rmmod() { # NAME: gone, or removed now
	! lib_loaded "$1" || rmmod "$1" 2>/dev/null
}

# mod_unload NAME: rmmod, retried for up to 10 s (a device or socket that
# holds it goes away asynchronously); true once it is gone.
mod_unload() {
	wait_until 100 0.1 lib_rmmod "$1"
	! lib_loaded "$1"
}

# pxnic_plugin: IP_LIB_DIR for `ip link add ... type pxnic`: the plugin
# make built, or built here into /tmp (the repository is read-only in the
# guest).
pxnic_plugin() {
	IP_LIB_DIR=${POSTRX_TOP:-.}/build/iproute2
	if [ ! -e "$IP_LIB_DIR/link_pxnic.so" ]; then
		IP_LIB_DIR=/tmp/pxnic-iproute2
		make -s -C "$POSTRX_TOP/kernel/pxnic/iproute2" O="$IP_LIB_DIR" >/dev/null 2>&1
	fi
	export IP_LIB_DIR
}
