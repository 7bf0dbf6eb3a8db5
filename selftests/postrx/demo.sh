#!/bin/sh
# The main job in the guest, as far as postrx serves it today: the module
# is loaded, and a process asks it over io_uring what it serves.
echo "TAP version 13"
echo "1..1"
echo "# uname: $(uname -r)"
if "$POSTRX_BIN/postrx_query" | sed 's/^/# /'; then
	echo "ok 1 postrx answers QUERY over io_uring"
	echo "# Totals: pass:1 fail:0 xfail:0 xpass:0 skip:0 error:0"
else
	echo "not ok 1 postrx answers QUERY over io_uring"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
