"""Exactly one harness measures in a container: `run` holds a container-wide lock for as long as it runs.

Two batches measuring at once on the same GPUs would each count the other's energy, silently. The lock is an
flock on a file under /tmp (non-blocking: a second `run` is refused at once, exit code 3, rather than queued
behind a batch that may run for hours). The kernel releases an flock when its holder dies, so a killed harness
never leaves a stale lock. The file also says who holds it (pid, campaign id, batch id) so the refusal, and
`lem_harness ps`, can name the holder. LEM_HARNESS_LOCK_DIR moves the file (the harness's own tests use it so
that test runs on one machine do not refuse each other).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from pathlib import Path

DEFAULT_DIR = "/tmp/lem_harness"
LOCK_DIR_ENV = "LEM_HARNESS_LOCK_DIR"
LOCK_NAME = "run.lock"
BUSY_EXIT = 3


def lock_path() -> Path:
    return Path(os.environ.get(LOCK_DIR_ENV) or DEFAULT_DIR) / LOCK_NAME


class Busy(Exception):
    """Another harness holds the lock; `holder` is what it wrote (pid, campaign_id, batch_id), if readable."""

    def __init__(self, holder: dict | None):
        self.holder = holder
        if holder is None:
            who = "a process that has not said which campaign it runs"
        else:
            who = f"pid {holder.get('pid')}, campaign {holder.get('campaign_id')}, batch {holder.get('batch_id')}"
        super().__init__(
            f"another harness is measuring in this container ({who}); refusing to run a second one "
            "at the same time (both would count each other's energy)"
        )


def _open(path: Path) -> int:
    # A directory without the sticky bit: with /tmp's sticky bit, Linux refuses to open another user's file
    # for writing (fs.protected_regular), and harnesses run as different users must share this one file.
    path.parent.mkdir(mode=0o777, parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with contextlib.suppress(PermissionError):  # created by another user, who already opened it up
        os.fchmod(fd, 0o666)
    return fd


def read_holder(path: Path | None = None, attempts: int = 5) -> dict | None:
    """What the holder wrote; retried briefly, as a holder writes its record just after taking the lock."""
    for _ in range(attempts):
        try:
            text = (path or lock_path()).read_text(encoding="utf-8")
        except OSError:
            return None
        if text.strip():
            try:
                record = json.loads(text)
            except ValueError:
                return None
            return record if isinstance(record, dict) else None
        time.sleep(0.02)
    return None


class RunLock:
    def __init__(self, fd: int, path: Path):
        self._fd: int | None = fd
        self.path = path

    @classmethod
    def acquire(cls, campaign_id: str, batch_id: str) -> "RunLock":
        """Takes the lock and records the holder, or raises Busy naming the process that holds it."""
        path = lock_path()
        fd = _open(path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Busy(read_holder(path)) from None
        record = {"pid": os.getpid(), "campaign_id": campaign_id, "batch_id": batch_id}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        return cls(fd, path)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        # Empty the record first, so nobody reads a finished run as the holder.
        os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
