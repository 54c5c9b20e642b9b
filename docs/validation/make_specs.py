"""Writes the batch specs of the GPU validation run.

usage: python3 make_specs.py <model folder> <results folder> <spec folder>

validation.json: one batch on the transformers engine, one engine load for all experiments:
  bs1, bs8, bs32 with sampling at 100 ms and an idle baseline of 10 s (J/output token vs batch size;
  counter vs integral; baseline);
  then the sampler-overhead A/B: sampling on vs off in 12 adjacent pairs, ABBA order (on off, off on, ...),
  3 s windows, so that the machine's slow drifts hit both arms of a pair alike; at batch 1 (CPU-bound,
  where a sampler thread could contend with the engine's Python loop) and at batch 32; no baseline.
  Every experiment: 32 prompts of exactly 128 input tokens, 64 output tokens, greedy decoding; the main
  three measure >= 10 s (min_measure_s) after warmup until CV < 5 % over 3 runs.
GPU-bound sampler A/B (run_sampler_ab_gpu_bound.sh), written on its own by
  python3 make_specs.py --gpu-bound <model folder> <results folder> <spec file> <campaign> <pairs>
  prefill only (32 prompts x 1024 input tokens, 1 output token, one batch of 32 per generate call) on the
  1.36 B model, 5 s windows, sampling at 100 ms vs off, <pairs> ABBA pairs, no baseline, short re-warm.
overhead-1.json / overhead-20.json: synthetic zero-work experiments, to time the harness's own overhead.
sampler-ab.json: a second sampler-overhead A/B, run separately (run_sampler_ab.sh):
  prefill-heavy batches (32 prompts x 1024 input tokens, 2 output tokens), GPU-bound so that the host's
  CPU jitter is hidden behind the GPU queue: 12 ABBA pairs of 3 s windows;
  batch 1 decode (CPU-bound), 30 ABBA pairs of 1.5 s windows, adjacent in time.
"""

import json
import sys
from pathlib import Path


def transformers_config(model: str, batch_size: int, sampling: bool, idle_baseline_s: float = 10,
                        min_measure_s: float = 10, warmup: dict | None = None, input_length: int = 128,
                        max_output_tokens: int = 64) -> dict:
    return {
        "backend": "transformers",
        "model": {"name": model, "fp_precision": "bf16"},
        "max_output_tokens": max_output_tokens,
        "batching": {"batch_size": batch_size, "strategy": "static"},
        "decoder": {"preset": None, "temperature": 0, "top_p": 1, "top_k": 0, "repetition_penalty": 1},
        "prompts": {"source": "builtin", "category": "medium", "count": 32, "input_length": input_length},
        "measurement": {
            "sample_interval_ms": 100, "sampling": sampling, "idle_baseline_s": idle_baseline_s,
            "min_measure_s": min_measure_s,
            "warmup": warmup or {"max_runs": 10, "cv_threshold": 0.05, "window": 3, "min_runs": 3},
        },
        "force_cold_start": False,
        "transformers": {"device_map": "auto", "torch_compile": False, "use_cache": True, "low_cpu_mem_usage": True,
                         "trust_remote_code": False, "load_in_8bit": False, "load_in_4bit": False, "extra": {}},
    }


def experiment(eid: str, index: int, config: dict, pause: float) -> dict:
    return {"experiment_id": eid, "config_hash": f"validation-{eid}", "cycle": 0, "index": index, "attempt": 1,
            "pause_before_s": pause, "config": config}


def synthetic_zero_work() -> dict:
    return {
        "backend": "synthetic", "model": {"name": "synthetic"}, "max_output_tokens": 1,
        "batching": {"batch_size": 1, "strategy": "static"},
        "prompts": {"source": "builtin", "category": "short", "count": 1},
        "measurement": {"sample_interval_ms": 100, "sampling": True, "idle_baseline_s": 0, "min_measure_s": 0,
                        "warmup": {"max_runs": 1, "cv_threshold": 0.05, "window": 2, "min_runs": 0}},
        "synthetic": {"tokens_per_second": 1000000, "ttft_ms": 0, "load_s": 0, "fail_experiment": False, "extra": {}},
    }


REWARM = {"max_runs": 2, "cv_threshold": 0.5, "window": 2, "min_runs": 0}


def gpu_bound_ab(model: str, results: str, campaign: str, pairs: int, window_s: float = 5) -> dict:
    """ABBA pairs (on off, off on, ...) of prefill-only batches: 32 x 1024 input tokens, 1 output token."""
    runs = []
    for pair in range(pairs):
        for on in ((True, False) if pair % 2 == 0 else (False, True)):
            cfg = transformers_config(model, 32, on, idle_baseline_s=0, min_measure_s=window_s, warmup=REWARM,
                                      input_length=1024, max_output_tokens=1)
            runs.append(experiment(f"ab-gpu-p{pair + 1:02d}-{'on' if on else 'off'}", len(runs), cfg, 0))
    return {"schema_version": 1, "campaign_id": campaign, "batch_id": f"{campaign}-1", "results_dir": results,
            "experiments": runs}


def main(model: str, results: str, specs: str) -> None:
    out = Path(specs)
    out.mkdir(parents=True, exist_ok=True)
    main_runs = [experiment(f"bs{bs}", i, transformers_config(model, bs, True), 0 if i == 0 else 3)
                 for i, bs in enumerate((1, 8, 32))]
    # A short re-warm after the previous experiment's shapes; the A/B compares throughput only.
    rewarm = {"max_runs": 2, "cv_threshold": 0.5, "window": 2, "min_runs": 0}
    ab_runs = []
    for bs in (1, 32):
        for pair in range(12):
            order = (True, False) if pair % 2 == 0 else (False, True)
            for on in order:
                eid = f"ab-bs{bs}-p{pair + 1:02d}-{'on' if on else 'off'}"
                cfg = transformers_config(model, bs, on, idle_baseline_s=0, min_measure_s=3, warmup=rewarm)
                ab_runs.append(experiment(eid, len(main_runs) + len(ab_runs), cfg, 0))
    spec = {"schema_version": 1, "campaign_id": "gpu-validation", "batch_id": "validation-3", "results_dir": results,
            "experiments": main_runs + ab_runs}
    (out / "validation.json").write_text(json.dumps(spec, indent=1))
    ab = []
    for label, pairs, window, kw in (("prefill", 12, 3, {"batch_size": 32, "input_length": 1024, "max_output_tokens": 2}),
                                     ("bs1", 30, 1.5, {"batch_size": 1})):
        for pair in range(pairs):
            for on in ((True, False) if pair % 2 == 0 else (False, True)):
                cfg = transformers_config(model, kw["batch_size"], on, idle_baseline_s=0, min_measure_s=window,
                                          warmup=rewarm, input_length=kw.get("input_length", 128),
                                          max_output_tokens=kw.get("max_output_tokens", 64))
                ab.append(experiment(f"ab-{label}-p{pair + 1:02d}-{'on' if on else 'off'}", len(ab), cfg, 0))
    (out / "sampler-ab.json").write_text(json.dumps(
        {"schema_version": 1, "campaign_id": "sampler-ab", "batch_id": "sampler-ab-1", "results_dir": results,
         "experiments": ab}, indent=1))
    for n in (1, 20):
        overhead = {"schema_version": 1, "campaign_id": f"overhead-{n}", "batch_id": f"overhead-{n}",
                    "results_dir": results,
                    "experiments": [experiment(f"zero-{i}", i, synthetic_zero_work(), 0) for i in range(n)]}
        (out / f"overhead-{n}.json").write_text(json.dumps(overhead, indent=1))


if __name__ == "__main__":
    if sys.argv[1] == "--gpu-bound":
        model, results, spec_file, campaign, pairs = sys.argv[2:7]
        Path(spec_file).write_text(json.dumps(gpu_bound_ab(model, results, campaign, int(pairs)), indent=1))
    else:
        main(*sys.argv[1:4])
