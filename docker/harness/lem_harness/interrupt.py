"""SIGINT / SIGTERM: stop the running experiment at once, leaving no partial result.

The handler raises Interrupted in the main thread (Python runs signal handlers there, between bytecodes,
and interrupts time.sleep). It derives from BaseException so that the per-experiment failure isolation,
which catches Exception, lets it through to the batch runner. Further signals are ignored while the harness
reports and exits: one interruption is enough.
"""

from __future__ import annotations

import signal


class Interrupted(BaseException):
    def __init__(self, signum: int):
        self.signum = signum
        self.name = signal.Signals(signum).name
        super().__init__(f"interrupted by {self.name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # 130 for SIGINT, 143 for SIGTERM


def _handler(signum: int, frame: object) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Interrupted(signum)


def install() -> None:
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
