"""TensorRT-LLM through its LLM API: tensorrt_llm.LLM(**kwargs), LLM.generate(inputs, SamplingParams).

Parameter names follow tensorrt_llm/llmapi/llm_args.py (BaseLlmArgs: tensor_parallel_size,
pipeline_parallel_size, max_batch_size, max_num_tokens, max_seq_len, kv_cache_config, enable_chunked_prefill,
dtype, revision) and tensorrt_llm/sampling_params.py. KvCacheConfig, QuantConfig and QuantAlgo come from
tensorrt_llm.llmapi. `extra` is passed through verbatim and wins. Like vLLM's offline API, generate returns
whole completions: E2E is the batch's wall time per request.
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from lem_harness.engines.base import Prepared, package_version, token_ids
from lem_harness.latency import RequestTiming
from lem_harness.settings import Settings

DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def engine_kwargs(settings: Settings, llmapi: Any) -> dict:
    s = settings.section
    kwargs: dict[str, Any] = {
        "model": settings.model_name,
        "dtype": DTYPES[settings.precision],
        "tensor_parallel_size": s["tensor_parallel_size"],
        "pipeline_parallel_size": s["pipeline_parallel_size"],
    }
    if settings.revision:
        kwargs["revision"] = settings.revision
    for key in ("max_batch_size", "max_num_tokens", "max_seq_len", "enable_chunked_prefill"):
        if s.get(key) is not None:
            kwargs[key] = s[key]
    if s.get("kv_cache_free_gpu_memory_fraction") is not None:
        fraction = s["kv_cache_free_gpu_memory_fraction"]
        kwargs["kv_cache_config"] = llmapi.KvCacheConfig(free_gpu_memory_fraction=fraction)
    quantization = s.get("quantization") or settings.quantization
    if quantization:
        kwargs["quant_config"] = llmapi.QuantConfig(quant_algo=llmapi.QuantAlgo(quantization.upper()))
    kwargs.update(s["extra"])
    return kwargs


def sampling_kwargs(settings: Settings) -> dict:
    d = settings.decoder
    kwargs: dict[str, Any] = {
        "max_tokens": settings.max_output_tokens,
        "ignore_eos": True,  # fixed work per request: see latency.DEFINITIONS["output_tokens"]
    }
    if d.temperature == 0:
        kwargs["top_k"] = 1  # greedy: TensorRT-LLM's temperature must be > 0, top_k=1 picks the argmax
    else:
        kwargs.update(temperature=d.temperature, top_p=d.top_p)
        if d.top_k > 0:
            kwargs["top_k"] = d.top_k
    if d.repetition_penalty != 1:
        kwargs["repetition_penalty"] = d.repetition_penalty
    return kwargs


class TensorrtEngine:
    name = "tensorrt"
    simulated = False
    schedules_requests = True

    def __init__(self) -> None:
        self.llm: Any = None

    def load(self, settings: Settings) -> None:
        from tensorrt_llm import llmapi

        self.llm = llmapi.LLM(**engine_kwargs(settings, llmapi))

    def prepare(self, prompts: Sequence[str], input_length: int | None) -> list[Prepared]:
        encode = self.llm.tokenizer.encode
        out = []
        for text in prompts:
            ids = token_ids(encode, text, input_length)
            out.append(Prepared(payload=ids, input_tokens=len(ids)))
        return out

    def generate(self, batch: Sequence[Prepared], settings: Settings) -> list[RequestTiming]:
        from tensorrt_llm import llmapi

        params = llmapi.SamplingParams(**sampling_kwargs(settings))
        submitted = time.perf_counter()
        outputs = self.llm.generate([p.payload for p in batch], sampling_params=params, use_tqdm=False)
        finished = time.perf_counter()
        return [
            RequestTiming(
                submitted=submitted,
                finished=finished,
                input_tokens=p.input_tokens,
                output_tokens=len(o.outputs[0].token_ids),
            )
            for p, o in zip(batch, outputs)
        ]

    def unload(self) -> None:
        llm, self.llm = self.llm, None
        if llm is not None and callable(getattr(llm, "shutdown", None)):
            llm.shutdown()

    def version(self) -> str | None:
        import tensorrt_llm

        return package_version("tensorrt_llm", tensorrt_llm)
