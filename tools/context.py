"""What every request handler can reach: the shared Catena client and how to tell the time."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from catena_mcp.tools.catena.client import CatenaClient


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class AppState:
    catena: CatenaClient
    # True when serving the built-in simulator: every answer then says the data is not real.
    simulated: bool = False
    now: Callable[[], datetime] = field(default=utc_now)
