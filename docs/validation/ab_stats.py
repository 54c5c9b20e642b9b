"""Paired statistics of a sampler A/B from ab_table.py's CSV: per ABBA pair, the relative throughput
difference d = on / off - 1; its mean, standard error, 95 % confidence interval (Student t, n - 1 degrees of
freedom), and the spread of single windows (CV over all windows and per arm). Prints Markdown, and with
--json a JSON object instead.

usage: python3 ab_stats.py <ab-runs.csv> [--json]
"""

import csv
import json
import math
import re
import sys
from collections import defaultdict

PAIR = re.compile(r"^(ab-.+)-p(\d+)-(on|off)$")
METRIC = "total_tokens_per_s"  # input + output tokens per second; with a fixed batch, proportional to batches/s


T975_SMALL = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def t975(df: int) -> float:
    """0.975 quantile of Student's t: tabled up to df 10, beyond that the Cornish-Fisher expansion around the
    normal (within 0.001 of the exact value for df > 10)."""
    if df in T975_SMALL:
        return T975_SMALL[df]
    z = 1.959963984540054
    return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))


def mean(v):
    return math.fsum(v) / len(v)


def sd(v):
    m = mean(v)
    return math.sqrt(math.fsum((x - m) ** 2 for x in v) / (len(v) - 1))


def analyse(rows: list[dict]) -> dict:
    groups: dict[str, dict[int, dict[str, dict]]] = defaultdict(lambda: defaultdict(dict))
    for r in rows:
        m = PAIR.match(r["experiment_id"])
        if m:
            groups[m.group(1)][int(m.group(2))][m.group(3)] = r
    out = {}
    for label, pairs in sorted(groups.items()):
        complete = [p for _, p in sorted(pairs.items()) if {"on", "off"} <= set(p)]
        n = len(complete)
        if n < 2:
            continue
        d = [(float(p["on"][METRIC]) / float(p["off"][METRIC]) - 1) * 100 for p in complete]
        # ABBA: in odd pairs 'on' ran first. Order effect: first run of a pair relative to the second.
        first_vs_second = [x if i % 2 == 0 else -x for i, x in enumerate(d)]
        arms = {a: [float(p[a][METRIC]) for p in complete] for a in ("on", "off")}
        watts = {a: [float(p[a]["counter_j"]) / float(p[a]["measured_s"]) for p in complete if p[a]["counter_j"]]
                 for a in ("on", "off")}
        allw = arms["on"] + arms["off"]
        se = sd(d) / math.sqrt(n)
        t = t975(n - 1)
        out[label] = {
            "metric": METRIC, "pairs": n, "windows_s": [min(float(p[a]["measured_s"]) for p in complete for a in arms),
                                                        max(float(p[a]["measured_s"]) for p in complete for a in arms)],
            "mean_diff_pct": mean(d), "median_diff_pct": sorted(d)[n // 2] if n % 2 else (sorted(d)[n // 2 - 1] + sorted(d)[n // 2]) / 2,
            "sd_diff_pct": sd(d), "se_pct": se, "t975": t, "ci95_pct": [mean(d) - t * se, mean(d) + t * se],
            "on_faster": sum(1 for x in d if x > 0),
            "order_effect_first_vs_second_pct": mean(first_vs_second),
            "cv_all_windows_pct": sd(allw) / mean(allw) * 100,
            "cv_on_pct": sd(arms["on"]) / mean(arms["on"]) * 100,
            "cv_off_pct": sd(arms["off"]) / mean(arms["off"]) * 100,
            "mean_tokens_per_s": {a: mean(v) for a, v in arms.items()},
            "mean_power_w": {a: mean(v) for a, v in watts.items() if v},
            "diffs_pct": [round(x, 4) for x in d],
        }
    return out


def main(path: str, as_json: bool) -> None:
    with open(path, newline="") as f:
        res = analyse(list(csv.DictReader(f)))
    if as_json:
        print(json.dumps(res, indent=1))
        return
    for label, r in res.items():
        print(f"- {label} ({r['metric']}): {r['pairs']} ABBA pairs, windows {r['windows_s'][0]:.2f}-{r['windows_s'][1]:.2f} s; "
              f"paired difference on vs off: mean {r['mean_diff_pct']:+.3f} %, median {r['median_diff_pct']:+.3f} %, "
              f"SD {r['sd_diff_pct']:.3f} %, SE {r['se_pct']:.3f} %, 95 % CI [{r['ci95_pct'][0]:+.3f}, "
              f"{r['ci95_pct'][1]:+.3f}] % (t = {r['t975']:.3f}); 'on' faster in {r['on_faster']}/{r['pairs']}; "
              f"first-vs-second-in-pair {r['order_effect_first_vs_second_pct']:+.3f} %; per-window CV all "
              f"{r['cv_all_windows_pct']:.2f} % (on {r['cv_on_pct']:.2f} %, off {r['cv_off_pct']:.2f} %); mean "
              f"tokens/s on {r['mean_tokens_per_s']['on']:.0f}, off {r['mean_tokens_per_s']['off']:.0f}; mean W "
              + (", ".join(f"{a} {w:.1f}" for a, w in r["mean_power_w"].items()) or "n/a"))


if __name__ == "__main__":
    main(sys.argv[1], "--json" in sys.argv[2:])
