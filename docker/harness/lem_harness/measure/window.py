"""A measurement window over the GPUs in use: the sampler thread when sampling is on, or just two synchronous
sweeps (opening and closing) when it is off, which still gives the energy counter's delta."""

from __future__ import annotations

from typing import Sequence

from lem_harness.measure.sampler import Sampler, Sweep, take_sweep
from lem_harness.nvml import GpuDevice


class Window:
    def __init__(self, gpus: Sequence[GpuDevice], *, sampling: bool, interval_s: float):
        self.gpus = list(gpus)
        self.sampling = sampling
        self.interval_s = interval_s
        self._sampler: Sampler | None = None
        self._opening: Sweep | None = None

    def open(self) -> None:
        if self.sampling:
            self._sampler = Sampler(self.gpus, self.interval_s)
            self._sampler.start()
        else:
            self._opening = take_sweep(self.gpus)

    def close(self) -> list[Sweep]:
        if self._sampler is not None:
            sweeps = self._sampler.stop()
            self._sampler = None
            return sweeps
        if self._opening is None:
            raise RuntimeError("window closed before it was opened")
        return [self._opening, take_sweep(self.gpus)]

    def abandon(self) -> None:
        if self._sampler is not None:
            self._sampler.abandon()
