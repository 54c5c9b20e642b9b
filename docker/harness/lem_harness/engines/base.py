"""The one small interface every engine implements.

load(settings)            load the model; the harness times it (engine_load_s), never inside a window
prepare(prompts, length)  turn prompt texts into the engine's inputs, counting input tokens; with
                          input_length, truncate or repeat each prompt to exactly that many tokens
generate(batch, settings) run one batch to completion, returning a RequestTiming per request
unload()                  free the model (and GPU memory) so another can load
version()                 the engine library's version, for the environment metadata
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from lem_harness.latency import RequestTiming
from lem_harness.settings import Settings


@dataclass(slots=True)
class Prepared:
    payload: Any  # what the engine's generate call takes for this prompt
    input_tokens: int


class Engine(Protocol):
    name: str
    # True for the synthetic test double: no GPU work, so no energy is measured and results say simulated.
    simulated: bool
    # True where the engine's scheduler batches requests itself (continuous batching).
    schedules_requests: bool
    # False where a loaded engine holds no large graph of Python objects (the synthetic double: a few floats).
    # The engine cache then skips gc.collect + gc.freeze after load and the collect after unload, which cost
    # ~5 ms per load and buy nothing there. Optional: an engine without it is treated as True (the safe side).
    large_object_graph: bool

    def load(self, settings: Settings) -> None: ...

    def prepare(self, prompts: Sequence[str], input_length: int | None) -> list[Prepared]: ...

    def generate(self, batch: Sequence[Prepared], settings: Settings) -> list[RequestTiming]: ...

    def unload(self) -> None: ...

    def version(self) -> str | None: ...


def fit_to_length(ids: list[int], length: int) -> list[int]:
    """Truncate, or repeat the prompt's own tokens, to exactly `length` tokens."""
    if not ids:
        raise ValueError("cannot fit an empty prompt to an input length")
    repeats = -(-length // len(ids))
    return (ids * repeats)[:length]


def token_ids(encode: Any, text: str, input_length: int | None) -> list[int]:
    """A prompt's token ids by an engine tokenizer's `encode(text, add_special_tokens=...)`. With a fixed
    input length, special tokens are left out so the length is exactly what was asked for."""
    ids = list(encode(text, add_special_tokens=not input_length))
    return fit_to_length(ids, input_length) if input_length else ids


def package_version(distribution: str, module: Any = None) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return getattr(module, "__version__", None) if module is not None else None
