"""Pure functions from what was measured to the result document's sections (energy, power, thermal,
sampler, GPU usage, throughput) and the validity warnings ML.ENERGY-style checks raise. No I/O, no clocks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from lem_harness.measure.baseline import BASELINE_NAMES, Baseline, adjusted_j
from lem_harness.measure.energy import WindowEnergy, disagreement_pct
from lem_harness.measure.sweep import FAST_CALLS_PER_GPU, FULL_CALLS_PER_GPU, Sweep
from lem_harness.measure.throttle import active_reasons, throttle_fractions
from lem_harness.nvml import POWER_SOURCE_AVERAGE
from lem_harness.stats import distribution

MIN_WINDOW_S = 10.0
MAX_DISAGREEMENT_PCT = 5.0
MIN_COVERAGE = 0.75
TEMP_RANGE_C = (20.0, 95.0)


@dataclass
class Measured:
    """What the measured window produced, energy-wise; sweeps is None where no GPU was measured."""

    duration_s: float
    sweeps: list[Sweep] | None
    energy: WindowEnergy | None
    sampling: bool
    interval_s: float
    power_sources: list[str]
    baselines: dict[str, Baseline | None]  # device_idle and loaded_idle, None where not measured
    subtract: str  # which baseline the adjusted figures subtract (measurement.baseline)
    output_tokens: int
    unavailable_reason: str | None  # why energy is not measured at all (NVML absent, MIG, simulated)
    sampler_kind: str = "thread"
    slow_every: int = 10

    @property
    def baseline(self) -> Baseline | None:
        """The subtracted baseline."""
        return self.baselines.get(self.subtract)


def _per_token(joules: float | None, tokens: int) -> float | None:
    return None if joules is None or tokens <= 0 else joules / tokens


def _adjusted(m: Measured, name: str, counter_j: float | None, duration_s: float) -> dict | None:
    b = m.baselines.get(name)
    if b is None:
        return None
    baseline_j, adjusted = adjusted_j(counter_j, b.power_w, duration_s)
    return {
        "baseline_power_w": b.power_w,
        "baseline_j": baseline_j,
        "adjusted_j": adjusted,
        "adjusted_j_per_output_token": _per_token(adjusted, m.output_tokens),
    }


def energy_section(m: Measured) -> dict:
    chosen = m.baseline
    named = {"baseline": chosen.name if chosen else None}
    if m.energy is None:
        return {
            "available": False,
            "reason": m.unavailable_reason or "no GPU was measured",
            "counter_j": None,
            "integrated_j": None,
            "disagreement_pct": None,
            "baseline_power_w": chosen.power_w if chosen else None,
            "baseline_j": None,
            "adjusted_j": None,
            "j_per_output_token": None,
            "adjusted_j_per_output_token": None,
            "per_gpu": [],
            **named,
            "adjusted": {name: None for name in BASELINE_NAMES},
        }
    e = m.energy
    available = e.counter_j is not None
    reason = None if available else "; ".join(e.problems) or "the energy counter could not be read"
    adjusted = {name: _adjusted(m, name, e.counter_j, e.duration_s) for name in BASELINE_NAMES}
    mine = adjusted.get(m.subtract) or {}
    return {
        "available": available,
        "reason": reason,
        "counter_j": e.counter_j,
        "integrated_j": e.integrated_j,
        "disagreement_pct": disagreement_pct(e.counter_j, e.integrated_j),
        "baseline_power_w": chosen.power_w if chosen else None,
        "baseline_j": mine.get("baseline_j"),
        "adjusted_j": mine.get("adjusted_j"),
        "j_per_output_token": _per_token(e.counter_j, m.output_tokens),
        "adjusted_j_per_output_token": mine.get("adjusted_j_per_output_token"),
        "per_gpu": [
            {
                "index": g.index,
                "counter_j": g.counter_j,
                "integrated_j": g.integrated_j,
                "baseline_power_w": chosen.per_gpu_w[pos] if chosen else None,
            }
            for pos, g in enumerate(e.per_gpu)
        ],
        **named,
        "adjusted": adjusted,
    }


def power_section(m: Measured) -> dict:
    if m.energy is None or m.sweeps is None:
        return {"source": None, "mean_w": None, "max_w": None, "min_w": None}
    e = m.energy
    if not m.sampling:
        # Only the opening and closing sweeps exist: the mean comes from the counter, extremes are unknown.
        mean = None if e.counter_j is None or e.duration_s <= 0 else e.counter_j / e.duration_s
        return {
            "source": "nvmlDeviceGetTotalEnergyConsumption delta (sampling off)",
            "mean_w": mean,
            "max_w": None,
            "min_w": None,
        }
    totals = [t for t in (s.total_power_w() for s in m.sweeps) if t is not None]
    mean = None if e.integrated_j is None or e.duration_s <= 0 else e.integrated_j / e.duration_s
    return {
        "source": " + ".join(sorted(set(m.power_sources))) or None,
        "mean_w": mean,
        "max_w": max(totals) if totals else None,
        "min_w": min(totals) if totals else None,
    }


def _temps(sweeps: Sequence[Sweep]) -> list[float]:
    return [r.temperature_c for s in sweeps for r in s.readings if r.temperature_c is not None]


def thermal_section(m: Measured) -> dict:
    if m.sweeps is None:
        return {"start_temp_c": None, "max_temp_c": None, "throttled": False, "active_reasons": [], "fractions": None}
    start = _temps(m.sweeps[:1])
    every = _temps(m.sweeps)
    fractions = throttle_fractions(r.clocks_event_reasons for s in m.sweeps for r in s.readings) if m.sampling else None
    active = active_reasons(fractions)
    return {
        "start_temp_c": max(start) if start else None,
        "max_temp_c": max(every) if every else None,
        "throttled": bool(active),
        "active_reasons": active,
        "fractions": fractions,
    }


def sampler_section(m: Measured) -> dict:
    off = {
        "enabled": False,
        "interval_ms": m.interval_s * 1000.0,
        "samples": 0,
        "coverage": None,
        "kind": None,
        "slow_fields_every": None,
        "calls_per_sweep": None,
        "sweep_ms": None,
    }
    if not m.sampling or m.sweeps is None:
        return off
    expected = m.duration_s / m.interval_s + 1 if m.interval_s > 0 else 1
    calls = [s.calls() / max(1, len(s.readings)) for s in m.sweeps]
    return {
        **off,
        "enabled": True,
        "samples": len(m.sweeps),
        "coverage": min(1.0, len(m.sweeps) / expected),
        "kind": m.sampler_kind,
        "slow_fields_every": m.slow_every,
        "calls_per_sweep": {"fast": FAST_CALLS_PER_GPU, "full": FULL_CALLS_PER_GPU, "mean": sum(calls) / len(calls)},
        "sweep_ms": distribution([s.cost_s * 1000.0 for s in m.sweeps]),
    }


def _complete(values: list[float | int | None]) -> bool:
    return bool(values) and all(v is not None for v in values)


def gpu_usage_section(m: Measured) -> dict:
    """GPU memory and utilisation over the measured window's sweeps (each sweep reads every GPU in use).

    Memory: the per-sweep sum over GPUs, then its max and mean. Utilisation: the per-sweep mean over GPUs, then the
    mean over sweeps. A sweep where some GPU lacks a quantity is left out for that quantity (never extrapolated
    from the other GPUs); a quantity no sweep has is null. Without sampling (only the window's two edge sweeps)
    or without measured GPUs (NVML absent, MIG, simulated) every field is null and samples is 0.
    """
    if not m.sampling or not m.sweeps:
        return {
            "memory_used_max_mib": None,
            "memory_used_mean_mib": None,
            "utilization_gpu_mean_pct": None,
            "utilization_memory_mean_pct": None,
            "samples": 0,
        }
    mem: list[float] = []
    util_gpu: list[float] = []
    util_mem: list[float] = []
    for s in m.sweeps:
        used = [r.mem_used_mib for r in s.readings]
        if _complete(used):
            mem.append(float(sum(used)))
        ug = [r.util_gpu_pct for r in s.readings]
        if _complete(ug):
            util_gpu.append(sum(ug) / len(ug))
        um = [r.util_mem_pct for r in s.readings]
        if _complete(um):
            util_mem.append(sum(um) / len(um))

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return {
        "memory_used_max_mib": max(mem) if mem else None,
        "memory_used_mean_mib": mean(mem),
        "utilization_gpu_mean_pct": mean(util_gpu),
        "utilization_memory_mean_pct": mean(util_mem),
        "samples": len(m.sweeps),
    }


def validity_warnings(m: Measured, energy: dict, power: dict, thermal: dict, sampler: dict) -> list[str]:
    """The checks ML.ENERGY applies to a run, and the caveats MEASUREMENT.md asks to state beside results."""
    out: list[str] = []
    if m.energy is None:
        return out
    if m.duration_s < MIN_WINDOW_S:
        out.append(
            f"measured window is {m.duration_s:.1f} s (< {MIN_WINDOW_S:.0f} s): NVML's counter updates about "
            "every 100 ms and the power sensor samples only part of the time, so short windows carry real error"
        )
    if energy["disagreement_pct"] is not None and abs(energy["disagreement_pct"]) > MAX_DISAGREEMENT_PCT:
        out.append(
            f"energy counter and power integral disagree by {energy['disagreement_pct']:.1f} % "
            f"(> {MAX_DISAGREEMENT_PCT:.0f} %)"
        )
    if sampler["coverage"] is not None and sampler["coverage"] < MIN_COVERAGE:
        out.append(f"sampler coverage {sampler['coverage']:.2f} is below {MIN_COVERAGE}: the power series has gaps")
    if POWER_SOURCE_AVERAGE in m.power_sources and m.sampling:
        out.append(
            "instantaneous power is not supported here: the integral uses nvmlDeviceGetPowerUsage, a 1 s "
            "average on Ampere and newer, which smears every edge; the counter stays primary"
        )
    if not m.sampling:
        out.append(
            "sampling is off: energy from the counter only; no power integral, throttle fractions or temperature series"
        )
    if m.baseline is None:
        out.append(f"the {m.subtract} baseline was not measured: adjusted energy is unavailable")
    elif (
        energy["baseline_power_w"] is not None
        and power["mean_w"] is not None
        and power["mean_w"] < energy["baseline_power_w"]
    ):
        out.append(
            f"mean power during measurement ({power['mean_w']:.1f} W) is below the idle baseline "
            f"({energy['baseline_power_w']:.1f} W)"
        )
    if m.baseline is not None:
        out.extend(f"idle baseline: {p}" for p in m.baseline.problems)
    lo, hi = TEMP_RANGE_C
    for key in ("start_temp_c", "max_temp_c"):
        t = thermal[key]
        if t is not None and not lo <= t <= hi:
            out.append(f"GPU temperature {t:.0f} °C ({key}) is outside {lo:.0f}-{hi:.0f} °C")
    if thermal["throttled"]:
        out.append(
            "clocks were throttled during measurement: "
            + ", ".join(
                f"{name} {thermal['fractions'][name] * 100:.1f} % of samples" for name in thermal["active_reasons"]
            )
        )
    return out


def throughput_section(output_tokens: int, input_tokens: int, requests: int, duration_s: float) -> dict:
    if duration_s <= 0:
        return {"output_tokens_per_s": 0.0, "total_tokens_per_s": 0.0, "requests_per_s": 0.0}
    return {
        "output_tokens_per_s": output_tokens / duration_s,
        "total_tokens_per_s": (output_tokens + input_tokens) / duration_s,
        "requests_per_s": requests / duration_s,
    }
