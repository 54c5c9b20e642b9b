"""The sampler's cost on CPU-bound decode, per decode step (run by run_sampler_cost.sh on a GPU machine).

usage: python3 sampler_cost.py <model folder> <out folder> [--batches 1,32] [--cycles 30] [--new-tokens 128]
       [--interval-ms 100] [--slow-every 10]

One process loads the model (transformers, bf16, CUDA) and, per batch size, runs `cycles` cycles of three
generates, one per arm, in Latin-square order (step_stats.py):
  none     no sampler
  thread   lem_harness's sampler thread (measure/sampler.py) running through the generate
  process  lem_harness's sampler process (measure/sampler_process.py) running through the generate
A streamer time-stamps every new token, so each generate yields ~new_tokens - 1 decode-step times (the prefill
step is left out). The result per arm and batch: the ratio of its median step time to the none arm's, with a
cluster-bootstrap 95 % CI over generates, against the goal (point <= 1.01, upper end <= 2 %).
Also recorded: each sampler's sweeps (NVML calls per sweep, time per sweep) and the CPU time the engine's process
used per generate (time.process_time: the thread arm's sampler counts there, the process arm's does not; the
sampler process's own CPU time is taken from getrusage(RUSAGE_CHILDREN)).

Writes <out>/steps.csv (every step time: arm, batch, cycle, step, dt_ms), <out>/generates.csv, <out>/sweeps.csv,
<out>/summary.json and <out>/summary.md. Nothing is measured by anything else.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sys
import time
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM
from transformers.generation.streamers import BaseStreamer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "docker/harness"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lem_harness.measure.sampler import Sampler  # noqa: E402
from lem_harness.measure.sampler_process import ProcessSampler  # noqa: E402
from lem_harness.nvml import Nvml  # noqa: E402
from step_stats import latin_square_order, median_ratio_ci, verdict  # noqa: E402

ARMS = ("none", "thread", "process")


class StepClock(BaseStreamer):
    """Time stamps of every put(): the prompt first, then one per generated token."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def put(self, value) -> None:
        self.stamps.append(time.perf_counter())

    def end(self) -> None:
        pass

    def decode_steps_ms(self) -> list[float]:
        # stamps[0]: the prompt; stamps[1]: the first token (prefill). Decode steps are the gaps after it.
        return [(b - a) * 1000.0 for a, b in zip(self.stamps[1:], self.stamps[2:])]


def one_generate(model, ids, new_tokens: int, arm: str, gpus, args) -> dict:
    sampler = None
    if arm == "thread":
        sampler = Sampler(gpus, args.interval_ms / 1000.0, args.slow_every)
    elif arm == "process":
        sampler = ProcessSampler(gpus, args.interval_ms / 1000.0, args.slow_every)
    if sampler is not None:
        sampler.start()  # outside the timed steps: the opening sweep is taken before generate starts
    clock = StepClock()
    torch.cuda.synchronize()
    cpu0, t0 = time.process_time(), time.perf_counter()
    model.generate(ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, streamer=clock,
                   pad_token_id=0)
    torch.cuda.synchronize()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    sweeps = sampler.stop() if sampler is not None else []
    return {"steps": clock.decode_steps_ms(), "wall_s": wall, "cpu_s": cpu, "sweeps": sweeps}


def run_batch_size(model, batch: int, gpus, args, writers) -> dict:
    ids = torch.randint(4, 4000, (batch, args.input_tokens), device="cuda")
    for _ in range(args.warmup):
        one_generate(model, ids, args.new_tokens, "none", gpus, args)
    per_arm: dict[str, list[list[float]]] = {a: [] for a in ARMS}
    child_cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime + resource.getrusage(
        resource.RUSAGE_CHILDREN).ru_stime
    for cycle in range(args.cycles):
        for arm in latin_square_order(ARMS, cycle):
            g = one_generate(model, ids, args.new_tokens, arm, gpus, args)
            per_arm[arm].append(g["steps"])
            for k, dt in enumerate(g["steps"]):
                writers["steps"].writerow([arm, batch, cycle, k, f"{dt:.4f}"])
            writers["generates"].writerow([arm, batch, cycle, f"{g['wall_s']:.6f}", f"{g['cpu_s']:.6f}",
                                           len(g["sweeps"])])
            for s in g["sweeps"]:
                writers["sweeps"].writerow([arm, batch, cycle, int(s.full), s.calls(), f"{s.cost_s * 1000:.4f}"])
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {"batch": batch, "child_cpu_s": ru.ru_utime + ru.ru_stime - child_cpu0, "arms": {}}
    for arm in ("thread", "process"):
        r = median_ratio_ci(per_arm[arm], per_arm["none"], resamples=args.resamples, seed=batch)
        out["arms"][arm] = {**r, "verdict": verdict(r)}
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--batches", default="1,32")
    p.add_argument("--cycles", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--input-tokens", type=int, default=128)
    p.add_argument("--new-tokens", type=int, default=128)
    p.add_argument("--interval-ms", type=int, default=100)
    p.add_argument("--slow-every", type=int, default=10)
    p.add_argument("--resamples", type=int, default=2000)
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(args.model, torch_dtype=torch.bfloat16).to("cuda").eval()
    gpus = Nvml.open().devices[:1]
    files = {name: (out / f"{name}.csv").open("w", newline="") for name in ("steps", "generates", "sweeps")}
    writers = {name: csv.writer(f) for name, f in files.items()}
    writers["steps"].writerow(["arm", "batch", "cycle", "step", "dt_ms"])
    writers["generates"].writerow(["arm", "batch", "cycle", "wall_s", "cpu_s", "sweeps"])
    writers["sweeps"].writerow(["arm", "batch", "cycle", "full", "calls", "cost_ms"])
    summary = {"args": vars(args), "torch": torch.__version__, "gpu": torch.cuda.get_device_name(0),
               "pid": os.getpid(), "results": []}
    with torch.inference_mode():
        for batch in (int(b) for b in args.batches.split(",")):
            summary["results"].append(run_batch_size(model, batch, gpus, args, writers))
            print(json.dumps(summary["results"][-1]), flush=True)
    for f in files.values():
        f.close()
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    lines = ["| batch | arm | median step ratio vs none | 95 % CI | generates | steps | verdict |",
             "|---|---|---|---|---|---|---|"]
    for r in summary["results"]:
        for arm, a in r["arms"].items():
            lines.append(f"| {r['batch']} | {arm} | {a['ratio']:.4f} | {a['ci_low']:.4f}–{a['ci_high']:.4f} | "
                         f"{a['generates'][0]} | {a['steps'][0]} | {a['verdict']} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
