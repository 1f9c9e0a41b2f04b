"""Throughput through a load balancer: two `--stateless` replicas behind HAProxy against one.

The deployment the README recommends for a team: replicas of `catena-mcp --transport streamable-http
--stateless` behind a round-robin balancer without affinity (Debian's HAProxy here). It is measured the way
bench/throughput.py measures one server: 50 clients, each with its own keep-alive connection (to HAProxy)
and MCP session, calling back to back; rounds alternate between the two set-ups and the median round is
reported. Both set-ups go through the same HAProxy configuration, so the ratio is what the second replica
adds, not what the proxy costs. On a 2-core box the load generator, HAProxy, the simulator and the replicas
share the cores, so a second replica can only add what the first leaves idle. The replicas' resident memory
after the run sizes the Kubernetes requests and limits in deploy/.
"""

import asyncio
import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench.results import Row, median
from bench.stdio import ServerCommand, cpu_seconds, ours, rss_kib, server_env
from bench.throughput import CLIENTS, HttpServer, client_loop, free_port, open_session, start_server
from bench.upstream import Upstream
from bench.warm import LARGE, SMALL

_CONFIG = """\
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch 1
frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /healthz
{servers}
"""


@dataclass
class Balanced:
    """HAProxy in front of `replicas`, with the clients of one set-up."""

    label: str
    front: HttpServer  # the balancer's URL, with the clients' sessions
    replicas: list[HttpServer]


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def _haproxy(replicas: list[HttpServer], stack: ExitStack) -> tuple[str, subprocess.Popen[bytes]]:
    binary = haproxy_binary()
    if binary is None:
        raise RuntimeError("the replicas benchmark needs HAProxy: apt-get install -y haproxy")
    port = free_port()
    servers = "\n".join(
        f"    server r{n} {replica.url.removeprefix('http://').split('/')[0]} check inter 2s"
        for n, replica in enumerate(replicas)
    )
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-haproxy-")))
    config = folder / "haproxy.cfg"
    config.write_text(_CONFIG.format(port=port, servers=servers), "utf-8")
    process = subprocess.Popen(  # noqa: S603 -- the machine's haproxy, our config
        [binary, "-f", str(config), "-db"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def stop() -> None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    stack.callback(stop)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"http://127.0.0.1:{port}/mcp", process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("HAProxy did not start") from None
            time.sleep(0.02)


async def _round(setup: Balanced, seconds: float) -> tuple[float, float, float, float]:
    """Calls per second and CPU ms per call of the replicas, HAProxy and the load generator, for one round."""
    pids = [replica.process.pid for replica in setup.replicas]
    balancer = setup.front.process.pid
    cpu0, proxy0, own0 = sum(cpu_seconds(pid) for pid in pids), cpu_seconds(balancer), time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    clients = setup.front.clients
    counts = await asyncio.gather(*(client_loop(conn, request, deadline) for conn, request in clients))
    elapsed = time.perf_counter() - start
    calls = sum(counts)
    cpu = sum(cpu_seconds(pid) for pid in pids) - cpu0
    proxy, own = cpu_seconds(balancer) - proxy0, time.process_time() - own0
    return calls / elapsed, cpu / calls * 1000, proxy / calls * 1000, own / calls * 1000


async def _measure(
    setups: list[Balanced], rounds: int, seconds: float, warmup: float
) -> dict[str, list[tuple[float, float, float, float]]]:
    for setup in setups:
        setup.front.clients = [await open_session(setup.front) for _ in range(CLIENTS)]
    try:
        for setup in setups:  # warm-up: token fetch, connection pools, first-use costs
            await _round(setup, warmup)
        results: dict[str, list[tuple[float, float, float, float]]] = {setup.label: [] for setup in setups}
        for n in range(rounds):
            for setup in setups if n % 2 == 0 else setups[::-1]:
                results[setup.label].append(await _round(setup, seconds))
        return results
    finally:
        for setup in setups:
            for connection, _ in setup.front.clients:
                await connection.__aexit__(None, None, None)


def _peak_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmHWM:", 1)[1].split()[0]) / 1024


async def _burst(replica: HttpServer) -> None:
    """Every client calls the 5,000-log operation once, all at the same time: the worst memory moment."""
    clients = [await open_session(replica) for _ in range(CLIENTS)]
    try:
        now = time.perf_counter()
        await asyncio.gather(*(client_loop(conn, request, now) for conn, request in clients))
    finally:
        for connection, _ in clients:
            await connection.__aexit__(None, None, None)


def run(upstream: Upstream, rounds: int, seconds: float, warmup: float = 1.0) -> list[Row]:
    env = server_env(upstream.env)
    command = ServerCommand("catena-mcp --stateless", (*ours().argv, "--stateless"))
    arguments = upstream.arguments(SMALL)
    with ExitStack() as stack:
        # Three replicas: one alone behind its balancer, two behind the other; every replica equally warm.
        alone, *pair = (start_server(command, env, arguments, stack) for _ in range(3))
        setups = []
        for label, replicas in (("one replica", [alone]), ("two replicas", pair)):
            url, balancer = _haproxy(replicas, stack)
            setups.append(Balanced(label, HttpServer(command, url, balancer, arguments), replicas))
        results = asyncio.run(_measure(setups, rounds, seconds, warmup))
        rss = {setup.label: max(rss_kib(r.process.pid) for r in setup.replicas) / 1024 for setup in setups}
        big = HttpServer(command, alone.url, alone.process, upstream.arguments(LARGE))
        asyncio.run(_burst(big))
        peak = _peak_mib(alone.process.pid)
    two, one = results["two replicas"], results["one replica"]
    section = f"replicas (Streamable HTTP --stateless behind HAProxy, {CLIENTS} clients)"
    return [
        Row(
            section,
            f"calls/s, two replicas vs one, median of {rounds} rounds of {seconds:g} s",
            "calls/s",
            median([r[0] for r in two]),
            median([r[0] for r in one]),
            "one replica",
            note="2 cores shared by the load generator, HAProxy, the simulator and the replicas",
            extra={"ours": two, "baseline": one},
        ),
        Row(
            section,
            "replicas' CPU per call",
            "ms",
            median([r[1] for r in two]),
            median([r[1] for r in one]),
            "one replica",
            note=f"HAProxy: {median([r[2] for r in one + two]):.2f} ms CPU per call, load generator: "
            f"{median([r[3] for r in one + two]):.2f} ms",
        ),
        Row(
            section,
            "resident memory of a replica after the run (largest)",
            "MiB",
            rss["two replicas"],
            rss["one replica"],
            "one replica",
            note="sizes deploy/'s requests and limits",
        ),
        Row(
            section,
            f"peak resident memory of a replica, {CLIENTS} concurrent 5,000-log calls",
            "MiB",
            peak,
            note="VmHWM; sizes deploy/'s memory limit",
        ),
    ]
