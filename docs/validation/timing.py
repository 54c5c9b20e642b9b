"""Times the harness's own overhead on this machine. Prints one JSON object.

- `health` (the Docker healthcheck) wall time;
- `run` on synthetic zero-work experiments, 1 and 20 per process: process start -> batch_started (Python
  start, imports, spec, NVML init), per-experiment cost, batch_finished -> process exit;
- the pieces of Python's own start: `python3 -c pass`, `import pynvml`, nvmlInit + nvmlShutdown.

usage: python3 timing.py <spec folder>
"""

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall(cmd: list[str]) -> tuple[float, float, str]:
    start_wall = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} exited {proc.returncode}: {proc.stderr}")
    return elapsed, start_wall, proc.stdout


def harness(*args: str) -> list[str]:
    return [sys.executable, "-m", "lem_harness", *args]


def median_of(cmd: list[str], n: int) -> float:
    return statistics.median(wall(cmd)[0] for _ in range(n))


def run_breakdown(spec: Path, n: int) -> dict:
    rows = []
    for _ in range(n):
        elapsed, launched, out = wall(harness("run", str(spec)))
        events = [json.loads(line) for line in out.splitlines()]
        first, last = events[0]["ts"], events[-1]["ts"]
        experiments = [e for e in events if e["event"] == "finished"]
        rows.append({"total_s": elapsed, "start_to_batch_started_s": first - launched,
                     "batch_s": last - first, "after_batch_finished_s": launched + elapsed - last,
                     "experiments": len(experiments)})
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def main(specs: str) -> None:
    d = Path(specs)
    py = sys.executable
    one = run_breakdown(d / "overhead-1.json", 7)
    twenty = run_breakdown(d / "overhead-20.json", 3)
    print(json.dumps({
        "python_c_pass_s": median_of([py, "-c", "pass"], 7),
        "python_import_pynvml_s": median_of([py, "-c", "import pynvml"], 5),
        "python_nvml_init_shutdown_s": median_of([py, "-c", "import pynvml; pynvml.nvmlInit(); pynvml.nvmlShutdown()"], 5),
        "health_s": median_of(harness("health"), 7),
        "version_s": median_of(harness("version"), 5),
        "run_1_zero_work_experiment": one,
        "run_20_zero_work_experiments": twenty,
        "per_experiment_in_batch_s": (twenty["batch_s"] - one["batch_s"]) / 19,
    }, indent=1))


if __name__ == "__main__":
    main(sys.argv[1])
