"""Start and stop a simulator in-process: as an anyio task for async callers, in a thread for sync ones.

Both bind the socket before uvicorn starts, so port 0 yields a free port with no bind race, and connections
made before uvicorn is ready simply wait in the listen backlog.
"""

import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, TypedDict, TypeVar, Unpack

import anyio
import uvicorn
from anyio.from_thread import BlockingPortal, start_blocking_portal
from starlette.applications import Starlette

from catena_mcp.simulator.app import TOKEN_PATH, OperationRef, SimulatorState, create_app, simulator_state

T = TypeVar("T")


class SimulatorOptions(TypedDict, total=False):
    """Keyword arguments of `simulator.app.create_app`."""

    catalogue: Mapping[str, Mapping[str, Any]] | None
    client_id: str
    client_secret: str
    token_ttl_seconds: float
    default_faults: bool
    history: Sequence[Mapping[str, Any]] | None
    now: datetime


@dataclass(frozen=True)
class SimulatorHandle:
    """Where a running simulator listens, its credentials, and direct access to its faults and counters."""

    base_url: str
    token_url: str
    client_id: str
    client_secret: str
    # Catalogue key (and built-in fault key) -> where to fetch that operation.
    operations: Mapping[str, OperationRef] = field(repr=False)
    _state: SimulatorState = field(repr=False)
    # Set for a simulator in another thread: its state may only be touched from that thread's event loop.
    _portal: BlockingPortal | None = field(default=None, repr=False)

    def _call(self, func: Callable[..., T], *args: Any) -> T:
        return func(*args) if self._portal is None else self._portal.call(func, *args)

    def stats(self) -> dict[str, Any]:
        """The same document as `GET /_sim/stats`."""
        return self._call(self._state.stats)

    def set_fault(self, operation_id: str, fault: Mapping[str, Any]) -> None:
        """Like `POST /_sim/faults`; raises `simulator.faults.FaultError` for a spec it cannot honour."""
        self._call(self._state.set_fault, operation_id, fault)

    def set_token_fault(self, fault: Mapping[str, Any]) -> None:
        """Like `POST /_sim/faults` with operation_id "token": the token endpoint's next replies misbehave."""
        self._call(self._state.set_token_fault, fault)

    def clear_faults(self) -> None:
        """Like `DELETE /_sim/faults`: removes every fault, the built-in ones and the token's too."""
        self._call(self._state.faults.clear)

    def reset(self) -> None:
        """Like `POST /_sim/reset`: built-in faults back, counters zeroed, tokens kept."""
        self._call(self._state.reset)


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn would take over SIGINT/SIGTERM in the main thread; an embedded simulator must leave Ctrl-C
        # to its host (pytest, the MCP server), which stops it by leaving the context manager.
        yield


def server_config(app: Starlette, *, log_level: str = "warning") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        loop="none",
        lifespan="off",
        ws="none",
        access_log=False,
        log_level=log_level,
        log_config=None,  # leave the host process's logging setup alone
        server_header=False,
        # A request held by a latency fault must not keep a shutdown waiting for long.
        timeout_graceful_shutdown=1,
    )


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it uvicorn's
    # separate header and body writes stall ~40 ms on every small response (Nagle meets delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.asynccontextmanager
async def running_simulator(
    *, host: str = "127.0.0.1", port: int = 0, **options: Unpack[SimulatorOptions]
) -> AsyncIterator[SimulatorHandle]:
    """Serve a simulator on `host:port` (0 = a free port) for the duration of the `async with` block."""
    app = create_app(**options)
    state = simulator_state(app)
    sock = bind_socket(host, port)
    base_url = base_url_of(sock)
    server = _EmbeddedServer(server_config(app))

    async def serve() -> None:
        # Shielded so that cancelling the caller still runs uvicorn's orderly shutdown (closing the socket and
        # the connections) instead of abandoning them; the `finally` below is what makes it stop.
        with anyio.CancelScope(shield=True):
            await server.serve(sockets=[sock])

    body_error: Exception | None = None
    async with anyio.create_task_group() as tg:
        tg.start_soon(serve)
        try:
            with anyio.fail_after(10):
                while not server.started:  # noqa: ASYNC110 -- uvicorn signals readiness only by this flag
                    await anyio.sleep(0.001)
            yield SimulatorHandle(
                base_url=base_url,
                token_url=base_url + TOKEN_PATH,
                client_id=state.client_id,
                client_secret=state.client_secret,
                operations=dict(state.catalogue.refs),
                _state=state,
            )
        except Exception as exc:
            # The task group would wrap it in an ExceptionGroup; the caller should see its own exception.
            body_error = exc
        finally:
            state.wake_sleepers()
            server.should_exit = True
    if body_error is not None:
        raise body_error


class SimulatorThread:
    """`with SimulatorThread(**options) as sim:` runs a simulator on its own event loop thread."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, **options: Unpack[SimulatorOptions]
    ) -> None:
        self._host = host
        self._port = port
        self._options = options
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> SimulatorHandle:
        with contextlib.ExitStack() as stack:
            portal = stack.enter_context(start_blocking_portal("asyncio"))
            handle = stack.enter_context(
                portal.wrap_async_context_manager(
                    running_simulator(host=self._host, port=self._port, **self._options)
                )
            )
            self._stack = stack.pop_all()
        return dataclasses.replace(handle, _portal=portal)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stack.close()
