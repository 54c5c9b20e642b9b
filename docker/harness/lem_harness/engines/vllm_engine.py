"""vLLM through its offline API: vllm.LLM(**engine kwargs) and LLM.generate(prompts, SamplingParams).

Parameter names follow vllm/entrypoints/llm.py (LLM.__init__ passes **kwargs on to EngineArgs) and
vllm/sampling_params.py. The config's vllm section maps one to one; `extra` is passed through verbatim and
wins. Offline generate returns whole completions, so E2E is the batch's wall time per request; TTFT comes
from the request's own metrics where this vLLM version fills them, else it is not reported.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Sequence

from lem_harness.engines.base import Prepared, package_version, token_ids
from lem_harness.latency import RequestTiming
from lem_harness.settings import Settings

DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}
_PASSED_WHEN_SET = (
    "max_num_seqs",
    "max_num_batched_tokens",
    "max_model_len",
    "enable_prefix_caching",
    "enable_chunked_prefill",
    "block_size",
    "swap_space",
    "seed",
)


def engine_kwargs(settings: Settings) -> dict:
    s = settings.section
    kwargs: dict[str, Any] = {
        "model": settings.model_name,
        "dtype": DTYPES[settings.precision],
        "tensor_parallel_size": s["tensor_parallel_size"],
        "pipeline_parallel_size": s["pipeline_parallel_size"],
        "gpu_memory_utilization": s["gpu_memory_utilization"],
        "enforce_eager": s["enforce_eager"],
        "kv_cache_dtype": s["kv_cache_dtype"],
    }
    if settings.revision:
        kwargs["revision"] = settings.revision
    quantization = s.get("quantization") or settings.quantization
    if quantization:
        kwargs["quantization"] = quantization
    for key in _PASSED_WHEN_SET:
        if s.get(key) is not None:
            kwargs[key] = s[key]
    kwargs.update(s["extra"])
    return kwargs


def sampling_kwargs(settings: Settings) -> dict:
    d = settings.decoder
    return {
        "max_tokens": settings.max_output_tokens,
        "ignore_eos": True,  # fixed work per request: see latency.DEFINITIONS["output_tokens"]
        "temperature": d.temperature,  # 0 is greedy in vLLM
        "top_p": d.top_p,
        "top_k": d.top_k if d.top_k > 0 else -1,  # -1 = all tokens, accepted by old and new versions
        "repetition_penalty": d.repetition_penalty,
    }


def _first_token(output: Any, submitted: float, wall_submitted: float) -> float | None:
    m = getattr(output, "metrics", None)
    if m is None:
        return None
    latency = getattr(m, "first_token_latency", None)  # V1 RequestStateStats (seconds)
    if latency:
        return submitted + float(latency)
    first = getattr(m, "first_token_time", None)  # V0 RequestMetrics (wall clock, time.time())
    if first is not None:
        return submitted + (float(first) - wall_submitted)
    return None


class VllmEngine:
    name = "vllm"
    simulated = False
    schedules_requests = True

    def __init__(self) -> None:
        self.llm: Any = None

    def load(self, settings: Settings) -> None:
        import vllm

        self.llm = vllm.LLM(**engine_kwargs(settings))

    def prepare(self, prompts: Sequence[str], input_length: int | None) -> list[Prepared]:
        encode = self.llm.get_tokenizer().encode
        out = []
        for text in prompts:
            ids = token_ids(encode, text, input_length)
            out.append(Prepared(payload={"prompt_token_ids": ids}, input_tokens=len(ids)))
        return out

    def generate(self, batch: Sequence[Prepared], settings: Settings) -> list[RequestTiming]:
        import vllm

        params = vllm.SamplingParams(**sampling_kwargs(settings))
        wall_submitted = time.time()
        submitted = time.perf_counter()
        outputs = self.llm.generate([p.payload for p in batch], params, use_tqdm=False)
        finished = time.perf_counter()
        return [
            RequestTiming(
                submitted=submitted,
                finished=finished,
                input_tokens=p.input_tokens,
                output_tokens=len(o.outputs[0].token_ids),
                first_token=_first_token(o, submitted, wall_submitted),
            )
            for p, o in zip(batch, outputs)
        ]

    def unload(self) -> None:
        llm, self.llm = self.llm, None
        shutdown = getattr(getattr(llm, "llm_engine", None), "shutdown", None)
        if callable(shutdown):
            shutdown()
        del llm
        gc.collect()
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def version(self) -> str | None:
        import vllm

        return package_version("vllm", vllm)
