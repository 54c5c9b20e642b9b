"""Summarises the validation results (one campaign folder of result.json files) as Markdown.

usage: python3 summarise.py <results>/<campaign>
"""

import json
import re
import statistics
import sys
from pathlib import Path


def fmt(value, digits=2):
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def main(folder: str) -> None:
    docs = {}
    for path in sorted(Path(folder).glob("*/result.json")):
        docs[path.parent.name] = json.loads(path.read_text())
    docs = dict(sorted(docs.items(), key=lambda kv: kv[1]["experiment"]["index"]))
    print("| experiment | batch | sampling | measured s | output tok | tok/s | counter J | integrated J | "
          "disagree % | mean W | idle W | J/out tok | adj. J/out tok | samples | coverage | warmup runs (CV) | "
          "TTFT p50 ms | ITL p50 ms | throttled |")
    print("|" + "---|" * 19)
    for eid, d in docs.items():
        if eid.startswith("ab-"):
            continue
        cfg = d["experiment"]["config"]
        e, w = d["energy"], d["warmup"]
        lat = d["latency"]
        print("| " + " | ".join([
            eid, str(cfg["batching"]["batch_size"]), "on" if cfg["measurement"].get("sampling", True) else "off",
            fmt(d["timing"]["measured_s"], 1), str(d["tokens"]["output"]), fmt(d["throughput"]["output_tokens_per_s"], 1),
            fmt(e["counter_j"], 1), fmt(e["integrated_j"], 1), fmt(e["disagreement_pct"]), fmt(d["power"]["mean_w"], 1),
            fmt(e["baseline_power_w"], 1), fmt(e["j_per_output_token"], 4), fmt(e["adjusted_j_per_output_token"], 4),
            str(d["sampler"]["samples"]), fmt(d["sampler"]["coverage"]),
            f"{w['runs']} ({fmt(w['final_cv'], 3)}{'' if w['converged'] else ', not converged'})",
            fmt(lat["ttft_ms"]["p50"] if lat["ttft_ms"] else None, 1), fmt(lat["itl_ms"]["p50"] if lat["itl_ms"] else None, 2),
            ", ".join(d["thermal"]["active_reasons"]) or "no",
        ]) + " |")

    pair_id = re.compile(r"^(ab-.+)-p\d+-(on|off)$")
    labels = sorted({m.group(1) for m in map(pair_id.match, docs) if m})
    if labels:
        print("\nSampler overhead: sampling at 100 ms vs off, adjacent pairs in ABBA order (paired difference of "
              "throughput, on relative to off):\n")
    for label in labels:
        pairs: dict[str, dict[str, dict]] = {}
        for eid, d in docs.items():
            if eid.startswith(label + "-p"):
                pair, arm = eid.rsplit("-", 1)
                pairs.setdefault(pair, {})[arm] = d
        complete = [p for _, p in sorted(pairs.items()) if {"on", "off"} <= set(p)]
        if len(complete) < 2:
            continue
        for metric in ("output_tokens_per_s", "total_tokens_per_s"):
            rel = [(p["on"]["throughput"][metric] / p["off"]["throughput"][metric] - 1) * 100 for p in complete]
            se = statistics.stdev(rel) / len(rel) ** 0.5
            wins = sum(1 for r in rel if r > 0)
            values = [p[a]["throughput"][metric] for p in complete for a in ("on", "off")]
            print(f"- {label} ({metric}): {len(complete)} pairs; mean {statistics.fmean(rel):+.2f} %, median "
                  f"{statistics.median(rel):+.2f} %, standard error {se:.2f} %, 'on' faster in {wins}/{len(rel)}; "
                  f"CV across all runs {statistics.stdev(values) / statistics.fmean(values) * 100:.1f} %")
        itl = {a: [p[a]["latency"]["itl_ms"]["p50"] for p in complete if p[a]["latency"]["itl_ms"]] for a in ("on", "off")}
        if itl["on"] and itl["off"]:
            print(f"  median over runs of ITL p50: on {statistics.median(itl['on']):.2f} ms, off "
                  f"{statistics.median(itl['off']):.2f} ms")
    first = next(iter(docs.values()), None)
    if first:
        env = first["environment"]
        print("\nEnvironment (as read by the harness):\n")
        print("```json\n" + json.dumps({k: env[k] for k in ("gpus", "driver_version", "cuda_version", "cpu",
                                                              "container", "python_version", "platform", "engine",
                                                              "harness_version")}, indent=1) + "\n```")
        print("\nThermal and throttle fractions per experiment:\n")
        for eid, d in docs.items():
            if eid.startswith("ab-"):
                continue
            t = d["thermal"]
            print(f"- {eid}: start {fmt(t['start_temp_c'], 0)} °C, max {fmt(t['max_temp_c'], 0)} °C, "
                  f"fractions {json.dumps(t['fractions'])}, power source {d['power']['source']}")
        print("\nWarnings per experiment (A/B runs: only those beyond their planned short window, no baseline and "
              "short re-warm):\n")
        planned = ("measured window is", "no idle baseline", "warmup did not converge", "sampling is off")
        for eid, d in docs.items():
            if eid.startswith("ab-"):
                for warning in d["warnings"]:
                    if not warning.startswith(planned):
                        print(f"- {eid}: {warning}")
                continue
            for warning in d["warnings"]:
                print(f"- {eid}: {warning}")


if __name__ == "__main__":
    main(sys.argv[1])
