import json
import os
import subprocess
import sys
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


def synthetic_config(**overrides) -> dict:
    """A small, fast synthetic experiment config (the orchestrator would send every default filled in)."""
    config = {
        "backend": "synthetic",
        "model": {"name": "synthetic-model", "fp_precision": "bf16"},
        "max_output_tokens": 8,
        "batching": {"batch_size": 2, "strategy": "static"},
        "decoder": {"preset": None, "temperature": 0, "top_p": 1, "top_k": 0, "repetition_penalty": 1},
        "prompts": {"source": "builtin", "category": "short", "count": 4},
        "measurement": {
            "sample_interval_ms": 100, "sampling": True, "sampler": "thread", "slow_fields_every": 10,
            "idle_baseline_s": 0, "device_idle_s": 0, "baseline": "loaded_idle", "min_measure_s": 0,
            "warmup": {"max_runs": 3, "cv_threshold": 0.5, "window": 2, "min_runs": 2, "pad_to_fixed_shape": False},
        },
        "force_cold_start": False,
        "synthetic": {"tokens_per_second": 4000, "ttft_ms": 1, "load_s": 0, "fail_experiment": False, "extra": {}},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def make_spec(results_dir, experiments, campaign_id="camp", batch_id="batch-1") -> dict:
    return {
        "schema_version": 1,
        "campaign_id": campaign_id,
        "batch_id": batch_id,
        "results_dir": str(results_dir),
        "experiments": [
            {"experiment_id": eid, "config_hash": f"hash-{eid}", "cycle": 0, "index": i, "attempt": 1,
             "pause_before_s": 0, "config": cfg}
            for i, (eid, cfg) in enumerate(experiments)
        ],
    }


def harness_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(HARNESS_ROOT)
    return env


def run_harness(*args, timeout=30, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lem_harness", *args], capture_output=True, text=True,
                          timeout=timeout, env=harness_env(), cwd=str(HARNESS_ROOT), **kwargs)


def parse_events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
