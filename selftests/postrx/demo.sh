#!/bin/sh
# The main job in the guest (make demo; scripts/demo.sh on the host):
# file to network to file with no CPU copy at either end.
#
# A file on one NVMe disk goes from one network namespace (pxtx, the
# sender) over a link to a file on another NVMe disk in the other (the
# init namespace, the receiver).  QEMU's NVMe controller does the disks'
# DMA, so O_DIRECT costs the guest no copy, as on a real machine.
#
#   postrx  pxnic pair: postrx-send --file reads the file into registered
#           buffers (READ_FIXED) and sends them with SEND_ZC, pxnic's
#           transmit gathers the payload from those pages; postrx-recv
#           posts buffers, the receiving pxnic places the payload in them,
#           and they go to the disk with WRITE_FIXED.
#   plain   the same pair: read() and send(), recv() and pwrite(), all
#           O_DIRECT: send() and recv() each copy every byte.
#   veth    a veth pair, postrx at both ends: veth has no placement, so
#           postrx copies once at receive (and the kernel copies SEND_ZC's
#           pages when it delivers them to a local socket).
#
# Each is run DEMO_REPS times (default 3), DEMO_BYTES each (default 1 GiB),
# and checked against the input file.  One "DEMO {json}" line per run
# carries postrx-recv's and postrx-send's summaries: the machine's busy
# time split into receive side, send side and device
# (tools/common/busytime.h, as make bench measures), bytes copied and
# placed.  The host turns those into the table (scripts/demo-report.py).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
tools=$POSTRX_TOP/build/tools
export LD_LIBRARY_PATH="$POSTRX_TOP/build/liburing-ext"	# rpath is the host's path
bytes=${DEMO_BYTES:-1073741824}
reps=${DEMO_REPS:-3}
runs=${DEMO_RUNS:-"postrx plain veth"}
# The bench's own runs of the same link and size (rxbench, network only),
# in the same guest: the demo's figures are checked against them.
bench_paths=${DEMO_BENCH_PATHS-"postrx epoll"}
# The sender's namespace (bench/guest-link.sh).
link_ns=$(ns_name pxtx)
# shellcheck source=../../bench/guest-link.sh
. "$POSTRX_TOP/bench/guest-link.sh"

json_of() { # $1 = a tool's --json output: its line, or null
	grep -m1 '^{' "$1" 2>/dev/null || echo null
}
json_bool() { # $1 = a status: true for 0, else false
	if [ "$1" = 0 ]; then echo true; else echo false; fi
}
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# The NVMe disks' names (nvme0n1, ...), the first two.
nvme_disks() {
	for d in /sys/block/nvme*n1; do
		echo "${d#/sys/block/}"
	done | grep '^nvme[0-9]*n1$' | sort | head -2
}
# shellcheck disable=SC2317 # called by wait_until
two_disks() { [ "$(nvme_disks | wc -l)" -ge 2 ]; }

ktap_header
echo "# kernel $(uname -r)"
work_dir pxdemo
src=$work/src		# the sender's disk
dst=$work/dst		# the receiver's disk
mkdir -p "$src" "$dst"

# ---- the disks: the stock nvme driver, ext4 on each
modprobe nvme 2>/dev/null
wait_until 100 0.1 two_disks
# shellcheck disable=SC2046 # one word a disk
set -- $(nvme_disks)
[ $# -ge 2 ] ||
	ktap_bail "two NVMe disks (POSTRX_NVME_DISKS=${POSTRX_NVME_DISKS:-0}; run.sh --nvme 2)"
# noinit_itable: no background zeroing of inode tables during the runs.
for d in "$1:$src" "$2:$dst"; do
	mkfs.ext4 -q -F -E lazy_itable_init=1,lazy_journal_init=1 "/dev/${d%%:*}" || break
	mount -o noinit_itable,discard "/dev/${d%%:*}" "${d#*:}" || break
	at_exit "umount '${d#*:}'"
done
mountpoint -q "$src" && mountpoint -q "$dst"
result $? "ext4 on NVMe: /dev/$1 (sender's file), /dev/$2 (receiver's file)"

"$tools/postrx-send" --stdout -s "$bytes" >"$src/input.dat" && drop_caches
result $? "the input file: $bytes bytes ($((bytes >> 20)) MiB) of the test stream on /dev/$1"

at_exit mod_unload pxnic
insmod "$pxnic_ko"
result $? "insmod pxnic.ko"

# run NAME LINK REP: one file over the link, checked, and its DEMO line.
run() {
	name=$1 link=$2 rep=$3
	next_port
	rxopts='' txopts=
	case $name in
	plain) rxopts=--plain txopts=--plain ;;
	# Buffers of 1 MiB, DEMO_RX_QUEUE of them (default 256): what is
	# posted must cover what arrives while filled buffers wait for
	# their writes, or segments find no buffer and are copied.
	*) rxopts="-q ${DEMO_RX_QUEUE:-256}" ;;
	esac
	rm -f "$work/sender.pid" "$dst/out.dat"
	placed0=$(dev_stat "" px0 rx_placed_bytes)
	# --preallocate: ext4 serialises O_DIRECT writes that extend a
	# file; a receiver that knows the length allocates it first.
	# shellcheck disable=SC2086 # none, or an option and its value
	"$tools/postrx-recv" -p "$port" -o "$dst/out.dat" --json $rxopts \
		--preallocate "$bytes" \
		--sender-pidfile "$work/sender.pid" --sender-tasks "$senders" \
		--device-tasks "$engines" >"$work/rx.json" 2>"$work/rx.err" &
	rxpid=$!
	wait_listen "$port"
	ip netns exec "$link_ns" sh -c "echo \$\$ >$work/sender.pid; exec \
		'$tools/postrx-send' -q -H 10.99.0.1 -p $port -f $src/input.dat \
		--json $txopts" >"$work/tx.json" 2>"$work/tx.err"
	txrc=$?
	wait $rxpid
	rxrc=$?
	placed1=$(dev_stat "" px0 rx_placed_bytes)
	cat "$work/rx.err" "$work/tx.err" | note
	[ $txrc = 0 ] && [ $rxrc = 0 ] && cmp "$src/input.dat" "$dst/out.dat"
	rc=$?
	echo "DEMO {\"run\": \"$name\", \"link\": \"$link\", \"rep\": $rep, \"ok\": $(json_bool $rc), \"bytes\": $bytes, \"device_placed_bytes\": $((${placed1:-0} - ${placed0:-0})), \"rx\": $(json_of "$work/rx.json"), \"tx\": $(json_of "$work/tx.json")}"
	result $rc "$name over $link, run $rep: $((bytes >> 20)) MiB file to file, exact"
	rm -f "$dst/out.dat"
	drop_caches
}

for link in pxnic veth; do
	todo=
	for r in $runs; do
		case "$link:$r" in
		pxnic:postrx|pxnic:plain|veth:veth) todo="$todo $r" ;;
		esac
	done
	[ -n "$todo" ] || continue
	link_down
	link_up $link
	result $? "$link pair px0 (here, 10.99.0.1) / px1 (the sender's netns)"
	engines=$(engine_pids $link)
	senders=$(sender_tasks)
	for rep in $(seq 1 "$reps"); do
		for r in $todo; do
			run "$r" "$link" "$rep"
		done
		[ "$link" = pxnic ] || continue
		for path in $bench_paths; do
			next_port
			run_pair "$POSTRX_BIN/rxbench recv $path $port $bytes 1048576" \
				"$POSTRX_BIN/rxbench send 10.99.0.1 $port $bytes"
			rc=$?
			echo "DEMO {\"run\": \"bench_$path\", \"link\": \"$link\", \"rep\": $rep, \"ok\": $(json_bool $rc), \"bytes\": $bytes, \"bench\": $(grep '^{' /tmp/rx.out || echo null)}"
			result $rc "rxbench $path over $link, run $rep (the bench's measurement, network only)"
		done
	done
	if [ "$link" = pxnic ]; then
		ethtool -S px0 | grep -E 'rx_(segs|bytes|placed_segs|placed_bytes|fallback_[a-z]+):' |
			awk '$2 != 0' | sed 's/^ */# px0 /'
	fi
	link_down
done

at_exit_run
! grep -q '^pxnic ' /proc/modules
result $? "cleanup: namespaces, disks, rmmod pxnic"
ktap_finished
