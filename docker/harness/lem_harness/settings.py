"""One experiment's resolved config, read from the batch spec's `config` object.

lem resolves the config (src/config/experiment.ts, zod) and sends it with every default filled in; the batch
spec has already been checked against the JSON Schema exported from that zod contract (spec.py). The harness
therefore has no defaults of its own: each field below names the config path it is read from, and a value is
taken exactly as lem sent it. A field the contract marks optional (zod `.optional()`: "not set, the engine
decides") reads as None when absent. To add a field: add it to zod, run `npm run export-schemas`, and add it
here with its path; test/contract/harness-parity.test.ts checks that both sides agree on every field.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import typing
from dataclasses import dataclass, field
from typing import Any

BACKENDS = ("transformers", "vllm", "tensorrt", "synthetic")


def at(path: str) -> Any:
    """A settings field read from `path` (dotted, relative to the dataclass's own place in the config)."""
    return field(metadata={"config": path})


@dataclass(frozen=True)
class Decoder:
    preset: str | None = at("preset")
    temperature: float = at("temperature")
    top_p: float = at("top_p")
    top_k: int = at("top_k")
    repetition_penalty: float = at("repetition_penalty")


@dataclass(frozen=True)
class Prompts:
    source: str = at("source")
    category: str = at("category")
    file: str | None = at("file")
    count: int = at("count")
    input_length: int | None = at("input_length")


@dataclass(frozen=True)
class Warmup:
    max_runs: int = at("max_runs")
    cv_threshold: float = at("cv_threshold")
    window: int = at("window")
    min_runs: int = at("min_runs")
    pad_to_fixed_shape: bool = at("pad_to_fixed_shape")


@dataclass(frozen=True)
class Measurement:
    sample_interval_ms: int = at("sample_interval_ms")
    sampling: bool = at("sampling")
    sampler: str = at("sampler")
    slow_fields_every: int = at("slow_fields_every")
    idle_baseline_s: float = at("idle_baseline_s")
    device_idle_s: float = at("device_idle_s")
    baseline: str = at("baseline")
    min_measure_s: float = at("min_measure_s")
    warmup: Warmup = at("warmup")


@dataclass(frozen=True)
class Settings:
    name: str | None = at("name")
    backend: str = at("backend")
    model_name: str = at("model.name")
    precision: str = at("model.fp_precision")
    revision: str | None = at("model.revision")
    quantization: str | None = at("model.quantization")
    max_output_tokens: int = at("max_output_tokens")
    batch_size: int = at("batching.batch_size")
    strategy: str = at("batching.strategy")
    decoder: Decoder = at("decoder")
    prompts: Prompts = at("prompts")
    measurement: Measurement = at("measurement")
    force_cold_start: bool = at("force_cold_start")
    # GPUs lem placed the experiment on (a count or node indices); placement is lem's, the harness only records it.
    gpus: int | list | None = at("gpus")
    # The backend's own section (vllm:, tensorrt:, transformers:, synthetic:), as sent; engines read it.
    section: dict = field(default_factory=dict, metadata={"config": "{backend}"})
    raw: dict = field(default_factory=dict)

    def engine_key(self) -> str:
        """Everything that decides how the engine is loaded (engineInitKey in experiment.ts)."""
        model = self.raw.get("model", {})
        return json.dumps([self.backend, model, self.section], sort_keys=True, default=str)


class MissingSection(Exception):
    """The resolved config lacks its backend's own section (lem always sends it)."""


def _lookup(config: dict, path: str) -> Any:
    node: Any = config
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None  # absent: allowed only where the schema made the field optional (checked before)
        node = node[part]
    return node


def _coerce(value: Any, kinds: frozenset) -> Any:
    # JSON says 10 where a float is meant, and 3.0 where an integer is (zod's z.int() accepts both).
    if isinstance(value, bool) or value is None:
        return value
    if float in kinds and isinstance(value, int):
        return float(value)
    if int in kinds and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@functools.lru_cache(maxsize=None)
def _plan(cls: type) -> tuple[tuple[str, str, Any, frozenset], ...]:
    """(field, config path, nested dataclass or None, the types a leaf may take) per field of cls, worked out
    once: resolving the annotations costs far more than reading a whole config."""
    hints = typing.get_type_hints(cls)
    plan = []
    for f in dataclasses.fields(cls):
        path = f.metadata.get("config")
        if path is None or "{" in path:
            continue
        hint = hints[f.name]
        nested = hint if dataclasses.is_dataclass(hint) else None
        plan.append((f.name, path, nested, frozenset(typing.get_args(hint)) or frozenset({hint})))
    return tuple(plan)


def _read(cls: type, config: dict) -> Any:
    values = {}
    for name, path, nested, kinds in _plan(cls):
        value = _lookup(config, path)
        values[name] = _read(nested, value) if nested is not None else _coerce(value, kinds)
    return cls(**values)


def parse_settings(config: dict) -> Settings:
    """Settings from a resolved config that has passed the batch spec's JSON Schema."""
    settings = _read(Settings, config)
    section = config.get(settings.backend)
    if not isinstance(section, dict):
        raise MissingSection(settings.backend)
    return dataclasses.replace(settings, section=section, raw=config)


def config_paths(settings: Settings) -> dict[str, Any]:
    """What the harness read, keyed by config path: `python3 -m lem_harness check` prints it, and the parity
    test compares it with what lem resolved."""
    out: dict[str, Any] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            path = f.metadata.get("config")
            if path is None:
                continue
            path = path.replace("{backend}", settings.backend)
            value = getattr(obj, f.name)
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{path}.")
            else:
                out[f"{prefix}{path}"] = value

    walk(settings, "")
    return out
