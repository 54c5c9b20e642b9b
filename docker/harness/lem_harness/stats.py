"""Small statistics on lists of floats: percentiles (linear interpolation, numpy's default), distributions
as the result contract names them, and the coefficient of variation used by warmup convergence."""

from __future__ import annotations

import math
import statistics
from typing import Sequence


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        raise ValueError("percentile of an empty list")
    pos = (len(sorted_values) - 1) * q / 100.0
    lo = math.floor(pos)
    hi = math.ceil(pos)
    if lo == hi:
        return float(sorted_values[lo])
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))


def distribution(values: Sequence[float]) -> dict | None:
    """Distribution object of the result contract, or None when there is nothing to describe."""
    if not values:
        return None
    s = sorted(values)
    return {
        "n": len(s),
        "mean": float(statistics.fmean(s)),
        "p50": percentile(s, 50),
        "p90": percentile(s, 90),
        "p95": percentile(s, 95),
        "p99": percentile(s, 99),
        "min": float(s[0]),
        "max": float(s[-1]),
    }


def coefficient_of_variation(values: Sequence[float]) -> float | None:
    """Sample standard deviation over mean; None where undefined (fewer than two values or a zero mean)."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    if mean == 0:
        return None
    return statistics.stdev(values) / mean
