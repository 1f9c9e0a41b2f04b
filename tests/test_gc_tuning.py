"""The collector settings the HTTP transports serve with: start-up frozen, a wider young generation."""

import gc
from collections.abc import Iterator

import pytest
from inline_snapshot import snapshot

from catena_mcp.server.gc_tuning import tune_for_serving


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_start_up_is_frozen_and_the_young_generation_widened() -> None:
    gc.set_threshold(700, 10, 10)  # CPython's defaults
    built_at_start_up = {"a container": ["the collector tracks"]}
    assert any(obj is built_at_start_up for obj in gc.get_objects())

    tune_for_serving()

    assert gc.get_threshold() == snapshot((10000, 10, 10))
    assert gc.get_freeze_count() > 0
    # Frozen: no collection looks at it again.
    assert not any(obj is built_at_start_up for obj in gc.get_objects())
    # What is built after start-up is collected as before.
    made_later = ["a request's object"]
    assert any(obj is made_later for obj in gc.get_objects())
