"""Precise deadlines for the synthetic server's tokens, on one event loop, without spinning.

asyncio's timers on Linux wait in epoll, whose timeout has whole-millisecond resolution (Python rounds it up), so
every timed token would leave 0 to 1 ms late. A timerfd armed on an absolute CLOCK_MONOTONIC deadline wakes the
same epoll wait to the microsecond, give or take the time the kernel takes to wake the process. One timer serves
every stream: callbacks are kept in a heap and all that are due run in one wake, so a token costs a heap push and
a write, not a task switch of its own. Where timerfd is
missing (not Linux) the loop's own timer is used (kqueue, macOS's, takes nanosecond timeouts).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import heapq
import os
import sys
import time
from typing import Callable

CLOCK_MONOTONIC = 1
# Waking a process from an idle sleep takes a few hundred microseconds on some machines (virtual ones above all).
# A deadline at least IDLE_NS away will find the loop asleep, so its timer is set EARLY_NS before it and the last
# stretch is waited out awake; deadlines closer together (a loaded server) are timed directly, so a busy server
# never spins.
EARLY_NS = 250_000
IDLE_NS = 1_000_000
TFD_TIMER_ABSTIME = 1
TFD_NONBLOCK = 0o4000
TFD_CLOEXEC = 0o2000000


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _TimerFd:
    """A Linux timerfd through libc (os.timerfd_* only exist from Python 3.13)."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        fd = self.libc.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")
        self.fd = fd

    def arm(self, deadline_ns: int) -> None:
        # A deadline already past fires at once; 0 would disarm, and CLOCK_MONOTONIC is never 0 here.
        value = _Timespec(deadline_ns // 1_000_000_000, deadline_ns % 1_000_000_000)
        spec = _Itimerspec(_Timespec(0, 0), value)
        if self.libc.timerfd_settime(self.fd, TFD_TIMER_ABSTIME, ctypes.byref(spec), None) != 0:
            raise OSError(ctypes.get_errno(), "timerfd_settime failed")

    def clear(self) -> None:
        with contextlib.suppress(BlockingIOError):  # nothing to read: the wake was not this timer's
            os.read(self.fd, 8)


def _timerfd_or_none() -> _TimerFd | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return _TimerFd()
    except (OSError, AttributeError):
        return None


class TokenClock:
    """Runs callbacks at absolute time.monotonic_ns() deadlines, in deadline order, on the running loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, precise: bool = True) -> None:
        self.loop = loop
        self.heap: list[tuple[int, int, Callable[[], None]]] = []
        self.seq = 0
        self.armed: int | None = None
        self.handle: asyncio.TimerHandle | None = None
        self.tfd = _timerfd_or_none() if precise else None
        if self.tfd is not None:
            loop.add_reader(self.tfd.fd, self._fire)

    @property
    def precise(self) -> bool:
        return self.tfd is not None

    def at(self, deadline_ns: int, fn: Callable[[], None]) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (deadline_ns, self.seq, fn))
        if self.armed is None or deadline_ns < self.armed:
            self._arm(deadline_ns)

    async def sleep_until(self, deadline_ns: int) -> None:
        fut = self.loop.create_future()
        self.at(deadline_ns, lambda: fut.done() or fut.set_result(None))
        await fut

    def close(self) -> None:
        if self.tfd is not None:
            self.loop.remove_reader(self.tfd.fd)
            os.close(self.tfd.fd)
            self.tfd = None

    def _arm(self, deadline_ns: int) -> None:
        self.armed = deadline_ns
        if self.tfd is not None:
            early = deadline_ns - time.monotonic_ns() >= IDLE_NS
            self.tfd.arm(deadline_ns - EARLY_NS if early else deadline_ns)
            return
        if self.handle is not None:
            self.handle.cancel()
        # The loop's clock is time.monotonic(), the clock of the deadlines.
        self.handle = self.loop.call_at(deadline_ns / 1e9, self._fire)

    def _fire(self) -> None:
        if self.tfd is not None:
            self.tfd.clear()
        self.armed = None
        self.handle = None
        now = time.monotonic_ns()
        if self.heap and 0 < self.heap[0][0] - now <= EARLY_NS:
            while now < self.heap[0][0]:  # woken early on purpose: wait out the last stretch awake
                now = time.monotonic_ns()
        while self.heap and self.heap[0][0] <= now:
            heapq.heappop(self.heap)[2]()
        if self.heap:
            self._arm(self.heap[0][0])
