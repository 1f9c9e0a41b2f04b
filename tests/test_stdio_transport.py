"""Our halves of the stdio transport, over real pipes. stdout: every message whole and in order,
backpressure without blocking the event loop, a broken pipe reported, fd 1 kept for JSON-RPC while serving.
stdin: lines as the SDK's reader gives them, an overlong line dropped, fd 0 kept from child processes."""

import os
import subprocess
import sys
import textwrap
import threading

import anyio
import pytest

from catena_mcp.server.stdio import QueuedWriter, pipe_lines

pytestmark = pytest.mark.anyio

# Each ~20 KB: 100 of them are ~30x what a pipe holds (64 KiB on Linux).
MESSAGES = [f'{{"n": {n}, "pad": "{"x" * 20_000}"}}\n' for n in range(100)]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


async def test_a_client_that_stops_reading_holds_writes_back_without_blocking_the_loop() -> None:
    read_end, write_end = os.pipe()
    wire = os.fdopen(write_end, "wb")
    writer = QueuedWriter(wire, on_broken=lambda: None, max_waiting=2)
    released_by_the_loop = threading.Event()
    received: list[bytes] = []

    def client() -> None:
        # Reads nothing until the loop says so; the timeout only keeps a broken writer from hanging the test.
        released_by_the_loop.wait(timeout=20)
        received.append(_read_all(read_end))

    reader = threading.Thread(target=client)
    reader.start()
    was_released_first = False

    async def write_all() -> None:
        for message in MESSAGES:
            await writer.write(message)
            await writer.flush()
        await writer.aclose()
        wire.close()

    async def release_the_client() -> None:
        # Runs only if the writes wait without holding the event loop: the pipe and the queue are full.
        nonlocal was_released_first
        await anyio.wait_all_tasks_blocked()
        was_released_first = not received
        released_by_the_loop.set()

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(write_all)
        tasks.start_soon(release_the_client)
    await anyio.to_thread.run_sync(reader.join)
    os.close(read_end)

    assert was_released_first
    assert received == ["".join(MESSAGES).encode()]


async def test_a_closed_pipe_is_reported_once_and_later_messages_are_dropped() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    wire = os.fdopen(write_end, "wb")
    broken: list[str] = []
    writer = QueuedWriter(wire, on_broken=lambda: broken.append(threading.current_thread().name))
    for message in MESSAGES[:3]:
        await writer.write(message)
        await writer.flush()
    await writer.aclose()  # returns: the thread went on draining after the failure
    wire.close()

    assert broken == ["catena-mcp stdout"]


def test_a_stray_print_goes_to_stderr_while_serving_and_stdout_comes_back_after() -> None:
    script = textwrap.dedent(
        """
        import anyio
        from catena_mcp.server.stdio import QueuedWriter, claimed_stdout

        async def main() -> None:
            with claimed_stdout() as wire:
                writer = QueuedWriter(wire, on_broken=lambda: None)
                print("stray, buffered")
                await writer.write('{"jsonrpc": "2.0", "id": 1, "result": {}}\\n')
                print("stray, flushed", flush=True)
                await writer.aclose()
            print("after serving")

        anyio.run(main)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        '{"jsonrpc": "2.0", "id": 1, "result": {}}\nafter serving\n',
        "stray, buffered\nstray, flushed\n",
    )


async def test_stdin_lines_come_as_the_sdk_reads_them_and_an_overlong_one_is_dropped() -> None:
    read_end, write_end = os.pipe()
    sent = b'{"id": 1}\n' + b"x" * 300 + b"\n" + b"caf\xc3\xa9 \xff\n" + b'{"id": 2}'  # no final newline
    os.write(write_end, sent)
    os.close(write_end)
    async with pipe_lines(read_end, max_line_bytes=100) as lines:
        received = [line async for line in lines]
    blocking = os.get_blocking(read_end)
    os.close(read_end)

    assert received == ['{"id": 1}\n', "{", "café \ufffd\n", '{"id": 2}']
    assert blocking  # asyncio's non-blocking mode does not outlive the reader


def test_a_child_process_reads_end_of_file_not_the_clients_messages() -> None:
    script = textwrap.dedent(
        """
        import subprocess, sys
        import anyio
        from catena_mcp.server.stdio import claimed_stdin, pipe_lines

        async def main() -> None:
            with claimed_stdin() as fd:
                child = [sys.executable, "-c", "import sys; print('child read', repr(sys.stdin.read()))"]
                subprocess.run(child, check=True)
                async with pipe_lines(fd) as lines:
                    print("server read", [line async for line in lines])

        anyio.run(main)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        input="hello\nworld\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "child read ''\nserver read ['hello\\n', 'world\\n']\n",
        "",
    )
