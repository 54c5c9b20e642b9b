"""The harness's side of the baseline gate (isolate_baseline): real marker files, real waiting, a real timeout, and
a real harness process held at the gate by this test acting as lem."""

import json
import threading
import time
from pathlib import Path

import jsonschema
import pytest

from lem_harness.baseline_gate import BaselineGate, GateTimeout

from conftest import make_spec, parse_events, start_harness_run, synthetic_config


def later(seconds: float, path: Path) -> threading.Thread:
    t = threading.Thread(target=lambda: (time.sleep(seconds), path.write_text("x")))
    t.start()
    return t


def wait_for(path: Path, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_enter_waits_for_go_and_leave_for_resume(tmp_path):
    gate = BaselineGate(tmp_path / "gate", "e1", timeout_s=10)
    t = later(0.3, tmp_path / "gate" / "e1.go")
    t0 = time.monotonic()
    gate.enter()
    assert time.monotonic() - t0 >= 0.25
    assert (tmp_path / "gate" / "e1.want").exists()
    t.join()
    t = later(0.3, tmp_path / "gate" / "e1.resume")
    t0 = time.monotonic()
    gate.leave()
    assert time.monotonic() - t0 >= 0.25
    # `.done` carries when the baselines ended (Unix seconds): lem records it.
    assert abs(float((tmp_path / "gate" / "e1.done").read_text()) - time.time()) < 5
    t.join()
    gate.end()
    names = sorted(p.name for p in (tmp_path / "gate").iterdir())
    assert names == ["e1.done", "e1.end", "e1.go", "e1.resume", "e1.want"]


def test_a_gate_lem_never_opens_times_out(tmp_path):
    gate = BaselineGate(tmp_path / "gate", "e1", timeout_s=0.4)
    t0 = time.monotonic()
    with pytest.raises(GateTimeout, match=r"did not grant the baseline gate within 0\.4 s"):
        gate.enter()
    assert 0.35 <= time.monotonic() - t0 < 5


def gated_spec(tmp_path, timeout_s):
    cfg = synthetic_config(measurement={"idle_baseline_s": 0.2})
    spec = make_spec(tmp_path / "results", [("e1", cfg)])
    spec["baseline_gate"] = {"dir": str(tmp_path / "gate"), "timeout_s": timeout_s}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return spec, path


def test_the_harness_starts_nothing_before_go_and_measures_nothing_before_resume(tmp_path, spec_schema):
    spec, path = gated_spec(tmp_path, timeout_s=30)
    jsonschema.validate(spec, spec_schema)
    gate = tmp_path / "gate"
    proc = start_harness_run(path)
    try:
        wait_for(gate / "e1.want")
        time.sleep(0.3)
        # Held: not started (no engine load, no baseline) while lem has not granted the gate.
        assert not (gate / "e1.done").exists()
        go_at = time.time()
        (gate / "e1.go").write_text("x")
        wait_for(gate / "e1.done")
        time.sleep(0.3)
        assert not (tmp_path / "results" / "camp" / "e1").exists()
        resume_at = time.time()
        (gate / "e1.resume").write_text("x")
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    at = {e["event"]: e["ts"] for e in parse_events(out)}
    # Started only once granted; warmup and measurement only once resumed.
    assert go_at <= at["started"] < at["baseline"] < resume_at <= at["warmup"] < at["measuring"] < at["finished"]
    assert (gate / "e1.end").exists()
    assert (tmp_path / "results" / "camp" / "e1" / "result.json").exists()


def test_no_go_within_the_deadline_fails_the_experiment_and_writes_nothing(tmp_path):
    _, path = gated_spec(tmp_path, timeout_s=0.5)
    proc = start_harness_run(path)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    failed = [e for e in parse_events(out) if e["event"] == "failed"]
    assert len(failed) == 1 and "GateTimeout" in failed[0]["reason"]
    assert "started" not in [e["event"] for e in parse_events(out)]
    assert (tmp_path / "gate" / "e1.end").exists()
    assert not (tmp_path / "results" / "camp" / "e1").exists()
