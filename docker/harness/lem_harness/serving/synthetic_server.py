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
import socket
import time
from dataclasses import dataclass

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


class BadRequest(Exception):
    pass


async def read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes, int] | None:
    """One HTTP/1.1 request and when its head was read (monotonic ns), or None at a clean end of the connection."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    arrived_ns = time.monotonic_ns()
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise BadRequest("bad request line")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0") or "0")
    body = await reader.readexactly(length) if length > 0 else b""
    return parts[0], parts[1], headers, body, arrived_ns


def response(status: int, payload: object) -> bytes:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


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

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            # Each token must leave at once: Nagle's algorithm would hold small writes until the previous one is
            # acknowledged, and a delayed ACK makes that tens of milliseconds.
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                req = await read_request(reader)
                if req is None:
                    break
                method, path, _headers, body, arrived_ns = req
                received_ns = time.monotonic_ns()
                if method == "GET" and path == "/health":
                    writer.write(response(200, {"ok": True, "simulated": SIMULATED}))
                elif method == "GET" and path == "/simulated/power":
                    writer.write(response(200, self.power.reading()))
                elif method == "GET" and path == "/simulated/timings":
                    writer.write(response(200, {"clock": "monotonic_ns", "streams": self.timings.drain()}))
                elif method == "GET" and path == "/v1/models":
                    writer.write(response(200, self.models()))
                elif method == "POST" and path in ("/v1/chat/completions", "/v1/completions"):
                    await self.generate(writer, path.endswith("chat/completions"), body, (arrived_ns, received_ns))
                else:
                    writer.write(response(404, {"error": {"message": f"no route {method} {path}"}}))
                await writer.drain()
        except (BadRequest, ValueError) as e:
            writer.write(response(400, {"error": {"message": str(e)}}))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def generate(self, writer: asyncio.StreamWriter, chat: bool, body: bytes, at: tuple[int, int]) -> None:
        req = json.loads(body or b"{}")
        self.requests += 1
        n = int(req.get("max_tokens") or self.s.default_max_tokens)
        prompt = json.dumps(req.get("messages")) if chat else str(req.get("prompt", ""))
        usage = {"prompt_tokens": max(1, len(prompt.split())), "completion_tokens": n}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        rid = f"cmpl-synthetic-{self.requests}"
        kind = "chat.completion" if chat else "text_completion"
        if not req.get("stream"):
            await self.clock.sleep_until(at[1] + round((self.s.ttft_ms + max(0, n - 1) * self.s.itl_ms) * 1e6))
            text = "".join(f"tok{i} " for i in range(n))
            choice = (
                {"index": 0, "message": {"role": "assistant", "content": text}} if chat else {"index": 0, "text": text}
            )
            writer.write(
                response(200, {"id": rid, "object": kind, "model": self.s.model, "choices": [choice], "usage": usage})
            )
            return
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
        self.power.stream_started()
        timing = self.timings.start(request_key(req, chat), *at)
        try:
            await self.stream(writer, chat, rid, kind, n, usage, timing)
        finally:
            self.power.stream_ended()

    async def stream(self, writer, chat: bool, rid: str, kind: str, n: int, usage: dict, t: StreamTiming) -> None:
        """Each token is written by the token clock at its deadline, straight from the timer's wake: no task switch
        per token, so hundreds of streams stay on schedule on one loop."""
        obj = kind + ".chunk" if chat else kind
        head, tail = event_template(rid, obj, self.s.model, chat)
        transport = writer.transport
        done = asyncio.get_running_loop().create_future()
        sent = 0

        def send_next() -> None:
            nonlocal sent
            if transport.is_closing():  # the client went away: stop, as a real server would
                done.done() or done.set_result(None)
                return
            t.token(due_ns[sent])
            transport.write(chunk(head + json.dumps(f"tok{sent} ") + tail))
            sent += 1
            if sent < n:
                self.clock.at(due_ns[sent], send_next)
            else:
                done.done() or done.set_result(None)

        due_ns = [t.received_ns + round((self.s.ttft_ms + i * self.s.itl_ms) * 1e6) for i in range(n)]
        if n > 0:
            self.clock.at(due_ns[0], send_next)
            await done
        writer.write(
            chunk(json.dumps({"id": rid, "object": obj, "model": self.s.model, "choices": [], "usage": usage}))
        )
        writer.write(chunk("[DONE]") + b"0\r\n\r\n")


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
    server = SyntheticServer(settings, TokenClock(asyncio.get_running_loop()))
    srv = await asyncio.start_server(server.handle, settings.host, settings.port, backlog=1024)
    line = {"event": "serving", "host": settings.host, "port": settings.port, "simulated": SIMULATED}
    print(json.dumps(line), flush=True)
    if ready is not None:
        ready.set()
    async with srv:
        await srv.serve_forever()


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
