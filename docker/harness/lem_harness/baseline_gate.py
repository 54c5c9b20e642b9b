"""The baseline gate (campaign option isolate_baseline, placement: pack): idle baselines are taken only while no
other experiment of the node does any work. lem holds the gate; the harness and lem speak through files in a
folder on the shared results volume, one set per experiment:

    <id>.want    harness: it would start the experiment (engine load, device_idle and loaded_idle baselines)
    <id>.go      lem: every other experiment is finished or waiting here; the gate is this one's alone
    <id>.done    harness: its baselines are taken; it now waits, doing nothing, while others take theirs
    <id>.resume  lem: carry on (warmup and measurement, beside whatever else lem resumes or starts)
    <id>.end     harness: the experiment is over (finished or failed), whatever state it was in

A file is created once and never changed; lem decides from which files exist. Waiting has a deadline: a lem
that died or lost track must not leave a harness waiting for ever."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class GateTimeout(Exception):
    """lem did not answer within the deadline."""


@dataclass
class BaselineGate:
    folder: Path
    experiment_id: str
    timeout_s: float
    poll_s: float = 0.05
    clock: Callable[[], float] = time.monotonic

    def _path(self, kind: str) -> Path:
        return self.folder / f"{self.experiment_id}.{kind}"

    def _mark(self, kind: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written whole, then renamed: lem never reads a half-made marker (its existence is the message).
        tmp = self.folder / f".{self.experiment_id}.{kind}.tmp"
        tmp.write_text(f"{time.time():.3f}\n", encoding="utf-8")
        os.replace(tmp, self._path(kind))

    def _await(self, kind: str, what: str) -> None:
        deadline = self.clock() + self.timeout_s
        while not self._path(kind).exists():
            if self.clock() >= deadline:
                raise GateTimeout(f"lem did not {what} within {self.timeout_s:g} s (no {self._path(kind)})")
            time.sleep(self.poll_s)

    def enter(self) -> None:
        """Asks for the gate and waits until lem grants it."""
        self._mark("want")
        self._await("go", "grant the baseline gate")

    def leave(self) -> None:
        """Baselines taken: says so, then waits until lem lets the experiment carry on."""
        self._mark("done")
        self._await("resume", "resume the experiment after its isolated baselines")

    def end(self) -> None:
        """The experiment is over: lem no longer waits for it. Safe to call in any state."""
        self._mark("end")
