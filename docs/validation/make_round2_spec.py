"""Writes the batch spec of the round-two validity run (run_round2.sh).

usage: python3 make_round2_spec.py <model folder> <results folder> <spec file> [run,run,...]

The optional fourth argument keeps only the named runs (e.g. "bs1-thread,bs32-process").

round2-default-config.json is lem's own resolution of a transformers experiment with every measurement default
(src/config/experiment.ts at the commit that added it: thread sampler, slow fields every 10th sweep, device_idle
10 s, loaded_idle 10 s, min_measure_s 30, warmup over every batch shape, CV without the cold run), 32 "medium"
prompts fitted to 128 input tokens and 128 output tokens. The spec runs it at batch 1, 8 and 32 (one engine load:
device_idle is measured before it and reused), then batch 1 and 32 again with the process sampler.
"""

import copy
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def config(model: str, batch: int, sampler: str) -> dict:
    c = copy.deepcopy(json.loads((HERE / "round2-default-config.json").read_text()))
    c["model"]["name"] = model
    c["batching"]["batch_size"] = batch
    c["measurement"]["sampler"] = sampler
    return c


def main(model: str, results: str, spec_file: str, only: str = "") -> None:
    runs = [(f"bs{b}-thread", b, "thread") for b in (1, 8, 32)] + [(f"bs{b}-process", b, "process") for b in (1, 32)]
    if only:
        keep = set(only.split(","))
        runs = [r for r in runs if r[0] in keep]
    spec = {"schema_version": 1, "campaign_id": "round2", "batch_id": "round2-1", "results_dir": results,
            "experiments": [{"experiment_id": eid, "config_hash": f"round2-{eid}", "cycle": 0, "index": i,
                             "attempt": 1, "pause_before_s": 5, "config": config(model, b, s)}
                            for i, (eid, b, s) in enumerate(runs)]}
    Path(spec_file).write_text(json.dumps(spec, indent=2) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:5])
