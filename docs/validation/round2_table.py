"""Prints the round-two table from result folders: usage python3 round2_table.py <campaign results folder>."""

import json
import sys
from pathlib import Path


def f(x, digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}"


def baseline(b):
    if b is None:
        return "n/a"
    return f"{f(b['power_w'])} W P{b['pstate']} {f(b['sm_clock_mhz'], 0)} MHz {f(b['duration_s'])} s"


def main(folder: str) -> None:
    print("| experiment | device_idle | loaded_idle | measured s | passes | valid | failed checks | warmup runs/shapes/"
          "converged | J/tok [budget] | calls/sweep | sweep ms p50/p99 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in sorted(Path(folder).glob("*/result.json")):
        d = json.loads(path.read_text())
        v, w, u, s = d["validity"], d["warmup"], d["uncertainty"], d["sampler"]
        failed = ", ".join(c["name"] for c in v["checks"] if c["passed"] is False) or "-"
        jt = "n/a" if u is None else f"{u['value']:.4f} [{u['low']:.4f}, {u['high']:.4f}]"
        calls = "n/a" if s["calls_per_sweep"] is None else f"{s['calls_per_sweep']['mean']:.2f}"
        ms = "n/a" if s["sweep_ms"] is None else f"{s['sweep_ms']['p50']:.2f}/{s['sweep_ms']['p99']:.2f}"
        print(f"| {d['experiment']['experiment_id']} | {baseline(d['baselines']['device_idle'])} | "
              f"{baseline(d['baselines']['loaded_idle'])} | {f(d['timing']['measured_s'])} | {d['window']['passes']} | "
              f"{v['valid']} | {failed} | {w['runs']}/{w['shapes']}/{w['converged']} | {jt} | {calls} | {ms} |")


if __name__ == "__main__":
    main(sys.argv[1])
