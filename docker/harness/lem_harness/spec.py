"""The batch spec (src/contract/batch-spec.ts), checked against the JSON Schema lem exports from its zod contract
(lem_harness/schemas/batch-spec.schema.json, shipped with the harness), then read without any default."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lem_harness import schema_check
from lem_harness.settings import BACKENDS, MissingSection, Settings, parse_settings

SCHEMA = Path(__file__).parent / "schemas" / "batch-spec.schema.json"


class SpecError(Exception):
    """An invalid batch spec; the message starts with the path of the offending field."""

    def __init__(self, path: str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


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
class GateSpec:
    """isolate_baseline: the folder of the baseline gate (see baseline_gate.py) and how long to wait at it."""

    folder: str
    timeout_s: float


@dataclass(frozen=True)
class BatchSpec:
    campaign_id: str
    batch_id: str
    results_dir: str
    experiments: list[BatchExperiment]
    baseline_gate: GateSpec | None = None


@lru_cache(maxsize=1)
def batch_spec_schema() -> dict:
    return json.loads(SCHEMA.read_text(encoding="utf-8"))


class _SpecValidator(schema_check.Validator):
    """Checks each distinct experiment config once: the experiments of a batch often carry identical configs
    (the same experiment in several cycles), and checking a config costs far more than serialising it."""

    def __init__(self, root: dict):
        super().__init__(root)
        self._config_schema = root["properties"]["experiments"]["items"]["properties"]["config"]
        self._valid: set[str] = set()

    def validate(self, value, schema=None, path: str = "") -> None:
        if schema is not self._config_schema:
            super().validate(value, schema, path)
            return
        key = json.dumps(value, sort_keys=True)
        if key not in self._valid:
            super().validate(value, schema, path)
            self._valid.add(key)


def _plain_folder_name(value: str, path: str) -> None:
    # Campaign and experiment ids name folders the harness writes: nothing may escape the results folder.
    if "/" in value or "\\" in value or value.startswith("."):
        raise SpecError(path, f"must be a plain folder name, got {value!r}")


def _experiment(e: dict, path: str) -> BatchExperiment:
    _plain_folder_name(e["experiment_id"], f"{path}.experiment_id")
    config = e["config"]
    backend = config["backend"]
    for other in BACKENDS:
        if other != backend and other in config:
            raise SpecError(
                f"{path}.config.{other}",
                f'section "{other}" belongs to backend {other}, but this experiment\'s backend is {backend}',
            )
    try:
        settings = parse_settings(config)
    except MissingSection as m:
        raise SpecError(
            f"{path}.config.{m}",
            "required field is missing (lem sends the backend's section with its defaults resolved)",
        ) from m
    return BatchExperiment(
        experiment_id=e["experiment_id"],
        config_hash=e["config_hash"],
        cycle=int(e["cycle"]),
        index=int(e["index"]),
        attempt=int(e["attempt"]),
        pause_before_s=float(e["pause_before_s"]),
        config=config,
        settings=settings,
    )


def parse_spec(raw) -> BatchSpec:
    try:
        _SpecValidator(batch_spec_schema()).validate(raw)
    except schema_check.SchemaError as e:
        raise SpecError(e.path or "spec", e.reason) from e
    _plain_folder_name(raw["campaign_id"], "campaign_id")
    parsed = [_experiment(e, f"experiments[{i}]") for i, e in enumerate(raw["experiments"])]
    ids = [e.experiment_id for e in parsed]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise SpecError("experiments", f"experiment_id {dupes[0]!r} appears more than once")
    gate = raw.get("baseline_gate")
    return BatchSpec(
        campaign_id=raw["campaign_id"],
        batch_id=raw["batch_id"],
        results_dir=raw["results_dir"],
        experiments=parsed,
        baseline_gate=GateSpec(gate["dir"], float(gate["timeout_s"])) if gate else None,
    )


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def load_spec(path: str) -> BatchSpec:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise SpecError("spec", f"cannot read {path}: {e.strerror or e}") from e
    try:
        raw = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:  # JSONDecodeError is a ValueError; so is NaN or Infinity
        raise SpecError("spec", f"{path} is not valid JSON: {e}") from e
    return parse_spec(raw)
