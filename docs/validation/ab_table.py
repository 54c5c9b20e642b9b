"""One CSV row per sampler A/B run (experiment id, sampling, throughput, window, energy cross-check), taken
from the runs' result.json files, so the A/B raw figures can be committed without every result folder.

usage: python3 ab_table.py <results>/<campaign> > ab-runs.csv
"""

import csv
import json
import sys
from pathlib import Path

COLUMNS = ("experiment_id", "index", "batch_size", "input_tokens_per_prompt", "sampling", "measured_s", "output_tokens",
           "output_tokens_per_s", "total_tokens_per_s", "itl_p50_ms", "counter_j", "integrated_j", "disagreement_pct")


def main(folder: str) -> None:
    docs = sorted((json.loads(p.read_text()) for p in Path(folder).glob("ab-*/result.json")),
                  key=lambda d: d["experiment"]["index"])
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(COLUMNS)
    for d in docs:
        cfg = d["experiment"]["config"]
        itl = d["latency"]["itl_ms"]
        w.writerow([
            d["experiment"]["experiment_id"], d["experiment"]["index"], cfg["batching"]["batch_size"],
            cfg["prompts"]["input_length"], cfg["measurement"]["sampling"], round(d["timing"]["measured_s"], 3),
            d["tokens"]["output"], round(d["throughput"]["output_tokens_per_s"], 2),
            round(d["throughput"]["total_tokens_per_s"], 2), None if itl is None else round(itl["p50"], 3),
            d["energy"]["counter_j"], d["energy"]["integrated_j"],
            None if d["energy"]["disagreement_pct"] is None else round(d["energy"]["disagreement_pct"], 3),
        ])


if __name__ == "__main__":
    main(sys.argv[1])
