"""`python3 -m lem_harness serve-sample`: the energy counter and power of this container's GPUs, sampled until stopped.

In serve mode the load comes from lem over HTTP, so no harness run brackets the window: this sampler runs beside
the server and prints one JSON line per sample, stamped with the wall clock (time.time(), the clock lem's load
generator stamps requests with: the container shares the host's kernel clock). lem cuts the whole-run and
steady-state windows out of the samples. Sources:
  nvml       the sum over every visible GPU of nvmlDeviceGetTotalEnergyConsumption (mJ) and power (W);
  simulated  the synthetic server's simulated counter (GET /simulated/power): a test double, marked simulated.
It stops on SIGTERM or SIGINT, or after --max-s (a sampler nobody stops does not run forever), and writes its pid to
--pid-file so lem can stop it with `kill`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.request
from typing import Callable

Reading = tuple[int | None, float | None]


def _line(record: dict) -> None:
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def nvml_reader(module: str | None) -> tuple[Callable[[], Reading], dict]:
    import importlib

    from lem_harness.nvml import Nvml

    nvml = Nvml.open(importlib.import_module(module) if module else None)
    gpus = nvml.devices

    def read() -> Reading:
        energies = [g.energy_mj() for g in gpus]
        powers = [g.power_w() for g in gpus]
        energy = None if any(e is None for e in energies) else sum(e for e in energies if e is not None)
        power = None if any(p is None for p in powers) else sum(p for p in powers if p is not None)
        return energy, power

    return read, {"source": "nvml", "simulated": False, "gpus": [g.index for g in gpus]}


def simulated_reader(url: str) -> tuple[Callable[[], Reading], dict]:
    def read() -> Reading:
        with urllib.request.urlopen(f"{url}/simulated/power", timeout=2) as r:
            d = json.loads(r.read())
        return int(d["energy_mj"]), float(d["power_w"])

    return read, {"source": "simulated", "simulated": True, "gpus": []}


def sample(read: Callable[[], Reading], interval_s: float, max_s: float, stop: threading.Event) -> int:
    """Samples on a fixed grid (no drift) until stopped; a failed read is a sample with nulls, never a crash."""
    start = time.monotonic()
    k = 0
    while not stop.is_set() and time.monotonic() - start < max_s:
        t = time.time()
        try:
            energy, power = read()
            # Stamped at the middle of the read: an HTTP or NVML call takes a few ms, a skew on every sample.
            _line({"t": (t + time.time()) / 2, "energy_mj": energy, "power_w": power})
        except Exception as e:  # reported in the stream: lem sees the gap and its reason
            _line({"t": t, "energy_mj": None, "power_w": None, "error": str(e)[:200]})
        k += 1
        stop.wait(max(0.0, start + k * interval_s - time.monotonic()))
    return 0


def main(args: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python3 -m lem_harness serve-sample", description=__doc__.splitlines()[0])
    p.add_argument("--interval-ms", type=int, default=100)
    p.add_argument("--max-s", type=float, default=86400.0)
    p.add_argument("--simulated-url", help="the synthetic server's base URL: sample its simulated counter")
    p.add_argument("--pid-file")
    p.add_argument("--nvml-module", help="the NVML binding to import (default pynvml; tests name a double)")
    a = p.parse_args(args)
    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write(str(os.getpid()))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        read, info = simulated_reader(a.simulated_url) if a.simulated_url else nvml_reader(a.nvml_module)
    except Exception as e:  # NVML absent or unusable: say so once, lem reports energy as null
        _line({"event": "unavailable", "reason": str(e)[:300]})
        return 0
    _line({"event": "sampling", "interval_ms": a.interval_ms, **info})
    return sample(read, a.interval_ms / 1000.0, a.max_s, stop)
