"""The synthetic server's own record of when it received each streamed request and sent each token.

A client's TTFT and ITL mix three delays: the request's way to the server, the server's lateness against its own
schedule, and each token's way back. With the server's times on the same clock as the client's (CLOCK_MONOTONIC,
shared by every process and container of one host), a benchmark can split them apart. Kept in memory for the last
MAX_ENTRIES streams and read over `GET /simulated/timings`.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

MAX_ENTRIES = 8192


@dataclass
class StreamTiming:
    """Monotonic nanoseconds: `received` when the request's last bytes reached this host (the kernel's receive
    stamp; the schedule's time 0), `read` when the server's loop had read and parsed it, then each token's
    deadline (`due`) and when its bytes were handed to the socket (`sent`, stamped just before the write, so that
    a preempted write does not pass for a late token)."""

    key: str
    received_ns: int
    read_ns: int
    due_ns: list[int] = field(default_factory=list)
    sent_ns: list[int] = field(default_factory=list)

    def token(self, due_ns: int) -> None:
        self.due_ns.append(due_ns)
        self.sent_ns.append(time.monotonic_ns())

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "received_ns": self.received_ns,
            "read_ns": self.read_ns,
            "due_ns": self.due_ns,
            "sent_ns": self.sent_ns,
        }


class TimingLog:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.entries: deque[StreamTiming] = deque(maxlen=max_entries)

    def start(self, key: str, received_ns: int, read_ns: int) -> StreamTiming:
        t = StreamTiming(key, received_ns, read_ns)
        self.entries.append(t)
        return t

    def drain(self) -> list[dict]:
        """Every recorded stream, oldest first; the log is emptied so that each read covers one measurement."""
        out = [t.to_json() for t in self.entries]
        self.entries.clear()
        return out
