"""vLLM and TensorRT-LLM cannot be installed here: their parameter mapping is tested with the libraries
replaced by recorders named as doubles. Transformers' mapping is tested with stand-in modules; the real
library runs in docs/validation (GPU)."""

import sys
import types
from types import SimpleNamespace

import pytest

from lem_harness import engines
from lem_harness.engine_cache import EngineCache
from lem_harness.engines.base import Prepared, fit_to_length
from lem_harness.settings import parse_settings

from conftest import merged, resolved_config

# Decoders as lem resolves the "standard" and "creative" presets (src/config/experiment.ts): the harness takes the
# values it is sent and knows no preset.
STANDARD = {"preset": "standard", "temperature": 1.0, "top_p": 0.95, "top_k": 50, "repetition_penalty": 1.0}
CREATIVE = {"preset": "creative", "temperature": 0.9, "top_p": 0.95, "top_k": 0, "repetition_penalty": 1.1}


def settings(backend, section=None, **config):
    base = {"model": {"name": "org/model", "fp_precision": "fp16", "revision": "abc123"}, "max_output_tokens": 7}
    raw = resolved_config(backend, **merged(base, config))
    if section is not None:
        raw = merged(raw, {backend: section})
    return parse_settings(raw)


class _Recorder:
    instances: list

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        type(self).instances.append(self)


def install_recording_vllm_double(monkeypatch):
    mod = types.ModuleType("vllm")
    mod.__name__ = "RecordingVllmDouble"

    class SamplingParams(_Recorder):
        instances = []

    class LLM(_Recorder):
        instances = []

        def get_tokenizer(self):
            return SimpleNamespace(
                encode=lambda text, add_special_tokens=True: (
                    [1] * (add_special_tokens is True) + list(range(2, 2 + len(text.split())))
                )
            )

        def generate(self, prompts, params, use_tqdm=True):
            self.generated = (prompts, params, use_tqdm)
            metrics = SimpleNamespace(first_token_latency=0.01)
            return [SimpleNamespace(outputs=[SimpleNamespace(token_ids=[5] * 7)], metrics=metrics) for _ in prompts]

    mod.LLM, mod.SamplingParams, mod.__version__ = LLM, SamplingParams, "0.0-double"
    monkeypatch.setitem(sys.modules, "vllm", mod)
    return mod


def test_vllm_engine_maps_the_section_and_extra_onto_LLM(monkeypatch):
    vllm = install_recording_vllm_double(monkeypatch)
    s = settings(
        "vllm",
        {
            "tensor_parallel_size": 2,
            "gpu_memory_utilization": 0.8,
            "max_num_seqs": 64,
            "max_model_len": 4096,
            "enforce_eager": True,
            "kv_cache_dtype": "fp8",
            "enable_prefix_caching": False,
            "enable_chunked_prefill": True,
            "quantization": "awq",
            "extra": {"max_num_seqs": 128, "disable_custom_all_reduce": True},
        },
    )
    engine = engines.create("vllm")
    engine.load(s)
    kwargs = vllm.LLM.instances[-1].kwargs
    assert kwargs == {
        "model": "org/model",
        "dtype": "float16",
        "revision": "abc123",
        "tensor_parallel_size": 2,
        "pipeline_parallel_size": 1,
        "gpu_memory_utilization": 0.8,
        "enforce_eager": True,
        "kv_cache_dtype": "fp8",
        "quantization": "awq",
        "max_num_seqs": 128,
        "max_model_len": 4096,
        "enable_prefix_caching": False,
        "enable_chunked_prefill": True,
        "disable_custom_all_reduce": True,
    }


def test_vllm_engine_generates_with_sampling_params_and_token_prompts(monkeypatch):
    vllm = install_recording_vllm_double(monkeypatch)
    s = settings("vllm", {}, decoder=STANDARD, prompts={"input_length": 6})
    engine = engines.create("vllm")
    engine.load(s)
    prepared = engine.prepare(["a b c", "d e f g h i j k"], 6)
    assert [p.input_tokens for p in prepared] == [6, 6]
    assert prepared[0].payload == {"prompt_token_ids": [2, 3, 4, 2, 3, 4]}
    timings = engine.generate(prepared, s)
    assert vllm.SamplingParams.instances[-1].kwargs == {
        "max_tokens": 7,
        "ignore_eos": True,
        "temperature": 1.0,
        "top_p": 0.95,
        "top_k": 50,
        "repetition_penalty": 1.0,
    }
    prompts, _, use_tqdm = vllm.LLM.instances[-1].generated
    assert prompts == [p.payload for p in prepared] and use_tqdm is False
    assert [t.output_tokens for t in timings] == [7, 7]
    assert timings[0].first_token - timings[0].submitted == pytest.approx(0.01)


def test_vllm_greedy_and_unlimited_top_k_map_to_vllm_values(monkeypatch):
    from lem_harness.engines.vllm_engine import sampling_kwargs

    kw = sampling_kwargs(settings("vllm", {}))
    assert (kw["temperature"], kw["top_k"]) == (0.0, -1)


def install_recording_tensorrt_llm_double(monkeypatch):
    root = types.ModuleType("tensorrt_llm")
    root.__name__ = "RecordingTensorrtLlmDouble"
    llmapi = types.ModuleType("tensorrt_llm.llmapi")

    class Recorded(_Recorder):
        instances = []

    class KvCacheConfig(Recorded):
        instances = []

    class QuantConfig(Recorded):
        instances = []

    class SamplingParams(Recorded):
        instances = []

    class LLM(Recorded):
        instances = []
        tokenizer = SimpleNamespace(encode=lambda text, add_special_tokens=True: list(range(len(text.split()))))

        def generate(self, inputs, sampling_params=None, use_tqdm=True):
            self.generated = (inputs, sampling_params, use_tqdm)
            return [SimpleNamespace(outputs=[SimpleNamespace(token_ids=[1, 2, 3])]) for _ in inputs]

        def shutdown(self):
            self.shut = True

    llmapi.LLM, llmapi.SamplingParams, llmapi.KvCacheConfig, llmapi.QuantConfig = (
        LLM,
        SamplingParams,
        KvCacheConfig,
        QuantConfig,
    )
    llmapi.QuantAlgo = lambda name: f"QuantAlgo.{name}"
    root.llmapi, root.__version__ = llmapi, "0.0-double"
    monkeypatch.setitem(sys.modules, "tensorrt_llm", root)
    monkeypatch.setitem(sys.modules, "tensorrt_llm.llmapi", llmapi)
    return llmapi


def test_tensorrt_engine_maps_the_section_onto_the_llm_api(monkeypatch):
    llmapi = install_recording_tensorrt_llm_double(monkeypatch)
    s = settings(
        "tensorrt",
        {
            "tensor_parallel_size": 2,
            "max_batch_size": 32,
            "max_num_tokens": 4096,
            "max_seq_len": 2048,
            "kv_cache_free_gpu_memory_fraction": 0.7,
            "enable_chunked_prefill": True,
            "quantization": "fp8",
            "extra": {"max_batch_size": 64, "backend": "pytorch"},
        },
    )
    engine = engines.create("tensorrt")
    engine.load(s)
    kwargs = llmapi.LLM.instances[-1].kwargs
    kv = kwargs.pop("kv_cache_config")
    quant = kwargs.pop("quant_config")
    assert kwargs == {
        "model": "org/model",
        "dtype": "float16",
        "revision": "abc123",
        "tensor_parallel_size": 2,
        "pipeline_parallel_size": 1,
        "max_batch_size": 64,
        "max_num_tokens": 4096,
        "max_seq_len": 2048,
        "enable_chunked_prefill": True,
        "backend": "pytorch",
    }
    assert kv.kwargs == {"free_gpu_memory_fraction": 0.7}
    assert quant.kwargs == {"quant_algo": "QuantAlgo.FP8"}


def test_tensorrt_engine_generates_greedy_with_top_k_1_and_shuts_down(monkeypatch):
    llmapi = install_recording_tensorrt_llm_double(monkeypatch)
    s = settings("tensorrt", {})
    engine = engines.create("tensorrt")
    engine.load(s)
    timings = engine.generate(engine.prepare(["x y", "z"], None), s)
    assert llmapi.SamplingParams.instances[-1].kwargs == {"max_tokens": 7, "ignore_eos": True, "top_k": 1}
    inputs, _, use_tqdm = llmapi.LLM.instances[-1].generated
    assert inputs == [[0, 1], [0]] and use_tqdm is False
    assert [t.output_tokens for t in timings] == [3, 3]
    llm = engine.llm
    engine.unload()
    assert llm.shut and engine.llm is None


def test_transformers_mapping_of_precision_section_and_decoder():
    from lem_harness.engines import transformers_engine as te

    torch = SimpleNamespace(float32="f32", float16="f16", bfloat16="bf16")
    bnb = []
    tf_new = SimpleNamespace(__version__="4.57.1", BitsAndBytesConfig=lambda **kw: bnb.append(kw) or "bnb")
    s = settings(
        "transformers",
        {
            "device_map": "cuda:0",
            "attn_implementation": "sdpa",
            "load_in_8bit": True,
            "extra": {"low_cpu_mem_usage": False},
        },
    )
    assert te.model_kwargs(s, torch, tf_new) == {
        "dtype": "f16",
        "device_map": "cuda:0",
        "low_cpu_mem_usage": False,
        "trust_remote_code": False,
        "revision": "abc123",
        "attn_implementation": "sdpa",
        "quantization_config": "bnb",
    }  # extra wins
    assert bnb == [{"load_in_8bit": True, "load_in_4bit": False}]
    assert "low_cpu_mem_usage" not in te.model_kwargs(settings("transformers", {}), torch, tf_new)
    tf_old = SimpleNamespace(__version__="4.44.0")
    old = te.model_kwargs(settings("transformers", {}), torch, tf_old)
    assert old["torch_dtype"] == "f16" and old["low_cpu_mem_usage"] is True
    assert te.generate_kwargs(settings("transformers", {})) == {
        "max_new_tokens": 7,
        "min_new_tokens": 7,
        "use_cache": True,
        "do_sample": False,
    }
    sampled = te.generate_kwargs(settings("transformers", {"use_cache": False}, decoder=CREATIVE))
    assert sampled == {
        "max_new_tokens": 7,
        "min_new_tokens": 7,
        "use_cache": False,
        "do_sample": True,
        "temperature": 0.9,
        "top_p": 0.95,
        "top_k": 0,
        "repetition_penalty": 1.1,
    }


def test_transformers_step_clock_stamps_each_step_and_passes_the_logits_through():
    from lem_harness.engines.transformers_engine import _StepClock

    clock = _StepClock()  # no GPU: the clock is read at each call
    scores = object()
    assert clock(None, scores) is scores and clock(None, scores) is scores
    steps = clock.steps()
    assert len(steps) == 2 and clock.anchor <= steps[0] <= steps[1]


class _FakeEvent:
    """A recorder double for torch.cuda.Event (no GPU here): it completes 5 ms after each earlier one."""

    recorded: list["_FakeEvent"] = []

    def __init__(self, enable_timing: bool):
        assert enable_timing
        self.stream = None
        self.ms = 0.0
        self.synchronized = False

    def record(self, stream):
        self.stream = stream
        self.ms = 5.0 * len(_FakeEvent.recorded)
        _FakeEvent.recorded.append(self)

    def elapsed_time(self, end):
        return end.ms - self.ms

    def synchronize(self):
        self.synchronized = True


def test_transformers_step_clock_on_a_gpu_records_events_on_the_heads_stream_and_never_waits_during_generate():
    from lem_harness.engines.transformers_engine import _StepClock

    _FakeEvent.recorded = []
    cuda = SimpleNamespace(Event=_FakeEvent, current_stream=lambda device: f"stream of {device}")
    clock = _StepClock(cuda, "cuda:1")
    for _ in range(3):
        clock(None, None)
    assert not any(e.synchronized for e in _FakeEvent.recorded)
    steps = clock.steps()
    assert [round((t - clock.anchor) * 1000, 6) for t in steps] == [5.0, 10.0, 15.0]
    assert {e.stream for e in _FakeEvent.recorded} == {"stream of cuda:1"}
    assert _FakeEvent.recorded[-1].synchronized  # steps() waits for the last event, not generate


def test_fit_to_length_truncates_or_repeats():
    assert fit_to_length([1, 2, 3], 2) == [1, 2]
    assert fit_to_length([1, 2], 5) == [1, 2, 1, 2, 1]
    with pytest.raises(ValueError):
        fit_to_length([], 3)


def test_synthetic_engine_emits_tokens_at_the_configured_rate():
    s = settings("synthetic", {"tokens_per_second": 1000, "ttft_ms": 20}, max_output_tokens=21)
    engine = engines.create("synthetic")
    engine.load(s)
    [t] = engine.generate([Prepared(payload="a b", input_tokens=2)], s)
    assert t.output_tokens == 21 and len(t.chunks) == 21
    assert t.chunks[0] - t.submitted == pytest.approx(0.020, abs=0.01)
    assert t.finished - t.chunks[0] == pytest.approx(0.020, abs=0.01)


def test_availability_is_answered_without_importing_the_engines():
    avail = engines.available()
    assert avail["synthetic"] is True and set(avail) == {"synthetic", "transformers", "vllm", "tensorrt"}
    import importlib.util

    assert avail["vllm"] == (importlib.util.find_spec("vllm") is not None)


class CountingEngineDouble:
    loads = 0
    unloads = 0

    def load(self, settings):
        CountingEngineDouble.loads += 1

    def unload(self):
        CountingEngineDouble.unloads += 1


def test_engine_cache_reuses_reloads_on_new_init_params_and_on_cold_start():
    CountingEngineDouble.loads = CountingEngineDouble.unloads = 0
    cache = EngineCache(lambda backend: CountingEngineDouble())
    events = []

    def acquire(s):
        return cache.acquire(s, lambda: events.append("loading"), lambda secs: events.append("loaded"))

    a = settings("synthetic", {"tokens_per_second": 100})
    e1, load1 = acquire(a)
    e2, load2 = acquire(settings("synthetic", {"tokens_per_second": 100}, max_output_tokens=99))  # decoding only
    assert e1 is e2 and load1 is not None and load2 is None
    e3, load3 = acquire(settings("synthetic", {"tokens_per_second": 200}))
    assert e3 is not e1 and load3 is not None
    e4, _ = acquire(settings("synthetic", {"tokens_per_second": 200}, force_cold_start=True))
    assert e4 is not e3
    assert (CountingEngineDouble.loads, CountingEngineDouble.unloads) == (3, 2)
    assert events == ["loading", "loaded"] * 3
    cache.release()
    assert CountingEngineDouble.unloads == 3 and cache.engine is None


def test_a_loaded_engine_is_frozen_out_of_the_garbage_collector_until_released():
    import gc

    cache = EngineCache(lambda backend: CountingEngineDouble())
    try:
        cache.acquire(settings("synthetic", {}), lambda: None, lambda secs: None)
        assert gc.get_freeze_count() > 0
        cache.release()
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_an_engine_without_a_large_object_graph_is_not_collected_or_frozen(monkeypatch):
    import gc

    calls = []
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    monkeypatch.setattr(gc, "unfreeze", lambda: calls.append("unfreeze"))

    class SmallEngine(CountingEngineDouble):
        large_object_graph = False

    cache = EngineCache(lambda backend: SmallEngine())
    cache.acquire(settings("synthetic", {}), lambda: None, lambda secs: None)
    cache.release()
    assert calls == []
    # An engine that does not say is treated as large: collected and frozen, then unfrozen and collected.
    cache = EngineCache(lambda backend: CountingEngineDouble())
    cache.acquire(settings("synthetic", {}), lambda: None, lambda secs: None)
    cache.release()
    assert calls == ["collect", "freeze", "unfreeze", "collect"]
    assert engines.create("synthetic").large_object_graph is False
