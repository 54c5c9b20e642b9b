"""The harness's measured generate against a plain transformers loop, interleaved in one process
(run by run_harness_vs_loop.sh on a GPU machine; first run 2026-12-02, docs/validation/README.md).

usage: python3 harness_vs_loop.py <model folder> <out folder> [--batches 1,8,32] [--cycles 20]

One model load serves both arms (the harness engine's own model object), per batch size, in ABBA order per cycle
(harness, plain, plain, harness; the next cycle starts with plain), so slow drifts of the machine hit both alike:
  harness  lem_harness's TransformersEngine.generate with the settings lem resolves by default
           (round2-default-config.json: greedy, min_new_tokens = max_new_tokens, its step clock), inside
           a measurement window of the default sampler (a sampling process), as in a measured pass
  plain    model.generate on the same token ids, same decoding, no streamer, no sampler
The figure per cycle: tokens/s of the harness's two generates over the plain loop's two (output tokens ÷ wall
seconds, CUDA synchronised). Result per batch size: the median of the per-cycle ratios with a percentile
bootstrap 95 % CI over cycles (step_stats.paired_cycle_ratio_ci's rule), against the check "within ±3 % with a
CI that includes 1.0". Writes <out>/generates.csv (every generate) and <out>/summary.{json,md}.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import random
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "docker/harness"))

from lem_harness.engines.base import Prepared  # noqa: E402
from lem_harness.engines.transformers_engine import TransformersEngine, generate_kwargs  # noqa: E402
from lem_harness.measure.window import Window  # noqa: E402
from lem_harness.nvml import Nvml  # noqa: E402
from lem_harness.settings import parse_settings  # noqa: E402
from step_stats import cycle_median_ci  # noqa: E402


def settings_for(model: str, batch: int, new_tokens: int):
    c = copy.deepcopy(json.loads((HERE / "round2-default-config.json").read_text()))
    c["model"]["name"] = model
    c["batching"]["batch_size"] = batch
    c["max_output_tokens"] = new_tokens
    c["measurement"]["sampler"] = "process"  # lem's default since round two (the file predates it)
    return parse_settings(c)


def timed(fn) -> float:
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    fn()
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def harness_generate(engine, batch, settings, gpus, clock_faults: list[str]) -> float:
    m = settings.measurement
    window = Window(gpus, sampling=m.sampling, interval_s=m.sample_interval_ms / 1000.0, kind=m.sampler,
                    slow_every=m.slow_fields_every)
    timings = []
    window.open()
    try:
        wall = timed(lambda: timings.extend(engine.generate(batch, settings)))
    finally:
        window.close()
    clock_faults.extend(step_clock_faults(timings, settings.max_output_tokens, wall))
    return wall


def step_clock_faults(timings, new_tokens: int, wall: float) -> list[str]:
    """What is wrong with the harness's per-step times of one generate (nothing, normally): one stamp per
    token, increasing, after submission and no later than the generate's end."""
    faults = []
    for i, t in enumerate(timings):
        c = t.chunks
        if len(c) != new_tokens or t.output_tokens != new_tokens:
            faults.append(f"request {i}: {len(c)} stamps for {t.output_tokens} tokens, expected {new_tokens}")
        elif any(b <= a for a, b in zip(c, c[1:])) or c[0] <= t.submitted or c[-1] > t.submitted + wall + 0.01:
            faults.append(f"request {i}: stamps out of order or outside the generate ({c[0] - t.submitted:.4f} s "
                          f"to {c[-1] - t.submitted:.4f} s of {wall:.4f} s)")
    return faults


def plain_generate(engine, ids, settings) -> float:
    kw = generate_kwargs(settings)
    return timed(lambda: engine.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids),
                                               pad_token_id=engine.tokenizer.pad_token_id, **kw))


def run_batch_size(engine, batch: int, args, gpus, writer, csv_file) -> dict:
    settings = settings_for(args.model, batch, args.new_tokens)
    rng = random.Random(batch)
    payloads = [[rng.randrange(4, 4000) for _ in range(args.input_tokens)] for _ in range(batch)]
    prepared = [Prepared(payload=p, input_tokens=len(p)) for p in payloads]
    ids = torch.tensor(payloads, device=engine.model.device)
    tokens = batch * args.new_tokens
    clock_faults: list[str] = []
    arms = {"harness": lambda: harness_generate(engine, prepared, settings, gpus, clock_faults),
            "plain": lambda: plain_generate(engine, ids, settings)}
    with torch.inference_mode():
        for _ in range(args.warmup):
            arms["plain"]()
            arms["harness"]()
        ratios = []
        for cycle in range(args.cycles):
            order = ["harness", "plain", "plain", "harness"] if cycle % 2 == 0 else ["plain", "harness", "harness",
                                                                                   "plain"]
            walls: dict[str, list[float]] = {"harness": [], "plain": []}
            for arm in order:
                wall = arms[arm]()
                walls[arm].append(wall)
                writer.writerow([batch, cycle, arm, f"{wall:.6f}", f"{tokens / wall:.3f}"])
                csv_file.flush()  # a run stopped by its time limit keeps the generates it finished
            ratios.append(sum(walls["plain"]) / sum(walls["harness"]))  # tokens/s ratio: same tokens in both
    point, lo, hi = cycle_median_ci(ratios, seed=batch)
    ok = 0.97 <= point <= 1.03 and lo <= 1.0 <= hi
    return {"batch": batch, "ratio": point, "ci_low": lo, "ci_high": hi, "cycles": len(ratios),
            "step_clock_faults": clock_faults[:10], "step_clock_fault_count": len(clock_faults),
            "check": "within ±3 %, CI includes 1.0" if ok else "fails: outside ±3 % or CI excludes 1.0"}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--batches", default="1,8,32")
    p.add_argument("--cycles", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--input-tokens", type=int, default=128)
    p.add_argument("--new-tokens", type=int, default=128)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    engine = TransformersEngine()
    engine.load(settings_for(args.model, 1, args.new_tokens))
    gpus = Nvml.open().devices[:1]
    results = []
    with (out / "generates.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["batch", "cycle", "arm", "wall_s", "tokens_per_s"])
        for batch in (int(b) for b in args.batches.split(",")):
            results.append(run_batch_size(engine, batch, args, gpus, writer, f))
            print(json.dumps(results[-1]), flush=True)
    (out / "summary.json").write_text(json.dumps({"args": vars(args), "torch": torch.__version__,
                                                  "gpu": torch.cuda.get_device_name(0), "results": results},
                                                 indent=2) + "\n")
    lines = ["| batch | harness ÷ plain tokens/s | 95 % CI | cycles | check | step-clock faults |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['batch']} | {r['ratio']:.4f} | {r['ci_low']:.4f}–{r['ci_high']:.4f} | {r['cycles']} | "
              f"{r['check']} | {r['step_clock_fault_count']} |" for r in results]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
