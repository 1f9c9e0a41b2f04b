"""Debian's HAProxy in front of replicas of `catena-mcp`, the way a team runs one shared server.

Round-robin on every request, with no stickiness of any kind (no cookie, no stick table, no source hash),
health checks on GET /healthz, and a failed connection retried on another replica.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.helpers import STOP_TIMEOUT_SECONDS, HttpServer, free_port, stop

HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
UP_TIMEOUT_SECONDS = 20.0

_CONFIG = """\
global
    stats socket {socket} level user
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # Generous: a replica busy with calls on a shared 2-core box may take a while to answer /healthz.
    timeout check 2s
    retries 3
    option redispatch 1
frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas
backend replicas
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
{servers}
"""


def require_haproxy() -> str:
    if HAPROXY is None:
        # CI installs it (.ci/run): there, a missing binary is a failure, not a reason to skip.
        assert not os.environ.get("CI"), "haproxy is missing on CI: .ci/run should have installed it"
        pytest.skip("the haproxy binary is absent: apt-get install -y haproxy (.ci/run installs it)")
    return HAPROXY


@dataclass(frozen=True)
class ServerStats:
    health: str  # UP once a health check passed (not merely before the first), DOWN, or HAProxy's words
    picked: int  # requests the balancer sent to it (lbtot)


@dataclass(frozen=True)
class LoadBalancer:
    process: "subprocess.Popen[bytes]"
    port: int
    socket: Path
    log: Path

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stats(self) -> dict[str, ServerStats]:
        """Per replica (r0, r1, ...): its health as HAProxy sees it and the requests sent to it."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.socket))
            sock.sendall(b"show stat\n")
            data = b"".join(iter(lambda: sock.recv(65536), b""))
        header, *rows = data.decode().strip().splitlines()
        columns = header.removeprefix("# ").split(",")
        stats = {}
        for row in rows:
            fields = dict(zip(columns, row.split(","), strict=False))
            if fields["pxname"] == "replicas" and fields["svname"] not in ("FRONTEND", "BACKEND"):
                status, check = fields["status"], fields["check_status"]
                healthy = status == "UP" and check == "L7OK"
                health = "UP" if healthy else "DOWN" if status == "DOWN" else f"{status} {check}"
                stats[fields["svname"]] = ServerStats(health, int(fields["lbtot"]))
        return stats

    def wait_for(self, statuses: Sequence[str]) -> None:
        """Until the health checks report `statuses` (one per replica, in order)."""
        deadline = time.monotonic() + UP_TIMEOUT_SECONDS
        while True:
            seen = [stat.health for stat in self.stats().values()]
            if seen == list(statuses):
                return
            assert time.monotonic() < deadline, f"replicas {seen}, expected {statuses}:\n{self.output()}"
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(0.05)
            assert self.process.returncode is None, f"haproxy exited:\n{self.output()}"

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")


@contextlib.contextmanager
def load_balancer(replicas: Sequence[HttpServer], cwd: Path) -> Iterator[LoadBalancer]:
    """HAProxy on a free loopback port in front of `replicas`, all of them UP, until the block ends."""
    binary = require_haproxy()
    port = free_port()
    servers = "\n".join(
        f"    server r{n} 127.0.0.1:{replica.port} check inter 200ms fall 2 rise 1"
        for n, replica in enumerate(replicas)
    )
    config = cwd / "haproxy.cfg"
    stats = cwd / "haproxy.sock"
    config.write_text(_CONFIG.format(socket=stats, port=port, servers=servers), "utf-8")
    log = cwd / "haproxy.log"
    with log.open("wb") as output:
        # -db: stay in the foreground, so stopping the process stops the balancer.
        process = subprocess.Popen(
            [binary, "-f", str(config), "-db"], stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )
    balancer = LoadBalancer(process, port, stats, log)
    try:
        deadline = time.monotonic() + UP_TIMEOUT_SECONDS
        while not stats.exists():
            assert time.monotonic() < deadline, f"haproxy did not start:\n{balancer.output()}"
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.02)
            assert process.returncode is None, f"haproxy exited:\n{balancer.output()}"
        balancer.wait_for(["UP"] * len(replicas))
        yield balancer
    finally:
        stop(process)
        assert process.returncode is not None, f"haproxy outlived {STOP_TIMEOUT_SECONDS} s"
