"""One HTTP/1.1 keep-alive connection of the synthetic server, read with the kernel's receive time of each request.

A server that starts a request's clock when its event loop gets round to reading it adds its own wake-up and
parsing delay to every TTFT it serves. With SO_TIMESTAMPNS the kernel stamps each incoming segment as it reaches
the socket, and recvmsg hands that stamp over with the bytes: the schedule then starts when the request arrived at
this host, however busy the loop was. (asyncio's transports read with recv and drop the stamp, hence this small
connection of its own: a non-blocking socket, recvmsg, and writes straight to the socket, buffered only when the
kernel's send buffer is full.) Where the option is missing, the stamp is the time the loop read the bytes.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import sys
import time
from typing import Awaitable, Callable

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35 if sys.platform.startswith("linux") else None)
_TIMESPEC = struct.Struct("@ll")
_CMSG_SPACE = socket.CMSG_SPACE(_TIMESPEC.size)
MAX_HEAD = 65536


class BadRequest(Exception):
    pass


Request = tuple[str, str, dict[str, str], bytes]
Handler = Callable[["Connection", Request, int, int], Awaitable[None]]


def take_request(buf: bytearray) -> Request | None:
    """Remove one whole request (head and body) from the front of `buf`; None while it is incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        if len(buf) > MAX_HEAD:
            raise BadRequest("request head too large")
        return None
    lines = bytes(buf[:end]).decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise BadRequest("bad request line")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0") or "0")
    start = end + 4
    if len(buf) < start + length:
        return None
    body = bytes(buf[start : start + length])
    del buf[: start + length]
    return parts[0], parts[1], headers, body


def response(status: int, payload: object) -> bytes:
    body = json.dumps(payload).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}.get(status, "Error")
    head = f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


def kernel_rx_ns(ancdata: list[tuple[int, int, bytes]]) -> int | None:
    """The SO_TIMESTAMPNS stamp (CLOCK_REALTIME) of the bytes just read, moved onto time.monotonic_ns()."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= _TIMESPEC.size:
            sec, nsec = _TIMESPEC.unpack(data[: _TIMESPEC.size])
            return sec * 1_000_000_000 + nsec - (time.time_ns() - time.monotonic_ns())
    return None


class Connection:
    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, handler: Handler) -> None:
        self.loop, self.sock, self.handler = loop, sock, handler
        self.fd = sock.fileno()
        sock.setblocking(False)
        # Each token must leave at once: Nagle's algorithm would hold small writes until the previous one is
        # acknowledged, and a delayed ACK makes that tens of milliseconds.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.kernel_stamps = False
        if SO_TIMESTAMPNS is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                self.kernel_stamps = True
            except OSError:
                pass
        self.buf = bytearray()
        self.out = bytearray()
        self.rx_ns = 0
        self.busy = False
        self.closed = False
        self.close_when_sent = False
        self.task: asyncio.Task[None] | None = None
        loop.add_reader(self.fd, self._readable)

    def is_closing(self) -> bool:
        return self.closed or self.close_when_sent

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        if self.out:
            self.out += data
            return
        try:
            n = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            self.close()
            return
        if n < len(data):
            self.out += data[n:]
            self.loop.add_writer(self.fd, self._writable)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.loop.remove_reader(self.fd)
        self.loop.remove_writer(self.fd)
        self.sock.close()

    def _writable(self) -> None:
        try:
            n = self.sock.send(self.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        del self.out[:n]
        if not self.out:
            self.loop.remove_writer(self.fd)
            if self.close_when_sent:
                self.close()

    def _readable(self) -> None:
        try:
            data, anc, _flags, _addr = self.sock.recvmsg(65536, _CMSG_SPACE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self.close()
            return
        if not data:
            self.close()
            return
        self.rx_ns = kernel_rx_ns(anc) or time.monotonic_ns()
        self.buf += data
        self._next()

    def _next(self) -> None:
        if self.busy or self.is_closing():
            return
        try:
            req = take_request(self.buf)
        except (BadRequest, ValueError) as e:
            self.fail(str(e))
            return
        if req is not None:
            self.busy = True
            # Kept so that the running task is not garbage-collected (the loop holds only a weak reference).
            self.task = self.loop.create_task(self._serve(req, self.rx_ns, time.monotonic_ns()))

    async def _serve(self, req: Request, received_ns: int, read_ns: int) -> None:
        try:
            await self.handler(self, req, received_ns, read_ns)
        except (BadRequest, ValueError) as e:
            self.fail(str(e))
        except Exception as e:  # a defect of the server: say so to the client and in the server's log
            print(f"synthetic server: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            self.fail(f"{type(e).__name__}: {e}", 500)
        self.busy = False
        self._next()

    def fail(self, message: str, status: int = 400) -> None:
        """Answer with an error and close once it is sent (the connection's framing can no longer be trusted)."""
        self.write(response(status, {"error": {"message": message}}))
        self.close_when_sent = True
        if not self.out:
            self.close()


async def listen(host: str, port: int, handler: Handler, backlog: int = 1024) -> socket.socket:
    """Bind, listen and accept connections on the running loop; returns the listening socket (close it to stop)."""
    loop = asyncio.get_running_loop()
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _name, addr = info[0]
    lsock = socket.socket(family, kind, proto)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(addr)
    lsock.listen(backlog)
    lsock.setblocking(False)

    def accept() -> None:
        while True:
            try:
                sock, _ = lsock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            Connection(loop, sock, handler)

    loop.add_reader(lsock.fileno(), accept)
    return lsock
