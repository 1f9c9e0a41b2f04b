"""Hostile upstream: what an 80 MB body and a gzip bomb cost the server, and a small call made alongside.

Each (version, body) pair gets a fresh stdio server, so its peak RSS (VmHWM) is that body's alone: one warm-up
call (token cached, modules imported), then the hostile call and, on the same session while it runs, small
calls one after another: the slowest of them is how long the hostile call held up everything else.

"Before" is the server as it was before issue 9's hardening (commit `BEFORE_COMMIT`), extracted with
`git archive` into a temporary directory and run from there with the same interpreter and dependencies.
"""

import json
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.results import Row, Target
from bench.stdio import ServerCommand, StdioSession, ours, rss_kib, server_env
from bench.upstream import Upstream

BEFORE_COMMIT = "2c3d16b"
TOOL = "get_resource_operation"
HOSTILE = "failed_network"  # whose body the faults replace
SMALL = "success_first_time"
BODIES = {"huge": "80 MB JSON body (180k logs)", "gzip-bomb": "gzip body of 0.25 MB inflating to 256 MiB"}
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Outcome:
    peak_mib: float  # VmHWM after the hostile call
    warm_mib: float  # VmRSS after the warm-up call
    after_mib: float  # VmRSS after the hostile call
    hostile_seconds: float
    small_seconds: float
    hostile_error: bool


def run(upstream: Upstream, *, with_before: bool) -> list[Row]:
    versions: dict[str, tuple[ServerCommand, dict[str, str]]] = {"ours": (ours(), {})}
    # The simulator compresses its gzip bomb once, on first use (~1.5 s): not on anyone's clock.
    _set_fault(upstream, {"body": "gzip-bomb", "times": 1})
    upstream.raw(HOSTILE)
    with _before() if with_before else _nothing() as before:
        if before is not None:
            versions["before"] = before
        results = {
            (label, body): _measure(upstream, command, extra_env, body)
            for body in BODIES
            for label, (command, extra_env) in versions.items()
        }
    section = "hostile upstream (stdio, fresh server per body)"
    label = f"before issue 9 ({BEFORE_COMMIT})"
    rows = []
    for body, description in BODIES.items():
        mine = results[("ours", body)]
        old = results.get(("before", body))
        rows += [
            Row(
                section,
                f"{description}: peak RSS",
                "MiB",
                mine.peak_mib,
                None if old is None else old.peak_mib,
                label if old else "",
                Target("<=", 300, "absolute"),
                note=_note(mine, old),
            ),
            Row(
                section,
                f"{description}: slowest small call alongside",
                "s",
                mine.small_seconds,
                None if old is None else old.small_seconds,
                label if old else "",
                Target("<=", 1, "absolute"),
                note=f"hostile call answered in {mine.hostile_seconds:.2f} s"
                + ("" if old is None else f" (before: {old.hostile_seconds:.2f} s)"),
            ),
        ]
    return rows


def _note(mine: Outcome, old: Outcome | None) -> str:
    text = f"RSS {mine.warm_mib:.0f} -> {mine.after_mib:.0f} MiB after the call"
    if old is not None:
        text += f" (before: {old.warm_mib:.0f} -> {old.after_mib:.0f} MiB)"
    return text


def _measure(upstream: Upstream, command: ServerCommand, extra_env: dict[str, str], body: str) -> Outcome:
    with StdioSession(command, server_env(upstream.env) | extra_env) as session:
        session.start()
        session.call(TOOL, upstream.arguments(HOSTILE))  # warm: token, imports, one full answer
        warm = rss_kib(session.pid)
        _set_fault(upstream, {"body": body, "times": 1})
        started = time.perf_counter()
        hostile_id = session.send("tools/call", {"name": TOOL, "arguments": upstream.arguments(HOSTILE)})
        hostile_at: float | None = None
        hostile_reply: dict[str, Any] = {}
        small_seconds: list[float] = []
        # Small calls one after another, 50 ms apart, while the hostile one runs: the slowest is the stall.
        while hostile_at is None:
            time.sleep(0.05)  # a synchronous benchmark driver, not async code
            small_started = time.perf_counter()
            small_id = session.send("tools/call", {"name": TOOL, "arguments": upstream.arguments(SMALL)})
            while True:
                message_id, at, reply, _ = session.receive()
                if message_id == hostile_id:
                    hostile_at, hostile_reply = at, reply
                elif message_id == small_id:
                    small_seconds.append(at - small_started)
                    break
        return Outcome(
            peak_mib=rss_kib(session.pid, "VmHWM") / 1024,
            warm_mib=warm / 1024,
            after_mib=rss_kib(session.pid) / 1024,
            hostile_seconds=hostile_at - started,
            small_seconds=max(small_seconds),
            hostile_error=bool(hostile_reply.get("result", {}).get("isError")),
        )


def _set_fault(upstream: Upstream, fault: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 -- loopback http URL of our own simulator
        upstream.base_url + "/_sim/faults",
        data=json.dumps({"operation_id": upstream.operations[HOSTILE].operation_id, "fault": fault}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310
        response.read()


@contextmanager
def _before() -> Iterator[tuple[ServerCommand, dict[str, str]] | None]:
    """The pre-hardening server: `python -m catena_mcp` with the extracted package first on its path."""
    with tempfile.TemporaryDirectory(prefix="catena-before-") as tmp:
        archive = subprocess.run(  # noqa: S603 -- git, on our own repository
            ["git", "-C", str(REPO), "archive", "--format=tar", BEFORE_COMMIT],  # noqa: S607
            capture_output=True,
            check=False,
        )
        if archive.returncode != 0:
            print(f"no 'before' run: git archive {BEFORE_COMMIT} failed", file=sys.stderr)
            yield None
            return
        tar_path = Path(tmp) / "before.tar"
        tar_path.write_bytes(archive.stdout)
        with tarfile.open(tar_path) as tar:
            tar.extractall(tmp, filter="tar")  # keeps the package's relative symlinks
        # PYTHONPATH comes before the editable install's path entry, so this `catena_mcp` is the one imported.
        command = ServerCommand("before", (sys.executable, "-m", "catena_mcp"))
        yield command, {"PYTHONPATH": str(Path(tmp) / ".package")}


@contextmanager
def _nothing() -> Iterator[None]:
    yield None
