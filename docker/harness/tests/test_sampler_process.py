"""The process sampler with real processes: its sweeps and energy, and its lifecycle. Neither SIGINT nor SIGKILL
of the harness may leave a sampler process behind. NVML is nvml_double_module (a RecordingNvmlDouble per
process), the engine a non-simulated synthetic double."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lem_harness.measure.energy import window_energy
from lem_harness.measure.sampler_process import ProcessSampler, sweep_from_json, sweep_to_json
from lem_harness.measure.sweep import take_sweep
from lem_harness.measure.window import Window
from lem_harness.nvml import Nvml

from conftest import HARNESS_ROOT, make_spec, synthetic_config
from nvml_double import FakeGpu, RecordingNvmlDouble

TESTS = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def double_on_path(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(HARNESS_ROOT), str(TESTS)]))
    monkeypatch.setenv("LEM_NVML_DOUBLE_WATTS", "250")


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until(predicate, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def devices():
    return Nvml.open(RecordingNvmlDouble([FakeGpu(0)])).devices


def test_sweeps_survive_the_trip_between_processes_unchanged():
    s = take_sweep(devices(), full=True)
    back = sweep_from_json(sweep_to_json(s))
    assert back == s and back.readings[0].temperature_c == 45


def test_a_process_window_measures_the_doubles_power_from_another_process():
    window = Window(
        devices(), sampling=True, interval_s=0.01, kind="process", slow_every=5, nvml_module="nvml_double_module"
    )
    t_open = time.perf_counter()
    window.open()
    time.sleep(0.4)
    sweeps = window.close()
    t_close = time.perf_counter()
    # One clock for both processes: the child's sweeps lie inside the parent's open..close.
    assert t_open <= sweeps[0].t and sweeps[-1].t <= t_close
    assert sweeps[0].full and sweeps[-1].full and 20 <= len(sweeps) <= 45
    assert any(not s.full for s in sweeps) and any(s.full for s in sweeps[1:-1])
    e = window_energy(sweeps, integrate=True)
    assert e.counter_j == pytest.approx(250.0 * e.duration_s, rel=0.05)
    assert e.integrated_j == pytest.approx(e.counter_j, rel=0.05)


def test_abandon_kills_the_sampler_process_at_once():
    sampler = ProcessSampler(devices(), 0.01, 5, "nvml_double_module")
    sampler.start()
    child = sampler.proc.pid
    assert alive(child)
    sampler.abandon()
    assert not alive(child) and sampler.proc is None


def test_a_sampler_process_that_cannot_open_nvml_fails_the_window_loudly():
    sampler = ProcessSampler(devices(), 0.01, 5, "no_such_nvml_module")
    with pytest.raises(RuntimeError, match="expected 'ready'"):
        sampler.start()


def harness_with_sampler(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """A real harness process in its measured window with a process sampler; returns it and the sampler's pid."""
    cfg = synthetic_config(
        measurement={"sampler": "process", "sample_interval_ms": 20, "min_measure_s": 60, "idle_baseline_s": 0}
    )
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(make_spec(tmp_path / "results", [("e1", cfg)])))
    proc = subprocess.Popen(
        [sys.executable, str(TESTS / "harness_with_nvml_double.py"), str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(HARNESS_ROOT),
    )
    for line in proc.stdout:
        if json.loads(line)["event"] == "measuring":
            break
    samplers = []
    assert wait_until(lambda: bool(samplers.extend(children_of(proc.pid)) or samplers)), "no sampler process"
    return proc, samplers[0]


def test_sigint_of_the_harness_ends_its_sampler_process(tmp_path):
    proc, sampler = harness_with_sampler(tmp_path)
    assert alive(sampler)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=20) == 130
    assert wait_until(lambda: not alive(sampler)), "sampler process outlived the harness"
    assert not (tmp_path / "results/camp/e1/result.json").exists()


def test_sigkill_of_the_harness_leaves_no_orphan_sampler_process(tmp_path):
    proc, sampler = harness_with_sampler(tmp_path)
    proc.kill()
    proc.wait(timeout=20)
    assert wait_until(lambda: not alive(sampler)), "sampler process outlived a killed harness"
