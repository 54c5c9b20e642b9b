"""The uncertainty budget of one result's J/output token (docs/metrics.md shows the arithmetic).

Each component is a relative half-width (0.05 = ±5 %) of an interval around the measured value:
- sensor_accuracy: NVML states its power readings are accurate to ±5 % of the power drawn; the energy counter
  rests on the same sensor.
- counter_update_period: the counter updates about every 100 ms, so each edge of the window may read a value
  up to one period old; the difference of the two lags is at most one period, i.e. mean power x 0.1 s.
- counter_resolution: the counter counts whole millijoules: 1 mJ at each of the two reads, per GPU.
- counter_vs_integral: the gap between the counter and the integral of sampled power, two estimators of the
  same energy (absent when sampling is off).
They are combined as a root sum of squares (independent sources). The cycle-to-cycle spread is added across
results by `lem results aggregate`, not here: one result has no spread.
"""

from __future__ import annotations

import math

SENSOR_ACCURACY = 0.05
COUNTER_UPDATE_S = 0.1
COUNTER_RESOLUTION_J = 0.001


def combine(relatives: list[float]) -> float:
    return math.sqrt(math.fsum(r * r for r in relatives))


def budget(
    j_per_token: float | None, window_s: float, counter_j: float | None, gap_pct: float | None, n_gpus: int
) -> dict | None:
    """The result's `uncertainty` block, or None where J/token was not measured."""
    if j_per_token is None or counter_j is None or counter_j <= 0 or window_s <= 0:
        return None
    components = [
        {
            "name": "sensor_accuracy",
            "relative": SENSOR_ACCURACY,
            "description": "NVML power accuracy: ±5 % of the power drawn",
        },
        {
            "name": "counter_update_period",
            "relative": COUNTER_UPDATE_S / window_s,
            "description": f"one {COUNTER_UPDATE_S * 1000:.0f} ms counter update over a {window_s:.1f} s window",
        },
        {
            "name": "counter_resolution",
            "relative": 2 * n_gpus * COUNTER_RESOLUTION_J / counter_j,
            "description": f"1 mJ at each of the two counter reads, {n_gpus} GPU(s)",
        },
    ]
    if gap_pct is not None:
        components.append(
            {
                "name": "counter_vs_integral",
                "relative": abs(gap_pct) / 100.0,
                "description": "gap between the energy counter and the integral of sampled power",
            }
        )
    c = combine([x["relative"] for x in components])
    return {
        "metric": "j_per_output_token",
        "value": j_per_token,
        "components": components,
        "combined_relative": c,
        "low": j_per_token * (1 - c),
        "high": j_per_token * (1 + c),
    }
