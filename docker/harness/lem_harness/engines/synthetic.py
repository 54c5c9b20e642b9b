"""The synthetic engine: a test double for CI and the demo. No GPU, no model.

Each request's first token arrives `ttft_ms` after the batch is handed over, then one token every
1 / tokens_per_second seconds (a per-sequence decode rate, so larger batches give more throughput, as on a
GPU). The timings are real (it sleeps), the work is simulated: results carry simulated=true and no energy.
`load_s` simulates load time; `fail_experiment: true` raises deliberately, for fault-injection tests.
"""

from __future__ import annotations

import time
from typing import Sequence

from lem_harness import __version__
from lem_harness.engines.base import Prepared, fit_to_length
from lem_harness.latency import RequestTiming
from lem_harness.settings import Settings


class SyntheticFailure(RuntimeError):
    pass


def _sleep_until(deadline: float) -> None:
    delay = deadline - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


class SyntheticEngine:
    name = "synthetic"
    simulated = True
    schedules_requests = False
    large_object_graph = False  # a few floats: nothing for the collector to walk (see engines/base.py)

    def __init__(self) -> None:
        self.loaded = False
        self.tokens_per_second = 2000.0
        self.ttft_s = 0.005

    def load(self, settings: Settings) -> None:
        s = settings.section
        self.tokens_per_second = float(s["tokens_per_second"])
        self.ttft_s = float(s["ttft_ms"]) / 1000.0
        if self.tokens_per_second <= 0:
            raise ValueError("synthetic.tokens_per_second must be > 0")
        time.sleep(float(s["load_s"]))
        self.loaded = True

    def prepare(self, prompts: Sequence[str], input_length: int | None) -> list[Prepared]:
        out = []
        for text in prompts:
            # A "token" of the double is a word: enough for lengths, sorting and throughput arithmetic.
            words = text.split()
            n = len(fit_to_length(list(range(len(words))), input_length)) if input_length else len(words)
            out.append(Prepared(payload=text, input_tokens=n))
        return out

    def generate(self, batch: Sequence[Prepared], settings: Settings) -> list[RequestTiming]:
        if settings.section["fail_experiment"]:
            raise SyntheticFailure("synthetic.fail_experiment is set: failing deliberately")
        if not self.loaded:
            raise RuntimeError("synthetic engine used before load()")
        n_out = settings.max_output_tokens
        submitted = time.perf_counter()
        chunks: list[float] = []
        for k in range(n_out):
            _sleep_until(submitted + self.ttft_s + k / self.tokens_per_second)
            chunks.append(time.perf_counter())
        # The batch's sequences advance in lockstep, as in a static batch on a GPU.
        return [
            RequestTiming(
                submitted=submitted,
                finished=chunks[-1],
                input_tokens=p.input_tokens,
                output_tokens=n_out,
                first_token=chunks[0],
                chunks=list(chunks),
            )
            for p in batch
        ]

    def unload(self) -> None:
        self.loaded = False

    def version(self) -> str | None:
        return __version__
