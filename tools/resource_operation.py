"""The `get_resource_operation` tool: fetch one operation, diagnose it, return text + structured content."""

import functools
import re
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Annotated, Any
from uuid import UUID

import anyio
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult
from pydantic import Field, TypeAdapter
from pydantic_core import to_json

from catena_mcp.tools.answer import SIMULATED_BANNER, Answer, answer, read_only_tool
from catena_mcp.tools.catena.records import ResourceOperation, ResourceOperationLog
from catena_mcp.tools.context import AppState
from catena_mcp.tools.diagnosis import Diagnosis, diagnose, render_text
from catena_mcp.tools.schema import COMPACT_SCHEMA, OutputModel
from catena_mcp.tools.untrusted import TRUNCATED, bound_json, json_size

TOOL_NAME = "get_resource_operation"
TOOL_TITLE = "Diagnose a Catena resource operation"
TOOL_DESCRIPTION = """\
Look up one Catena write-back (a create/update sent to a fleet's telematics provider, the TSP) and explain \
its attempts: verdict, failures grouped by error type and HTTP status, rate-limit timing, request IDs to \
quote to TSP support, and next steps. Use it when a partner asks why a resource operation is pending or \
failed. Read-only. Catena's endpoint is provisional, so fields may change."""


ConnectionId = Annotated[
    UUID, Field(description="Catena connection (one fleet + one TSP) the operation belongs to.")
]
OperationId = Annotated[UUID, Field(description="The resource operation's ID.")]
# The whole result (text plus structured content, as UTF-8 JSON) stays under this many bytes: a byte is at
# most a token, and JSON like ours runs ~2.5 bytes a token, so ~16k tokens, well under the 25,000-token cap
# some clients (Claude Code) put on a tool's output.
RESULT_CEILING_BYTES = 40_000
# Upstream strings in the structured content (error details, header values, unknown fields) are cut here.
FIELD_LIMIT_CHARS = 1_000
# The payload is shown whole up to this size; beyond it, cut to a sketch of its fields.
PAYLOAD_LIMIT_BYTES = 4_000
# In JSON, a string longer than FIELD_LIMIT_CHARS is a stretch at least that long after a double quote
# without another (a regular expression finds it ~3x cheaper than splitting the JSON at every quote), once
# its escaped quotes are masked (see `_has_long_text`).
_LONG_TEXT = re.compile(b'"[^"]{%d}' % (FIELD_LIMIT_CHARS + 1))
# `to_json(content)` is the echo's and the diagnosis's JSON inside these keys and punctuation, plus
# logs_omitted's digits.
_CONTENT_FRAME_BYTES = len(b'{"operation":,"diagnosis":,"logs_omitted":}')
# Room for the JSON-RPC envelope and the escaping of the text.
_ENVELOPE_BYTES = 1_000
_LOGS = TypeAdapter(list[ResourceOperationLog])
# Echoed on their own terms: the payload bounded as a whole, the logs newest first and fewest that fit.
_NOT_ECHOED = {"logs", "payload"}
# Operations with this many logs or more (the 5,000-log one takes ~15 ms) are explained in a worker thread.
THREAD_EXPLAIN_MIN_LOGS = 2_000

MaxLogs = Annotated[
    int,
    Field(
        ge=0,
        le=500,
        description=(
            "How many of the most recent attempt logs to return raw (0-500). Fewer come back when more would "
            f"take the result past {RESULT_CEILING_BYTES:,} bytes (see logs_omitted)."
        ),
    ),
]


class ResourceOperationResult(OutputModel):
    """The tool's structured content."""

    model_config = COMPACT_SCHEMA

    # An open object in the schema: Catena's record is provisional and its fields drift; the diagnosis is
    # the typed part.
    # Values cut to fit the result ceiling carry their own marker ("[cut by catena-mcp: ...]"); the schema
    # does not repeat it (it is validated on every call, so every byte of it counts).
    operation: dict[str, Any] = Field(
        description="The operation as Catena returned it (ResourceOperationRead), latest max_logs logs only."
    )
    diagnosis: Diagnosis
    logs_omitted: int = Field(description="Older logs left out of operation.logs (see max_logs).")


@dataclass(frozen=True)
class Explanation:
    text: str
    content: dict[str, Any]

    def structured(self) -> dict[str, Any]:
        return self.content


def explain(operation: ResourceOperation, *, now: datetime, simulated: bool, max_logs: int) -> Explanation:
    """The markdown an assistant reads and the structured result, for one fetched operation.

    The result is bounded whatever the operation holds: see `RESULT_CEILING_BYTES`.
    """
    diagnosis = diagnose(operation, now=now)
    text = render_text(operation, diagnosis)
    if simulated:
        text = SIMULATED_BANNER + text
    logs = sorted(operation.logs, key=attrgetter("created_at"))
    recent = logs[len(logs) - max_logs :] if max_logs else []
    echoed: dict[str, Any] = {
        **operation.model_dump(mode="json", exclude=_NOT_ECHOED),
        "payload": _bounded_payload(operation.payload),
        "logs": _LOGS.dump_python(recent, mode="json"),
    }
    dumped_diagnosis = diagnosis.model_dump(mode="json")
    content: dict[str, Any] = {
        "operation": echoed,
        "diagnosis": dumped_diagnosis,
        "logs_omitted": len(logs) - len(recent),
    }
    # One serialization (pydantic-core's, as compact JSON) of each part sizes the result; only the echo's
    # is searched for long strings: the diagnosis bounds itself (its upstream text is cleaned and cut, its
    # lists capped), and it is most of the bytes.
    echo_json = to_json(echoed)
    size = len(echo_json) + len(to_json(dumped_diagnosis)) + _CONTENT_FRAME_BYTES
    size += len(str(content["logs_omitted"]))
    room = RESULT_CEILING_BYTES - _ENVELOPE_BYTES - len(text.encode())
    if size > room or _has_long_text(echo_json):
        # Upstream values too long, or too many (quotes escaped inside a value hide its length from the
        # test above, not from the size): every echoed value is cut to its limit.
        for name, value in echoed.items():
            if name not in _NOT_ECHOED:
                echoed[name] = bound_json(value, text_limit=FIELD_LIMIT_CHARS, items_limit=100)
        echoed["logs"] = [
            bound_json(log, text_limit=FIELD_LIMIT_CHARS, items_limit=50) for log in echoed["logs"]
        ]
        size = json_size(content)
    if size > room:
        # Over the ceiling: the oldest of the logs asked for go first, as few as it takes.
        dumped_logs = echoed["logs"]
        excess = size - room
        dropped = 0
        while excess > 0 and dropped < len(dumped_logs):
            excess -= json_size(dumped_logs[dropped]) + 1
            dropped += 1
        echoed["logs"] = dumped_logs[dropped:]
        content["logs_omitted"] += dropped
    return Explanation(text=text, content=content)


def _has_long_text(echo_json: bytes) -> bool:
    """Whether the JSON holds a string (or key) longer than FIELD_LIMIT_CHARS, or close to it in bytes."""
    if _LONG_TEXT.search(echo_json):
        return True
    # Escaped quotes split a string for the search above: masked with two bytes each (after the escaped
    # backslashes, so that a string ending in one still ends at its quote), the string reads whole.
    if b'\\"' not in echo_json:
        return False
    masked = echo_json.replace(b"\\\\", b"__").replace(b'\\"', b"__")
    return _LONG_TEXT.search(masked) is not None


def _bounded_payload(payload: dict[str, Any] | None) -> Any:
    """The payload whole when small; else a sketch of it (short values, few items); else only its shape.

    Never serialized whole: a payload holding an 80 MB string costs no more here than a small one.
    """
    if payload is None:
        return None
    if _small_and_flat(payload):
        return payload  # what the first sketch below would copy unchanged
    # Cut at the limit itself: anything cut then serializes past the limit, so a result within it is whole.
    for text_limit, items_limit in ((PAYLOAD_LIMIT_BYTES, PAYLOAD_LIMIT_BYTES), (200, 30), (40, 10)):
        sketch = bound_json(payload, text_limit=text_limit, items_limit=items_limit)
        if json_size(sketch) <= PAYLOAD_LIMIT_BYTES:
            return sketch
    return {"…": f"{TRUNCATED} a payload of {len(payload):,} fields, too large to show]"}


def _small_and_flat(payload: dict[str, Any]) -> bool:
    """Whether `bound_json` at PAYLOAD_LIMIT_BYTES would leave the payload as it is: flat (the common
    shape) and short. Decided without serializing more than PAYLOAD_LIMIT_BYTES of it."""
    chars = 0
    for key, value in payload.items():
        if isinstance(value, str):
            chars += len(value)
        elif not (value is None or isinstance(value, int | float)):
            return False  # nested: `bound_json` decides
        chars += len(key)
        if chars > PAYLOAD_LIMIT_BYTES:
            return False
    return len(to_json(payload)) <= PAYLOAD_LIMIT_BYTES


UNEXPECTED_ERROR = (
    "catena-mcp failed unexpectedly while reading this operation. This is a bug in catena-mcp, not in "
    "your IDs: please report it with the catena-mcp version."
)


async def get_resource_operation(
    connection_id: ConnectionId,
    resource_operation_id: OperationId,
    ctx: Context[AppState],
    max_logs: MaxLogs = 20,
) -> Annotated[CallToolResult, ResourceOperationResult]:
    state = ctx.request_context.lifespan_context

    async def work() -> Answer:
        operation = await state.catena.get_resource_operation(connection_id, resource_operation_id)
        explaining = functools.partial(
            explain, operation, now=state.now(), simulated=state.simulated, max_logs=max_logs
        )
        if len(operation.logs) < THREAD_EXPLAIN_MIN_LOGS:
            explanation = explaining()
        else:
            # Diagnosing tens of thousands of attempts takes a few hundred ms: off the event loop, so that
            # other calls are not held up meanwhile.
            explanation = await anyio.to_thread.run_sync(explaining, abandon_on_cancel=True)
        return explanation.text, explanation.structured()

    return await answer(TOOL_NAME, UNEXPECTED_ERROR, work)


def resource_operation_tool() -> Tool:
    return read_only_tool(get_resource_operation, TOOL_NAME, TOOL_TITLE, TOOL_DESCRIPTION)
