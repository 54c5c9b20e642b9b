"""The result document (schema version 4, src/contract/result.ts) from what one experiment measured. Pure: no
I/O, no clocks; the sections come from report.py, validity and uncertainty from measure/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from lem_harness import report
from lem_harness.latency import RequestTiming, summarise
from lem_harness.measure.baseline import Baseline, baseline_info
from lem_harness.measure.energy import window_energy
from lem_harness.measure.sweep import Sweep
from lem_harness.measure.throttle import POWER_CAP_BIT, SLOWDOWN_BITS, share_with
from lem_harness.measure.uncertainty import budget
from lem_harness.measure.validity import WindowFacts, validity
from lem_harness.results import SAMPLES_FILE
from lem_harness.spec import BatchExperiment, BatchSpec
from lem_harness.warmup import WarmupSummary

SCHEMA_VERSION = 6


@dataclass
class Inputs:
    spec: BatchSpec
    exp: BatchExperiment
    env: dict
    engine_name: str
    simulated: bool
    started_at: str
    finished_at: str
    load_s: float | None
    idle_s: float
    timings: list[RequestTiming]
    n_batches: int
    passes: int
    measured_s: float
    sweeps: list[Sweep] | None
    unavailable: str | None
    baselines: dict[str, Baseline | None]
    warmup: WarmupSummary
    target_s: float
    power_sources: list[str]
    # Wall-clock start of the measured window (seconds since the epoch): meters outside the container cut
    # their samples at [start, start + measured_s]. None where not recorded.
    window_start_unix_s: float | None = None


def _window(i: Inputs) -> dict:
    out: dict = {"target_s": i.target_s, "passes": i.passes}
    if i.window_start_unix_s is not None:
        out["start_unix_s"] = i.window_start_unix_s
        out["end_unix_s"] = i.window_start_unix_s + i.measured_s
    return out


def _facts(m: report.Measured, energy: dict, sampler: dict) -> WindowFacts:
    sweeps: Sequence[Sweep] = m.sweeps or []
    temps = [r.temperature_c for s in sweeps for r in s.readings if r.temperature_c is not None]
    masks = [r.clocks_event_reasons for s in sweeps for r in s.readings] if m.sampling else []
    chosen = m.baseline
    return WindowFacts(
        measured=m.energy is not None,
        window_s=m.duration_s,
        coverage=sampler["coverage"],
        gap_pct=energy["disagreement_pct"],
        temp_min_c=min(temps) if temps else None,
        temp_max_c=max(temps) if temps else None,
        slowdown_share=share_with(masks, SLOWDOWN_BITS),
        power_cap_share=share_with(masks, POWER_CAP_BIT),
        baseline_name=chosen.name if chosen else None,
        baseline_drift_pct=baseline_info(chosen)["drift_pct"] if chosen else None,
    )


def _warmup(i: Inputs) -> dict:
    w, cfg = i.warmup, i.exp.settings.measurement.warmup
    return {
        "runs": w.runs,
        "final_cv": w.final_cv,
        "converged": w.converged,
        "cv_threshold": cfg.cv_threshold,
        "window": cfg.window,
        "max_runs": cfg.max_runs,
        "cold_run_s": w.cold_run_s,
        "cold_run_excluded": True,
        "shapes": w.shapes,
        "fixed_shape": cfg.pad_to_fixed_shape,
    }


def _warnings(i: Inputs, m: report.Measured, sections: dict[str, Any], checks: dict) -> list[str]:
    out = report.validity_warnings(m, sections["energy"], sections["power"], sections["thermal"], sections["sampler"])
    out.extend(f"invalid: {reason}" for reason in checks["reasons"])
    cfg = i.exp.settings.measurement.warmup
    if not i.warmup.converged:
        cv = "undefined" if i.warmup.final_cv is None else f"{i.warmup.final_cv:.3f}"
        out.append(
            f"warmup did not converge: CV of the last {cfg.window} latencies was {cv} after {i.warmup.runs} "
            f"runs (threshold {cfg.cv_threshold})"
        )
    if sections["latency"]["ttft_ms"] is None:
        out.append(
            f"the {i.engine_name} engine does not expose per-token timing here: TTFT, TPOT and ITL are not reported"
        )
    return out


def build(i: Inputs) -> dict:
    s = i.exp.settings
    ms = s.measurement
    out_tokens = sum(t.output_tokens for t in i.timings)
    in_tokens = sum(t.input_tokens for t in i.timings)
    m = report.Measured(
        duration_s=i.measured_s,
        sweeps=i.sweeps,
        energy=window_energy(i.sweeps, integrate=ms.sampling) if i.sweeps else None,
        sampling=ms.sampling,
        interval_s=ms.sample_interval_ms / 1000.0,
        power_sources=i.power_sources,
        baselines=i.baselines,
        subtract=ms.baseline,
        output_tokens=out_tokens,
        unavailable_reason=i.unavailable,
        sampler_kind=ms.sampler,
        slow_every=ms.slow_fields_every,
    )
    sections = {
        "energy": report.energy_section(m),
        "power": report.power_section(m),
        "thermal": report.thermal_section(m),
        "sampler": report.sampler_section(m),
        "latency": summarise(i.timings),
    }
    energy = sections["energy"]
    checks = validity(_facts(m, energy, sections["sampler"]))
    n_gpus = len(m.energy.per_gpu) if m.energy else 0
    return {
        "schema_version": SCHEMA_VERSION,
        "simulated": i.simulated,
        "experiment": {
            "campaign_id": i.spec.campaign_id,
            "experiment_id": i.exp.experiment_id,
            "config_hash": i.exp.config_hash,
            "cycle": i.exp.cycle,
            "index": i.exp.index,
            "attempt": i.exp.attempt,
            "backend": s.backend,
            "config": i.exp.config,
        },
        "environment": i.env,
        "timing": {
            "started_at": i.started_at,
            "finished_at": i.finished_at,
            "engine_load_s": i.load_s,
            "idle_baseline_s": i.baselines["loaded_idle"].duration_s if i.baselines["loaded_idle"] else i.idle_s,
            "warmup_s": i.warmup.duration_s,
            "measured_s": i.measured_s,
        },
        "tokens": {"input": in_tokens, "output": out_tokens, "prompts": len(i.timings), "batches": i.n_batches},
        "throughput": report.throughput_section(out_tokens, in_tokens, len(i.timings), i.measured_s),
        **sections,
        "warmup": _warmup(i),
        "gpu_usage": report.gpu_usage_section(m),
        "baselines": {name: baseline_info(b) for name, b in i.baselines.items()},
        "window": _window(i),
        "validity": checks,
        "uncertainty": budget(
            energy["j_per_output_token"] if energy["available"] else None,
            i.measured_s,
            energy["counter_j"],
            energy["disagreement_pct"],
            n_gpus,
        ),
        "warnings": _warnings(i, m, sections, checks),
        "files": {"samples_csv": SAMPLES_FILE},
    }
