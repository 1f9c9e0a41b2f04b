"""Warm calls over stdio: one session per server, calls alternating between them on the same operation."""

from dataclasses import dataclass
from typing import Any

from bench.results import Row, Target, median, percentile
from bench.stdio import StdioSession, cpu_seconds, ours, server_env, thin_proxy
from bench.upstream import Upstream

TOOL = "get_resource_operation"
SMALL = "success_after_retries"  # a handful of attempts
LARGE = "thousands_of_logs"  # 5,000 logs, ~2 MB


@dataclass
class Replies:
    """One tools/call result per catalogue operation, from each server, for the token counts."""

    ours: dict[str, dict[str, Any]]
    baseline: dict[str, dict[str, Any]]


def _alternate(
    sessions: tuple[StdioSession, StdioSession], arguments: dict[str, str], calls: int
) -> tuple[list[float], list[float], list[int], list[int]]:
    times: tuple[list[float], list[float]] = ([], [])
    sizes: tuple[list[int], list[int]] = ([], [])
    for n in range(calls):
        order = (0, 1) if n % 2 == 0 else (1, 0)
        for i in order:
            seconds, _, size = sessions[i].call(TOOL, arguments)
            times[i].append(seconds * 1000)
            sizes[i].append(size)
    return times[0], times[1], sizes[0], sizes[1]


def _rows(label: str, key: str, ours_ms: list[float], thin_ms: list[float], target: float) -> list[Row]:
    n = len(ours_ms)
    section = "warm calls (stdio)"
    return [
        Row(
            section,
            f"{label}: median of {n}",
            "ms",
            median(ours_ms),
            median(thin_ms),
            "thin proxy",
            Target("<=", target),
            extra={"operation": key},
        ),
        Row(
            section,
            f"{label}: p90 of {n}",
            "ms",
            percentile(ours_ms, 90),
            percentile(thin_ms, 90),
            "thin proxy",
            extra={"operation": key},
        ),
    ]


def run(
    upstream: Upstream, small_calls: int, large_calls: int, catalogue: list[str]
) -> tuple[list[Row], Replies]:
    env = server_env(upstream.env)
    with StdioSession(ours(), env) as mine, StdioSession(thin_proxy(), env) as thin:
        sessions = (mine, thin)
        for session in sessions:
            session.start()
            session.list_tools()
        # Warm-up, unmeasured: the token fetch, the connection pool, lazy imports, pydantic's first use.
        _alternate(sessions, upstream.arguments(SMALL), 20)
        _alternate(sessions, upstream.arguments(LARGE), 2)

        cpu = [cpu_seconds(session.pid) for session in sessions]
        small = _alternate(sessions, upstream.arguments(SMALL), small_calls)
        cpu = [
            (cpu_seconds(s.pid) - before) / small_calls * 1000
            for s, before in zip(sessions, cpu, strict=True)
        ]
        large = _alternate(sessions, upstream.arguments(LARGE), large_calls)
        replies = Replies({}, {})
        for key in catalogue:
            replies.ours[key] = mine.call(TOOL, upstream.arguments(key))[1]
            replies.baseline[key] = thin.call(TOOL, upstream.arguments(key))[1]

    rows = _rows("handful of attempts", SMALL, small[0], small[1], 1.15)
    rows.append(
        Row(
            "warm calls (stdio)",
            "handful of attempts: server CPU per call",
            "ms",
            cpu[0],
            cpu[1],
            "thin proxy",
            note="user + system time of the server process (10 ms ticks, averaged over the calls)",
        )
    )
    rows += _rows("5,000 logs", LARGE, large[0], large[1], 1.0)
    rows.append(
        Row(
            "warm calls (stdio)",
            "5,000 logs: response size on the wire",
            "bytes",
            median(large[2]),
            median(large[3]),
            "thin proxy",
            note="ours: text + structured content with the latest 20 logs",
        )
    )
    return rows, replies
