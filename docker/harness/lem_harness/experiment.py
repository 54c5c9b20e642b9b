"""One experiment, start to finish: engine (re)use, prompts and batches, idle baseline, warmup until
convergence, the measured window with the NVML sampler, then the result folder written atomically."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from lem_harness import environment, report
from lem_harness.batching import make_batches
from lem_harness.engine_cache import EngineCache
from lem_harness.events import EventWriter
from lem_harness.latency import RequestTiming, summarise
from lem_harness.measure.baseline import Baseline, measure_idle
from lem_harness.measure.energy import window_energy
from lem_harness.measure.window import Window
from lem_harness.nvml import Nvml
from lem_harness.prompts import load_prompts
from lem_harness.results import SAMPLES_FILE, result_dir, samples_csv, write_result
from lem_harness.spec import BatchExperiment, BatchSpec
from lem_harness.warmup import run_warmup


SIMULATED_NVML_NOTE = "NVML not opened: this is a simulated run (synthetic engine), no GPU is measured"


@dataclass
class BatchContext:
    spec: BatchSpec
    events: EventWriter
    engines: EngineCache
    # Opens NVML; returns (session, None) or (None, the reason it cannot be used).
    open_nvml: Callable[[], tuple[Nvml | None, str | None]]
    # The window open right now, so an interruption can stop its sampler thread.
    active_window: Window | None = field(default=None)
    _nvml: tuple[Nvml | None, str | None] | None = field(default=None)

    def nvml_session(self) -> tuple[Nvml | None, str | None]:
        """NVML, opened on first need: importing pynvml and nvmlInit take ~0.1 s, which a batch of simulated
        experiments (CI, the orchestrator's own overhead tests) never needs to pay."""
        if self._nvml is None:
            self._nvml = self.open_nvml()
            if self._nvml[0] is None:
                print(f"lem_harness: energy will not be measured: {self._nvml[1]}", file=sys.stderr, flush=True)
        return self._nvml

    @property
    def nvml(self) -> Nvml | None:
        return self._nvml[0] if self._nvml else None


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _energy_unavailable_reason(nvml: Nvml | None, nvml_error: str | None, engine: Any) -> str | None:
    if engine.simulated:
        return "simulated run (synthetic engine): no GPU work was done, so no energy is reported"
    if nvml is None:
        return f"NVML unavailable: {nvml_error}"
    mig = [g.index for g in nvml.devices if g.mig_mode()]
    if mig:
        return (f"MIG mode is enabled on GPU {', '.join(map(str, mig))}: NVML cannot measure the energy of a MIG "
                "slice, so energy is not reported")
    return None


def _open_window(ctx: BatchContext, nvml: Nvml, sampling: bool, interval_s: float) -> Window:
    window = Window(nvml.devices, sampling=sampling, interval_s=interval_s)
    ctx.active_window = window
    window.open()
    return window


def _close_window(ctx: BatchContext, window: Window):
    sweeps = window.close()
    ctx.active_window = None
    return sweeps


def run_experiment(ctx: BatchContext, exp: BatchExperiment) -> str:
    """Runs one experiment and returns the path of its result.json. Raises on failure (nothing written)."""
    s = exp.settings
    m = s.measurement
    ev = ctx.events
    eid = exp.experiment_id
    clock = time.perf_counter
    t_start = clock()
    started_at = _now_iso()
    ev.emit("started", experiment_id=eid)

    engine, load_s = ctx.engines.acquire(
        s,
        on_loading=lambda: ev.emit("engine_loading", experiment_id=eid),
        on_loaded=lambda secs: ev.emit("engine_loaded", experiment_id=eid, load_s=secs),
    )
    prepared = engine.prepare(load_prompts(s.prompts), s.prompts.input_length)
    batches = make_batches([p.input_tokens for p in prepared], s.batch_size, s.strategy,
                           engine_schedules=engine.schedules_requests)
    if engine.simulated:
        nvml, nvml_error = ctx.nvml, None if ctx.nvml else SIMULATED_NVML_NOTE
    else:
        nvml, nvml_error = ctx.nvml_session()
    env = environment.collect(nvml, nvml_error, engine.name, engine.version())
    unavailable = _energy_unavailable_reason(nvml, nvml_error, engine)
    measure_gpus = unavailable is None
    interval_s = m.sample_interval_ms / 1000.0

    # Idle baseline: the loaded engine, nothing running.
    ev.emit("baseline", experiment_id=eid, duration_s=m.idle_baseline_s)
    baseline: Baseline | None = None
    t_idle = clock()
    if m.idle_baseline_s > 0:
        if measure_gpus:
            window = Window(nvml.devices, sampling=m.sampling, interval_s=interval_s)
            ctx.active_window = window
            baseline = measure_idle(window, m.idle_baseline_s)
            ctx.active_window = None
        else:
            time.sleep(m.idle_baseline_s)
    idle_s = clock() - t_idle

    # Warmup on the first batch until its latency settles; never measured.
    first_batch = [prepared[i] for i in batches[0]]

    def warm_once() -> float:
        t = clock()
        engine.generate(first_batch, s)
        return clock() - t

    warm = run_warmup(
        warm_once, m.warmup,
        on_run=lambda run, cv: ev.emit("warmup", experiment_id=eid, run=run, max_runs=m.warmup.max_runs, cv=cv),
        clock=clock,
    )

    # The measured window: one pass over the prompts, or whole batches until min_measure_s has passed.
    ev.emit("measuring", experiment_id=eid)
    window = _open_window(ctx, nvml, m.sampling, interval_s) if measure_gpus else None
    timings: list[RequestTiming] = []
    n_batches = 0
    t0 = clock()
    while True:
        batch = batches[n_batches % len(batches)]
        timings.extend(engine.generate([prepared[i] for i in batch], s))
        n_batches += 1
        if m.min_measure_s <= 0:
            if n_batches == len(batches):
                break
        elif clock() - t0 >= m.min_measure_s:
            break
    measured_s = clock() - t0
    sweeps = _close_window(ctx, window) if window is not None else None

    out_tokens = sum(t.output_tokens for t in timings)
    in_tokens = sum(t.input_tokens for t in timings)
    measured = report.Measured(
        duration_s=measured_s,
        sweeps=sweeps,
        energy=window_energy(sweeps, integrate=m.sampling) if sweeps else None,
        sampling=m.sampling,
        interval_s=interval_s,
        power_sources=[g.power_source() for g in nvml.devices] if measure_gpus and m.sampling else [],
        baseline=baseline,
        output_tokens=out_tokens,
        unavailable_reason=unavailable,
    )
    energy = report.energy_section(measured)
    power = report.power_section(measured)
    thermal = report.thermal_section(measured)
    sampler = report.sampler_section(measured)
    warnings = report.validity_warnings(measured, energy, power, thermal, sampler)
    if not warm.converged:
        cv = "undefined" if warm.final_cv is None else f"{warm.final_cv:.3f}"
        warnings.append(f"warmup did not converge: CV of the last {m.warmup.window} latencies was {cv} after "
                        f"{warm.runs} runs (threshold {m.warmup.cv_threshold})")
    latency = summarise(timings)
    if latency["ttft_ms"] is None:
        warnings.append(f"the {engine.name} engine does not expose per-token timing here: TTFT, TPOT and ITL are "
                        "not reported")

    document = {
        "schema_version": 3,
        "simulated": bool(engine.simulated),
        "experiment": {
            "campaign_id": ctx.spec.campaign_id,
            "experiment_id": eid,
            "config_hash": exp.config_hash,
            "cycle": exp.cycle,
            "index": exp.index,
            "attempt": exp.attempt,
            "backend": s.backend,
            "config": exp.config,
        },
        "environment": env,
        "timing": {
            "started_at": started_at,
            "finished_at": _now_iso(),
            "engine_load_s": load_s,
            "idle_baseline_s": baseline.duration_s if baseline else idle_s,
            "warmup_s": warm.duration_s,
            "measured_s": measured_s,
        },
        "tokens": {"input": in_tokens, "output": out_tokens, "prompts": len(timings), "batches": n_batches},
        "throughput": report.throughput_section(out_tokens, in_tokens, len(timings), measured_s),
        "latency": latency,
        "energy": energy,
        "power": power,
        "thermal": thermal,
        "warmup": {
            "runs": warm.runs,
            "final_cv": warm.final_cv,
            "converged": warm.converged,
            "cv_threshold": m.warmup.cv_threshold,
            "window": m.warmup.window,
            "max_runs": m.warmup.max_runs,
        },
        "sampler": sampler,
        "gpu_usage": report.gpu_usage_section(measured),
        "warnings": warnings,
        "files": {"samples_csv": SAMPLES_FILE},
    }
    phases = [("baseline", baseline.sweeps if baseline else []), ("measured", sweeps or [])]
    path = write_result(result_dir(ctx.spec.results_dir, ctx.spec.campaign_id, eid), document, samples_csv(phases))
    ev.emit("finished", experiment_id=eid, result_path=str(path), duration_s=clock() - t_start)
    return str(path)
