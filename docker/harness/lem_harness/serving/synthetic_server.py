"""A simulated OpenAI-compatible server: the serving form of the `synthetic` test double (no model, no GPU).

It streams `max_tokens` tokens per request, the first `ttft_ms` after the request was received (read in full) and
the rest `itl_ms` apart, on absolute deadlines so that timer lateness never accumulates, kept to the microsecond by
one timerfd (token_clock.py). Every stream lives on one asyncio loop, so hundreds of concurrent streams cost no
thread each. The server logs when it received each request and sent each token (`GET /simulated/timings`) so a
benchmark can tell its lateness from the client's. Results measured against it are simulated.

Routes: GET /health, GET /v1/models, POST /v1/chat/completions, POST /v1/completions (stream or not), and
GET /simulated/power: a simulated energy counter (power.py) for the serving sampler, as NVML's counter is for a GPU.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

from lem_harness.serving.http_connection import Connection, Request, listen, response
from lem_harness.serving.power import SimulatedPower
from lem_harness.serving.stream_timing import StreamTiming, TimingLog
from lem_harness.serving.token_clock import TokenClock

SIMULATED = True


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    ttft_ms: float = 20.0
    itl_ms: float = 5.0
    model: str = "synthetic"
    default_max_tokens: int = 16
    load_s: float = 0.0
    fail_start: bool = False


def chunk(data: str) -> bytes:
    """One SSE event as one HTTP chunk."""
    raw = f"data: {data}\n\n".encode()
    return f"{len(raw):x}\r\n".encode() + raw + b"\r\n"


def request_key(req: dict, chat: bool) -> str:
    """What identifies a request in the timing log: its prompt (a benchmark sends a distinct one per request)."""
    if chat:
        messages = req.get("messages") or [{}]
        return str(messages[-1].get("content", "")) if isinstance(messages[-1], dict) else ""
    return str(req.get("prompt", ""))


class SyntheticServer:
    def __init__(self, settings: ServerSettings, clock: TokenClock) -> None:
        self.s = settings
        self.clock = clock
        self.requests = 0
        self.power = SimulatedPower(time.monotonic)
        self.timings = TimingLog()

    def models(self) -> dict:
        return {"object": "list", "data": [{"id": self.s.model, "object": "model", "owned_by": "lem-synthetic"}]}

    async def handle(self, conn: Connection, req: Request, received_ns: int, read_ns: int) -> None:
        """One request; `received_ns` is when it reached this host (the kernel's stamp), `read_ns` when it was read."""
        method, path, _headers, body = req
        if method == "GET" and path == "/health":
            conn.write(response(200, {"ok": True, "simulated": SIMULATED}))
        elif method == "GET" and path == "/simulated/power":
            conn.write(response(200, self.power.reading()))
        elif method == "GET" and path == "/simulated/timings":
            streams = self.timings.drain()
            doc = {"clock": "monotonic_ns", "kernel_stamps": conn.kernel_stamps, "streams": streams}
            conn.write(response(200, doc))
        elif method == "GET" and path == "/v1/models":
            conn.write(response(200, self.models()))
        elif method == "POST" and path in ("/v1/chat/completions", "/v1/completions"):
            await self.generate(conn, path.endswith("chat/completions"), body, (received_ns, read_ns))
        else:
            conn.write(response(404, {"error": {"message": f"no route {method} {path}"}}))

    async def generate(self, conn: Connection, chat: bool, body: bytes, at: tuple[int, int]) -> None:
        req = json.loads(body or b"{}")
        self.requests += 1
        n = int(req.get("max_tokens") or self.s.default_max_tokens)
        prompt = json.dumps(req.get("messages")) if chat else str(req.get("prompt", ""))
        usage = {"prompt_tokens": max(1, len(prompt.split())), "completion_tokens": n}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        rid = f"cmpl-synthetic-{self.requests}"
        kind = "chat.completion" if chat else "text_completion"
        if not req.get("stream"):
            await self.clock.sleep_until(at[0] + round((self.s.ttft_ms + max(0, n - 1) * self.s.itl_ms) * 1e6))
            text = "".join(f"tok{i} " for i in range(n))
            choice = (
                {"index": 0, "message": {"role": "assistant", "content": text}} if chat else {"index": 0, "text": text}
            )
            conn.write(
                response(200, {"id": rid, "object": kind, "model": self.s.model, "choices": [choice], "usage": usage})
            )
            return
        conn.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        self.power.stream_started()
        timing = self.timings.start(request_key(req, chat), *at)
        try:
            await self.stream(conn, chat, rid, kind, n, usage, timing)
        finally:
            self.power.stream_ended()

    async def stream(
        self, conn: Connection, chat: bool, rid: str, kind: str, n: int, usage: dict, t: StreamTiming
    ) -> None:
        """Each token is written by the token clock at its deadline, straight from the timer's wake: no task switch
        per token, so hundreds of streams stay on schedule on one loop."""
        obj = kind + ".chunk" if chat else kind
        head, tail = event_template(rid, obj, self.s.model, chat)
        done = asyncio.get_running_loop().create_future()
        sent = 0

        def send_next() -> None:
            nonlocal sent
            if conn.is_closing():  # the client went away: stop, as a real server would
                done.done() or done.set_result(None)
                return
            t.token(due_ns[sent])
            conn.write(chunk(head + json.dumps(f"tok{sent} ") + tail))
            sent += 1
            if sent < n:
                self.clock.at(due_ns[sent], send_next)
            else:
                done.done() or done.set_result(None)

        due_ns = [t.received_ns + round((self.s.ttft_ms + i * self.s.itl_ms) * 1e6) for i in range(n)]
        if n > 0:
            self.clock.at(due_ns[0], send_next)
            await done
        conn.write(chunk(json.dumps({"id": rid, "object": obj, "model": self.s.model, "choices": [], "usage": usage})))
        conn.write(chunk("[DONE]") + b"0\r\n\r\n")


def event_template(rid: str, obj: str, model: str, chat: bool) -> tuple[str, str]:
    """The JSON of one token event split around its text, so that a token costs one small string join."""
    mark = "\0"  # json.dumps escapes it as "\u0000", which no id or model name of a request contains
    choice = {"index": 0, "delta": {"content": mark}} if chat else {"index": 0, "text": mark}
    head, tail = json.dumps({"id": rid, "object": obj, "model": model, "choices": [choice]}).split(json.dumps(mark), 1)
    return head, tail


async def serve(settings: ServerSettings, ready: asyncio.Event | None = None) -> None:
    if settings.fail_start:
        raise SystemExit("synthetic server: failing to start, as configured (fail_experiment: true)")
    if settings.load_s > 0:
        # A model load, simulated: the server does not listen until it is over (lem waits for readiness).
        print(f"synthetic server: loading the model (simulated, {settings.load_s} s)", flush=True)
        await asyncio.sleep(settings.load_s)
    loop = asyncio.get_running_loop()
    clock = TokenClock(loop)
    server = SyntheticServer(settings, clock)
    lsock = await listen(settings.host, settings.port, server.handle)
    line = {"event": "serving", "host": settings.host, "port": settings.port, "simulated": SIMULATED}
    print(json.dumps(line), flush=True)
    if ready is not None:
        ready.set()
    try:
        await loop.create_future()  # serve until cancelled
    finally:
        loop.remove_reader(lsock.fileno())
        lsock.close()
        clock.close()


def parse_args(args: list[str]) -> ServerSettings:
    import argparse

    p = argparse.ArgumentParser(prog="python3 -m lem_harness serve-synthetic", description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--ttft-ms", type=float, default=20.0)
    p.add_argument("--itl-ms", type=float, default=5.0)
    p.add_argument("--model", default="synthetic")
    p.add_argument("--default-max-tokens", type=int, default=16)
    p.add_argument("--load-s", type=float, default=0.0, help="simulated model load before the server listens")
    p.add_argument("--fail-start", action="store_true", help="exit at once with an error (fault injection)")
    a = p.parse_args(args)
    return ServerSettings(a.host, a.port, a.ttft_ms, a.itl_ms, a.model, a.default_max_tokens, a.load_s, a.fail_start)


def main(args: list[str]) -> int:
    settings = parse_args(args)
    try:
        asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 130
    return 0
