"""A minimal MCP client over stdio, so the client's own cost is as small and as equal as it can be.

It speaks newline-delimited JSON-RPC with the handshake MCP clients use today (`initialize` at protocol
2025-11-25, then `notifications/initialized`). A call is timed from writing the request to reading the
last byte of the response line; parsing the response happens after the clock stops.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

PROTOCOL_VERSION = "2025-11-25"
# What the official SDK passes to a stdio server it spawns, and nothing else.
_INHERITED = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER")


@dataclass(frozen=True)
class ServerCommand:
    label: str
    argv: tuple[str, ...]


def ours() -> ServerCommand:
    """The console script MCP clients launch (`catena-mcp`, serving stdio)."""
    script = Path(sys.executable).with_name("catena-mcp")
    argv = (str(script),) if script.exists() else (sys.executable, "-m", "catena_mcp")
    return ServerCommand("catena-mcp", argv)


def thin_proxy() -> ServerCommand:
    return ServerCommand("thin proxy", (sys.executable, "-m", "bench.thin_proxy"))


def server_env(upstream_env: dict[str, str]) -> dict[str, str]:
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    # `bench` is importable through the editable install's path entry; a source checkout needs the root.
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)
    return env | upstream_env


class ProtocolError(RuntimeError):
    pass


class StdioSession:
    """`with StdioSession(command, env) as s:` spawns the server; `s.start()` does the handshake."""

    def __init__(self, command: ServerCommand, env: dict[str, str]) -> None:
        self.command = command
        self._env = env
        self._next_id = 0
        self._cwd = tempfile.TemporaryDirectory(prefix="bench-")  # no stray .env file gets read

    @property
    def pid(self) -> int:
        return self._process.pid

    def __enter__(self) -> "StdioSession":
        self.spawned_at = time.perf_counter()
        self._process = subprocess.Popen(  # noqa: S603 -- our own commands
            self.command.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=self._env,
            cwd=self._cwd.name,
        )
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        process = self._process
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout:
            process.stdout.close()
        self._cwd.cleanup()

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        stdin.flush()

    def request(self, method: str, params: dict[str, Any] | None = None) -> tuple[float, dict[str, Any], int]:
        """(seconds from write to the end of the response line, the response, its size in bytes)."""
        start = time.perf_counter()
        request_id = self.send(method, params)
        while True:
            answered, end, reply, size = self.receive()
            if answered == request_id:  # anything else is a notification; keep reading
                if "error" in reply:
                    raise ProtocolError(f"{self.command.label}: {method} failed: {reply['error']}")
                return end - start, reply["result"], size

    def send(self, method: str, params: dict[str, Any] | None = None) -> int:
        """Writes a request without waiting for its answer; returns its ID (see `receive`)."""
        self._next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next_id, "method": method}
        if params is not None:
            message["params"] = params
        self._send(message)
        return self._next_id

    def receive(self) -> tuple[Any, float, dict[str, Any], int]:
        """The next message: (its ID or None, when its last byte arrived, the message, its size in bytes)."""
        stdout = self._process.stdout
        assert stdout is not None
        line = stdout.readline()
        end = time.perf_counter()
        if not line:
            raise ProtocolError(f"{self.command.label} closed stdout (exit {self._process.poll()})")
        reply = json.loads(line)
        return reply.get("id"), end, reply, len(line)

    def start(self) -> dict[str, Any]:
        """initialize + notifications/initialized; returns the initialize result."""
        _, result, _ = self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "catena-bench", "version": "1"},
            },
        )
        self._send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return result

    def list_tools(self) -> list[dict[str, Any]]:
        _, result, _ = self.request("tools/list", {})
        tools: list[dict[str, Any]] = result["tools"]
        return tools

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[float, dict[str, Any], int]:
        seconds, result, size = self.request("tools/call", {"name": tool, "arguments": arguments})
        if result.get("isError"):
            raise ProtocolError(f"{self.command.label}: {tool} returned an error: {result['content']}")
        return seconds, result, size

    def rss_kib(self) -> int:
        return rss_kib(self._process.pid)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int, field: str = "VmRSS") -> int:
    """VmRSS (or another Vm* field, such as the peak VmHWM) of a process, in KiB, from /proc/PID/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise ProtocolError(f"no {field} for pid {pid}")
