"""End-to-end fixtures: a Catena simulator on loopback, in its own thread so sync and async tests share it."""

from collections.abc import Iterator

import pytest

from catena_mcp.simulator import SimulatorHandle, SimulatorThread
from tests.e2e.helpers import SCRIPT


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    with SimulatorThread() as handle:
        yield handle


@pytest.fixture(scope="session", autouse=True)
def _installed_script() -> None:
    assert SCRIPT.exists(), f"{SCRIPT} is missing: install the project first (pip install -e .)"
