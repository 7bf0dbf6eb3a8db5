#!/usr/bin/python3
"""The demo's table and plot from the guest's console log.

usage: demo-report.py CONSOLE_LOG OUTDIR [WALL_SECONDS]

Reads the "DEMO {json}" lines of selftests/postrx/demo.sh (one per run),
prints per kind of run the median and the spread (min-max) of each figure
and the ratios against plain, and writes OUTDIR/demo.txt (the same text),
OUTDIR/demo.json and OUTDIR/demo.png.  Exit status 1 if there is no run or
a run was not exact.
"""
import json
import statistics
import sys

LABEL = {
    "postrx": "postrx (pxnic, SEND_ZC + posted receive)",
    "plain": "plain (pxnic, send() + recv())",
    "veth": "postrx over veth (copy at receive)",
    "bench_postrx": "rxbench postrx (pxnic, network only)",
    "bench_epoll": "rxbench epoll (pxnic, network only)",
}
ORDER = ["postrx", "plain", "veth"]
BENCH_ORDER = ["bench_postrx", "bench_epoll"]


def runs_of(log):
    runs = []
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("DEMO {"):
                try:
                    runs.append(json.loads(line[5:]))
                except json.JSONDecodeError:
                    print("demo-report: a DEMO line is not JSON: " + line.strip(),
                          file=sys.stderr)
    return runs


def figures(r):
    """The figures of one run, or None if it did not complete."""
    b = r.get("bench")
    if b:	# rxbench's own line: the sender is rxbench send, send()
        gib = b["bytes"] / float(1 << 30)
        return {
            "gbps": b["throughput_gbps"],
            "rx_cpu": b["cpu_s_per_gib"],
            "rx_app": b["app_cpu_s"] / gib,
            "tx_cpu": b["sender_cpu_s"] / gib,
            "device_cpu": b["device_cpu_s_per_gib"],
            "machine_cpu": b["cpu_s_per_gib"] + b["sender_cpu_s"] / gib,
            "copied_rx": b["copied_bytes"],
            "copied_tx": b["bytes"],
            "placed": b["placed_bytes"],
            "bytes": b["bytes"],
        }
    rx, tx = r.get("rx"), r.get("tx")
    if not rx or not tx:
        return None
    return {
        "gbps": rx["throughput_gbps"],
        "rx_cpu": rx["rx_cpu_s_per_gib"],
        "rx_app": rx["cpu_s_per_gib"],
        "tx_cpu": rx["tx_cpu_s_per_gib"],
        "device_cpu": rx["device_cpu_s_per_gib"],
        "machine_cpu": rx["machine_cpu_s_per_gib"],
        "copied_rx": rx["copied_rx_bytes"] + rx["copied_late_bytes"],
        "copied_tx": tx["copied_bytes"],
        "placed": rx["placed_bytes"],
        "bytes": rx["bytes"],
    }


def summarise(runs):
    kinds = {}
    for r in runs:
        k = kinds.setdefault(r["run"], {"link": r["link"], "runs": 0,
                                        "exact": 0, "figs": []})
        k["runs"] += 1
        k["exact"] += 1 if r.get("ok") else 0
        f = figures(r)
        if f:
            k["figs"].append(f)
    out = {}
    for name, k in kinds.items():
        s = {"link": k["link"], "runs": k["runs"], "exact": k["exact"]}
        for key in ("gbps", "rx_cpu", "rx_app", "tx_cpu", "device_cpu", "machine_cpu",
                    "copied_rx", "copied_tx", "placed", "bytes"):
            vals = [f[key] for f in k["figs"]]
            if vals:
                s[key] = statistics.median(vals)
                s[key + "_min"] = min(vals)
                s[key + "_max"] = max(vals)
        out[name] = s
    return out


def spread(s, key, fmt):
    if key not in s:
        return "-"
    if s[key + "_min"] == s[key + "_max"]:
        return fmt % s[key]
    return (fmt + " (" + fmt + "-" + fmt + ")") % (s[key], s[key + "_min"],
                                                   s[key + "_max"])


def ratio(s, base, key):
    if key not in s or key not in base or not base[key]:
        return "-"
    return "%.2fx" % (s[key] / base[key])


def share(s, key):
    if key not in s or not s.get("bytes"):
        return "-"
    return "%d (%.3f%%)" % (s[key], 100.0 * s[key] / s["bytes"])


def table(summ, wall):
    lines = section(summ, [n for n in ORDER if n in summ], "plain", True)
    bench = [n for n in BENCH_ORDER if n in summ]
    if bench:
        lines.append("")
        lines.append("The bench's measurement in the same guest, same link, MTU and "
                     "size (bench/rxbench, network only, 1 MiB buffers, as in "
                     "make bench's pxnic rows; its sender uses send()):")
        lines.append("")
        lines += section(summ, bench, "bench_epoll", False)
    lines.append("")
    lines.append("CPU: exact busy time of the guest's vCPU (one unless DEMO_SMP "
                 "says otherwise, as make bench: docs/bench.md, \"One vCPU\") "
                 "over the transfer "
                 "(/proc/stat idle, schedstat), per GiB: send side = the sender "
                 "(all threads) and its NIC's NAPI thread; device = pxnic's "
                 "engines; receive side = everything else (receiver, softirq, "
                 "NAPI, interrupts, both disks' completions; of it the receiver: "
                 "the receiving process with its io-wq workers, getrusage() or "
                 "schedstat).  Copied: bytes a "
                 "CPU copied (receive: postrx's STATS, all for recv(); send: "
                 "SEND_ZC notifications that report a copy, all for send()).")
    if wall:
        lines.append("wall time of make demo's guest run, boot included: %s s" % wall)
    return "\n".join(lines)


def section(summ, names, base_name, title):
    base = summ.get(base_name, {})
    any_run = summ[names[0]]
    lines = []
    if title:
        lines.append("make demo: a %d MiB file from an NVMe disk in one namespace to "
                 "an NVMe disk in the other, under -icount; median of %d runs "
                 "(min-max)" % (int(any_run.get("bytes", 0)) >> 20,
                                max(s["runs"] for s in summ.values())))
    lines.append("")
    hdr = ["run", "Gbit/s", "receive CPU s/GiB", "of it the receiver", "send CPU s/GiB",
           "device CPU s/GiB", "copied by a CPU, receive", "copied by a CPU, send",
           "placed by the device", "exact"]
    rows = []
    for n in names:
        s = summ[n]
        rows.append([LABEL.get(n, n), spread(s, "gbps", "%.2f"),
                     spread(s, "rx_cpu", "%.3f"), spread(s, "rx_app", "%.3f"),
                     spread(s, "tx_cpu", "%.3f"),
                     spread(s, "device_cpu", "%.3f"), share(s, "copied_rx"),
                     share(s, "copied_tx"), share(s, "placed"),
                     "%d/%d" % (s["exact"], s["runs"])])
    lines += fmt_table(hdr, rows)
    if base:
        lines.append("")
        hdr = ["against " + LABEL.get(base_name, base_name).split(" (")[0], "Gbit/s", "receive CPU", "send CPU",
               "whole machine CPU (receive + send)"]
        rows = []
        for n in names:
            s = summ[n]
            rows.append([LABEL.get(n, n), ratio(s, base, "gbps"),
                         ratio(s, base, "rx_cpu"), ratio(s, base, "tx_cpu"),
                         ratio(s, base, "machine_cpu")])
        lines += fmt_table(hdr, rows)
    return lines


def fmt_table(hdr, rows):
    w = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    out = ["| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |",
           "| " + " | ".join("-" * w[i] for i in range(len(hdr))) + " |"]
    for r in rows:
        out.append("| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |")
    return out


def plot(summ, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("demo-report: no matplotlib, no plot", file=sys.stderr)
        return
    names = [n for n in ORDER if n in summ]
    panels = [("gbps", "Gbit/s (guest time)"),
              ("rx_cpu", "receive-side CPU s/GiB"),
              ("tx_cpu", "send-side CPU s/GiB"),
              ("device_cpu", "device (pxnic engines) CPU s/GiB")]
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 4.2))
    colors = {"postrx": "tab:green", "plain": "tab:gray", "veth": "tab:blue"}
    for ax, (key, title) in zip(axes, panels):
        vals = [summ[n].get(key, 0) for n in names]
        lo = [summ[n].get(key, 0) - summ[n].get(key + "_min", 0) for n in names]
        hi = [summ[n].get(key + "_max", 0) - summ[n].get(key, 0) for n in names]
        ax.bar(range(len(names)), vals, yerr=[lo, hi], capsize=4,
               color=[colors.get(n, "tab:orange") for n in names])
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(["postrx\n(pxnic)" if n == "postrx" else
                            "plain\n(pxnic)" if n == "plain" else
                            "postrx\n(veth)" if n == "veth" else n for n in names])
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, max(v + h for v, h in zip(vals, hi)) * 1.3 or 1)
        for i, n in enumerate(names):
            if key in ("rx_cpu", "tx_cpu"):
                c = summ[n].get("copied_rx" if key == "rx_cpu" else "copied_tx", 0)
                b = summ[n].get("bytes", 1) or 1
                ax.annotate("copied\n%.2f%%" % (100.0 * c / b), (i, vals[i] + hi[i]),
                            ha="center", va="bottom", fontsize=8,
                            xytext=(0, 6), textcoords="offset points")
    fig.suptitle("make demo: file to network to file (median, min-max bars)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    log, outdir = sys.argv[1], sys.argv[2]
    wall = sys.argv[3] if len(sys.argv) > 3 else None
    runs = runs_of(log)
    if not runs:
        print("demo-report: no DEMO line in " + log, file=sys.stderr)
        return 1
    summ = summarise(runs)
    text = table(summ, wall)
    print()
    print(text)
    with open(outdir + "/demo.txt", "w") as f:
        f.write(text + "\n")
    with open(outdir + "/demo.json", "w") as f:
        json.dump({"summary": summ, "runs": runs, "wall_seconds": wall}, f,
                  indent=1)
    plot(summ, outdir + "/demo.png")
    print("(also in %s/demo.txt, %s/demo.png)" % (outdir, outdir))
    return 0 if all(s["exact"] == s["runs"] for s in summ.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
