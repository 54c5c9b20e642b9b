"""One sweep: every GPU in use read once, at one moment, and what the reading cost.

A fast sweep reads what changes between two sweeps and what the energy figures need: the energy counter and
the instantaneous power (2 NVML calls per GPU). A full sweep also reads the slow-changing fields (clocks,
temperature, memory, utilisation, performance state, clock event reasons: 9 calls per GPU in all). The sampler
takes a full sweep every k-th time, and at the window's edges, so the driver is asked 4-5x less often than if
every sweep were full while the energy arithmetic loses nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

from lem_harness.nvml import GpuDevice, Reading

# NVML calls one GPU costs in each kind of sweep (GpuDevice.power_w, energy_mj, and read() for the full set);
# a test counts them on the NVML double.
FAST_CALLS_PER_GPU = 2
FULL_CALLS_PER_GPU = 9


@dataclass(slots=True)
class Sweep:
    t: float  # time.perf_counter() seconds (CLOCK_MONOTONIC: comparable between processes on Linux)
    ts: float  # time.time()
    readings: list[Reading]
    full: bool = True
    cost_s: float = 0.0  # wall time the sweep itself took

    def total_power_w(self) -> float | None:
        values = [r.power_w for r in self.readings]
        return None if any(p is None for p in values) else sum(values)

    def calls(self) -> int:
        return len(self.readings) * (FULL_CALLS_PER_GPU if self.full else FAST_CALLS_PER_GPU)


def fast_reading(gpu: GpuDevice) -> Reading:
    return Reading(
        gpu=gpu.index,
        power_w=gpu.power_w(),
        energy_mj=gpu.energy_mj(),
        temperature_c=None,
        sm_clock_mhz=None,
        mem_clock_mhz=None,
        mem_used_mib=None,
        util_gpu_pct=None,
        util_mem_pct=None,
        pstate=None,
        clocks_event_reasons=None,
    )


def take_sweep(
    gpus: Sequence[GpuDevice], clock: Callable[[], float] = time.perf_counter, *, full: bool = True
) -> Sweep:
    t = clock()
    readings = [g.read() if full else fast_reading(g) for g in gpus]
    return Sweep(t=t, ts=time.time(), readings=readings, full=full, cost_s=clock() - t)
