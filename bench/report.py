#!/usr/bin/env python3
"""Aggregate the BENCH lines of a guest console log: medians and spread per
path and buffer size, ratios against recv() with epoll; write JSON and a
markdown table."""
import json
import statistics
import sys
import time
from collections import defaultdict

log, out_json, out_md, env_kernel = sys.argv[1:5]
runs = defaultdict(list)
iperf = defaultdict(list)
for line in open(log, errors="replace"):
    if line.startswith("BENCH {"):
        r = json.loads(line[6:])
        if r["path"] == "iperf3":
            iperf[r.get("link", "veth")].append(r["throughput_gbps"])
            continue
        runs[(r.get("link", "veth"), r["path"], r["size"])].append(r)

records = []
order = ["epoll", "uring_recv", "uring_recv_ring", "tcp_zerocopy", "postrx", "postrx_dropin"]
def key(kv):
    link, path, size = kv[0]
    return (link != "veth", size, order.index(path) if path in order else 99)
for (link, path, size), rs in sorted(runs.items(), key=key):
    tp = [r["throughput_gbps"] for r in rs]
    cpu = [r["cpu_s_per_gib"] for r in rs]
    # On veth the receive softirq often runs in the sender's context (its
    # transmit raises it), so part of the receive work is charged to the
    # sender.  The whole machine's busy time per GiB, with the same sender
    # for every path, is the comparison that cannot be fooled by that.
    tot = [r["cpu_s_per_gib"] + r["sender_cpu_s"] / (r["bytes"] / 2**30) for r in rs]
    dev = [r.get("device_cpu_s_per_gib", 0.0) for r in rs]
    records.append({
        "path": path, "link": link, "size": size,
        "throughput_gbps": round(statistics.median(tp), 3),
        "throughput_spread": [round(min(tp), 3), round(max(tp), 3)],
        "cpu_s_per_gib": round(statistics.median(cpu), 4),
        "cpu_spread": [round(min(cpu), 4), round(max(cpu), 4)],
        "total_cpu_s_per_gib": round(statistics.median(tot), 4),
        "total_cpu_spread": [round(min(tot), 4), round(max(tot), 4)],
        "device_cpu_s_per_gib": round(statistics.median(dev), 4),
        "acks": int(statistics.median(r.get("acks", 0) for r in rs)),
        "placed_bytes": int(statistics.median(r["placed_bytes"] for r in rs)),
        "copied_bytes": int(statistics.median(r["copied_bytes"] for r in rs)),
        "runs": len(rs),
    })

base = {(r["link"], r["size"]): r for r in records if r["path"] == "epoll"}
lines = ["| link | path | size | Gbit/s (median, min-max) | receive CPU s/GiB (median, min-max) | vs epoll | whole machine CPU s/GiB | vs epoll | device CPU s/GiB | placed / copied bytes | runs |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
for r in records:
    b = base.get((r["link"], r["size"]))
    ratio = f'{r["cpu_s_per_gib"] / b["cpu_s_per_gib"]:.2f}x' if b and b["cpu_s_per_gib"] else "-"
    tratio = f'{r["total_cpu_s_per_gib"] / b["total_cpu_s_per_gib"]:.2f}x' if b and b["total_cpu_s_per_gib"] else "-"
    lines.append(f'| {r["link"]} | {r["path"]} | {r["size"]} | {r["throughput_gbps"]} ({r["throughput_spread"][0]}-{r["throughput_spread"][1]}) '
                 f'| {r["cpu_s_per_gib"]} ({r["cpu_spread"][0]}-{r["cpu_spread"][1]}) | {ratio} '
                 f'| {r["total_cpu_s_per_gib"]} ({r["total_cpu_spread"][0]}-{r["total_cpu_spread"][1]}) | {tratio} '
                 f'| {r["device_cpu_s_per_gib"]} | {r["placed_bytes"]} / {r["copied_bytes"]} | {r["runs"]} |')

for link, tp in sorted(iperf.items()):
    lines.append(f"\niperf3 over {link} (reference; its own sender and receiver, 128 KiB reads): "
                 f"{statistics.median(tp):.3f} Gbit/s median of {len(tp)} runs")
json.dump({"env": {"kernel": env_kernel, "cpu": "qemu64 TCG -icount shift=0,sleep=off, 2 vCPUs",
                   "accel": "tcg", "date": time.strftime("%Y-%m-%d")},
           "records": records,
           "iperf3": {link: {"throughput_gbps": statistics.median(tp), "runs": len(tp)}
                      for link, tp in iperf.items()}},
          open(out_json, "w"), indent=1)
open(out_md, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
