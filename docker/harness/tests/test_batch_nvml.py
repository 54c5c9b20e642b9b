"""NVML's lifetime in a batch: opened once on first need, shut down when the batch ends."""

import json

from lem_harness.batch import run_batch
from lem_harness.engines.synthetic import SyntheticEngine
from lem_harness.spec import parse_spec

from conftest import make_spec, synthetic_config
from nvml_double import FakeGpu, RecordingNvmlDouble


class MeasuredEngineDouble(SyntheticEngine):
    """The synthetic engine, but not simulated, so the harness opens NVML (the recording double) for it."""

    simulated = False


class ListWriter:
    def __init__(self):
        self.events = []

    def emit(self, event, **fields):
        self.events.append({"event": event, **fields})


def test_nvml_is_initialised_once_and_shut_down_at_the_end_of_the_batch(tmp_path):
    # The thread sampler: the recording NVML double lives in this process, where a sampling process cannot reach it.
    config = synthetic_config(measurement={"sample_interval_ms": 10, "min_measure_s": 0.05, "sampler": "thread"})
    spec = parse_spec(make_spec(tmp_path / "results", [("e1", config), ("e2", config)]))
    lib = RecordingNvmlDouble([FakeGpu(0)])
    code = run_batch(spec, ListWriter(), nvml_lib=lib, engine_factory=lambda backend: MeasuredEngineDouble())
    assert code == 0
    names = [name for name, _ in lib.calls]
    assert names.count("nvmlInit") == 1 and names.count("nvmlShutdown") == 1
    assert names.index("nvmlShutdown") > max(i for i, n in enumerate(names) if n.startswith("nvmlDevice"))
    doc = json.loads((tmp_path / "results/camp/e2/result.json").read_text())
    assert doc["energy"]["available"] is True


def test_a_lost_gpu_fails_the_experiment_with_the_gpu_and_the_call(tmp_path):
    # The thread sampler: the recording NVML double lives in this process, where a sampling process cannot reach it.
    config = synthetic_config(measurement={"sample_interval_ms": 10, "min_measure_s": 0.05, "sampler": "thread"})
    spec = parse_spec(make_spec(tmp_path / "results", [("e1", config)]))
    lib = RecordingNvmlDouble([FakeGpu(0, errors={"nvmlDeviceGetTotalEnergyConsumption": 15})])
    writer = ListWriter()
    assert run_batch(spec, writer, nvml_lib=lib, engine_factory=lambda backend: MeasuredEngineDouble()) == 0
    failed = [e for e in writer.events if e["event"] == "failed"]
    assert len(failed) == 1
    assert "nvmlDeviceGetTotalEnergyConsumption failed on GPU 0" in failed[0]["reason"]
    assert "GPU is lost" in failed[0]["reason"]
    assert not (tmp_path / "results/camp/e1").exists()
