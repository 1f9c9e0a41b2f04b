"""The upstream for every benchmark: the Catena simulator, in its own process.

Its own process, not a thread of the benchmark: the load generator and the servers under test must not share
a GIL with it, and on a 2-core box every core counts.
"""

import json
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from types import TracebackType

from catena_mcp.simulator import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OperationRef
from catena_mcp.simulator.app import TOKEN_PATH


@dataclass(frozen=True)
class Upstream:
    base_url: str
    operations: dict[str, OperationRef]

    @property
    def env(self) -> dict[str, str]:
        """What both servers need to reach it (the credentials are the simulator's published demo ones)."""
        return {
            "CATENA_BASE_URL": self.base_url,
            "CATENA_TOKEN_URL": self.base_url + TOKEN_PATH,
            "CATENA_CLIENT_ID": DEFAULT_CLIENT_ID,
            "CATENA_CLIENT_SECRET": DEFAULT_CLIENT_SECRET,
        }

    def arguments(self, key: str) -> dict[str, str]:
        ref = self.operations[key]
        return {"connection_id": ref.connection_id, "resource_operation_id": ref.operation_id}

    def raw(self, key: str) -> bytes:
        """The operation's bytes exactly as the simulator sends them."""
        token_request = urllib.request.Request(  # noqa: S310 -- loopback http URL built above
            self.env["CATENA_TOKEN_URL"],
            data=(
                f"grant_type=client_credentials&client_id={DEFAULT_CLIENT_ID}"
                f"&client_secret={DEFAULT_CLIENT_SECRET}&scope=organization"
            ).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        with urllib.request.urlopen(token_request) as response:  # noqa: S310
            token = json.load(response)["access_token"]
        request = urllib.request.Request(  # noqa: S310
            self.base_url + self.operations[key].path, headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310
            body: bytes = response.read()
        return body


class SimulatorProcess:
    """`with SimulatorProcess() as upstream:` serves `catena-mcp simulator` on a free loopback port."""

    def __enter__(self) -> Upstream:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "catena_mcp", "simulator", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self._process.stdout is not None
        line = self._process.stdout.readline()  # "Catena simulator listening on http://127.0.0.1:PORT"
        base_url = line.strip().rsplit(" ", 1)[-1]
        if not base_url.startswith("http://"):
            self._process.kill()
            raise RuntimeError(f"the simulator did not start: {line!r}")
        with urllib.request.urlopen(base_url + "/_sim/operations") as response:  # noqa: S310
            refs = json.load(response)
        return Upstream(base_url, {key: OperationRef(**ref) for key, ref in refs.items()})

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
