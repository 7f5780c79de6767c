"""A client of the project's ASGI application, in process: it opens a stream and reads
its Server-Sent Events as they come (httpx's ASGITransport waits for the whole body)."""

import asyncio
import contextlib
import json

from config.asgi import application


class Stream:
    def __init__(self, path: str, headers: dict | None = None):
        self.path = path
        self.headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        self.status = None
        self.response_headers: dict[str, str] = {}
        self._chunks: asyncio.Queue = asyncio.Queue()
        self._disconnect = asyncio.Event()
        self._started = asyncio.Event()
        self._buffer = b""
        self.ended = False

    async def __aenter__(self) -> "Stream":
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"testserver"), *self.headers],
            "client": ("127.0.0.1", 40000),
            "server": ("testserver", 80),
        }
        self._task = asyncio.ensure_future(application(scope, self._receive, self._send))
        await asyncio.wait_for(self._started.wait(), 10)
        return self

    async def __aexit__(self, *exc) -> None:
        self._disconnect.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._task, 5)

    async def _receive(self):
        if not getattr(self, "_sent_request", False):
            self._sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message):
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
            self._started.set()
        elif message["type"] == "http.response.body":
            if message.get("body"):
                await self._chunks.put(message["body"])
            if not message.get("more_body"):
                await self._chunks.put(None)

    async def raw(self, timeout: float = 10) -> str | None:
        """The next block (an event or a comment), None at the end of the stream."""
        while b"\n\n" not in self._buffer:
            chunk = await asyncio.wait_for(self._chunks.get(), timeout)
            if chunk is None:
                self.ended = True
                return None
            self._buffer += chunk
        block, self._buffer = self._buffer.split(b"\n\n", 1)
        return block.decode()

    async def event(self, timeout: float = 10) -> dict | None:
        """The next event (comments skipped): {"event", "id", "data", "retry"}."""
        while True:
            block = await self.raw(timeout)
            if block is None:
                return None
            fields = {}
            for line in block.split("\n"):
                if line.startswith(":"):
                    continue
                name, _, value = line.partition(": ")
                fields[name] = value
            if fields:
                fields["data"] = json.loads(fields["data"])
                return fields
