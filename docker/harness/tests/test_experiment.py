"""The experiment flow in-process, with NVML replaced by RecordingNvmlDouble and the engine by
BusyGpuEngineDouble (a non-simulated engine whose 'GPU' draws more power while it generates), so the
energy, baseline, throttle and sampler paths run end to end and the result validates against the schema."""

import csv
import io
import json
import time
from datetime import datetime

import jsonschema
import pytest

from lem_harness.batch import run_batch
from lem_harness.engines.synthetic import SyntheticEngine
from lem_harness.events import EventWriter
from lem_harness.spec import parse_spec

from conftest import make_spec, synthetic_config
from nvml_double import FakeGpu, RecordingNvmlDouble


class BusyGpuEngineDouble(SyntheticEngine):
    """Synthetic timings, but not simulated: the fake GPUs draw `busy_w` while a batch runs."""

    name = "busy-gpu-double"
    simulated = False
    gpus: list = []

    def generate(self, batch, settings):
        for g in self.gpus:
            g.set_busy(True)
        try:
            return super().generate(batch, settings)
        finally:
            for g in self.gpus:
                g.set_busy(False)


class BusyGpu(FakeGpu):
    """Draws busy_w while the engine double generates, idle_w otherwise."""

    def __init__(self, index, idle_w, busy_w, **kw):
        super().__init__(index, **kw)
        self.busy = False
        self.watts = lambda elapsed: busy_w if self.busy else idle_w

    def set_busy(self, busy):
        self.counter()  # bring the counter up to now at the old power, as the real one accumulates
        self.busy = busy


def busy_gpu(index, idle_w=60.0, busy_w=300.0, reasons=0x0, **kw):
    return BusyGpu(index, idle_w, busy_w, reasons=reasons, **kw)


class ListWriter(EventWriter):
    def __init__(self):
        self.events = []

    def emit(self, event, **fields):
        self.events.append({"event": event, "ts": time.time(), **fields})


class CounterResetEngineDouble(BusyGpuEngineDouble):
    """Resets the GPUs' energy counters during the first batch of the measured window."""

    armed = False

    def generate(self, batch, settings):
        if CounterResetEngineDouble.armed:
            CounterResetEngineDouble.armed = False
            for g in self.gpus:
                g.reset_counter()
        return super().generate(batch, settings)


class ArmingListWriter(ListWriter):
    def emit(self, event, **fields):
        super().emit(event, **fields)
        if event == "measuring":
            CounterResetEngineDouble.armed = True


def run(tmp_path, experiments, gpus, engine_cls=BusyGpuEngineDouble, writer=None, **nvml_kw):
    engine_cls.gpus = gpus
    spec = parse_spec(make_spec(tmp_path / "results", experiments))
    writer = writer or ListWriter()
    code = run_batch(spec, writer, nvml_lib=RecordingNvmlDouble(gpus, **nvml_kw), engine_factory=lambda b: engine_cls())
    return code, writer.events


def measured_config(**measurement):
    m = {
        "sample_interval_ms": 10,
        "sampling": True,
        "sampler": "thread",
        "slow_fields_every": 3,
        "idle_baseline_s": 0.15,
        "device_idle_s": 0,
        "baseline": "loaded_idle",
        "min_measure_s": 0.3,
        "warmup": {"max_runs": 3, "cv_threshold": 0.5, "window": 2, "min_runs": 2, "pad_to_fixed_shape": False},
        **measurement,
    }
    return synthetic_config(
        measurement=m,
        max_output_tokens=20,
        synthetic={"tokens_per_second": 400, "ttft_ms": 5, "load_s": 0, "fail_experiment": False, "extra": {}},
    )


def test_energy_baseline_and_samples_end_to_end(tmp_path, result_schema):
    gpus = [busy_gpu(0), busy_gpu(1, idle_w=40.0, busy_w=200.0)]
    code, events = run(tmp_path, [("e1", measured_config())], gpus)
    assert code == 0, events
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    jsonschema.validate(doc, result_schema)
    e = doc["energy"]
    assert doc["simulated"] is False and e["available"] and e["reason"] is None
    assert abs(e["disagreement_pct"]) < 5
    assert e["counter_j"] == pytest.approx(e["per_gpu"][0]["counter_j"] + e["per_gpu"][1]["counter_j"])
    assert e["baseline_power_w"] == pytest.approx(100.0, rel=0.05)
    assert e["adjusted_j"] == pytest.approx(e["counter_j"] - e["baseline_j"])
    assert e["j_per_output_token"] == pytest.approx(e["counter_j"] / doc["tokens"]["output"])
    # Busy almost all of the window: mean power close to 500 W in all.
    assert 400 < doc["power"]["mean_w"] <= 501 and doc["power"]["max_w"] == pytest.approx(500.0)
    assert doc["timing"]["measured_s"] >= 0.3 and doc["tokens"]["batches"] >= 2
    assert doc["sampler"]["enabled"] and doc["sampler"]["samples"] > 10 and doc["sampler"]["coverage"] > 0.75
    assert doc["thermal"] == {
        "start_temp_c": 45.0,
        "max_temp_c": 45.0,
        "throttled": False,
        "active_reasons": [],
        "fractions": {k: 0.0 for k in doc["thermal"]["fractions"]},
    }
    assert doc["environment"]["gpus"][1]["uuid"] == "GPU-00000001-double"
    assert any("shorter" in w or "< 10 s" in w for w in doc["warnings"])  # a 0.3 s window is flagged
    rows = list(csv.DictReader(io.StringIO((tmp_path / "results/camp/e1/samples.csv").read_text())))
    phases = {r["phase"] for r in rows}
    assert phases == {"baseline", "measured"} and {r["gpu"] for r in rows} == {"0", "1"}
    assert len([r for r in rows if r["phase"] == "measured"]) == 2 * doc["sampler"]["samples"]
    w = doc["warmup"]
    assert w["runs"] == w["shapes"] + 2 and w["cold_run_excluded"] and w["cold_run_s"] > 0  # min_runs 2, converged
    assert [ev["event"] for ev in events] == [
        "batch_started",
        "started",
        "engine_loading",
        "engine_loaded",
        "baseline",
        *["warmup"] * w["runs"],
        "measuring",
        "finished",
        "batch_finished",
    ]
    # A 0.3 s window is invalid, not only warned about; every other check passed, each with its threshold.
    v = doc["validity"]
    assert v["valid"] is False and v["assessed"] is True
    by_name = {c["name"]: c for c in v["checks"]}
    assert by_name["window_length"]["passed"] is False and by_name["window_length"]["threshold"] == ">= 10 s"
    assert [n for n, c in by_name.items() if c["passed"] is not False] == [
        "sample_coverage",
        "counter_vs_integral",
        "temperature_range",
        "throttle_share",
        "baseline_stability",
    ]
    assert all(c["passed"] for n, c in by_name.items() if n != "window_length")
    assert len(v["reasons"]) == 1 and v["reasons"][0].startswith("window_length")
    # Both baselines are named; only loaded_idle was measured here (device_idle_s = 0), and it is the one subtracted.
    assert doc["baselines"]["device_idle"] is None and e["baseline"] == "loaded_idle"
    b = doc["baselines"]["loaded_idle"]
    assert b["power_w"] == pytest.approx(100.0, rel=0.05) and b["pstate"] == 0 and b["sm_clock_mhz"] == 1980
    assert e["adjusted"]["loaded_idle"]["adjusted_j"] == e["adjusted_j"] and e["adjusted"]["device_idle"] is None
    # The sampler says what a sweep cost: 2 calls per GPU fast, 9 full, every 3rd sweep full (plus the edges).
    sm = doc["sampler"]
    assert sm["kind"] == "thread" and sm["slow_fields_every"] == 3 and sm["sweep_ms"]["n"] == sm["samples"]
    assert 2 < sm["calls_per_sweep"]["mean"] < 9 and sm["calls_per_sweep"]["fast"] == 2
    u = doc["uncertainty"]
    assert u["value"] == e["j_per_output_token"] and u["low"] < u["value"] < u["high"]
    assert doc["window"]["passes"] >= 1 and doc["window"]["target_s"] == 0.3


NULL_GPU_USAGE = {
    "memory_used_max_mib": None,
    "memory_used_mean_mib": None,
    "utilization_gpu_mean_pct": None,
    "utilization_memory_mean_pct": None,
    "samples": 0,
}


def test_gpu_usage_summarises_the_measured_window_samples(tmp_path, result_schema):
    gpus = [
        busy_gpu(0, mem_used_mib=12_288, util_gpu=97, util_mem=40),
        busy_gpu(1, mem_used_mib=20_480, util_gpu=51, util_mem=20),
    ]
    code, events = run(tmp_path, [("e1", measured_config())], gpus)
    assert code == 0, events
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    jsonschema.validate(doc, result_schema)
    u = doc["gpu_usage"]
    assert u == {
        "memory_used_max_mib": 32_768.0,
        "memory_used_mean_mib": 32_768.0,
        "utilization_gpu_mean_pct": 74.0,
        "utilization_memory_mean_pct": 30.0,
        "samples": doc["sampler"]["samples"],
    }
    assert u["samples"] > 10
    # The same numbers from samples.csv's measured rows (the idle baseline's rows are not part of it).
    rows = [
        r
        for r in csv.DictReader(io.StringIO((tmp_path / "results/camp/e1/samples.csv").read_text()))
        if r["phase"] == "measured"
    ]
    assert len(rows) == 2 * u["samples"]
    # Memory and utilisation are slow fields, read in full sweeps only: the rows that have them.
    full = [r for r in rows if r["mem_used_mib"] != ""]
    assert 0 < len(full) < len(rows)
    assert sum(float(r["mem_used_mib"]) for r in full) / (len(full) / 2) == pytest.approx(u["memory_used_mean_mib"])
    assert sum(float(r["util_gpu_pct"]) for r in full) / len(full) == pytest.approx(u["utilization_gpu_mean_pct"])


def test_gpu_usage_is_null_without_sampling_nvml_or_a_real_engine(tmp_path, result_schema):
    docs = {}
    for name, kw in [
        ("off", {"experiments": [("e1", measured_config(sampling=False))], "gpus": [busy_gpu(0)]}),
        ("mig", {"experiments": [("e1", measured_config())], "gpus": [busy_gpu(0, mig=True)]}),
        ("no-nvml", {"experiments": [("e1", measured_config())], "gpus": [], "init_error": "Driver Not Loaded"}),
        (
            "synthetic",
            {
                "experiments": [("e1", measured_config())],
                "gpus": [busy_gpu(0)],
                "engine_cls": type("Simulated", (SyntheticEngine,), {}),
            },
        ),
    ]:
        run(tmp_path / name, **kw)
        docs[name] = json.loads((tmp_path / name / "results/camp/e1/result.json").read_text())
        jsonschema.validate(docs[name], result_schema)
        assert docs[name]["gpu_usage"] == NULL_GPU_USAGE, name
    assert docs["synthetic"]["simulated"] is True


def test_throttling_is_flagged_with_its_reasons(tmp_path):
    gpus = [busy_gpu(0, reasons=lambda elapsed: 0x4 if int(elapsed * 100) % 2 else 0x1)]
    _, _ = run(tmp_path, [("e1", measured_config(idle_baseline_s=0))], gpus)
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    t = doc["thermal"]
    assert t["throttled"] and t["active_reasons"] == ["sw_power_cap"]
    assert 0.2 < t["fractions"]["sw_power_cap"] < 0.8 and t["fractions"]["hw_slowdown"] == 0
    assert any("sw_power_cap" in w for w in doc["warnings"])
    assert any("loaded_idle baseline was not measured" in w for w in doc["warnings"])
    assert doc["energy"]["adjusted_j"] is None


def test_sampling_off_still_measures_counter_energy(tmp_path, result_schema):
    _, _ = run(tmp_path, [("e1", measured_config(sampling=False))], [busy_gpu(0)])
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    jsonschema.validate(doc, result_schema)
    assert doc["energy"]["available"] and doc["energy"]["integrated_j"] is None
    assert doc["energy"]["disagreement_pct"] is None and doc["sampler"]["enabled"] is False
    assert doc["power"]["mean_w"] == pytest.approx(doc["energy"]["counter_j"] / doc["timing"]["measured_s"], rel=0.05)
    assert doc["thermal"]["fractions"] is None
    assert doc["energy"]["baseline_power_w"] == pytest.approx(60.0, rel=0.05)


def test_mig_mode_marks_energy_unavailable_with_the_reason(tmp_path, result_schema):
    _, _ = run(tmp_path, [("e1", measured_config())], [busy_gpu(0, mig=True)])
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    jsonschema.validate(doc, result_schema)
    assert not doc["energy"]["available"] and "MIG" in doc["energy"]["reason"]
    assert doc["energy"]["counter_j"] is None and doc["environment"]["gpus"][0]["mig_mode"] is True


def test_without_nvml_the_run_completes_with_energy_null_and_a_reason(tmp_path, result_schema):
    code, events = run(tmp_path, [("e1", measured_config())], [], init_error="Driver Not Loaded")
    assert code == 0 and events[-2]["event"] == "finished"
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    jsonschema.validate(doc, result_schema)
    assert doc["environment"]["nvml_available"] is False
    assert "Driver Not Loaded" in doc["energy"]["reason"] and doc["energy"]["counter_j"] is None


def test_a_counter_reset_makes_the_energy_invalid_and_says_so(tmp_path, result_schema):
    run(
        tmp_path,
        [("e1", measured_config())],
        [busy_gpu(0)],
        engine_cls=CounterResetEngineDouble,
        writer=ArmingListWriter(),
    )
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    jsonschema.validate(doc, result_schema)
    assert doc["energy"]["available"] is False and "reset" in doc["energy"]["reason"]
    assert doc["energy"]["j_per_output_token"] is None


def test_one_engine_serves_experiments_with_the_same_init_parameters(tmp_path):
    cfg = measured_config(idle_baseline_s=0, min_measure_s=0)
    _, events = run(
        tmp_path,
        [("a", cfg), ("b", {**cfg, "max_output_tokens": 4}), ("c", {**cfg, "force_cold_start": True})],
        [busy_gpu(0)],
    )
    loads = [ev["experiment_id"] for ev in events if ev["event"] == "engine_loaded"]
    assert loads == ["a", "c"]
    docs = {e: json.loads((tmp_path / f"results/camp/{e}/result.json").read_text()) for e in "abc"}
    assert docs["b"]["timing"]["engine_load_s"] is None and docs["a"]["timing"]["engine_load_s"] is not None
    assert docs["b"]["tokens"]["output"] == 4 * docs["b"]["tokens"]["prompts"]


def test_min_measure_s_zero_is_exactly_one_pass_over_the_prompts(tmp_path):
    cfg = measured_config(idle_baseline_s=0, min_measure_s=0)
    cfg["prompts"] = {"source": "builtin", "category": "short", "count": 5}
    run(tmp_path, [("e1", cfg)], [busy_gpu(0)])
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    assert doc["tokens"]["prompts"] == 5 and doc["tokens"]["batches"] == 3


class ContextGpu(BusyGpu):
    """78 W at rest, 121 W once an engine holds a CUDA context, 300 W while generating (an H200's figures)."""

    def __init__(self, index):
        super().__init__(index, 0.0, 300.0)
        self.context = False
        self.watts = lambda elapsed: 300.0 if self.busy else (121.0 if self.context else 78.0)


class ContextEngineDouble(BusyGpuEngineDouble):
    loads = 0

    def load(self, settings):
        for g in self.gpus:
            g.counter()
            g.context = True
        ContextEngineDouble.loads += 1
        super().load(settings)


def test_device_idle_is_measured_before_the_engine_loads_and_reused_by_the_batch(tmp_path, result_schema):
    cfg = measured_config(device_idle_s=0.15, min_measure_s=0)
    gpus = [ContextGpu(0)]
    code, events = run(
        tmp_path,
        [("a", cfg), ("b", cfg), ("c", {**cfg, "force_cold_start": True})],
        gpus,
        engine_cls=ContextEngineDouble,
    )
    assert code == 0
    docs = {e: json.loads((tmp_path / f"results/camp/{e}/result.json").read_text()) for e in "abc"}
    for doc in docs.values():
        jsonschema.validate(doc, result_schema)
    a = docs["a"]
    assert a["baselines"]["device_idle"]["power_w"] == pytest.approx(78.0, rel=0.03)
    assert a["baselines"]["loaded_idle"]["power_w"] == pytest.approx(121.0, rel=0.03)
    assert a["baselines"]["device_idle"]["reused"] is False
    # The subtracted baseline is loaded_idle by default; device_idle's adjusted figures are reported beside it.
    e = a["energy"]
    assert e["baseline"] == "loaded_idle" and e["baseline_power_w"] == a["baselines"]["loaded_idle"]["power_w"]
    assert e["adjusted"]["device_idle"]["adjusted_j"] > e["adjusted"]["loaded_idle"]["adjusted_j"]
    # Later experiments (even a cold start: the process keeps its CUDA context) reuse the batch's device_idle.
    for later in "bc":
        d = docs[later]["baselines"]["device_idle"]
        assert d["reused"] is True and d["power_w"] == a["baselines"]["device_idle"]["power_w"]
    assert [ev["event"] for ev in events[:6]] == [
        "batch_started",
        "started",
        "engine_loading",
        "baseline",
        "engine_loaded",
        "baseline",
    ]
    rows = (tmp_path / "results/camp/a/samples.csv").read_text()
    assert "\ndevice_idle," in rows and "\ndevice_idle," not in (tmp_path / "results/camp/b/samples.csv").read_text()


def test_the_config_can_subtract_device_idle(tmp_path):
    cfg = measured_config(device_idle_s=0.15, min_measure_s=0, baseline="device_idle")
    run(tmp_path, [("a", cfg)], [ContextGpu(0)], engine_cls=ContextEngineDouble)
    doc = json.loads((tmp_path / "results/camp/a/result.json").read_text())
    e = doc["energy"]
    assert e["baseline"] == "device_idle" and e["baseline_power_w"] == pytest.approx(78.0, rel=0.03)
    assert e["adjusted_j"] == e["adjusted"]["device_idle"]["adjusted_j"]


def test_the_window_repeats_whole_passes_until_min_measure_s(tmp_path):
    cfg = measured_config(idle_baseline_s=0, min_measure_s=0.5)
    cfg["prompts"] = {"source": "builtin", "category": "short", "count": 3}
    run(tmp_path, [("e1", cfg)], [busy_gpu(0)])
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    passes = doc["window"]["passes"]
    assert doc["timing"]["measured_s"] >= 0.5 and passes >= 2 and doc["window"]["target_s"] == 0.5
    assert doc["tokens"]["prompts"] == 3 * passes and doc["tokens"]["batches"] == 2 * passes


def test_the_window_says_when_it_ran_on_the_wall_clock(tmp_path):
    # Meters outside the container cut their samples at these times: they must bracket exactly the measured run.
    cfg = measured_config(idle_baseline_s=0, min_measure_s=0.3)
    before = time.time()
    run(tmp_path, [("e1", cfg)], [busy_gpu(0)])
    after = time.time()
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    w = doc["window"]
    assert before <= w["start_unix_s"] < w["end_unix_s"] <= after
    # Epoch seconds as doubles: their ulp is ~2e-7 s.
    assert w["end_unix_s"] - w["start_unix_s"] == pytest.approx(doc["timing"]["measured_s"], abs=1e-6)
    started = datetime.fromisoformat(doc["timing"]["started_at"].replace("Z", "+00:00")).timestamp()
    assert w["start_unix_s"] >= started - 0.001


def test_a_run_without_energy_measures_one_pass_whatever_min_measure_s(tmp_path):
    cfg = measured_config(idle_baseline_s=0, min_measure_s=30)
    run(tmp_path, [("e1", cfg)], [busy_gpu(0)], engine_cls=type("Simulated", (SyntheticEngine,), {}))
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    window = {k: doc["window"][k] for k in ("target_s", "passes")}
    assert window == {"target_s": 0.0, "passes": 1} and doc["timing"]["measured_s"] < 5
    assert doc["validity"]["valid"] and doc["uncertainty"] is None


def test_fixed_shape_pads_prompts_and_tops_up_the_last_batch(tmp_path):
    cfg = measured_config(idle_baseline_s=0, min_measure_s=0)
    cfg["measurement"]["warmup"] = {**cfg["measurement"]["warmup"], "pad_to_fixed_shape": True}
    cfg["prompts"] = {"source": "builtin", "category": "short", "count": 5}
    run(tmp_path, [("e1", cfg)], [busy_gpu(0)])
    doc = json.loads((tmp_path / "results/camp/e1/result.json").read_text())
    assert doc["warmup"]["shapes"] == 1 and doc["warmup"]["fixed_shape"] is True
    assert doc["tokens"]["prompts"] == 6 and doc["tokens"]["input"] % 6 == 0  # 3 batches of 2, one length
