"""The result folder of one experiment: result.json (ResultDocument, schema version 4, as
src/contract/result.ts defines it) and samples.csv (the NVML time series), written atomically."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Sequence

from lem_harness import atomic
from lem_harness.measure.sweep import Sweep

RESULT_FILE = "result.json"
SAMPLES_FILE = "samples.csv"
SAMPLE_COLUMNS = (
    "phase",
    "t_s",
    "unix_ts",
    "gpu",
    "power_w",
    "energy_mj",
    "temperature_c",
    "sm_clock_mhz",
    "mem_clock_mhz",
    "mem_used_mib",
    "util_gpu_pct",
    "util_mem_pct",
    "pstate",
    "clocks_event_reasons",
)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return value


def samples_csv(phases: Sequence[tuple[str, Sequence[Sweep]]]) -> bytes:
    """One row per GPU per sweep; t_s counts from the phase's first sweep."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SAMPLE_COLUMNS)
    for phase, sweeps in phases:
        if not sweeps:
            continue
        origin = sweeps[0].t
        for s in sweeps:
            for r in s.readings:
                reasons = None if r.clocks_event_reasons is None else f"0x{r.clocks_event_reasons:x}"
                w.writerow(
                    [
                        _cell(v)
                        for v in (
                            phase,
                            s.t - origin,
                            f"{s.ts:.3f}",
                            r.gpu,
                            r.power_w,
                            r.energy_mj,
                            r.temperature_c,
                            r.sm_clock_mhz,
                            r.mem_clock_mhz,
                            r.mem_used_mib,
                            r.util_gpu_pct,
                            r.util_mem_pct,
                            r.pstate,
                            reasons,
                        )
                    ]
                )
    return buf.getvalue().encode("utf-8")


def result_dir(results_dir: str, campaign_id: str, experiment_id: str) -> Path:
    return Path(results_dir) / campaign_id / experiment_id


def write_result(folder: Path, document: dict, samples: bytes) -> Path:
    body = json.dumps(document, indent=2, allow_nan=False) + "\n"
    atomic.write_folder(folder, {RESULT_FILE: body.encode("utf-8"), SAMPLES_FILE: samples})
    return folder / RESULT_FILE
