"""Idle baselines, two of them, named for what they are:

- device_idle: the GPUs at rest, measured before the engine creates a CUDA context (a context keeps the GPU in
  a high-clock state: an H200 drew 78 W at 345 MHz without one and 121 W at 1980 MHz with an engine loaded).
  A process keeps its context until it exits, so it is measured once, before the batch's first engine load,
  and reused by the batch's later experiments (`reused`).
- loaded_idle: the engine loaded and nothing running, measured before each experiment's warmup.

Power comes from the energy counter's delta over the idle window (the sampled power integral where the counter
is unreadable), exact over the window the way the measured energy is. Adjusted energy = measured energy -
baseline power x measured duration; docs/metrics.md says when each baseline is the right one to subtract.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable

from lem_harness.measure.energy import per_gpu_power_w, window_energy
from lem_harness.measure.sweep import Sweep
from lem_harness.measure.window import Window
from lem_harness.stats import mean, percentile

BASELINE_NAMES = ("device_idle", "loaded_idle")


@dataclass
class Baseline:
    name: str
    duration_s: float
    power_w: float | None
    per_gpu_w: list[float | None]
    sweeps: list[Sweep]
    measured_at: str | None = None
    reused: bool = False
    problems: list[str] = field(default_factory=list)

    def as_reused(self) -> "Baseline":
        return replace(self, reused=True)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def measure_idle(
    window: Window, duration_s: float, name: str = "loaded_idle", sleep: Callable[[float], None] = time.sleep
) -> Baseline:
    if name not in BASELINE_NAMES:
        raise ValueError(f"unknown baseline {name!r}")
    at = _now_iso()
    window.open()
    sleep(duration_s)
    sweeps = window.close()
    energy = window_energy(sweeps, integrate=window.sampling)
    per_gpu = per_gpu_power_w(energy)
    total = None if not per_gpu or any(p is None for p in per_gpu) else sum(per_gpu)
    return Baseline(
        name=name,
        duration_s=energy.duration_s,
        power_w=total,
        per_gpu_w=per_gpu,
        sweeps=sweeps,
        measured_at=at,
        problems=energy.problems,
    )


def drift_pct(sweeps: list[Sweep]) -> float | None:
    """(mean sampled power of the second half - first half) / first half x 100; None with fewer than 4 sweeps."""
    totals = [p for p in (s.total_power_w() for s in sweeps) if p is not None]
    if len(totals) < 4:
        return None
    half = len(totals) // 2
    first, second = mean(totals[:half]), mean(totals[-half:])
    return None if first <= 0 else (second - first) / first * 100.0


def _first_gpu(sweeps: list[Sweep], attr: str) -> list[float]:
    return [v for v in (getattr(s.readings[0], attr) for s in sweeps if s.readings) if v is not None]


def baseline_info(b: Baseline | None) -> dict | None:
    """The result's description of one baseline: power, state, clocks, duration, drift."""
    if b is None:
        return None
    pstates = _first_gpu(b.sweeps, "pstate")
    sm, mem = _first_gpu(b.sweeps, "sm_clock_mhz"), _first_gpu(b.sweeps, "mem_clock_mhz")
    return {
        "name": b.name,
        "power_w": b.power_w,
        "per_gpu_w": b.per_gpu_w,
        "duration_s": b.duration_s,
        "pstate": int(Counter(pstates).most_common(1)[0][0]) if pstates else None,
        "sm_clock_mhz": percentile(sorted(sm), 50) if sm else None,
        "mem_clock_mhz": percentile(sorted(mem), 50) if mem else None,
        "samples": len(b.sweeps),
        "measured_at": b.measured_at,
        "reused": b.reused,
        "drift_pct": drift_pct(b.sweeps),
        "problems": list(b.problems),
    }


def adjusted_j(
    measured_j: float | None, baseline_w: float | None, duration_s: float
) -> tuple[float | None, float | None]:
    """(baseline energy over the measured window, measured minus that), or Nones where either is unknown."""
    if measured_j is None or baseline_w is None:
        return None, None
    baseline_j = baseline_w * duration_s
    return baseline_j, measured_j - baseline_j
