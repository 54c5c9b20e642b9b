"""Idle baseline (MEAS-02): the GPUs' power with the engine loaded and nothing running, measured for
idle_baseline_s before warmup. Power comes from the energy counter's delta over the idle window (the
sampled power integral where the counter is unreadable), so it is exact over the window the way the
measured energy is. Adjusted energy = measured energy - baseline power x measured duration."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from lem_harness.measure.energy import per_gpu_power_w, window_energy
from lem_harness.measure.sampler import Sweep
from lem_harness.measure.window import Window


@dataclass
class Baseline:
    duration_s: float
    power_w: float | None
    per_gpu_w: list[float | None]
    sweeps: list[Sweep]
    problems: list[str] = field(default_factory=list)


def measure_idle(window: Window, duration_s: float, sleep: Callable[[float], None] = time.sleep) -> Baseline:
    window.open()
    sleep(duration_s)
    sweeps = window.close()
    energy = window_energy(sweeps, integrate=window.sampling)
    per_gpu = per_gpu_power_w(energy)
    total = None if not per_gpu or any(p is None for p in per_gpu) else sum(per_gpu)
    return Baseline(duration_s=energy.duration_s, power_w=total, per_gpu_w=per_gpu, sweeps=sweeps,
                    problems=energy.problems)


def adjusted_j(measured_j: float | None, baseline_w: float | None, duration_s: float) -> tuple[float | None, float | None]:
    """(baseline energy over the measured window, measured minus that), or Nones where either is unknown."""
    if measured_j is None or baseline_w is None:
        return None, None
    baseline_j = baseline_w * duration_s
    return baseline_j, measured_j - baseline_j
