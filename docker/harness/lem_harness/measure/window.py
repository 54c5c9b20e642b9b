"""A measurement window over the GPUs in use: a sampler (a thread of the harness, or a separate process) when
sampling is on, or just two synchronous full sweeps (opening and closing) when it is off, which still gives
the energy counter's delta."""

from __future__ import annotations

from typing import Sequence

from lem_harness.measure.sampler import Sampler
from lem_harness.measure.sampler_process import ProcessSampler
from lem_harness.measure.sweep import Sweep, take_sweep
from lem_harness.nvml import GpuDevice

SAMPLER_KINDS = ("thread", "process")


class Window:
    def __init__(
        self,
        gpus: Sequence[GpuDevice],
        *,
        sampling: bool,
        interval_s: float,
        kind: str = "thread",
        slow_every: int = 10,
        nvml_module: str = "pynvml",
    ):
        if kind not in SAMPLER_KINDS:
            raise ValueError(f"unknown sampler kind {kind!r} (expected one of {SAMPLER_KINDS})")
        self.gpus = list(gpus)
        self.sampling = sampling
        self.interval_s = interval_s
        self.kind = kind
        self.slow_every = slow_every
        self.nvml_module = nvml_module
        self._sampler: Sampler | ProcessSampler | None = None
        self._opening: Sweep | None = None

    def open(self) -> None:
        if not self.sampling:
            self._opening = take_sweep(self.gpus)
            return
        if self.kind == "process":
            self._sampler = ProcessSampler(self.gpus, self.interval_s, self.slow_every, self.nvml_module)
        else:
            self._sampler = Sampler(self.gpus, self.interval_s, self.slow_every)
        self._sampler.start()

    def close(self) -> list[Sweep]:
        if self._sampler is not None:
            sampler, self._sampler = self._sampler, None
            return sampler.stop()
        if self._opening is None:
            raise RuntimeError("window closed before it was opened")
        return [self._opening, take_sweep(self.gpus)]

    def abandon(self) -> None:
        if self._sampler is not None:
            self._sampler.abandon()
            self._sampler = None
