"""Hugging Face Transformers: AutoModelForCausalLM + AutoTokenizer from a hub name or a local path.

Batches are left-padded (decoder-only generation continues from the right edge). Timing comes from a logits
processor that records a CUDA event per step: each timestamp is when that step's logits existed on the GPU,
read after generate() returns, so timing adds no synchronisation to the decode loop. (A streamer would:
generate() hands it each step's tokens as a CPU tensor, a second GPU sync per step that made decode 3-7 %
slower than plain model.generate on an H200, docs/validation/README.md.) Every request of a static batch
shares those steps, so TTFT and inter-token gaps are per step.
"""

from __future__ import annotations

import gc
import time
from typing import Any, Sequence

from lem_harness.engines.base import Prepared, fit_to_length, package_version
from lem_harness.latency import RequestTiming
from lem_harness.settings import Settings


def _major_minor(version: str) -> tuple[int, int]:
    parts = [int(p) for p in version.split(".")[:2] if p.isdigit()]
    return tuple([*parts, 0, 0][:2])  # type: ignore[return-value]


def _dtype_keyword(version: str) -> str:
    # from_pretrained(torch_dtype=...) was renamed dtype= in transformers 4.56.
    return "dtype" if _major_minor(version) >= (4, 56) else "torch_dtype"


def model_kwargs(settings: Settings, torch: Any, transformers: Any) -> dict:
    s = settings.section
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[settings.precision]
    kwargs: dict[str, Any] = {
        _dtype_keyword(transformers.__version__): dtype,
        "device_map": s["device_map"],
        "trust_remote_code": s["trust_remote_code"],
    }
    # Transformers 4.52 removed low_cpu_mem_usage (loading is always low-memory since); older ones take it.
    if _major_minor(transformers.__version__) < (4, 52):
        kwargs["low_cpu_mem_usage"] = s["low_cpu_mem_usage"]
    if settings.revision:
        kwargs["revision"] = settings.revision
    if s.get("attn_implementation"):
        kwargs["attn_implementation"] = s["attn_implementation"]
    if s["load_in_8bit"] or s["load_in_4bit"]:
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_8bit=s["load_in_8bit"], load_in_4bit=s["load_in_4bit"]
        )
    kwargs.update(s["extra"])
    return kwargs


def generate_kwargs(settings: Settings) -> dict:
    d = settings.decoder
    n = settings.max_output_tokens
    kwargs: dict[str, Any] = {
        "max_new_tokens": n,
        "min_new_tokens": n,  # fixed work per request: see latency.DEFINITIONS["output_tokens"]
        "use_cache": settings.section["use_cache"],
    }
    if d.temperature == 0:
        kwargs["do_sample"] = False
    else:
        kwargs.update(do_sample=True, temperature=d.temperature, top_p=d.top_p, top_k=d.top_k)
    if d.repetition_penalty != 1:
        kwargs["repetition_penalty"] = d.repetition_penalty
    return kwargs


class _StepClock:
    """Logits processor that stamps each generation step without waiting for the GPU.

    generate() calls it once per step (the prefill's step first) with that step's logits still being computed;
    on a GPU it records a CUDA event, which completes when the logits do, and `steps()` converts the events to
    perf_counter seconds through a start event recorded at `anchor`. The events go on the stream of the GPU that
    holds the output head (where the logits are made, also when device_map spreads the layers over several),
    so start and steps share one device, as elapsed_time needs. Without a GPU (`cuda` None) it reads the clock
    directly, which is then exact: nothing runs asynchronously."""

    def __init__(self, cuda: Any = None, device: Any = None) -> None:
        self._cuda = cuda  # torch.cuda, or None on a CPU
        self._device = device
        self.anchor = time.perf_counter()
        self._start = self._mark()
        self._marks: list[Any] = []

    def _mark(self) -> Any:
        if self._cuda is None:
            return time.perf_counter()
        event = self._cuda.Event(enable_timing=True)
        event.record(self._cuda.current_stream(self._device))
        return event

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        self._marks.append(self._mark())
        return scores

    def steps(self) -> list[float]:
        """Each step's time; on a GPU only after it is synchronised (elapsed_time needs finished events)."""
        if self._cuda is None:
            return list(self._marks)
        if self._marks:
            self._marks[-1].synchronize()  # the head's GPU may not be the one generate() synchronised last
        return [self.anchor + self._start.elapsed_time(m) / 1000.0 for m in self._marks]


def _head_device(model: Any) -> Any:
    head = model.get_output_embeddings()
    return head.weight.device if head is not None else model.device


class TransformersEngine:
    name = "transformers"
    simulated = False
    schedules_requests = False

    def __init__(self) -> None:
        self.model: Any = None
        self.tokenizer: Any = None

    def load(self, settings: Settings) -> None:
        import torch
        import transformers

        s = settings.section
        tok = transformers.AutoTokenizer.from_pretrained(
            settings.model_name, revision=settings.revision, trust_remote_code=s["trust_remote_code"]
        )
        tok.padding_side = "left"
        if tok.pad_token_id is None:
            if tok.eos_token is None:
                raise ValueError(f"tokenizer of {settings.model_name} has neither a pad nor an eos token to pad with")
            tok.pad_token = tok.eos_token
        model = transformers.AutoModelForCausalLM.from_pretrained(
            settings.model_name, **model_kwargs(settings, torch, transformers)
        )
        model.eval()
        if s["torch_compile"]:
            model.forward = torch.compile(model.forward)
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.model, self.tokenizer = model, tok

    def prepare(self, prompts: Sequence[str], input_length: int | None) -> list[Prepared]:
        out = []
        for text in prompts:
            if input_length:
                ids = fit_to_length(self.tokenizer(text, add_special_tokens=False)["input_ids"], input_length)
            else:
                ids = self.tokenizer(text)["input_ids"]
            out.append(Prepared(payload=list(ids), input_tokens=len(ids)))
        return out

    def generate(self, batch: Sequence[Prepared], settings: Settings) -> list[RequestTiming]:
        import torch
        from transformers import LogitsProcessorList

        enc = self.tokenizer.pad({"input_ids": [p.payload for p in batch]}, padding=True, return_tensors="pt")
        device = self.model.device
        input_ids = enc["input_ids"].to(device)
        attention_mask = enc["attention_mask"].to(device)
        head = _head_device(self.model)
        clock = _StepClock(torch.cuda, head) if head.type == "cuda" else _StepClock()
        submitted = clock.anchor
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=input_ids,
                attention_mask=attention_mask,
                logits_processor=LogitsProcessorList([clock]),
                pad_token_id=self.tokenizer.pad_token_id,
                **generate_kwargs(settings),
            )
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        done = time.perf_counter()
        steps = clock.steps()
        generated = out[:, input_ids.shape[1] :].tolist()
        eos = self.tokenizer.eos_token_id
        timings = []
        for p, row in zip(batch, generated):
            n = row.index(eos) + 1 if eos is not None and eos in row else len(row)
            mine = steps[:n]
            timings.append(
                RequestTiming(
                    submitted=submitted,
                    finished=mine[-1] if mine else done,
                    input_tokens=p.input_tokens,
                    output_tokens=n,
                    first_token=mine[0] if mine else None,
                    chunks=mine,
                )
            )
        return timings

    def unload(self) -> None:
        import torch

        self.model = None
        self.tokenizer = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def version(self) -> str | None:
        import torch
        import transformers

        return f"{package_version('transformers', transformers)} (torch {torch.__version__})"
