"""Engine registry. Engine modules are imported only when an experiment uses them (torch, vLLM and
TensorRT-LLM take seconds to import); `available()` answers from import metadata without importing."""

from __future__ import annotations

import importlib
import importlib.util

# backend name -> (module, class, the import the engine needs)
_REGISTRY = {
    "synthetic": ("lem_harness.engines.synthetic", "SyntheticEngine", None),
    "transformers": ("lem_harness.engines.transformers_engine", "TransformersEngine", "transformers"),
    "vllm": ("lem_harness.engines.vllm_engine", "VllmEngine", "vllm"),
    "tensorrt": ("lem_harness.engines.tensorrt_engine", "TensorrtEngine", "tensorrt_llm"),
}


def create(backend: str):
    module, cls, _ = _REGISTRY[backend]
    return getattr(importlib.import_module(module), cls)()


def available() -> dict[str, bool]:
    return {
        name: needs is None or importlib.util.find_spec(needs) is not None for name, (_, _, needs) in _REGISTRY.items()
    }
