#!/bin/sh
# Runs in the guest: where the receive side's CPU goes, per path.  For
# each path of RXBENCH_PATHS over RXBENCH_LINKS, one rxbench run of
# RXBENCH_BYTES at RXBENCH_SIZES with the whole guest sampled by perf
# (cpu-clock, which under -icount ticks with instructions), then the
# top symbols, the top tasks, and the callers of RXBENCH_PROFILE_SYMS.
#
#   POSTRX_QEMU_EXTRA="-icount shift=0,sleep=off" \
#   POSTRX_GUEST_ENV='RXBENCH_LINKS=pxnic RXBENCH_PATHS="epoll postrx"' \
#	selftests/vm/run.sh --kernel stock --mem 3072 -- bench/guest-profile.sh
set -u
bin=$POSTRX_BIN/rxbench
bytes=${RXBENCH_BYTES:-$((256 << 20))}
sizes=${RXBENCH_SIZES:-1048576}
links=${RXBENCH_LINKS:-pxnic}
paths=${RXBENCH_PATHS:-"epoll postrx"}
syms=${RXBENCH_PROFILE_SYMS:-"kfree memcpy_orig _raw_spin_unlock_irqrestore"}
pxnic_mtu=61492
export IP_LIB_DIR=$POSTRX_TOP/build/iproute2
port=7600
n=0
fail=0

link_up() {
	ip netns add pxtx
	ip link add px0 type "$1" peer name px1 netns pxtx || return 1
	if [ "$1" = pxnic ]; then
		ip link set px0 mtu $pxnic_mtu
		ip -n pxtx link set px1 mtu $pxnic_mtu
	fi
	ip addr add 10.99.0.1/24 dev px0
	ip link set px0 up
	ip -n pxtx addr add 10.99.0.2/24 dev px1
	ip -n pxtx link set px1 up
}

# The sender runs as "rxsend", so that its samples can be told from the
# receiver's; the report's "receive side" leaves out the sender, its
# device's NAPI thread, the device engines and perf itself.
profile() {
	rm -f /tmp/rx.out /tmp/perf.data
	ln -sf "$bin" /tmp/rxsend	# a link: its rpath follows the target
	"$bin" recv "$2" $port "$bytes" "$3" >/tmp/rx.out &
	rx=$!
	while ! grep -q ready /tmp/rx.out 2>/dev/null; do sleep 0.05; done
	perf record -q -a -g -e cpu-clock -c 20000 -o /tmp/perf.data -- \
		ip netns exec pxtx /tmp/rxsend send 10.99.0.1 $port "$bytes" \
		>/dev/null 2>&1
	wait $rx || { kill $rx 2>/dev/null; return 1; }
	echo "# ==== $1 $2 $3: $(grep '^{' /tmp/rx.out)"
	echo "# -- tasks"
	perf report -i /tmp/perf.data --stdio --no-children -g none \
		--sort comm --percent-limit 1 2>/dev/null |
		grep -v '^$' | grep -v '^#' | sed 's/^/#   /'
	echo "# -- task and symbol"
	perf report -i /tmp/perf.data --stdio --no-children -g none \
		--sort comm,sym --percent-limit 0.2 2>/dev/null |
		grep -v '^$' | grep -v '^#' | sed 's/^/#   /'
	for s in $syms; do
		echo "# -- callers of $s"
		perf report -i /tmp/perf.data --stdio --no-children -S "$s" \
			--comms rxbench,napi/px0-8194,swapper,ksoftirqd/0,ksoftirqd/1 \
			-g caller,0.5,callee,function,percent --percent-limit 0.3 \
			2>/dev/null | grep -v '^$' | grep -v '^#' | head -80 |
			sed 's/^/#   /'
	done
}

echo "TAP version 13"
grep -q '^pxnic ' /proc/modules ||
	insmod "$(dirname "$POSTRX_KO")/pxnic/pxnic.ko"
for link in $links; do
	ip netns del pxtx 2>/dev/null
	ip link del px0 2>/dev/null
	link_up "$link" || continue
	for size in $sizes; do
		for path in $paths; do
			n=$((n + 1))
			port=$((port + 1))
			if profile "$link" "$path" "$size"; then
				echo "ok $n profile $link $path $size"
			else
				echo "not ok $n profile $link $path $size"
				fail=$((fail + 1))
			fi
		done
	done
	ip netns del pxtx
	ip link del px0 2>/dev/null
done
rmmod pxnic 2>/dev/null
echo "# Totals: pass:$((n - fail)) fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
