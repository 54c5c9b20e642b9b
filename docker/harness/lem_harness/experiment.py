"""One experiment, start to finish: engine (re)use (the device_idle baseline before the batch's first engine
load), prompts and batches, the loaded_idle baseline, warmup over every batch shape until convergence, the
measured window (whole passes over the prompts until min_measure_s) with the NVML sampler, then the result
folder written atomically."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from lem_harness import document, environment
from lem_harness.baseline_gate import BaselineGate
from lem_harness.batching import make_batches
from lem_harness.engine_cache import EngineCache
from lem_harness.events import EventWriter
from lem_harness.latency import RequestTiming
from lem_harness.measure.baseline import Baseline, measure_idle
from lem_harness.measure.window import Window
from lem_harness.nvml import Nvml
from lem_harness.prompts import load_prompts
from lem_harness.results import result_dir, samples_csv, write_result
from lem_harness.settings import Settings
from lem_harness.shapes import distinct_shapes, fixed_shape_batches
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
    # The NVML binding the process sampler imports in its own process (a test passes its double's module).
    nvml_module: str = "pynvml"
    # The window open right now, so an interruption can stop its sampler.
    active_window: Window | None = field(default=None)
    # The GPUs at rest, measured before this process's first real engine load (None until then).
    device_idle: Baseline | None = field(default=None)
    # A real engine was loaded: this process holds a CUDA context until it exits, device_idle is out of reach.
    cuda_context: bool = field(default=False)
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

    def window(self, nvml: Nvml, s: Settings) -> Window:
        m = s.measurement
        return Window(
            nvml.devices,
            sampling=m.sampling,
            interval_s=m.sample_interval_ms / 1000.0,
            kind=m.sampler,
            slow_every=m.slow_fields_every,
            nvml_module=self.nvml_module,
        )

    def gate(self, experiment_id: str) -> BaselineGate | None:
        """The baseline gate of one experiment when lem isolates baselines (isolate_baseline), else None."""
        g = self.spec.baseline_gate
        return BaselineGate(Path(g.folder), experiment_id, g.timeout_s) if g else None

    def idle(self, nvml: Nvml, s: Settings, duration_s: float, name: str) -> Baseline:
        window = self.window(nvml, s)
        self.active_window = window
        baseline = measure_idle(window, duration_s, name)
        self.active_window = None
        return baseline


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _energy_unavailable_reason(nvml: Nvml | None, nvml_error: str | None, engine: Any) -> str | None:
    if engine.simulated:
        return "simulated run (synthetic engine): no GPU work was done, so no energy is reported"
    if nvml is None:
        return f"NVML unavailable: {nvml_error}"
    mig = [g.index for g in nvml.devices if g.mig_mode()]
    if mig:
        return (
            f"MIG mode is enabled on GPU {', '.join(map(str, mig))}: NVML cannot measure the energy of a MIG "
            "slice, so energy is not reported"
        )
    return None


def _before_load(ctx: BatchContext, s: Settings, eid: str, engine: Any) -> None:
    """device_idle: the GPUs with no CUDA context, once per process, before the first real engine loads."""
    if engine.simulated or ctx.cuda_context or ctx.device_idle is not None or s.measurement.device_idle_s <= 0:
        return
    nvml, error = ctx.nvml_session()
    if _energy_unavailable_reason(nvml, error, engine) is None:
        ctx.events.emit("baseline", experiment_id=eid, duration_s=s.measurement.device_idle_s)
        ctx.device_idle = ctx.idle(nvml, s, s.measurement.device_idle_s, "device_idle")


def _prepare(engine: Any, s: Settings) -> tuple[list, list[list[int]]]:
    prompts = load_prompts(s.prompts)
    prepared = engine.prepare(prompts, s.prompts.input_length)
    if s.measurement.warmup.pad_to_fixed_shape and not engine.schedules_requests:
        longest = max(p.input_tokens for p in prepared)
        prepared = engine.prepare(prompts, s.prompts.input_length or longest)
        return prepared, fixed_shape_batches(len(prepared), s.batch_size)
    lengths = [p.input_tokens for p in prepared]
    return prepared, make_batches(lengths, s.batch_size, s.strategy, engine_schedules=engine.schedules_requests)


def _measure(
    engine: Any, s: Settings, prepared: list, batches: list[list[int]], target_s: float, clock: Callable[[], float]
) -> tuple[list[RequestTiming], int, int, float, float]:
    """Whole passes over the prompts until target_s has passed (one pass when 0): timings, batches, passes, s,
    and the window's wall-clock start (its end is start + s, timed on the monotonic clock so a clock step
    during the window cannot stretch it)."""
    timings: list[RequestTiming] = []
    passes = 0
    wall0 = time.time()
    t0 = clock()
    while True:
        for batch in batches:
            timings.extend(engine.generate([prepared[i] for i in batch], s))
        passes += 1
        if clock() - t0 >= target_s:
            return timings, passes * len(batches), passes, clock() - t0, wall0


def _loaded_idle(
    ctx: BatchContext, s: Settings, eid: str, nvml: Nvml | None, measure_gpus: bool
) -> tuple[Baseline | None, float]:
    """loaded_idle: the loaded engine, nothing running (a plain pause where the GPUs are not measured)."""
    m = s.measurement
    ctx.events.emit("baseline", experiment_id=eid, duration_s=m.idle_baseline_s)
    loaded: Baseline | None = None
    t = time.perf_counter()
    if m.idle_baseline_s > 0:
        if measure_gpus:
            loaded = ctx.idle(nvml, s, m.idle_baseline_s, "loaded_idle")
        else:
            time.sleep(m.idle_baseline_s)
    return loaded, time.perf_counter() - t


def _warm_up(engine: Any, s: Settings, prepared: list, batches: list[list[int]], emit: Callable[..., None]) -> Any:
    """Warmup runs until the CV converges, every distinct batch shape of the measured run at least once."""
    shapes = distinct_shapes(batches, [p.input_tokens for p in prepared])
    clock = time.perf_counter

    def warm(i: int) -> float:
        t = clock()
        engine.generate([prepared[j] for j in batches[i]], s)
        return clock() - t

    max_runs = s.measurement.warmup.max_runs + len(shapes)
    return run_warmup(
        warm, shapes, s.measurement.warmup, clock=clock, on_run=lambda run, cv: emit(run=run, max_runs=max_runs, cv=cv)
    )


def _write(
    ctx: BatchContext, eid: str, doc: dict, device: Baseline | None, loaded: Baseline | None, sweeps: list | None
) -> Any:
    """result.json with samples.csv beside it: every sweep of the baselines and the measured window."""
    phases = [
        ("device_idle", device.sweeps if device and not device.reused else []),
        ("baseline", loaded.sweeps if loaded else []),
        ("measured", sweeps or []),
    ]
    return write_result(result_dir(ctx.spec.results_dir, ctx.spec.campaign_id, eid), doc, samples_csv(phases))


def run_experiment(ctx: BatchContext, exp: BatchExperiment) -> str:
    """Runs one experiment and returns the path of its result.json. Raises on failure (nothing written)."""
    s = exp.settings
    m = s.measurement
    ev = ctx.events
    eid = exp.experiment_id
    clock = time.perf_counter
    # isolate_baseline: nothing of this experiment (engine load, baselines) runs until no other one does any work.
    gate = ctx.gate(eid)
    if gate is not None:
        gate.enter()
    t_start = clock()
    started_at = _now_iso()
    ev.emit("started", experiment_id=eid)

    engine, load_s = ctx.engines.acquire(
        s,
        on_loading=lambda: ev.emit("engine_loading", experiment_id=eid),
        on_loaded=lambda secs: ev.emit("engine_loaded", experiment_id=eid, load_s=secs),
        before_load=lambda created: _before_load(ctx, s, eid, created),
    )
    ctx.cuda_context = ctx.cuda_context or not engine.simulated
    prepared, batches = _prepare(engine, s)
    if engine.simulated:
        nvml, nvml_error = ctx.nvml, None if ctx.nvml else SIMULATED_NVML_NOTE
    else:
        nvml, nvml_error = ctx.nvml_session()
    env = environment.collect(nvml, nvml_error, engine.name, engine.version())
    unavailable = _energy_unavailable_reason(nvml, nvml_error, engine)
    measure_gpus = unavailable is None

    loaded, idle_s = _loaded_idle(ctx, s, eid, nvml, measure_gpus)
    if gate is not None:
        gate.leave()
    device = ctx.device_idle if measure_gpus else None
    if device is not None and device.measured_at is not None and device.measured_at < started_at:
        device = device.as_reused()

    warm_summary = _warm_up(engine, s, prepared, batches, lambda **f: ev.emit("warmup", experiment_id=eid, **f))

    # The measured window: one pass over the prompts, or whole passes until min_measure_s where energy is measured
    # (a run without energy measures latency and throughput only: it has no counter to wait for).
    ev.emit("measuring", experiment_id=eid)
    target_s = m.min_measure_s if measure_gpus else 0.0
    window = ctx.window(nvml, s) if measure_gpus else None
    if window is not None:
        ctx.active_window = window
        window.open()
    timings, n_batches, passes, measured_s, wall0 = _measure(engine, s, prepared, batches, target_s, clock)
    sweeps = window.close() if window is not None else None
    ctx.active_window = None

    doc = document.build(
        document.Inputs(
            spec=ctx.spec,
            exp=exp,
            env=env,
            engine_name=engine.name,
            simulated=bool(engine.simulated),
            started_at=started_at,
            finished_at=_now_iso(),
            load_s=load_s,
            idle_s=idle_s,
            timings=timings,
            n_batches=n_batches,
            passes=passes,
            measured_s=measured_s,
            sweeps=sweeps,
            unavailable=unavailable,
            baselines={"device_idle": device, "loaded_idle": loaded},
            warmup=warm_summary,
            target_s=target_s,
            power_sources=[g.power_source() for g in nvml.devices] if measure_gpus and m.sampling else [],
            window_start_unix_s=wall0,
        )
    )
    path = _write(ctx, eid, doc, device, loaded, sweeps)
    ev.emit("finished", experiment_id=eid, result_path=str(path), duration_s=clock() - t_start)
    return str(path)
