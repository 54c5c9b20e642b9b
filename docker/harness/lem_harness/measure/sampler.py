"""The NVML sampler thread: reads every GPU at a fixed interval from a thread of the harness process.

A full sweep is taken synchronously when the window opens and when it closes, so the energy counter's delta
and the power integral cover exactly the same interval [start, stop]. In between, sweeps are scheduled on a
fixed grid (start + k x interval) so that the thread's own jitter does not accumulate; every sweep reads the
energy counter and instantaneous power, every `slow_every`-th one the slow-changing fields too (sweep.py).
pynvml's calls go through ctypes, which releases the GIL; the process sampler (sampler_process.py) takes the
same sweeps from another process, for when even that costs the engine measurable time.
"""

from __future__ import annotations

import threading
import time
from typing import Callable, Sequence

from lem_harness.measure.sweep import Sweep, take_sweep
from lem_harness.nvml import GpuDevice


def sweep_schedule(origin: float, interval_s: float, k: int, now: float) -> int:
    """The next grid slot after slot k: if a sweep overran whole intervals, the missed slots are skipped
    instead of bursting to catch up."""
    return max(k + 1, int((now - origin) / interval_s) + 1)


def run_grid(
    take: Callable[[bool], Sweep],
    sweeps: list[Sweep],
    interval_s: float,
    slow_every: int,
    wait: Callable[[float], bool],
    clock: Callable[[], float],
) -> None:
    """Sweeps on the grid after the opening sweep (sweeps[0]) until `wait(delay)` returns True (stop asked)."""
    origin = sweeps[0].t
    k = 1
    while True:
        delay = origin + k * interval_s - clock()
        if wait(max(0.0, delay)):
            return
        sweeps.append(take(k % slow_every == 0))
        k = sweep_schedule(origin, interval_s, k, clock())


class Sampler:
    kind = "thread"

    def __init__(
        self,
        gpus: Sequence[GpuDevice],
        interval_s: float,
        slow_every: int = 10,
        clock: Callable[[], float] = time.perf_counter,
    ):
        if slow_every < 1:
            raise ValueError("slow_every must be >= 1")
        self.gpus = list(gpus)
        self.interval_s = interval_s
        self.slow_every = slow_every
        self.clock = clock
        self.sweeps: list[Sweep] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _take(self, full: bool) -> Sweep:
        return take_sweep(self.gpus, self.clock, full=full)

    def start(self) -> None:
        self.sweeps = [self._take(True)]
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lem-nvml-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            run_grid(self._take, self.sweeps, self.interval_s, self.slow_every, self._stop.wait, self.clock)
        except BaseException as e:  # surfaced by stop(): a sampler bug must fail the experiment, not vanish
            self._error = e

    def stop(self) -> list[Sweep]:
        """Close the window with a final synchronous sweep; raises what the thread raised, if anything."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise RuntimeError(f"NVML sampler thread failed: {self._error!r}") from self._error
        self.sweeps.append(self._take(True))
        return self.sweeps

    def abandon(self) -> None:
        """On interruption: stop the thread without a final sweep, without waiting on NVML."""
        self._stop.set()
