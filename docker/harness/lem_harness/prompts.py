"""Prompt sources: the built-in set shipped with the package (short / medium / long), or a JSONL file with one
{"prompt": "..."} object per line. `count` prompts are taken, cycling through the source when it has fewer."""

from __future__ import annotations

import json
from pathlib import Path

from lem_harness.settings import Prompts

BUILTIN = Path(__file__).parent / "data" / "prompts.json"


class PromptError(Exception):
    pass


def builtin_prompts(category: str) -> list[str]:
    data = json.loads(BUILTIN.read_text(encoding="utf-8"))
    return list(data[category])


def file_prompts(path: str) -> list[str]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise PromptError(f"prompts.file {path}: {e.strerror or e}") from e
    prompts = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            raise PromptError(f"prompts.file {path} line {n}: not JSON ({e.msg})") from e
        if not isinstance(record, dict) or not isinstance(record.get("prompt"), str):
            raise PromptError(f'prompts.file {path} line {n}: expected an object with a string "prompt"')
        prompts.append(record["prompt"])
    if not prompts:
        raise PromptError(f"prompts.file {path}: no prompts")
    return prompts


def load_prompts(cfg: Prompts) -> list[str]:
    if cfg.source == "file" and not cfg.file:
        raise PromptError('prompts.source is "file" but prompts.file is not set')
    source = file_prompts(cfg.file) if cfg.source == "file" else builtin_prompts(cfg.category)
    return [source[i % len(source)] for i in range(cfg.count)]
