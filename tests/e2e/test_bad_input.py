"""Hostile tool arguments over one long-lived stdio session: always a clean tool error, never an upstream call."""

import contextlib
import json
import re
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from anyio.from_thread import start_blocking_portal
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from inline_snapshot import snapshot
from pydantic import BaseModel, Field, ValidationError

from catena_mcp.simulator import SimulatorHandle
from tests.e2e.helpers import TOOL, arguments, stdio_server, text_of, verdict_of

FIELDS = ("connection_id", "resource_operation_id", "max_logs")
PATH_TRICKS = (
    "../../../etc/passwd",
    "..%2f..%2f_sim%2freset",
    "%2e%2e/%2e%2e/",
    "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f/../../_sim/reset",
    "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f/resource-operations/../..",
    "../8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f",
    "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f?x=1",
    "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f#",
    "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f\x00",
    "http://169.254.169.254/latest/meta-data/",
    "/",
    "",
)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
ANY_JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
HUGE_STRINGS = st.builds(
    lambda unit, size: (unit * size)[:size], st.text(min_size=1, max_size=4), st.integers(100_000, 400_000)
)
NOT_A_UUID = st.one_of(st.sampled_from(PATH_TRICKS), HUGE_STRINGS, ANY_JSON)
BAD_MAX_LOGS = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=501),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    st.sampled_from(["twenty", "", "1e3", "-1", "501", "../20", "20; DROP TABLE"]),
    st.none(),
    st.lists(st.integers(0, 500), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    HUGE_STRINGS,
)
EXTRA_FIELDS = st.dictionaries(
    st.one_of(
        st.sampled_from(["ctx", "path", "url", "../x", "__class__", "connectionId"]), st.text(max_size=12)
    ).filter(lambda name: name not in FIELDS),
    ANY_JSON,
    max_size=3,
)


class _Arguments(BaseModel):
    """What the tool accepts (extra fields are ignored), to keep only examples that are really bad."""

    connection_id: UUID
    resource_operation_id: UUID
    max_logs: Annotated[int, Field(ge=0, le=500)] = 20


def acceptable(args: dict[str, Any]) -> bool:
    variants = [args]
    # Lenient clients and servers may decode a JSON string sent for a non-string parameter.
    decoded = dict(args)
    for name, value in args.items():
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                decoded[name] = json.loads(value)
    variants.append(decoded)
    for variant in variants:
        try:
            _Arguments.model_validate(variant)
        except ValidationError:
            continue
        return True
    return False


@st.composite
def bad_arguments(draw: st.DrawFn, good: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name in FIELDS:
        choice = draw(st.sampled_from(["good", "bad", "missing"]))
        if choice == "good":
            args[name] = good[name]
        elif choice == "bad":
            args[name] = draw(BAD_MAX_LOGS if name == "max_logs" else NOT_A_UUID)
    args.update(draw(EXTRA_FIELDS))
    if acceptable(args):
        # Spoil one ID rather than throw the example away.
        args[draw(st.sampled_from(FIELDS[:2]))] = draw(st.sampled_from(PATH_TRICKS))
    return args


def test_bad_arguments_get_a_clean_tool_error(sim: SimulatorHandle, tmp_path: Path) -> None:
    good = arguments(sim, "success_first_time", max_logs=5)
    (connection, operation) = (good["connection_id"], good["resource_operation_id"])
    with (
        start_blocking_portal("asyncio") as portal,
        portal.wrap_async_context_manager(stdio_server(sim, tmp_path)) as client,
    ):
        first_texts: list[str] = []

        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(args=bad_arguments(good))
        @example(args={"connection_id": connection, "resource_operation_id": "a" * (1 << 20)})
        @example(args={"connection_id": f"{connection}/../../_sim/reset", "resource_operation_id": operation})
        @example(args={"connection_id": connection, "resource_operation_id": operation, "max_logs": -1})
        @example(args={"connection_id": connection, "resource_operation_id": 42, "extra": {"a": [1]}})
        @example(args={"resource_operation_id": operation})
        @example(args={})
        def check(args: dict[str, Any]) -> None:
            result = portal.call(client.call_tool, TOOL, args)
            assert result.is_error is True, args
            assert result.structured_content is None
            text = text_of(result)
            assert text.startswith(f"Error executing tool {TOOL}: ")
            assert "Traceback" not in text
            assert 'File "' not in text
            assert len(text) < 5000  # a 1 MiB argument is not echoed back whole
            # The pydantic version in its help links is not part of what this test pins down.
            first_texts.append(
                re.sub(r"errors\.pydantic\.dev/[0-9.]+/", "errors.pydantic.dev/VERSION/", text)
            )

        check()
        assert len(first_texts) >= 50  # the examples really ran, over the one session
        # Nothing reached Catena, not even a token request.
        assert sim.stats() == snapshot(
            {"token_requests": 0, "operation_requests": 0, "list_requests": 0, "by_status": {}}
        )
        assert "Traceback" not in (tmp_path / "stderr.log").read_text()
        assert first_texts[:2] == snapshot(
            [
                """\
Error executing tool get_resource_operation: 1 validation error for get_resource_operationArguments
resource_operation_id
  Input should be a valid UUID, invalid length: found 1048576 [type=uuid_parsing, input_value='aaaaaaaaaaaaaaaaaaaaaaaa...aaaaaaaaaaaaaaaaaaaaaaa', input_type=str]
    For further information visit https://errors.pydantic.dev/VERSION/v/uuid_parsing\
""",
                """\
Error executing tool get_resource_operation: 1 validation error for get_resource_operationArguments
connection_id
  Input should be a valid UUID, invalid length: found 53 [type=uuid_parsing, input_value='8d4f2b6e-1a3c-4e5d-9f7b-...0d4b1f/../../_sim/reset', input_type=str]
    For further information visit https://errors.pydantic.dev/VERSION/v/uuid_parsing\
""",
            ]
        )
        # The same session still answers a good call, which the simulator does count.
        result = portal.call(client.call_tool, TOOL, good)
        assert verdict_of(sim, "success_first_time", result) == "succeeded_first_time"
    assert sim.stats()["operation_requests"] == 1
