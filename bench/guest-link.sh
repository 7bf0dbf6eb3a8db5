# shellcheck shell=dash
# Sourced by the guest scripts that move a stream between two namespaces
# (bench/guest-bench.sh, selftests/postrx/demo.sh, liburing_ext_test.sh):
# the link and who is who on it, for the CPU split of
# tools/common/busytime.h.
#
# The receiver is in the init namespace (px0, 10.99.0.1), the sender in
# namespace $link_ns (px1, 10.99.0.2): pxtx, or a name of the caller's
# (selftests/postrx/lib.sh's ns_name, unique to the run).  pxnic's MTU:
# 61492 makes a segment's payload 15 whole pages (IPv4, TCP timestamps),
# so that TCP_ZEROCOPY_RECEIVE can map it and pxnic can place it.
# shellcheck source=../selftests/postrx/lib.sh
. "$POSTRX_TOP/selftests/postrx/lib.sh"
link_ns=${link_ns:-pxtx}
pxnic_mtu=${RXBENCH_PXNIC_MTU:-61492}
# RXBENCH_PXNIC_COALESCE: ethtool -C arguments for the receiver's pxnic
# (interrupt moderation), say "rx-usecs 50 rx-frames 16"; none by default.
pxnic_coalesce=${RXBENCH_PXNIC_COALESCE:-}
# RXBENCH_PXNIC_RX_SIZES / RXBENCH_PXNIC_TX_SIZES: BIG TCP's size limits
# for the receiver's px0 / the sender's px1, as link_sizes takes them
# ("gro_ipv4_max_size 524288"); the kernel's 64 KiB by default.
pxnic_rx_sizes=${RXBENCH_PXNIC_RX_SIZES:-}
pxnic_tx_sizes=${RXBENCH_PXNIC_TX_SIZES:-}
export IP_LIB_DIR=${IP_LIB_DIR:-$POSTRX_TOP/build/iproute2}

# pxnic_big: pxnic with BIG TCP, TSO super-segments and GRO up to 512 KiB.
big_sizes=524280	# GSO_MAX_SIZE and GRO_MAX_SIZE, 8 x 65535

# is_pxnic LINK: a pxnic pair, whatever its sizes.
is_pxnic() {
	case "$1" in
	pxnic | pxnic_big) return 0 ;;
	esac
	return 1
}

# link_up veth|pxnic|pxnic_big
link_up() {
	local rx_sizes=$pxnic_rx_sizes tx_sizes=$pxnic_tx_sizes

	ns_add "$link_ns" || return 1
	if is_pxnic "$1"; then
		pair_add pxnic px0 px1 "$link_ns" 10.99.0.1/24 10.99.0.2/24 "$pxnic_mtu" ||
			return 1
		if [ "$1" = pxnic_big ]; then
			rx_sizes=${rx_sizes:-"gro_ipv4_max_size $big_sizes"}
			tx_sizes=${tx_sizes:-"gso_ipv4_max_size $big_sizes"}
		fi
		if [ -n "$pxnic_coalesce" ]; then
			# shellcheck disable=SC2086 # a list of arguments
			ethtool -C px0 $pxnic_coalesce || return 1
		fi
		if [ -n "$rx_sizes" ]; then
			# shellcheck disable=SC2086 # a list of arguments
			"$POSTRX_BIN/link_sizes" px0 $rx_sizes || return 1
		fi
		if [ -n "$tx_sizes" ]; then
			# shellcheck disable=SC2086 # a list of arguments
			ip netns exec "$link_ns" "$POSTRX_BIN/link_sizes" px1 \
				$tx_sizes || return 1
		fi
	else
		pair_add "$1" px0 px1 "$link_ns" 10.99.0.1/24 10.99.0.2/24
	fi
}

link_down() {
	ip netns del "$link_ns" 2>/dev/null
	ip link del px0 2>/dev/null
	true
}

# The pxnic engine threads of both ends (kernel threads named
# pxnic-eng/<device>): the NIC's work, reported apart.
engine_pids() {
	is_pxnic "$1" || return 0
	for p in /proc/[0-9]*; do
		case "$(cat "$p/comm" 2>/dev/null)" in
		pxnic-eng/px0 | pxnic-eng/px1) printf "%s " "${p#/proc/}" ;;
		esac
	done
}

# The sender's device's NAPI threads (pxnic): sending work, not receiving.
sender_tasks() {
	for p in /proc/[0-9]*; do
		case "$(cat "$p/comm" 2>/dev/null)" in
		napi/px1-*) printf "%s " "${p#/proc/}" ;;
		esac
	done
}

# run_pair RECEIVER SENDER: start RECEIVER (output in /tmp/rx.out), wait
# for its "ready", run SENDER in the sender's namespace with its pid in
# /tmp/sender.pid (the receiver subtracts its run time), wait for both.
# $engines and $senders: engine_pids' and sender_tasks' lists.
run_pair() {
	rm -f /tmp/sender.pid /tmp/rx.out
	# shellcheck disable=SC2086 # RECEIVER is a command line
	RXBENCH_SENDER_PIDFILE=/tmp/sender.pid \
	RXBENCH_ENGINE_PIDS="${engines:-}" \
	RXBENCH_SENDER_TASKS="${senders:-}" \
		$1 >/tmp/rx.out &
	rx=$!
	while ! grep -q ready /tmp/rx.out 2>/dev/null; do sleep 0.05; done
	ip netns exec "$link_ns" sh -c "echo \$\$ > /tmp/sender.pid; exec $2" \
		>/tmp/tx.out &
	tx=$!
	wait $rx
	rxs=$?
	wait $tx && [ $rxs = 0 ]
}
