"""Simulated power of the synthetic server (a test double: no GPU, so nothing to measure).

A curve shaped like a GPU serving LLM requests: a loaded-idle floor plus dynamic power that grows with the number
of streams in flight and saturates, so energy per token falls as concurrency rises, as ML.ENERGY measures on real
GPUs. Energy is integrated exactly at every change of the stream count, so the counter behaves like NVML's
cumulative energy counter. Every figure derived from it is simulated and marked so.
"""

from __future__ import annotations

import math
from typing import Callable

IDLE_W = 60.0
DYNAMIC_W = 240.0
SATURATION_STREAMS = 8.0


def simulated_power_w(active: int) -> float:
    return IDLE_W + DYNAMIC_W * (1.0 - math.exp(-active / SATURATION_STREAMS))


class SimulatedPower:
    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self.active = 0
        self.energy_j = 0.0
        self.since = clock()

    def _advance(self) -> None:
        now = self.clock()
        self.energy_j += simulated_power_w(self.active) * (now - self.since)
        self.since = now

    def stream_started(self) -> None:
        self._advance()
        self.active += 1

    def stream_ended(self) -> None:
        self._advance()
        self.active -= 1

    def reading(self) -> dict:
        self._advance()
        return {
            "energy_mj": int(self.energy_j * 1000),
            "power_w": simulated_power_w(self.active),
            "active_streams": self.active,
            "simulated": True,
        }
