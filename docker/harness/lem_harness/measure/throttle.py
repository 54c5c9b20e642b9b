"""Clock event ("throttle") reasons over the measured samples (MEASUREMENT.md). Only the reasons that slow a
run down count towards `throttled`: GpuIdle, ApplicationsClocksSetting, SyncBoost and DisplayClockSetting are
informational and stay in samples.csv's raw bitmask."""

from __future__ import annotations

from typing import Iterable

THROTTLE_REASONS = {
    "sw_power_cap": 0x4,
    "hw_slowdown": 0x8,
    "sw_thermal_slowdown": 0x20,
    "hw_thermal_slowdown": 0x40,
    "hw_power_brake_slowdown": 0x80,
}


def throttle_fractions(masks: Iterable[int | None]) -> dict[str, float] | None:
    """Fraction of readings with each reason active; None when no reading carried the bitmask."""
    values = [m for m in masks if m is not None]
    if not values:
        return None
    n = len(values)
    return {name: sum(1 for m in values if m & bit) / n for name, bit in THROTTLE_REASONS.items()}


def active_reasons(fractions: dict[str, float] | None) -> list[str]:
    return [] if fractions is None else [name for name, f in fractions.items() if f > 0]


SLOWDOWN_BITS = 0x8 | 0x20 | 0x40 | 0x80  # hardware slowdown, software/hardware thermal, power brake
POWER_CAP_BIT = 0x4


def share_with(masks: Iterable[int | None], bits: int) -> float | None:
    """Share of readings with any of `bits` set; None when no reading carried the bitmask."""
    values = [m for m in masks if m is not None]
    return None if not values else sum(1 for m in values if m & bits) / len(values)
