"""Resident memory of each server process after 1,000 and 5,000 calls (VmRSS from /proc/PID/status).

Both servers get the same calls, alternating, cycling through every catalogue operation except the
5,000-log one (whose ~2 MB replies would measure the allocator's high-water mark, not the server).
"""

from bench.results import Row, Target
from bench.stdio import StdioSession, ours, server_env, thin_proxy
from bench.upstream import Upstream

TOOL = "get_resource_operation"
MIB = 1024


def run(upstream: Upstream, checkpoints: tuple[int, int], operations: list[str]) -> list[Row]:
    env = server_env(upstream.env)
    first, last = checkpoints
    arguments = [upstream.arguments(key) for key in operations]
    rss: dict[int, tuple[float, float]] = {}
    with StdioSession(ours(), env) as mine, StdioSession(thin_proxy(), env) as thin:
        sessions = (mine, thin)
        for session in sessions:
            session.start()
            session.list_tools()
        for n in range(1, last + 1):
            for session in sessions if n % 2 else sessions[::-1]:
                session.call(TOOL, arguments[n % len(arguments)])
            if n in checkpoints:
                rss[n] = (mine.rss_kib() / MIB, thin.rss_kib() / MIB)
    section = "memory (stdio, RSS)"
    return [
        Row(
            section,
            f"after {first:,} calls",
            "MiB",
            rss[first][0],
            rss[first][1],
            "thin proxy",
            Target("<=", 1.2),
        ),
        Row(
            section,
            f"ours after {last:,} calls vs after {first:,}",
            "MiB",
            rss[last][0],
            rss[first][0],
            f"ours at {first:,}",
            Target("<=", 1.03),
            note=f"thin proxy: {rss[first][1]:.1f} -> {rss[last][1]:.1f} MiB",
        ),
    ]
