"""Energy of a window, two ways (MEASUREMENT.md):

- primary: the delta of nvmlDeviceGetTotalEnergyConsumption (mJ) between the window's first and last sweep.
  A negative delta means the counter was reset: that measurement is invalid and is reported as such.
- cross-check: the trapezoidal integral of sampled power over the same sweeps.
Both are summed over every GPU in use; a GPU whose reading is missing makes the sum unavailable (never
extrapolated from the others).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Sequence

from lem_harness.measure.sampler import Sweep


def counter_delta_j(start_mj: int | None, end_mj: int | None) -> tuple[float | None, str | None]:
    if start_mj is None or end_mj is None:
        return None, "the energy counter could not be read"
    if end_mj < start_mj:
        return (
            None,
            f"the energy counter went backwards ({start_mj} -> {end_mj} mJ): it was reset, the measurement is invalid",
        )
    return (end_mj - start_mj) / 1000.0, None


def trapezoid_j(points: Sequence[tuple[float, float | None]]) -> float | None:
    """Integral of power (W) over time (s); points without a power reading are skipped."""
    usable = [(t, p) for t, p in points if p is not None]
    if len(usable) < 2:
        return None
    return sum((t1 - t0) * (p0 + p1) / 2.0 for (t0, p0), (t1, p1) in pairwise(usable))


def disagreement_pct(counter_j: float | None, integrated_j: float | None) -> float | None:
    if counter_j is None or integrated_j is None or counter_j <= 0:
        return None
    return (integrated_j - counter_j) / counter_j * 100.0


@dataclass
class GpuEnergy:
    index: int
    counter_j: float | None
    integrated_j: float | None


@dataclass
class WindowEnergy:
    duration_s: float
    per_gpu: list[GpuEnergy]
    counter_j: float | None
    integrated_j: float | None
    problems: list[str] = field(default_factory=list)


def _sum(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else float(sum(values))


def window_energy(sweeps: Sequence[Sweep], *, integrate: bool) -> WindowEnergy:
    if len(sweeps) < 2:
        raise ValueError("a window needs at least its opening and closing sweep")
    first, last = sweeps[0], sweeps[-1]
    per_gpu: list[GpuEnergy] = []
    problems: list[str] = []
    for pos, start in enumerate(first.readings):
        counter, problem = counter_delta_j(start.energy_mj, last.readings[pos].energy_mj)
        if problem:
            problems.append(f"GPU {start.gpu}: {problem}")
        integrated = trapezoid_j([(s.t, s.readings[pos].power_w) for s in sweeps]) if integrate else None
        per_gpu.append(GpuEnergy(index=start.gpu, counter_j=counter, integrated_j=integrated))
    return WindowEnergy(
        duration_s=last.t - first.t,
        per_gpu=per_gpu,
        counter_j=_sum([g.counter_j for g in per_gpu]),
        integrated_j=_sum([g.integrated_j for g in per_gpu]) if integrate else None,
        problems=problems,
    )


def per_gpu_power_w(energy: WindowEnergy) -> list[float | None]:
    """Mean power per GPU over the window: counter first, the integral where the counter failed."""
    out: list[float | None] = []
    for g in energy.per_gpu:
        joules = g.counter_j if g.counter_j is not None else g.integrated_j
        out.append(None if joules is None or energy.duration_s <= 0 else joules / energy.duration_s)
    return out
