"""Cold start over stdio: spawn -> initialize -> tools/list answered, ours and the thin proxy alternating."""

import time
from typing import Any

from bench.results import Row, Target, median
from bench.stdio import ServerCommand, StdioSession, ours, server_env, thin_proxy
from bench.upstream import Upstream


def _spawn(command: ServerCommand, env: dict[str, str]) -> tuple[float, list[dict[str, Any]]]:
    with StdioSession(command, env) as session:
        session.start()
        tools = session.list_tools()
        return time.perf_counter() - session.spawned_at, tools


def run(upstream: Upstream, spawns: int) -> tuple[list[Row], dict[str, list[dict[str, Any]]]]:
    env = server_env(upstream.env)
    commands = (ours(), thin_proxy())
    # One unmeasured spawn each first: byte-code caches and the page cache warm, as on any second launch.
    tools = {command.label: _spawn(command, env)[1] for command in commands}
    times: dict[str, list[float]] = {command.label: [] for command in commands}
    for n in range(spawns):
        # Alternate which goes first, so neither always runs right after the other's exit.
        for command in commands if n % 2 == 0 else commands[::-1]:
            times[command.label].append(_spawn(command, env)[0])
    ours_ms = [t * 1000 for t in times["catena-mcp"]]
    thin_ms = [t * 1000 for t in times["thin proxy"]]
    row = Row(
        "cold start (stdio)",
        f"spawn -> initialize -> tools/list, median of {spawns}",
        "ms",
        median(ours_ms),
        median(thin_ms),
        "thin proxy",
        Target("<=", 1.10),
        extra={"ours_ms": ours_ms, "baseline_ms": thin_ms},
    )
    return [row], tools
