"""Serving stdio with a stdout of our own: a reply leaves the event loop as soon as it is ready.

The SDK's stdio transport writes, then flushes, every message through anyio's worker threads and waits for
both: two round trips between threads per message, ~0.25 ms of a ~2.5 ms warm call on our 2-core bench box
(BENCHMARKS.md). Here the loop puts the message on a queue and goes on; one thread of ours writes the
messages in order and flushes whenever the queue runs dry. Reading stdin, parsing and everything else
stay the SDK's.
"""

import os
import queue
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import IO, Any, cast

import anyio
from mcp.server import MCPServer
from mcp.server.stdio import stdio_server

# Messages waiting for the writer thread. Past this many (a client that stopped reading), writing waits
# for room, in a worker thread so the loop goes on: backpressure, never a dropped or unbounded message.
MAX_WAITING = 64
# How long closing waits for the messages still queued to reach a client that has stopped reading.
CLOSE_TIMEOUT_SECONDS = 5.0
_CLOSE = b""


class QueuedWriter:
    """The `stdout` that `stdio_server` writes each message to (`write`, then `flush`), backed by a thread.

    A write error (the client closed its end) is raised by the next `write` or `flush`, as the SDK's own
    stdout would raise it, and ends the session the same way.
    """

    def __init__(self, wire: IO[bytes], max_waiting: int = MAX_WAITING) -> None:
        self._wire = wire
        self._queue: queue.Queue[bytes] = queue.Queue(max_waiting)
        self._failure: OSError | None = None
        self._thread = threading.Thread(target=self._write_all, name="catena-mcp stdout", daemon=True)
        self._thread.start()

    async def write(self, text: str) -> int:
        self._raise_failure()
        data = text.encode()  # here, not in the thread: text that cannot be encoded fails its own call
        try:
            self._queue.put_nowait(data)
        except queue.Full:
            await anyio.to_thread.run_sync(self._queue.put, data)
        return len(text)

    async def flush(self) -> None:
        # Nothing to wait for: the thread flushes as soon as no other message is queued behind this one.
        self._raise_failure()

    async def aclose(self) -> None:
        """Write what is queued, then stop the thread; a slow client gets CLOSE_TIMEOUT_SECONDS at most."""

        def close() -> None:
            deadline = time.monotonic() + CLOSE_TIMEOUT_SECONDS
            try:
                self._queue.put(_CLOSE, timeout=CLOSE_TIMEOUT_SECONDS)
            except queue.Full:
                return  # the client stopped reading: the (daemon) thread ends with the process
            self._thread.join(max(deadline - time.monotonic(), 0))

        await anyio.to_thread.run_sync(close)

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _write_all(self) -> None:
        # After a failure the queue is still drained, so that a `write` waiting for room never waits forever.
        while (data := self._queue.get()) is not _CLOSE:
            if self._failure is not None:
                continue
            try:
                self._wire.write(data)
                if self._queue.empty():
                    self._wire.flush()
            except OSError as exc:
                self._failure = exc


@contextmanager
def claimed_stdout() -> Iterator[IO[bytes]]:
    """The wire on a private descriptor, with fd 1 pointing at stderr meanwhile.

    As the SDK does for its own stdout: a stray `print`, or a child process writing to its inherited
    stdout, lands on stderr instead of corrupting the JSON-RPC stream. fd 1 is restored on exit, after
    what `print` left in sys.stdout's buffer has gone to stderr too.
    """
    sys.stdout.flush()
    import fcntl

    private = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    os.dup2(2, 1)
    try:
        # closefd=False, and never closed: a writer thread blocked on a client that stopped reading may still
        # hold it, and a closed descriptor could be reused under it. The process ends soon after anyway.
        yield os.fdopen(private, "wb", closefd=False)
    finally:
        sys.stdout.flush()
        os.dup2(private, 1)


def _stdout_is_fd_1() -> bool:
    try:
        return sys.platform != "win32" and sys.stdout is not None and sys.stdout.fileno() == 1
    except (AttributeError, OSError, ValueError):
        return False


@asynccontextmanager
async def _queued_stdout() -> AsyncIterator[QueuedWriter]:
    with claimed_stdout() as wire:
        writer = QueuedWriter(wire)
        try:
            yield writer
        finally:
            with anyio.CancelScope(shield=True):
                await writer.aclose()


async def run_stdio(mcp: MCPServer[Any]) -> None:
    """`mcp.run_stdio_async()`, with our stdout where the platform allows it (POSIX, a real fd 1)."""
    if not _stdout_is_fd_1():
        await mcp.run_stdio_async()
        return
    async with (
        _queued_stdout() as stdout,
        stdio_server(stdout=cast("anyio.AsyncFile[str]", stdout)) as (
            read_stream,
            write_stream,
        ),
    ):
        # What run_stdio_async does once it has the streams; it takes no stdout of its own.
        server = mcp._lowlevel_server
        await server.run(read_stream, write_stream, server.create_initialization_options())
