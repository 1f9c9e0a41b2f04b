"""Catena's list endpoint, `GET /v2/integrations/connections/resource-operations`, over indexed operations.

Query parameters and reply as API-FACTS documents them: filters, a `from_datetime`/`to_datetime` window
on `created_at` (Catena says `occurred_at`; for an operation that is when it was created), cursor paging
with `size` 1..1000 (default 300) and no status filter. Items carry no `logs` (whether Catena's do is
undocumented): a client needing the attempts fetches the operation itself. What Catena leaves undocumented
follows the FastAPI stack it runs on: unknown parameters are ignored, the last of a repeated scalar wins,
validation errors are 422s listing every bad parameter, and a cursor that does not decode is
fastapi-pagination's 400 "Invalid cursor value". Items come oldest first (Catena does not say which order
it pages in).

Pure: no Starlette here; the app turns a `ListingError` into Catena's error body.
"""

import base64
import binascii
import functools
import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from catena_mcp.simulator.store import Stored, encode

DEFAULT_SIZE = 300
MAX_SIZE = 1000
MAX_FLEET_REFS = 100
MAX_WINDOW = timedelta(days=45)
DEFAULT_WINDOW = timedelta(days=1)

# Catena's ResourceEnum (its OpenAPI); the TSP enum has ~150 values, so `source_name` is taken as any text.
Resource = Literal[
    "asset", "driver_association", "driver_vehicle_association", "driver_event_log", "driver_safety_event",
    "dvir_log", "dvir_log_defect", "engine_log", "engine_status", "fuel_transaction", "fleet_info",
    "hos_availability", "hos_daily_snapshot", "hos_event", "hos_event_annotation", "hos_event_attachment",
    "hos_violation", "ifta_summary", "location_segment", "message", "group_message", "user", "vehicle",
    "vehicle_location", "vehicle_sensor", "vehicle_region_segment", "trailer", "trailer_association",
    "trailer_vehicle_association", "trailer_location",
]  # fmt: skip

_Key = tuple[datetime, str]  # (created_at, id): the paging order
_Direction = Literal[">", ">=", "<", "<="]


class ListingError(Exception):
    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(status)
        self.status = status
        self.detail = detail


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    resource: Resource | None = None
    connection_id: UUID | None = None
    source_name: str | None = None
    fleet_refs: list[str] = Field(default_factory=list, max_length=MAX_FLEET_REFS)
    operation: Literal["create", "update"] | None = None
    source_id: str | None = None
    from_datetime: datetime | None = None
    to_datetime: datetime | None = None
    cursor: str | None = None
    size: int = Field(default=DEFAULT_SIZE, ge=1, le=MAX_SIZE)


@dataclass(frozen=True)
class _Listed:
    key: _Key
    connection_id: str
    fleet_ref: str | None
    source_name: str | None
    resource: str | None
    operation_type: str | None
    source_id: str | None
    item: bytes  # the operation without its logs, encoded


@dataclass(frozen=True)
class HistoryIndex:
    """Operations in paging order, for the list endpoint, and their whole bodies, for the detail endpoint."""

    listed: tuple[_Listed, ...]
    keys: tuple[_Key, ...]
    bodies: dict[str, Stored]


def _utc(value: datetime) -> datetime:
    # FastAPI parses a naive datetime as naive; Catena's database compares in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def index_history(operations: Iterable[Mapping[str, Any]]) -> HistoryIndex:
    listed = []
    bodies: dict[str, Stored] = {}
    for op in operations:
        op_id = str(UUID(op["id"]))
        if op_id in bodies:
            raise ValueError(f"operation {op_id} appears twice in the history")
        created = _utc(datetime.fromisoformat(op["created_at"]))
        connection_id = str(UUID(op["connection_id"]))
        item = encode({name: value for name, value in op.items() if name != "logs"})
        listed.append(
            _Listed(
                (created, op_id),
                connection_id,
                op.get("fleet_ref"),
                op.get("source_name"),
                op.get("resource"),
                op.get("operation_type"),
                op.get("source_id"),
                item,
            )
        )
        bodies[op_id] = Stored(connection_id, encode(op))
    listed.sort(key=lambda entry: entry.key)
    return HistoryIndex(tuple(listed), tuple(entry.key for entry in listed), bodies)


def _collect(params: Sequence[tuple[str, str]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in params:
        if name == "fleet_refs":
            values.setdefault(name, []).append(value)
        else:
            values[name] = value
    return values


@functools.cache
def default_history_index() -> HistoryIndex:
    """The generated week, indexed once per process (many simulators in one test run share it)."""
    from catena_mcp.simulator.history import generate_history

    return index_history(generate_history())


def parse_query(values: Mapping[str, Any]) -> ListQuery:
    problems = []
    try:
        query = ListQuery.model_validate(values)
    except ValidationError as exc:
        for error in exc.errors():
            name = str(error["loc"][0])
            problems.append(_problem(name, values.get(name), error["msg"], error["type"]))
        raise ListingError(422, problems) from None
    if query.source_id is not None and query.resource is None:
        problems.append(
            _problem("source_id", query.source_id, "Value error, source_id requires resource", "value_error")
        )
    if problems:
        raise ListingError(422, problems)
    return query


def _problem(name: str, value: Any, message: str, error_type: str) -> dict[str, Any]:
    return {"path": f"query.{name}", "input": value, "message": message, "error_type": error_type}


def list_page(index: HistoryIndex, params: Sequence[tuple[str, str]], now: datetime) -> bytes:
    """One page of Catena's reply, encoded; raises `ListingError` for what Catena would refuse."""
    values = _collect(params)
    query = parse_query(values)
    start, end = _window(query, values, now)
    cursor = _decode_cursor(query.cursor) if query.cursor else None

    low = bisect_left(index.keys, (start, ""))
    high = bisect_left(index.keys, (end, ""))
    matching = [entry for entry in index.listed[low:high] if _matches(entry, query)]
    keys = [entry.key for entry in matching]
    if cursor is None:
        first, last = 0, min(query.size, len(matching))
    else:
        direction, key = cursor
        if direction in (">", ">="):
            first = (bisect_right if direction == ">" else bisect_left)(keys, key)
            last = min(first + query.size, len(matching))
        else:
            last = (bisect_left if direction == "<" else bisect_right)(keys, key)
            first = max(0, last - query.size)
    page = matching[first:last]
    links = {
        "current_page": _encode_cursor(">=", page[0].key) if page else query.cursor,
        "current_page_backwards": _encode_cursor("<=", page[-1].key) if page else query.cursor,
        "previous_page": _encode_cursor("<", page[0].key) if page and first > 0 else None,
        "next_page": _encode_cursor(">", page[-1].key) if page and last < len(matching) else None,
    }
    return b'{"items":[' + b",".join(entry.item for entry in page) + b"]," + encode(links)[1:]


def _window(query: ListQuery, values: Mapping[str, Any], now: datetime) -> tuple[datetime, datetime]:
    """The window with Catena's defaults filled in, checked whichever end was given."""
    start = now - DEFAULT_WINDOW if query.from_datetime is None else _utc(query.from_datetime)
    end = now if query.to_datetime is None else _utc(query.to_datetime)
    name = "to_datetime" if query.to_datetime is not None else "from_datetime"
    if end <= start:
        message = "Value error, to_datetime must be after from_datetime"
    elif end - start > MAX_WINDOW:
        message = "Value error, the window from from_datetime to to_datetime must not exceed 45 days"
    else:
        return start, end
    raise ListingError(422, [_problem(name, values.get(name), message, "value_error")])


def _matches(entry: _Listed, query: ListQuery) -> bool:
    return (
        (query.connection_id is None or entry.connection_id == str(query.connection_id))
        and (query.source_name is None or entry.source_name == query.source_name)
        and (query.resource is None or entry.resource == query.resource)
        and (not query.fleet_refs or entry.fleet_ref in query.fleet_refs)
        and (query.operation is None or entry.operation_type == query.operation)
        and (query.source_id is None or entry.source_id == query.source_id)
    )


def _encode_cursor(direction: _Direction, key: _Key) -> str:
    raw = json.dumps([direction, key[0].isoformat(), key[1]], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_cursor(cursor: str) -> tuple[_Direction, _Key]:
    try:
        direction, moment, op_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if direction not in (">", ">=", "<", "<="):
            raise ValueError(direction)
        return direction, (_utc(datetime.fromisoformat(moment)), str(op_id))
    except (binascii.Error, ValueError, TypeError):
        raise ListingError(400, "Invalid cursor value") from None
