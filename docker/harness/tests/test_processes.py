"""One harness measures at a time (the run lock, exit 3), and `ps`, `stop`, `warm` on real processes.

Other checkouts on the same machine may run harness tests at the same time: every test here uses a campaign id
of its own as the key, and looks only at the processes it started.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from conftest import (
    HARNESS_ROOT,
    harness_env,
    make_spec,
    parse_events,
    run_harness,
    start_harness_run,
    synthetic_config,
)


def slow_config():
    # Warmup as fast as synthetic_config's (one batch shape, 50 ms a batch), then a measured window that lasts until
    # the test ends it: one pass over 4,800 prompts is 2,400 batches, 120 s. (min_measure_s would not do: a
    # simulated run measures no energy, so its window is one pass whatever min_measure_s says.)
    return synthetic_config(
        prompts={"count": 4800},
        synthetic={"tokens_per_second": 160},
        measurement={"warmup": {"pad_to_fixed_shape": True}},
    )


def write_spec(tmp_path, campaign, batch="b1", config=None):
    spec = make_spec(tmp_path / "results", [("e1", config or slow_config())], campaign_id=campaign, batch_id=batch)
    path = tmp_path / f"{campaign}-{batch}.json"
    path.write_text(json.dumps(spec))
    return path


def wait_for(proc, event):
    for line in proc.stdout:
        if json.loads(line)["event"] == event:
            return
    raise AssertionError(f"no {event} event; stderr: {proc.stderr.read()}")


def ps_lines():
    proc = run_harness("ps")
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.fixture
def campaign():
    return f"camp-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def running(tmp_path, campaign):
    proc = start_harness_run(write_spec(tmp_path, campaign))
    wait_for(proc, "measuring")
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=10)


def test_a_second_run_is_refused_with_exit_3_naming_the_holder_and_writes_nothing(tmp_path, campaign, running):
    other = f"{campaign}-other"
    proc = run_harness("run", str(write_spec(tmp_path, other, config=synthetic_config())))
    assert proc.returncode == 3
    assert proc.stdout == ""  # no event
    assert f"campaign {campaign}" in proc.stderr and "batch b1" in proc.stderr and f"pid {running.pid}" in proc.stderr
    assert not (tmp_path / "results" / other).exists()


def test_the_lock_goes_with_its_holder_even_after_kill_9(tmp_path, campaign, running):
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=10)
    proc = run_harness("run", str(write_spec(tmp_path, f"{campaign}-next", config=synthetic_config())))
    assert proc.returncode == 0, proc.stderr
    assert parse_events(proc.stdout)[-1]["event"] == "batch_finished"
    # A finished run leaves the lock free and its record empty.
    proc = run_harness("run", str(write_spec(tmp_path, f"{campaign}-again", config=synthetic_config())))
    assert proc.returncode == 0, proc.stderr


def test_ps_lists_the_running_harness_with_its_campaign_and_batch(campaign, running):
    mine = [line for line in ps_lines() if line["pid"] == running.pid]
    assert mine == [{"pid": running.pid, "campaign_id": campaign, "batch_id": "b1"}]


def _stand_in(tmp_path, spec_path, code):
    """A process whose command line is a harness run's (python3 ... -m lem_harness run <spec>), running `code`:
    a stand-in for a run that has not taken the lock, forks engine workers, or ignores SIGTERM."""
    argv = [sys.executable, "-c", code, "-m", "lem_harness", "run", str(spec_path)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=str(tmp_path))
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_ps_reads_the_ids_of_a_run_without_the_lock_from_its_spec_and_skips_forked_workers(tmp_path, campaign):
    spec = write_spec(tmp_path, campaign, batch="b7")
    code = "import os, sys, time\nchild = os.fork()\nif child:\n    print('ready', flush=True)\ntime.sleep(30)\n"
    proc = _stand_in(tmp_path, spec.name, code)  # a relative spec path: read through the process's cwd
    try:
        mine = [line for line in ps_lines() if line["pid"] == proc.pid]
        assert mine == [{"pid": proc.pid, "campaign_id": campaign, "batch_id": "b7"}]
        children = [line for line in ps_lines() if line["campaign_id"] == campaign]
        assert len(children) == 1  # the forked worker is not a harness of its own
    finally:
        run_harness("stop", campaign, "--wait", "5")
        proc.communicate(timeout=10)


def test_stop_signals_the_runs_naming_the_key_waits_and_reports_how_many(campaign, running):
    assert run_harness("stop", f"{campaign}-nobody").stdout.strip() == "0"
    assert running.poll() is None
    t0 = time.monotonic()
    proc = run_harness("stop", campaign, "--wait", "10")
    assert proc.returncode == 0 and proc.stdout.strip() == "1"
    assert running.poll() == 143  # SIGTERM: the harness stopped in order, and had exited when stop returned
    assert time.monotonic() - t0 < 5


def test_stop_kills_a_run_that_ignores_sigterm_once_the_wait_is_over(tmp_path, campaign):
    code = (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = _stand_in(tmp_path, write_spec(tmp_path, campaign), code)
    t0 = time.monotonic()
    out = run_harness("stop", campaign, "--wait", "0.5")
    assert out.stdout.strip() == "1"
    assert proc.wait(timeout=5) == -signal.SIGKILL
    assert 0.5 <= time.monotonic() - t0 < 5


@pytest.mark.parametrize(
    "args",
    [
        ["stop"],
        ["stop", ""],
        ["stop", "k", "--wait"],
        ["stop", "k", "--wait", "x"],
        ["stop", "k", "--wait", "-1"],
        ["ps", "extra"],
    ],
)
def test_bad_arguments_exit_2(args):
    assert run_harness(*args).returncode == 2


def test_warm_fills_the_bytecode_cache(tmp_path):
    env = {**harness_env(), "PYTHONPYCACHEPREFIX": str(tmp_path / "pycache")}
    proc = subprocess.run(
        [sys.executable, "-m", "lem_harness", "warm"],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(HARNESS_ROOT),
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    cached = {p.name.split(".")[0] for p in (tmp_path / "pycache").rglob("*.pyc")}
    assert {"cli", "batch", "spec", "schema_check", "vllm_engine", "tensorrt_engine"} <= cached
    assert os.path.isdir(tmp_path / "pycache")
