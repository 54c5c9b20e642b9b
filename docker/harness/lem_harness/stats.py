"""Small statistics on lists of floats: percentiles (linear interpolation, numpy's default), distributions
as the result contract names them, and the coefficient of variation used by warmup convergence."""

from __future__ import annotations

import math
from typing import Sequence


def mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def stdev(values: Sequence[float]) -> float:
    """Sample standard deviation (n - 1), as statistics.stdev; the statistics module is slow to import."""
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (len(values) - 1))


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
        "mean": float(mean(s)),
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
    m = mean(values)
    if m == 0:
        return None
    return stdev(values) / m
