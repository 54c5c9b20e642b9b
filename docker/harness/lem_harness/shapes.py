"""Batch shapes. An engine that pads a batch compiles or tunes kernels per (batch size, padded length); the
first generate at a new shape cost ~7 s on an H200 (transformers), so warmup runs every distinct shape of the
measured run once. Or, when the config asks for it, every batch gets one fixed shape: prompts fitted to the
longest prompt's length and the last batch topped up with prompts from the start."""

from __future__ import annotations

from typing import Sequence


def shape_of(batch: Sequence[int], lengths: Sequence[int]) -> tuple[int, int]:
    return len(batch), max(lengths[i] for i in batch)


def distinct_shapes(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> list[int]:
    """Index of the first batch of each distinct shape, in order of first appearance (batch 0 first)."""
    seen: dict[tuple[int, int], int] = {}
    for pos, batch in enumerate(batches):
        seen.setdefault(shape_of(batch, lengths), pos)
    return list(seen.values())


def fixed_shape_batches(n_prompts: int, batch_size: int) -> list[list[int]]:
    """Consecutive groups of batch_size; a short last group is topped up with prompts from the start."""
    if n_prompts <= 0:
        return []
    size = min(batch_size, n_prompts)
    groups = [list(range(i, min(i + size, n_prompts))) for i in range(0, n_prompts, size)]
    groups[-1] += list(range(size - len(groups[-1])))
    return groups
