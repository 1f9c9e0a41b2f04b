"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the load generator.

`httpx` costs the generator ~8 ms of CPU per call at 50 concurrent connections, more than the servers under
test, so the benchmark would measure itself. This one sends prebuilt bytes and reads Content-Length or
chunked bodies: tens of microseconds per call. It knows exactly what the benchmark needs and nothing more.
"""

import asyncio
import contextlib
import json
from typing import Any


class HttpError(RuntimeError):
    pass


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> "Connection":
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()

    async def _send_head(self, request: bytes) -> bytes:
        reader, writer = self._reader, self._writer
        assert reader is not None
        assert writer is not None
        writer.write(request)
        return await reader.readuntil(b"\r\n\r\n")

    @staticmethod
    def request_bytes(host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + body

    async def send(self, request: bytes) -> tuple[int, dict[str, str], bytes]:
        """Send prebuilt request bytes; (status, lower-cased headers, body)."""
        try:
            head = await self._send_head(request)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
                raise
            # The server closed an idle keep-alive connection (uvicorn does after 5 s): reconnect once.
            await self.__aexit__()
            await self.__aenter__()
            head = await self._send_head(request)
        reader = self._reader
        assert reader is not None
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")  # no trailers: the final CRLF
                    break
                parts.append((await reader.readexactly(size + 2))[:-2])
            body = b"".join(parts)
        else:
            raise HttpError(f"HTTP {status} reply with neither Content-Length nor chunked body")
        return status, headers, body


def json_rpc_reply(status: int, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The JSON-RPC response in a Streamable HTTP reply (plain JSON or an SSE stream)."""
    if status != 200:
        raise HttpError(f"HTTP {status}: {body[:300]!r}")
    if headers.get("content-type", "").startswith("text/event-stream"):
        for line in body.splitlines():
            if line.startswith(b"data:"):
                message: dict[str, Any] = json.loads(line[5:])
                if "id" in message:
                    return message
        raise HttpError("no JSON-RPC response in the event stream")
    reply: dict[str, Any] = json.loads(body)
    return reply
