import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

HARNESS_ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = HARNESS_ROOT / "lem_harness" / "schemas"
sys.path.insert(0, str(HARNESS_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def load_schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


@pytest.fixture(scope="session")
def result_schema():
    return load_schema("result.schema.json")


@pytest.fixture(scope="session")
def event_schema():
    return load_schema("event.schema.json")


@pytest.fixture(scope="session")
def spec_schema():
    return load_schema("batch-spec.schema.json")


RESOLVED = json.loads((Path(__file__).resolve().parent / "resolved-configs.json").read_text())


def merged(base: dict, overrides: dict) -> dict:
    """A copy of base with overrides merged in, objects merged key by key."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolved_config(backend: str, **overrides) -> dict:
    """A config as lem sends it: lem's own resolution of a minimal experiment (resolved-configs.json, written by
    `npm run export-schemas` from zod), with overrides merged in. Tests never restate a default."""
    return merged(RESOLVED[backend], overrides)


def synthetic_config(**overrides) -> dict:
    """A small, fast synthetic experiment config."""
    fast = {
        "model": {"name": "synthetic-model"},
        "max_output_tokens": 8,
        "batching": {"batch_size": 2},
        "prompts": {"category": "short", "count": 4},
        "measurement": {
            "idle_baseline_s": 0,
            "device_idle_s": 0,
            "min_measure_s": 0,
            "warmup": {"max_runs": 3, "cv_threshold": 0.5, "window": 2, "min_runs": 2},
        },
        "synthetic": {"tokens_per_second": 4000, "ttft_ms": 1},
    }
    return merged(resolved_config("synthetic", **fast), overrides)


def make_spec(results_dir, experiments, campaign_id="camp", batch_id="batch-1") -> dict:
    return {
        "schema_version": 1,
        "campaign_id": campaign_id,
        "batch_id": batch_id,
        "results_dir": str(results_dir),
        "experiments": [
            {
                "experiment_id": eid,
                "config_hash": f"hash-{eid}",
                "cycle": 0,
                "index": i,
                "attempt": 1,
                "pause_before_s": 0,
                "config": cfg,
            }
            for i, (eid, cfg) in enumerate(experiments)
        ],
    }


# Harness runs started by these tests take their run lock here, not in the container-wide /tmp place, so test
# runs on one machine (several checkouts) do not refuse each other.
LOCK_DIR = tempfile.mkdtemp(prefix="lem-harness-test-lock-")
os.environ["LEM_HARNESS_LOCK_DIR"] = LOCK_DIR


def harness_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HARNESS_ROOT)
    return env


def run_harness(*args, timeout=30, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lem_harness", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=harness_env(),
        cwd=str(HARNESS_ROOT),
        **kwargs,
    )


def start_harness_run(spec_path) -> subprocess.Popen:
    """`lem_harness run <spec>` as a running process, its events readable line by line from stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "lem_harness", "run", str(spec_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=harness_env(),
        cwd=str(HARNESS_ROOT),
    )


def parse_events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
