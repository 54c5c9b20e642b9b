"""Validity checks of one measured window, each with its value, the threshold it is held to and pass/fail.

A failed check makes the result invalid: `lem results aggregate` and `report` leave it out unless asked to
include it. The checks follow ML.ENERGY's (window of steady state, sampler coverage >= 75 %, temperature
20-95 °C) plus lem's own: the counter and the power integral agree, clocks were not slowed down by heat or
hardware, and the subtracted idle baseline held still while it was measured. A check whose input does not
exist here (no sampling, no baseline) is not applicable (passed = None), never a silent pass.
Where no GPU energy was measured at all (simulated run, no NVML, MIG) there is nothing to validate: every
check is not applicable and the result stays valid for its latency and throughput.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_WINDOW_S = 10.0
MIN_COVERAGE = 0.75
MAX_GAP_PCT = 5.0
TEMP_RANGE_C = (20.0, 95.0)
MAX_SLOWDOWN_SHARE = 0.05
MAX_BASELINE_DRIFT_PCT = 5.0


@dataclass
class WindowFacts:
    measured: bool  # GPU energy was measured in this window
    window_s: float
    coverage: float | None
    gap_pct: float | None
    temp_min_c: float | None
    temp_max_c: float | None
    slowdown_share: float | None  # share of samples with a heat/hardware slowdown reason
    power_cap_share: float | None  # share with SwPowerCap: reported, not failing (a power limit is a setting)
    baseline_name: str | None
    baseline_drift_pct: float | None


def _check(name: str, passed: bool | None, value: float | None, threshold: str, detail: str) -> dict:
    return {"name": name, "passed": passed, "value": value, "threshold": threshold, "detail": detail}


def _na(name: str, threshold: str, why: str) -> dict:
    return _check(name, None, None, threshold, f"not applicable: {why}")


def _window(f: WindowFacts) -> dict:
    ok = f.window_s >= MIN_WINDOW_S
    return _check(
        "window_length",
        ok,
        f.window_s,
        f">= {MIN_WINDOW_S:g} s",
        f"measured window {f.window_s:.1f} s"
        + (
            ""
            if ok
            else ": the counter's 100 ms updates and the sensor's partial sampling make short windows unreliable"
        ),
    )


def _coverage(f: WindowFacts) -> dict:
    t = f">= {MIN_COVERAGE:g}"
    if f.coverage is None:
        return _na("sample_coverage", t, "sampling is off")
    return _check(
        "sample_coverage",
        f.coverage >= MIN_COVERAGE,
        f.coverage,
        t,
        f"{f.coverage * 100:.0f} % of the expected samples were taken",
    )


def _gap(f: WindowFacts) -> dict:
    t = f"|gap| <= {MAX_GAP_PCT:g} %"
    if f.gap_pct is None:
        return _na("counter_vs_integral", t, "no power integral (sampling off) or no counter energy")
    return _check(
        "counter_vs_integral",
        abs(f.gap_pct) <= MAX_GAP_PCT,
        f.gap_pct,
        t,
        f"power integral {f.gap_pct:+.2f} % from the energy counter",
    )


def _temperature(f: WindowFacts) -> dict:
    lo, hi = TEMP_RANGE_C
    t = f"{lo:g}-{hi:g} °C"
    if f.temp_min_c is None or f.temp_max_c is None:
        return _na("temperature_range", t, "no temperature was read")
    ok = lo <= f.temp_min_c and f.temp_max_c <= hi
    detail = f"GPU temperature {f.temp_min_c:.0f}-{f.temp_max_c:.0f} °C"
    return _check("temperature_range", ok, f.temp_max_c, t, detail)


def _throttle(f: WindowFacts) -> dict:
    t = f"<= {MAX_SLOWDOWN_SHARE * 100:g} % of samples"
    if f.slowdown_share is None:
        return _na("throttle_share", t, "no clock event reasons were read")
    cap = "" if not f.power_cap_share else f"; power cap active in {f.power_cap_share * 100:.1f} % (not failing)"
    return _check(
        "throttle_share",
        f.slowdown_share <= MAX_SLOWDOWN_SHARE,
        f.slowdown_share,
        t,
        f"thermal or hardware slowdown in {f.slowdown_share * 100:.1f} % of samples{cap}",
    )


def _baseline(f: WindowFacts) -> dict:
    t = f"|drift| <= {MAX_BASELINE_DRIFT_PCT:g} %"
    if f.baseline_name is None:
        return _na("baseline_stability", t, "no baseline is subtracted")
    if f.baseline_drift_pct is None:
        return _na("baseline_stability", t, f"{f.baseline_name} has too few samples to judge its drift")
    return _check(
        "baseline_stability",
        abs(f.baseline_drift_pct) <= MAX_BASELINE_DRIFT_PCT,
        f.baseline_drift_pct,
        t,
        f"{f.baseline_name} power moved {f.baseline_drift_pct:+.2f} % from its first half to its second",
    )


CHECKS = (_window, _coverage, _gap, _temperature, _throttle, _baseline)
CHECK_NAMES = (
    "window_length",
    "sample_coverage",
    "counter_vs_integral",
    "temperature_range",
    "throttle_share",
    "baseline_stability",
)


def validity(f: WindowFacts) -> dict:
    """The result's `validity` block."""
    if not f.measured:
        checks = [_na(name, "-", "no GPU energy was measured") for name in CHECK_NAMES]
    else:
        checks = [fn(f) for fn in CHECKS]
    failed = [c for c in checks if c["passed"] is False]
    return {
        "valid": not failed,
        "assessed": True,
        "checks": checks,
        "reasons": [f"{c['name']}: {c['detail']} (threshold {c['threshold']})" for c in failed],
    }
