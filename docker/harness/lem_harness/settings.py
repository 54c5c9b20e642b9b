"""One experiment's resolved config, read from the batch spec's `config` object.

The orchestrator sends ExperimentConfig's output (src/config/experiment.ts) with every default filled in.
The same defaults are applied here too, so a hand-written spec works and the harness never guesses: a value
that is present must have the right type, a value that is absent takes zod's default. Keys the harness does
not use are left alone (the contract types `config` as an open record).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from lem_harness import validate as v

BACKENDS = ("transformers", "vllm", "tensorrt", "synthetic")
BACKEND_ALIASES = {"pytorch": "transformers"}

# Mirrors DECODER_PRESETS in src/config/experiment.ts.
DECODER_PRESETS = {
    "deterministic": {"temperature": 0.0, "top_p": 1.0, "top_k": 0, "repetition_penalty": 1.0},
    "standard": {"temperature": 1.0, "top_p": 0.95, "top_k": 50, "repetition_penalty": 1.0},
    "creative": {"temperature": 0.9, "top_p": 0.95, "top_k": 0, "repetition_penalty": 1.1},
    "factual": {"temperature": 0.3, "top_p": 0.9, "top_k": 40, "repetition_penalty": 1.05},
}


@dataclass(frozen=True)
class Decoder:
    temperature: float
    top_p: float
    top_k: int
    repetition_penalty: float


@dataclass(frozen=True)
class Prompts:
    source: str
    category: str
    file: str | None
    count: int
    input_length: int | None


@dataclass(frozen=True)
class Warmup:
    max_runs: int
    cv_threshold: float
    window: int
    min_runs: int
    pad_to_fixed_shape: bool


@dataclass(frozen=True)
class Measurement:
    sample_interval_ms: int
    sampling: bool
    sampler: str
    slow_fields_every: int
    idle_baseline_s: float
    device_idle_s: float
    baseline: str
    min_measure_s: float
    warmup: Warmup


@dataclass(frozen=True)
class Settings:
    backend: str
    model_name: str
    precision: str
    revision: str | None
    quantization: str | None
    max_output_tokens: int
    batch_size: int
    strategy: str
    decoder: Decoder
    prompts: Prompts
    measurement: Measurement
    force_cold_start: bool
    # The backend's own section (vllm:, tensorrt:, transformers:, synthetic:), as sent; engines read it.
    section: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)

    def engine_key(self) -> str:
        """Everything that decides how the engine is loaded (engineInitKey in experiment.ts)."""
        model = self.raw.get("model", {})
        return json.dumps([self.backend, model, self.section], sort_keys=True, default=str)


def _get(section: dict, key: str, default: Any) -> Any:
    value = section.get(key, default)
    return default if value is None and default is not None else value


def _decoder(raw: Any, path: str) -> Decoder:
    d = v.obj(raw if raw is not None else {}, path)
    preset = d.get("preset")
    if preset is not None:
        v.choice(preset, f"{path}.preset", DECODER_PRESETS)
    base = DECODER_PRESETS[preset or "deterministic"]
    return Decoder(
        temperature=v.number(_get(d, "temperature", base["temperature"]), f"{path}.temperature", minimum=0),
        top_p=v.number(_get(d, "top_p", base["top_p"]), f"{path}.top_p", above=0, maximum=1),
        top_k=v.integer(_get(d, "top_k", base["top_k"]), f"{path}.top_k", minimum=0),
        repetition_penalty=v.number(
            _get(d, "repetition_penalty", base["repetition_penalty"]), f"{path}.repetition_penalty", above=0
        ),
    )


def _prompts(raw: Any, path: str) -> Prompts:
    p = v.obj(raw if raw is not None else {}, path)
    source = v.choice(_get(p, "source", "builtin"), f"{path}.source", ("builtin", "file"))
    file = p.get("file")
    if file is not None:
        v.string(file, f"{path}.file")
    if source == "file" and not file:
        raise v.SpecError(f"{path}.file", 'required when prompts.source is "file"')
    input_length = p.get("input_length")
    if input_length is not None:
        input_length = v.integer(input_length, f"{path}.input_length", minimum=1)
    return Prompts(
        source=source,
        category=v.choice(_get(p, "category", "medium"), f"{path}.category", ("short", "medium", "long")),
        file=file,
        count=v.integer(_get(p, "count", 32), f"{path}.count", minimum=1),
        input_length=input_length,
    )


def _measurement(raw: Any, path: str) -> Measurement:
    m = v.obj(raw if raw is not None else {}, path)
    w = v.obj(_get(m, "warmup", {}), f"{path}.warmup")
    wp = f"{path}.warmup"
    return Measurement(
        sample_interval_ms=v.integer(
            _get(m, "sample_interval_ms", 100), f"{path}.sample_interval_ms", minimum=10, maximum=10_000
        ),
        sampling=v.boolean(_get(m, "sampling", True), f"{path}.sampling"),
        sampler=v.choice(_get(m, "sampler", "thread"), f"{path}.sampler", ("thread", "process")),
        slow_fields_every=v.integer(_get(m, "slow_fields_every", 10), f"{path}.slow_fields_every", minimum=1,
                                    maximum=1000),
        idle_baseline_s=v.number(_get(m, "idle_baseline_s", 10), f"{path}.idle_baseline_s", minimum=0),
        device_idle_s=v.number(_get(m, "device_idle_s", 10), f"{path}.device_idle_s", minimum=0),
        baseline=v.choice(_get(m, "baseline", "loaded_idle"), f"{path}.baseline", ("loaded_idle", "device_idle")),
        min_measure_s=v.number(_get(m, "min_measure_s", 30), f"{path}.min_measure_s", minimum=0),
        warmup=Warmup(
            max_runs=v.integer(_get(w, "max_runs", 20), f"{wp}.max_runs", minimum=1),
            cv_threshold=v.number(_get(w, "cv_threshold", 0.05), f"{wp}.cv_threshold", above=0),
            window=v.integer(_get(w, "window", 5), f"{wp}.window", minimum=2),
            min_runs=v.integer(_get(w, "min_runs", 3), f"{wp}.min_runs", minimum=0),
            pad_to_fixed_shape=v.boolean(_get(w, "pad_to_fixed_shape", False), f"{wp}.pad_to_fixed_shape"),
        ),
    )


def parse_settings(raw: Any, path: str) -> Settings:
    c = v.obj(raw, path)
    backend = c.get("backend")
    backend = BACKEND_ALIASES.get(backend, backend) if isinstance(backend, str) else backend
    backend = v.choice(backend, f"{path}.backend", BACKENDS)
    for other in BACKENDS:
        if other != backend and c.get(other) is not None:
            raise v.SpecError(f"{path}.{other}", f'section "{other}" belongs to backend {other}, '
                                                 f"but this experiment's backend is {backend}")
    model = v.obj(c.get("model"), f"{path}.model")
    revision = model.get("revision")
    quantization = model.get("quantization")
    if revision is not None:
        v.string(revision, f"{path}.model.revision")
    if quantization is not None:
        v.string(quantization, f"{path}.model.quantization")
    batching = v.obj(_get(c, "batching", {}), f"{path}.batching")
    section = v.obj(_get(c, backend, {}), f"{path}.{backend}")
    extra = section.get("extra", {})
    v.obj(extra if extra is not None else {}, f"{path}.{backend}.extra")
    return Settings(
        backend=backend,
        model_name=v.string(model.get("name"), f"{path}.model.name"),
        precision=v.choice(_get(model, "fp_precision", "bf16"), f"{path}.model.fp_precision", ("fp32", "fp16", "bf16")),
        revision=revision,
        quantization=quantization,
        max_output_tokens=v.integer(_get(c, "max_output_tokens", 128), f"{path}.max_output_tokens", minimum=1),
        batch_size=v.integer(_get(batching, "batch_size", 1), f"{path}.batching.batch_size", minimum=1),
        strategy=v.choice(_get(batching, "strategy", "static"), f"{path}.batching.strategy",
                          ("static", "dynamic", "sorted")),
        decoder=_decoder(c.get("decoder"), f"{path}.decoder"),
        prompts=_prompts(c.get("prompts"), f"{path}.prompts"),
        measurement=_measurement(c.get("measurement"), f"{path}.measurement"),
        force_cold_start=v.boolean(_get(c, "force_cold_start", False), f"{path}.force_cold_start"),
        section=section,
        raw=c,
    )
