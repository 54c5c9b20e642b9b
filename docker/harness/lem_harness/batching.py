"""Grouping prompts into the batches handed to the engine.

- static: consecutive groups of batch_size, in prompt order.
- sorted: prompts ordered by input length (longest first), then groups of batch_size: less padding.
- dynamic: for engines that schedule requests themselves (continuous batching: vLLM, TensorRT-LLM), all
  prompts go in one submission and the engine's scheduler batches them (its max_num_seqs / max_batch_size
  bound the concurrency). For the others, length-sorted groups filled up to a token budget of
  batch_size x the mean input length, so short prompts travel in larger batches.
Returns lists of indices into the prepared prompts.
"""

from __future__ import annotations

from typing import Sequence


def make_batches(lengths: Sequence[int], batch_size: int, strategy: str, *, engine_schedules: bool) -> list[list[int]]:
    n = len(lengths)
    if n == 0:
        return []
    order = list(range(n))
    if strategy == "static":
        return [order[i : i + batch_size] for i in range(0, n, batch_size)]
    by_length = sorted(order, key=lambda i: (-lengths[i], i))
    if strategy == "sorted":
        return [by_length[i : i + batch_size] for i in range(0, n, batch_size)]
    if strategy != "dynamic":
        raise ValueError(f"unknown batching strategy {strategy!r}")
    if engine_schedules:
        return [order]
    budget = batch_size * max(1.0, sum(lengths) / n)
    batches: list[list[int]] = []
    current: list[int] = []
    for i in by_length:
        # A padded batch costs (members x longest member); the first member is the longest, sorted descending.
        longest = lengths[current[0]] if current else lengths[i]
        if current and (len(current) + 1) * longest > budget:
            batches.append(current)
            current = []
        current.append(i)
    batches.append(current)
    return batches
