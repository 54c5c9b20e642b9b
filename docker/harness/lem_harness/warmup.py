"""Warmup, never measured: first every distinct batch shape of the measured run once (the very first run is
the cold one), then the first batch repeatedly until the coefficient of variation of its last `window`
latencies falls below `cv_threshold`, with at least `min_runs` and at most `max_runs` of these repeated runs.
The cold run and the shape runs never enter the CV: a cold run 5x slower than the rest made convergence
impossible before its window had moved past it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from lem_harness.settings import Warmup
from lem_harness.stats import coefficient_of_variation


@dataclass
class WarmupSummary:
    runs: int  # every warmup run: shape runs + repeated runs
    final_cv: float | None
    converged: bool
    duration_s: float
    cold_run_s: float | None
    shapes: int


def run_warmup(
    run_batch: Callable[[int], float],
    shape_batches: Sequence[int],
    cfg: Warmup,
    on_run: Callable[[int, float | None], None],
    clock: Callable[[], float],
) -> WarmupSummary:
    """`run_batch(i)` runs batch i once and returns its latency in seconds; `shape_batches` lists one batch per
    distinct shape, the batch to repeat first."""
    t0 = clock()
    if not shape_batches:
        raise ValueError("warmup needs at least one batch")
    run = 0
    cold: float | None = None
    for i in shape_batches:
        run += 1
        latency = run_batch(i)
        cold = latency if cold is None else cold
        on_run(run, None)
    latencies: list[float] = []
    cv: float | None = None
    for repeat in range(1, cfg.max_runs + 1):
        run += 1
        latencies.append(run_batch(shape_batches[0]))
        cv = coefficient_of_variation(latencies[-cfg.window :]) if len(latencies) >= cfg.window else None
        on_run(run, cv)
        if repeat >= cfg.min_runs and cv is not None and cv < cfg.cv_threshold:
            return WarmupSummary(run, cv, True, clock() - t0, cold, len(shape_batches))
    return WarmupSummary(run, cv, False, clock() - t0, cold, len(shape_batches))
