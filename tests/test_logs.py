"""Whatever logs an exception, the log line carries its type, never the traceback."""

import logging
from collections.abc import Iterator

import pytest
from inline_snapshot import snapshot

from catena_mcp.server.logs import configure_logging


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root, httpx_logger = logging.getLogger(), logging.getLogger("httpx")
    saved = root.handlers[:], root.level, httpx_logger.level
    yield
    root.handlers[:], root.level, httpx_logger.level = saved[0], saved[1], saved[2]


def test_tracebacks_never_reach_the_log(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO")
    try:
        raise ValueError("upstream said: token=abc123")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application %s", "/sse")
    logging.getLogger("httpx").info("HTTP Request: GET https://catena.test")
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "abc123" not in err
    assert [line.split(" ", 2)[2] for line in err.splitlines()] == snapshot(
        ["ERROR uvicorn.error: Exception in ASGI application /sse [ValueError]"]
    )
