"""The NVML sampler as a separate process (Zeus runs its power monitor this way): the engine's process makes no
NVML call and runs no sampler code while the window is open.

Parent side: ProcessSampler starts `python -m lem_harness.measure.sampler_process`, which opens its own NVML
session, and talks to it over its stdin/stdout in lines:
  child "ready" -> parent "open" -> child takes the opening full sweep, "opened" -> sweeps on the grid ->
  parent "close" -> child takes the closing full sweep, writes every sweep as one JSON line, "done", exits.
Sweeps stay in the child's memory until the window closes, so the engine's process reads nothing mid-window.
Time stamps are time.perf_counter(), CLOCK_MONOTONIC on Linux: one clock for both processes.

No orphan: the child exits when its stdin reaches end-of-file (the harness exited or was killed, closing the
pipe) and, on Linux, also gets SIGKILL from the kernel when the harness dies (PR_SET_PDEATHSIG), which covers
a pipe end kept open by a process the harness forked.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import select
import signal
import sys
import time
from typing import TYPE_CHECKING, Sequence

from lem_harness.measure.sampler import run_grid
from lem_harness.measure.sweep import Sweep, take_sweep
from lem_harness.nvml import GpuDevice, Nvml, Reading

READY_TIMEOUT_S = 60.0  # importing pynvml and nvmlInit take well under a second; a stuck driver does not
CLOSE_TIMEOUT_S = 60.0
_FIELDS = [f.name for f in dataclasses.fields(Reading)]

if TYPE_CHECKING:
    import subprocess


def sweep_to_json(s: Sweep) -> str:
    rows = [[getattr(r, name) for name in _FIELDS] for r in s.readings]
    return json.dumps({"t": s.t, "ts": s.ts, "full": s.full, "cost_s": s.cost_s, "r": rows}, separators=(",", ":"))


def sweep_from_json(line: str) -> Sweep:
    d = json.loads(line)
    return Sweep(
        t=d["t"],
        ts=d["ts"],
        full=d["full"],
        cost_s=d["cost_s"],
        readings=[Reading(**dict(zip(_FIELDS, row))) for row in d["r"]],
    )


class ProcessSampler:
    kind = "process"

    def __init__(self, gpus: Sequence[GpuDevice], interval_s: float, slow_every: int = 10, nvml_module: str = "pynvml"):
        self.indices = [g.index for g in gpus]
        self.interval_s = interval_s
        self.slow_every = slow_every
        self.nvml_module = nvml_module
        self.proc: subprocess.Popen | None = None

    def _command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "lem_harness.measure.sampler_process",
            "--interval-s",
            repr(self.interval_s),
            "--slow-every",
            str(self.slow_every),
            "--gpus",
            ",".join(map(str, self.indices)),
            "--nvml-module",
            self.nvml_module,
            "--parent-pid",
            str(os.getpid()),
        ]

    def _expect(self, word: str, timeout_s: float) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout_s)
        line = self.proc.stdout.readline().decode().strip() if ready else "(no answer)"
        if line != word:
            self.abandon()
            raise RuntimeError(f"NVML sampler process: expected {word!r}, got {line!r}")

    def start(self) -> None:
        import subprocess  # only a process sampler needs it (~20 ms of imports the thread sampler never pays)

        env = dict(os.environ)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(self._command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env)
        self._expect("ready", READY_TIMEOUT_S)
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"open\n")
        self._expect("opened", READY_TIMEOUT_S)

    def stop(self) -> list[Sweep]:
        import subprocess

        if self.proc is None:
            raise RuntimeError("sampler process stopped before it was started")
        proc, self.proc = self.proc, None
        try:
            out, _ = proc.communicate(b"close\n", timeout=CLOSE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RuntimeError("NVML sampler process did not close its window in time") from None
        lines = out.decode().splitlines()
        if proc.returncode != 0 or not lines or lines[-1] != "done":
            raise RuntimeError(f"NVML sampler process failed (exit {proc.returncode}); see its stderr")
        return [sweep_from_json(line) for line in lines[:-1]]

    def abandon(self) -> None:
        """On interruption: kill the process at once; nothing it measured is kept."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


# -- the child ----------------------------------------------------------------------------------------------
def _die_with_parent(parent_pid: int) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(0)


class _Lines:
    """Lines from a raw file descriptor, for select() to be truthful (no hidden buffered input)."""

    def __init__(self, fd: int):
        self.fd = fd
        self.buf = b""
        self.eof = False

    def pending(self) -> bool:
        return b"\n" in self.buf or self.eof

    def wait(self, timeout_s: float) -> bool:
        """True when a line (or end-of-file) is there to read, within the timeout."""
        if not self.pending() and select.select([self.fd], [], [], timeout_s)[0]:
            chunk = os.read(self.fd, 4096)
            self.eof = not chunk
            self.buf += chunk
        return self.pending()

    def read(self) -> str | None:
        while not self.pending():
            self.wait(3600.0)
        if b"\n" not in self.buf:
            return None  # end of file: the parent is gone
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode().strip()


def _say(text: str) -> None:
    sys.stdout.buffer.write((text + "\n").encode())
    sys.stdout.buffer.flush()


def child_main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="lem_harness.measure.sampler_process")
    p.add_argument("--interval-s", type=float, required=True)
    p.add_argument("--slow-every", type=int, required=True)
    p.add_argument("--gpus", required=True)
    p.add_argument("--nvml-module", default="pynvml")
    p.add_argument("--parent-pid", type=int, required=True)
    a = p.parse_args(argv)
    _die_with_parent(a.parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C reaches the whole group; the parent decides
    wanted = [int(i) for i in a.gpus.split(",") if i]
    nvml = Nvml.open(importlib.import_module(a.nvml_module))
    gpus = [g for g in nvml.devices if g.index in wanted]
    lines = _Lines(0)
    _say("ready")
    if lines.read() != "open":
        return 0
    clock = time.perf_counter
    sweeps = [take_sweep(gpus, clock, full=True)]
    _say("opened")
    run_grid(lambda full: take_sweep(gpus, clock, full=full), sweeps, a.interval_s, a.slow_every, lines.wait, clock)
    if lines.read() != "close":
        return 0  # end of file: the harness is gone, and so are we
    sweeps.append(take_sweep(gpus, clock, full=True))
    _say("".join(sweep_to_json(s) + "\n" for s in sweeps) + "done")
    nvml.close()
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
