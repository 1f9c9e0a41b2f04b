"""The filter arguments both cross-operation tools take, and their checks before any request.

Names are a contract shared by `list_resource_operations` and `triage_resource_operation_failures`. Types
and bounds are checked by the MCP SDK from these annotations; what spans arguments (the window, source_id
needing resource) is checked by `filters_from`, which returns our own message instead of filters. Either
way nothing reaches Catena.
"""

from datetime import datetime, timedelta
from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from catena_mcp.tools.catena.filters import OperationFilters
from catena_mcp.tools.untrusted import quote

MAX_WINDOW = timedelta(days=45)
DEFAULT_WINDOW = timedelta(days=1)
MAX_FLEET_REFS = 100
_WORD = r"^[a-z0-9_]{1,64}$"

ConnectionFilter = Annotated[
    UUID | None, Field(description="Only this connection (one fleet + one TSP), a UUID.")
]
SourceName = Annotated[
    str | None,
    Field(pattern=_WORD, description="Only this TSP, as Catena names it: samsara, motive, geotab, ..."),
]
Resource = Annotated[
    str | None, Field(pattern=_WORD, description="Only this resource: vehicle, user, trailer, message, ...")
]
OperationType = Annotated[Literal["create", "update"] | None, Field(description="Only creates or updates.")]
FleetRefs = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]] | None,
    Field(max_length=MAX_FLEET_REFS, description="Only these fleets (fleet_ref values), at most 100."),
]
SourceId = Annotated[
    str | None,
    Field(min_length=1, max_length=200, description="Only this record's ID in the TSP; requires resource."),
]
Since = Annotated[
    str | None,
    Field(
        max_length=64,
        description="Window start, ISO 8601 with a zone (2026-11-19T08:00:00Z). Default: 24 h before until.",
    ),
]
Until = Annotated[
    str | None,
    Field(
        max_length=64,
        description="Window end, ISO 8601 with a zone. Default: now. At most 45 days after since.",
    ),
]


def filters_from(
    *,
    connection_id: UUID | None,
    source_name: str | None,
    resource: str | None,
    operation_type: str | None,
    fleet_refs: list[str] | None,
    source_id: str | None,
    since: str | None,
    until: str | None,
    now: datetime,
) -> OperationFilters | str:
    """The filters, or why they are refused (a message for the caller)."""
    start, problem = _moment("since", since)
    if problem:
        return problem
    end, problem = _moment("until", until)
    if problem:
        return problem
    if source_id is not None and resource is None:
        return "Invalid arguments: source_id needs resource too (a TSP's record ID is unique per resource)."
    if start is not None and end is None and now - start > MAX_WINDOW:
        return (
            "Invalid arguments: since is more than 45 days ago; give until too (at most 45 days after since)."
        )
    if end is not None and start is None:
        start = end - DEFAULT_WINDOW  # Catena's own default start is relative to now, not to until
    if start is not None and end is not None:
        if end <= start:
            given = f"since {quote(since or '', 64)}, until {quote(until or '', 64)}"
            return f"Invalid arguments: until must be after since ({given})."
        if end - start > MAX_WINDOW:
            return "Invalid arguments: the window from since to until is longer than Catena's 45 days."
    return OperationFilters(
        connection_id=connection_id,
        source_name=source_name,
        resource=resource,
        operation_type=operation_type,
        fleet_refs=tuple(fleet_refs or ()),
        source_id=source_id,
        since=start,
        until=end,
    )


def _moment(name: str, value: str | None) -> tuple[datetime | None, str | None]:
    if value is None:
        return None, None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None, (
            f"Invalid arguments: {name} ({quote(value, 64)}) is not an ISO 8601 datetime; "
            "write it like 2026-11-19T08:00:00Z."
        )
    if moment.tzinfo is None:
        return None, (
            f"Invalid arguments: {name} ({quote(value, 64)}) has no time zone; add one, "
            "like 2026-11-19T08:00:00Z or +02:00."
        )
    return moment, None
