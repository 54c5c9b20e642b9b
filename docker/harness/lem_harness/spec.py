"""The batch spec (src/contract/batch-spec.ts), read and checked by hand: stdlib only in the containers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lem_harness import validate as v
from lem_harness.settings import Settings, parse_settings

_SPEC_KEYS = ("schema_version", "campaign_id", "batch_id", "results_dir", "experiments")
_EXP_KEYS = ("experiment_id", "config_hash", "cycle", "index", "attempt", "pause_before_s", "config")


@dataclass(frozen=True)
class BatchExperiment:
    experiment_id: str
    config_hash: str
    cycle: int
    index: int
    attempt: int
    pause_before_s: float
    config: dict
    settings: Settings


@dataclass(frozen=True)
class BatchSpec:
    campaign_id: str
    batch_id: str
    results_dir: str
    experiments: list[BatchExperiment]


def _experiment(raw, path: str) -> BatchExperiment:
    e = v.obj(raw, path)
    v.only_keys(e, _EXP_KEYS, path)
    for key in _EXP_KEYS:
        if key not in e:
            raise v.SpecError(f"{path}.{key}", "required field is missing")
    experiment_id = v.string(e["experiment_id"], f"{path}.experiment_id")
    # experiment_id names a folder: refuse anything that could escape the campaign folder.
    if "/" in experiment_id or experiment_id in (".", "..") or experiment_id.startswith("."):
        raise v.SpecError(f"{path}.experiment_id", f"must be a plain folder name, got {experiment_id!r}")
    config = v.obj(e["config"], f"{path}.config")
    return BatchExperiment(
        experiment_id=experiment_id,
        config_hash=v.string(e["config_hash"], f"{path}.config_hash"),
        cycle=v.integer(e["cycle"], f"{path}.cycle", minimum=0),
        index=v.integer(e["index"], f"{path}.index", minimum=0),
        attempt=v.integer(e["attempt"], f"{path}.attempt", minimum=1),
        pause_before_s=v.number(e["pause_before_s"], f"{path}.pause_before_s", minimum=0),
        config=config,
        settings=parse_settings(config, f"{path}.config"),
    )


def parse_spec(raw) -> BatchSpec:
    s = v.obj(raw, "spec")
    v.only_keys(s, _SPEC_KEYS, "")
    for key in _SPEC_KEYS:
        if key not in s:
            raise v.SpecError(key, "required field is missing")
    if s["schema_version"] != 1 or isinstance(s["schema_version"], bool):
        raise v.SpecError("schema_version", f"this harness reads batch spec version 1, got {s['schema_version']!r}")
    campaign_id = v.string(s["campaign_id"], "campaign_id")
    if "/" in campaign_id or campaign_id in (".", ".."):
        raise v.SpecError("campaign_id", f"must be a plain folder name, got {campaign_id!r}")
    experiments = s["experiments"]
    if not isinstance(experiments, list) or not experiments:
        raise v.SpecError("experiments", "expected a non-empty array")
    parsed = [_experiment(e, f"experiments[{i}]") for i, e in enumerate(experiments)]
    ids = [e.experiment_id for e in parsed]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise v.SpecError("experiments", f"experiment_id {dupes[0]!r} appears more than once")
    return BatchSpec(
        campaign_id=campaign_id,
        batch_id=v.string(s["batch_id"], "batch_id"),
        results_dir=v.string(s["results_dir"], "results_dir"),
        experiments=parsed,
    )


def load_spec(path: str) -> BatchSpec:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise v.SpecError("spec", f"cannot read {path}: {e.strerror or e}") from e
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as e:
        raise v.SpecError("spec", f"{path} is not valid JSON: {e}") from e
    return parse_spec(raw)
