"""Warmup until convergence (MEAS-05): run warmup batches until the coefficient of variation of the last
`window` latencies falls below `cv_threshold`, with at least `min_runs` and at most `max_runs` runs.
Warmup is never measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lem_harness.settings import Warmup
from lem_harness.stats import coefficient_of_variation


@dataclass
class WarmupSummary:
    runs: int
    final_cv: float | None
    converged: bool
    duration_s: float


def run_warmup(
    run_once: Callable[[], float],
    cfg: Warmup,
    on_run: Callable[[int, float | None], None],
    clock: Callable[[], float],
) -> WarmupSummary:
    """`run_once` runs one warmup batch and returns its latency in seconds."""
    t0 = clock()
    latencies: list[float] = []
    cv: float | None = None
    for run in range(1, cfg.max_runs + 1):
        latencies.append(run_once())
        cv = coefficient_of_variation(latencies[-cfg.window:]) if len(latencies) >= cfg.window else None
        on_run(run, cv)
        if run >= cfg.min_runs and cv is not None and cv < cfg.cv_threshold:
            return WarmupSummary(runs=run, final_cv=cv, converged=True, duration_s=clock() - t0)
    return WarmupSummary(runs=len(latencies), final_cv=cv, converged=False, duration_s=clock() - t0)
