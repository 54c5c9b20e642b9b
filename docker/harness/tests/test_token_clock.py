"""The synthetic server's token clock: callbacks at absolute monotonic deadlines, in order, never early."""

import asyncio
import sys
import time

import pytest

from lem_harness.serving.token_clock import TokenClock


def run_schedule(precise: bool, offsets_ms: list[float]) -> tuple[list[int], list[tuple[int, int]], bool]:
    """Schedule one callback per offset (from inside another callback too); return (order, (deadline, ran_at))."""

    async def main():
        loop = asyncio.get_running_loop()
        clock = TokenClock(loop, precise=precise)
        order: list[int] = []
        ran: list[tuple[int, int]] = []
        done = loop.create_future()
        t0 = time.monotonic_ns()

        def make(i: int, deadline: int):
            def cb() -> None:
                ran.append((deadline, time.monotonic_ns()))
                order.append(i)
                if i == 0:  # a callback may schedule another, even one already due
                    clock.at(t0, make(99, t0))
                if len(order) == len(offsets_ms) + 1:
                    done.set_result(None)

            return cb

        for i, off in enumerate(offsets_ms):
            d = t0 + round(off * 1e6)
            clock.at(d, make(i, d))
        await asyncio.wait_for(done, 5)
        precise_used = clock.precise
        clock.close()
        return order, ran, precise_used

    return asyncio.run(main())


@pytest.mark.parametrize("precise", [True, False])
def test_callbacks_run_in_deadline_order_and_never_before_their_deadline(precise):
    offsets = [30.0, 5.0, 5.0, 12.5, 0.2, 20.0]
    order, ran, _ = run_schedule(precise, offsets)
    firsts = [i for i in order if i != 99]
    assert firsts == sorted(range(len(offsets)), key=lambda i: (offsets[i], i))
    assert 99 in order and order.index(99) > order.index(0)
    assert all(at >= deadline for deadline, at in ran)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="timerfd is Linux's")
def test_on_linux_the_clock_uses_a_timerfd():
    _, _, precise = run_schedule(True, [1.0])
    assert precise is True
