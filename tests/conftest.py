"""Fixtures: hermetic environment, a recorded sleep, and in-process servers on a fake Catena."""

import os
from collections.abc import Callable
from typing import Any

import pytest
from mcp.server import MCPServer

from catena_mcp.server.app import build_server
from tests.fakes import NOW, FakeCatena, Sleeps, make_client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _hermetic_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("CATENA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def server_factory(sleeps: Sleeps) -> Callable[..., MCPServer[Any]]:
    def factory(fake: FakeCatena, **settings: Any) -> MCPServer[Any]:
        return build_server(make_client(fake, sleeps, **settings), now=lambda: NOW)

    return factory
