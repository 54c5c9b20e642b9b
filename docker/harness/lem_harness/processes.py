"""The harness processes running in this container, read from /proc: `lem_harness ps` and `lem_harness stop`.

Docker has no "kill exec", so lem stops a batch by signalling the harness processes whose command line names
the batch (or campaign) id, which is part of the spec path; SIGTERM makes the harness stop in order.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from lem_harness import run_lock

PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str
    argv: list[str]


def _read_proc(pid: int) -> Proc | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None  # exited while we looked, or not ours to read
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    return Proc(pid=pid, ppid=int(fields[1]), state=fields[0], argv=argv)


def _run_spec(argv: list[str]) -> str | None:
    """The spec path of a `python3 -m lem_harness run <spec>` command line; None for any other command."""
    for i, arg in enumerate(argv[:-1]):
        if arg == "lem_harness" and i > 0 and argv[i - 1] == "-m" and argv[i + 1] == "run":
            return argv[i + 2] if i + 2 < len(argv) else ""
    return None


def harness_runs() -> list[Proc]:
    """Every live `lem_harness run` process (a zombie is not live), this one excluded; engines' forked workers
    share their parent's command line and are included."""
    me = os.getpid()
    out = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        p = _read_proc(int(entry.name))
        if p is not None and p.state != "Z" and _run_spec(p.argv) is not None:
            out.append(p)
    return out


def _ids_from_spec(p: Proc) -> tuple[str | None, str | None]:
    spec = _run_spec(p.argv) or ""
    try:
        raw = json.loads((PROC / str(p.pid) / "cwd" / spec).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, None
    if not isinstance(raw, dict):
        return None, None
    ids = raw.get("campaign_id"), raw.get("batch_id")
    return tuple(i if isinstance(i, str) else None for i in ids)  # type: ignore[return-value]


def running() -> list[dict]:
    """One record per running harness: {"pid", "campaign_id", "batch_id"}. The lock's holder names its own ids;
    for any other run (one still reading its spec, or refused) they come from its spec file, else null."""
    runs = harness_runs()
    pids = {p.pid for p in runs}
    holder = run_lock.read_holder(attempts=1) or {}
    out = []
    for p in sorted(runs, key=lambda p: p.pid):
        if p.ppid in pids:
            continue  # a worker forked by an engine, not a harness of its own
        if holder.get("pid") == p.pid:
            campaign_id, batch_id = holder.get("campaign_id"), holder.get("batch_id")
        else:
            campaign_id, batch_id = _ids_from_spec(p)
        out.append({"pid": p.pid, "campaign_id": campaign_id, "batch_id": batch_id})
    return out


def _alive(pid: int) -> bool:
    p = _read_proc(pid)
    return p is not None and p.state != "Z"


def stop(key: str, wait_s: float) -> int:
    """SIGTERM to every harness run whose command line names `key`; with a wait, returns once they are gone,
    killing (SIGKILL) those still there after `wait_s`. Returns how many were signalled."""
    pids = []
    for p in harness_runs():
        if key in " ".join(p.argv):
            try:
                os.kill(p.pid, signal.SIGTERM)
                pids.append(p.pid)
            except ProcessLookupError:
                pass
    if wait_s <= 0:
        return len(pids)
    deadline = time.monotonic() + wait_s
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):  # it exited just now
                os.kill(pid, signal.SIGKILL)
    return len(pids)
