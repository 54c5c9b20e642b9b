"""The NVML sampler: a background thread that reads every GPU at a fixed interval.

A sweep is taken synchronously when the window opens and when it closes, so the energy counter's delta and
the power integral cover exactly the same interval [start, stop]. In between, sweeps are scheduled on a
fixed grid (start + k x interval) so that the thread's own jitter does not accumulate. pynvml calls go
through ctypes, which releases the GIL, so the engine's Python loop is held up only by the few
microseconds of bookkeeping per sweep.

nvmlDeviceGetTotalEnergyConsumption costs about 3 ms a call on an H100 (p99 17 ms; every other query
takes microseconds, see docs/validation). The energy is the counter's delta between the opening and
closing sweeps, so in between the counter is read only about once a second (for the time series), not at
every sweep: that keeps the sampler's own driver traffic, and its perturbation of the run, small.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from lem_harness.nvml import GpuDevice, Reading


@dataclass(slots=True)
class Sweep:
    t: float  # time.perf_counter() seconds
    ts: float  # time.time()
    readings: list[Reading]

    def total_power_w(self) -> float | None:
        values = [r.power_w for r in self.readings]
        return None if any(p is None for p in values) else sum(values)


ENERGY_READ_PERIOD_S = 1.0


def take_sweep(gpus: Sequence[GpuDevice], clock: Callable[[], float] = time.perf_counter, *,
               energy: bool = True) -> Sweep:
    t = clock()
    return Sweep(t=t, ts=time.time(), readings=[g.read(energy=energy) for g in gpus])


class Sampler:
    def __init__(self, gpus: Sequence[GpuDevice], interval_s: float, clock: Callable[[], float] = time.perf_counter):
        self.gpus = list(gpus)
        self.interval_s = interval_s
        self.clock = clock
        self.energy_every = max(1, round(ENERGY_READ_PERIOD_S / interval_s))
        self.sweeps: list[Sweep] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        self.sweeps = [take_sweep(self.gpus, self.clock)]
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lem-nvml-sampler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            origin = self.sweeps[0].t
            k = 1
            while True:
                delay = origin + k * self.interval_s - self.clock()
                if delay > 0 and self._stop.wait(delay):
                    return
                if self._stop.is_set():
                    return
                self.sweeps.append(take_sweep(self.gpus, self.clock, energy=k % self.energy_every == 0))
                # If a sweep overran whole intervals, skip the missed slots instead of bursting to catch up.
                k = max(k + 1, int((self.clock() - origin) / self.interval_s) + 1)
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
        self.sweeps.append(take_sweep(self.gpus, self.clock))
        return self.sweeps

    def abandon(self) -> None:
        """On interruption: stop the thread without a final sweep, without waiting on NVML."""
        self._stop.set()
