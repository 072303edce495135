"""A small fault-injecting HTTP proxy for testing clients against a real server.

Binds 127.0.0.1 on a free port, forwards every request to an upstream server, and applies
scripted faults to the next POST requests, one fault per request, in order:

- ``Status(code, retry_after=..., body=...)``: answer with that status instead of forwarding
  (``{authorization}`` in the body is replaced by the request's Authorization header);
- ``Slow(delay)``: wait ``delay`` seconds, then forward;
- ``Drop()``: read the request, then close the connection without answering.

GET requests (``/v1/models``, ``/health``) are always forwarded. Each request is recorded
(time, method, path, headers) in ``proxy.seen``. One connection carries one request
(``Connection: close``), which keeps the raw-socket code short.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import httpx
from typing_extensions import Self


@dataclass(frozen=True)
class Status:
    code: int
    retry_after: str | None = None
    body: str = '{"error": "injected"}'


@dataclass(frozen=True)
class Slow:
    delay: float


@dataclass(frozen=True)
class Drop:
    pass


Fault = Status | Slow | Drop


@dataclass(frozen=True)
class Seen:
    at: float
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    fault: str = ""


class FaultProxy:
    """Start with ``with FaultProxy("http://127.0.0.1:8000") as proxy: ... proxy.url``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.faults: deque[Fault] = deque()
        self.seen: list[Seen] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def push(self, *faults: Fault) -> None:
        """Apply these faults to the next POST requests, in order."""
        self.faults.extend(faults)

    def reset(self) -> None:
        self.faults.clear()
        self.seen.clear()

    def posts(self) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST"]

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("fault proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if self._loop is not None:
            self._loop.close()

    async def _shutdown(self) -> None:
        """Stop listening, cancel the connections still open, close the upstream client."""
        if self._server is not None:
            self._server.close()
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await self._client.aclose()

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._client = httpx.AsyncClient(timeout=120)
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await _read_request(reader)
            if request is None:
                return
            method, path, headers, body = request
            fault = self.faults.popleft() if method == "POST" and self.faults else None
            self.seen.append(Seen(time.monotonic(), method, path, headers, type(fault).__name__ if fault else ""))
            await self._respond(writer, fault, method, path, headers, body)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (e.g. it timed out during a Slow fault)
        finally:
            writer.close()

    async def _respond(self, writer: asyncio.StreamWriter, fault: Fault | None, method: str, path: str,
                       headers: dict[str, str], body: bytes) -> None:
        if isinstance(fault, Drop):
            return
        if isinstance(fault, Status):
            text = fault.body.replace("{authorization}", headers.get("authorization", ""))
            extra = {"retry-after": fault.retry_after} if fault.retry_after is not None else {}
            await _write(writer, fault.code, text.encode(), {"content-type": "application/json", **extra})
            return
        if isinstance(fault, Slow):
            await asyncio.sleep(fault.delay)
        forward = {k: v for k, v in headers.items() if k not in ("host", "content-length", "connection")}
        resp = await self._client.request(method, self.upstream + path, content=body, headers=forward)
        await _write(writer, resp.status_code, resp.content,
                     {"content-type": resp.headers.get("content-type", "application/json")})


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes] | None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0]:
        return None
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return method, path, headers, body


async def _write(writer: asyncio.StreamWriter, status: int, body: bytes, headers: dict[str, str]) -> None:
    lines = [f"HTTP/1.1 {status} Injected", f"content-length: {len(body)}", "connection: close"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()
