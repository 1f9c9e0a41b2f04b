"""Serving stdio on the event loop's own I/O: no worker-thread round trips on a call's path.

The SDK's stdio transport reads each line of stdin in an anyio worker thread, and writes, then flushes,
each reply in two more, waiting for each: three round trips between threads per call, ~0.7M instructions
and ~0.2-0.3 ms of a ~2 ms warm call on our 2-core bench box, more when the box is busy (BENCHMARKS.md).
Here the event loop reads stdin itself (asyncio's pipe reader, when stdin is a pipe or a socket, as MCP
clients spawn servers) and puts each reply on a queue that one thread of ours writes out in order.
Parsing, sessions and everything else stay the SDK's: both halves are handed to its `stdio_server`.
"""

import asyncio
import logging
import os
import queue
import stat
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from typing import IO, Any, TextIO, cast

import anyio
from mcp.server import MCPServer
from mcp.server.stdio import stdio_server

logger = logging.getLogger(__name__)

# Messages waiting for the writer thread. Past this many (a client that stopped reading), writing waits
# for room, in a worker thread so the loop goes on: backpressure, never a dropped or unbounded message.
MAX_WAITING = 64
# How long closing waits for the messages still queued to reach a client that has stopped reading.
CLOSE_TIMEOUT_SECONDS = 5.0
_CLOSE = b""
# A longer line on stdin is dropped (and read as the invalid JSON it then is), so that no message holds more
# than this in memory; MCP clients send small requests. The SDK's own reader has no bound.
MAX_LINE_BYTES = 16 * 1024 * 1024
_DROPPED_LINE = "{"  # not JSON: the SDK answers it as it answers any garbage line


class PipeLines:
    """stdin's lines as `stdio_server` reads them (`async for line in stdin`), from asyncio's pipe reader."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader

    def __aiter__(self) -> "PipeLines":
        return self

    async def __anext__(self) -> str:
        try:
            line = await self._reader.readline()
        except ValueError:  # longer than the reader's limit: asyncio has dropped it
            return _DROPPED_LINE
        if not line:
            raise StopAsyncIteration
        return line.decode(errors="replace")  # as the SDK decodes stdin


@asynccontextmanager
async def pipe_lines(fd: int, max_line_bytes: int = MAX_LINE_BYTES) -> AsyncIterator[PipeLines]:
    """The lines of a pipe or socket `fd`, read by the running asyncio loop; `fd` stays open."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=max_line_bytes)
    pipe = os.fdopen(fd, "rb", buffering=0, closefd=False)
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    try:
        yield PipeLines(reader)
    finally:
        transport.close()
        os.set_blocking(fd, True)  # asyncio made it non-blocking, and the client's end of it may care


class QueuedWriter:
    """The `stdout` that `stdio_server` writes each message to (`write`, then `flush`), backed by a thread.

    When the wire breaks (the client closed its end, or went away), the thread calls `on_broken` once and
    drops whatever comes after: there is no one left to read it.
    """

    def __init__(
        self, wire: IO[bytes], on_broken: Callable[[], None], max_waiting: int = MAX_WAITING
    ) -> None:
        self._wire = wire
        self._on_broken = on_broken
        self._queue: queue.Queue[bytes] = queue.Queue(max_waiting)
        self._thread = threading.Thread(target=self._write_all, name="catena-mcp stdout", daemon=True)
        self._thread.start()

    async def write(self, text: str) -> int:
        data = text.encode()  # here, not in the thread: text that cannot be encoded fails its own call
        try:
            self._queue.put_nowait(data)
        except queue.Full:
            await anyio.to_thread.run_sync(self._queue.put, data)
        return len(text)

    async def flush(self) -> None:
        """Nothing to wait for: the thread flushes as soon as no other message is queued behind the last."""

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

    def _write_all(self) -> None:
        broken = False
        while (data := self._queue.get()) is not _CLOSE:
            if broken:
                continue  # still drained, so that a `write` waiting for room never waits forever
            try:
                self._wire.write(data)
                if self._queue.empty():
                    self._wire.flush()
            except OSError as exc:
                broken = True
                logger.info("stdout is closed (%s): the client has gone", type(exc).__name__)
                self._on_broken()


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


@contextmanager
def claimed_stdin() -> Iterator[int]:
    """The client's messages on a private descriptor, with fd 0 on the null device meanwhile.

    As the SDK does for its own stdin: a child process reads end-of-file, not the client's messages.
    """
    import fcntl

    private = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    try:
        yield private
    finally:
        os.dup2(private, 0)
        os.close(private)


def _is_std_fd(stream: TextIO | None, fd: int) -> bool:
    try:
        return stream is not None and stream.fileno() == fd
    except (AttributeError, OSError, ValueError):  # replaced by an object without a descriptor
        return False


def _stdin_is_a_pipe() -> bool:
    if not _is_std_fd(sys.stdin, 0):
        return False
    mode = os.fstat(0).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


@asynccontextmanager
async def _queued_stdout(on_broken: Callable[[], None]) -> AsyncIterator[QueuedWriter]:
    with claimed_stdout() as wire:
        writer = QueuedWriter(wire, on_broken)
        try:
            yield writer
        finally:
            with anyio.CancelScope(shield=True):
                await writer.aclose()


async def run_stdio(mcp: MCPServer[Any]) -> None:
    """`mcp.run_stdio_async()` on our stdin and stdout where the platform allows (POSIX, the real fds).

    The session ends when stdin does, or as soon as stdout breaks (the SDK's own transport would end it
    with a traceback at its next write).
    """
    if sys.platform == "win32" or not _is_std_fd(sys.stdout, 1):
        await mcp.run_stdio_async()
        return
    loop = asyncio.get_running_loop()
    with anyio.CancelScope() as session:
        async with AsyncExitStack() as stack:
            stdin = None  # a terminal or a file: the SDK's reader
            if _stdin_is_a_pipe():
                lines = await stack.enter_async_context(pipe_lines(stack.enter_context(claimed_stdin())))
                stdin = cast("anyio.AsyncFile[str]", lines)

            def end_session() -> None:  # called by the writer thread
                loop.call_soon_threadsafe(session.cancel)

            stdout = cast(
                "anyio.AsyncFile[str]", await stack.enter_async_context(_queued_stdout(end_session))
            )
            read_stream, write_stream = await stack.enter_async_context(stdio_server(stdin, stdout))
            # What run_stdio_async does once it has the streams; it takes none of its own.
            server = mcp._lowlevel_server
            await server.run(read_stream, write_stream, server.create_initialization_options())
