"""JSON-line events on stdout, exactly the shapes of src/contract/events.ts.

Engines (vLLM's logger, C libraries) may print to stdout, which would corrupt the protocol. `protect_stdout`
keeps a private duplicate of the real stdout for events and points file descriptor 1 (and sys.stdout) at
stderr, so anything else printed lands in the diagnostics stream instead.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import IO, Any


class EventWriter:
    def __init__(self, stream: IO[str]):
        self._stream = stream

    def emit(self, event: str, **fields: Any) -> None:
        record = {"event": event, "ts": time.time(), **fields}
        # One write per line and a flush each time: the orchestrator reads events as they happen.
        self._stream.write(json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n")
        self._stream.flush()


def protect_stdout() -> EventWriter:
    sys.stdout.flush()
    events_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return EventWriter(os.fdopen(events_fd, "w", encoding="utf-8", buffering=1))
