"""Latency metrics, named exactly as MEASUREMENT.md defines them (tools disagree, so the result says which).

An engine reports one RequestTiming per request, all times from time.perf_counter():
  submitted  when the request was handed to the engine
  chunks     arrival time of every streamed chunk (empty when the engine does not stream)
  first_token  arrival of the first token (from chunks, or from the engine's own metrics)
  finished   arrival of the last token
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from lem_harness.stats import distribution

DEFINITIONS = {
    "e2e_ms": "E2EL: request handed to the engine -> last output token received, per request. Requests of one "
    "batch are handed over together, so a request's E2E includes waiting for its batch-mates' prefill.",
    "ttft_ms": "TTFT: request handed to the engine -> first output token received, per request.",
    "tpot_ms": "TPOT (vLLM definition): (E2E - TTFT) / (output_tokens - 1) per request; excludes the first "
    "token; requests with a single output token have none. GuideLLM's 'ITL' and AIPerf's 'ITL' are this TPOT.",
    "itl_ms": "ITL (vLLM definition): every gap between consecutive streamed chunks, pooled over all requests; "
    "not averaged per request first.",
    "output_tokens": "Generation runs to max_output_tokens (end-of-sequence ignored) so that every configuration "
    "produces the same work per request.",
}


@dataclass(slots=True)
class RequestTiming:
    submitted: float
    finished: float
    input_tokens: int
    output_tokens: int
    first_token: float | None = None
    chunks: list[float] = field(default_factory=list)


def _ms(seconds: float) -> float:
    return seconds * 1000.0


def summarise(requests: Sequence[RequestTiming]) -> dict:
    e2e, ttft, tpot, itl = [], [], [], []
    for r in requests:
        end_to_end = r.finished - r.submitted
        e2e.append(_ms(end_to_end))
        first = r.chunks[0] if r.chunks else r.first_token
        if first is None:
            continue
        ttft.append(_ms(first - r.submitted))
        if r.output_tokens > 1:
            tpot.append(_ms((end_to_end - (first - r.submitted)) / (r.output_tokens - 1)))
        itl.extend(_ms(b - a) for a, b in zip(r.chunks, r.chunks[1:]))
    return {
        "definitions": dict(DEFINITIONS),
        "e2e_ms": distribution(e2e),
        "ttft_ms": distribution(ttft),
        "itl_ms": distribution(itl),
        "tpot_ms": distribution(tpot),
    }
