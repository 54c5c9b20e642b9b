"""Statistics of the sampler-cost test (sampler_cost.py), kept apart so they can be checked without a GPU:

- latin_square_order: the arms' order in each cycle, rotating through the rows of a Latin square, so each arm
  runs equally often in each position (slow drifts of the machine hit every arm alike).
- median_ratio_ci: the ratio of an arm's median decode-step time to the baseline arm's, with a cluster
  bootstrap percentile CI. Steps of one generate are correlated (same batch, same moment), so whole generates are
  resampled, not single steps.

`python3 step_stats.py --self-test` checks both on synthetic data (no GPU, no torch).
"""

from __future__ import annotations

import random
import statistics
import sys
from typing import Sequence


def latin_square_order(arms: Sequence[str], cycle: int) -> list[str]:
    k = cycle % len(arms)
    return list(arms[k:]) + list(arms[:k])


def _pooled_median(generates: Sequence[Sequence[float]]) -> float:
    return statistics.median([x for g in generates for x in g])


def median_ratio_ci(arm: Sequence[Sequence[float]], base: Sequence[Sequence[float]], *, resamples: int = 2000,
                    level: float = 0.95, seed: int = 1) -> dict:
    """arm, base: one list of step times per generate. Returns ratio, CI and the counts it rests on."""
    rng = random.Random(seed)
    point = _pooled_median(arm) / _pooled_median(base)
    draws = []
    for _ in range(resamples):
        a = [arm[rng.randrange(len(arm))] for _ in arm]
        b = [base[rng.randrange(len(base))] for _ in base]
        draws.append(_pooled_median(a) / _pooled_median(b))
    draws.sort()
    lo = draws[int((1 - level) / 2 * resamples)]
    hi = draws[min(resamples - 1, int((1 + level) / 2 * resamples))]
    return {"ratio": point, "ci_low": lo, "ci_high": hi, "generates": [len(arm), len(base)],
            "steps": [sum(map(len, arm)), sum(map(len, base))]}


def verdict(r: dict, max_point: float = 1.01, max_upper: float = 1.02) -> str:
    """The issue's goal: slowdown point estimate <= 1 % and the CI's upper end <= 2 %."""
    if r["ratio"] <= max_point and r["ci_high"] <= max_upper:
        return "meets the goal"
    if r["ci_high"] - r["ci_low"] > 2 * (max_upper - 1):
        return f"not resolved: the CI is {100 * (r['ci_high'] - r['ci_low']):.1f} points wide"
    return "misses the goal"


def _self_test() -> None:
    assert [latin_square_order("abc", c) for c in range(4)] == [list("abc"), list("bca"), list("cab"), list("abc")]
    rng = random.Random(7)
    # Bimodal steps like the H200's (10.5 or 20 ms), 40 generates of 127 steps; the arm is 3 % slower.
    def gen(scale: float) -> list[float]:
        return [scale * (10.5 if rng.random() < 0.7 else 20.0) * rng.uniform(0.98, 1.02) for _ in range(127)]
    base = [gen(1.0) for _ in range(40)]
    slow = [gen(1.03) for _ in range(40)]
    same = [gen(1.0) for _ in range(40)]
    r = median_ratio_ci(slow, base, resamples=500)
    assert 1.0 < r["ci_low"] and r["ci_high"] < 1.06 and abs(r["ratio"] - 1.03) < 0.01, r
    s = median_ratio_ci(same, base, resamples=500)
    assert s["ci_low"] <= 1.0 <= s["ci_high"], s
    assert verdict({"ratio": 1.005, "ci_low": 0.995, "ci_high": 1.015}) == "meets the goal"
    assert verdict({"ratio": 1.005, "ci_low": 0.95, "ci_high": 1.06}).startswith("not resolved")
    print("step_stats self-test passed:", {k: round(v, 4) for k, v in r.items() if k.startswith(("ratio", "ci"))})


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        _self_test()
