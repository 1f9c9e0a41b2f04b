"""Triage across operations: the failure patterns of a window, from compact rows. Pure: no I/O, no clock.

A row is what the list endpoint said about one operation, plus its latest failed attempt when its logs are
known (carried by the list item, or fetched one by one for a sample). Non-success rows are grouped by TSP,
status and that latest error, then broken down by resource and operation type: one cause (revoked
credentials, a throttling burst) usually hits every kind of write to a TSP, and splitting it by resource
would bury it under a dozen small rows. A row whose logs were never read is grouped as "not inspected"
rather than guessed into a pattern.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from catena_mcp.tools.catena.records import ResourceOperation
from catena_mcp.tools.diagnosis.ratelimit import parse_rate_limit
from catena_mcp.tools.schema import COMPACT_SCHEMA, OutputModel
from catena_mcp.tools.untrusted import clean

MAX_PATTERNS = 12
MAX_EXAMPLES = 3
MAX_FLEETS = 3
MAX_RATE_LIMITS = 5
MAX_KINDS = 4
SUCCESS = "success"

# What is known of an operation's latest failed attempt.
Inspection = Literal["error", "no_failure", "no_attempts", "not_inspected"]


@dataclass(frozen=True)
class RateLimitSeen:
    tsp: str
    observed_at: datetime
    operation_id: str
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    retry_at: datetime | None


@dataclass(frozen=True)
class OperationRow:
    """One operation, reduced to what triage and listing need (no payload: windows hold thousands)."""

    id: str
    connection_id: str
    tsp: str | None
    resource: str | None
    operation_type: str | None
    status: str
    fleet_ref: str | None
    created_at: datetime
    updated_at: datetime | None
    inspection: Inspection = "not_inspected"
    attempts: int | None = None
    error_type: str | None = None
    status_code: int | None = None
    rate_limit: RateLimitSeen | None = None

    @property
    def failing(self) -> bool:
        return self.status != SUCCESS


def row_of(operation: ResourceOperation, *, logs_known: bool) -> OperationRow:
    """The row for an operation; with `logs_known`, its attempts are read too (an empty list is zero)."""
    row = OperationRow(
        id=clean(operation.id, 64),
        connection_id=clean(operation.connection_id, 64),
        tsp=_word(operation.source_name),
        resource=_word(operation.resource),
        operation_type=_word(operation.operation_type),
        status=clean(operation.status, 32) or "unknown",
        fleet_ref=None if operation.fleet_ref is None else clean(operation.fleet_ref, 64),
        created_at=operation.created_at,
        updated_at=operation.updated_at,
    )
    return with_attempts(row, operation) if logs_known else row


def with_attempts(row: OperationRow, operation: ResourceOperation) -> OperationRow:
    """The row once the operation's logs are known."""
    logs = sorted(operation.logs, key=lambda log: log.created_at)
    failed = [log for log in logs if log.status != SUCCESS]
    if not logs:
        return replace(row, inspection="no_attempts", attempts=0)
    if not failed:
        return replace(row, inspection="no_failure", attempts=len(logs))
    latest = failed[-1]
    seen = None
    for log in reversed(logs):
        facts = parse_rate_limit(
            log.response_headers or {},
            log_id=log.id,
            at=log.created_at,
            now=log.created_at,
            throttled=log.response_status_code == 429,
        )
        if facts is not None:
            seen = RateLimitSeen(
                tsp=row.tsp or "unknown",
                observed_at=log.created_at,
                operation_id=row.id,
                limit=facts.limit,
                remaining=facts.remaining,
                reset_at=facts.reset_at,
                retry_at=facts.retry_at,
            )
            break
    return replace(
        row,
        inspection="error",
        attempts=len(logs),
        error_type=_word(latest.error_type),
        status_code=latest.response_status_code,
        rate_limit=seen,
    )


def _word(value: str | None) -> str | None:
    return None if value is None else clean(value, 48)


class Example(BaseModel):
    model_config = COMPACT_SCHEMA

    connection_id: str
    id: str = Field(description="Open with get_resource_operation.")


class Kind(BaseModel):
    model_config = COMPACT_SCHEMA

    resource: str | None
    op: str | None = Field(description="operation_type.")
    count: int


class Pattern(BaseModel):
    model_config = COMPACT_SCHEMA

    tsp: str | None
    status: str
    error: Inspection = Field(
        description="error: the latest failed attempt's error_type/http below; no_attempts: never tried; "
        "no_failure: logs show no failed attempt; not_inspected: logs not read (cap or budget)."
    )
    error_type: str | None
    http: int | None = Field(description="HTTP status the TSP returned.")
    count: int
    share: float = Field(description="count / operations scanned.")
    first: datetime = Field(description="Oldest created_at.")
    last: datetime = Field(description="Newest created_at.")
    kinds: list[Kind] = Field(description="By resource and operation type, largest first (up to 4).")
    kinds_omitted: int
    connections: int
    fleets: list[str] = Field(description="Up to 3 fleet_refs.")
    examples: list[Example] = Field(description="Newest first, inspected ones preferred.")


class TspRateLimit(BaseModel):
    model_config = COMPACT_SCHEMA

    tsp: str
    observed_at: datetime = Field(description="Latest attempt with rate-limit headers.")
    operation_id: str
    limit: int | None
    remaining: int | None
    reset_at: datetime | None
    retry_at: datetime | None


@dataclass(frozen=True)
class Triage:
    scanned: int
    failing: int
    inspected: int
    patterns: list[Pattern]
    patterns_omitted: int
    omitted_operations: int
    rate_limits: list[TspRateLimit]


def triage(rows: Sequence[OperationRow]) -> Triage:
    failing = [row for row in rows if row.failing]
    groups: dict[tuple[object, ...], list[OperationRow]] = defaultdict(list)
    for row in failing:
        error = (row.error_type, row.status_code) if row.inspection == "error" else (None, None)
        groups[(row.tsp, row.status, row.inspection, *error)].append(row)
    ordered = sorted(groups.values(), key=lambda members: (-len(members), _key(members[0])))
    patterns = [_pattern(members, len(rows)) for members in ordered[:MAX_PATTERNS]]
    return Triage(
        scanned=len(rows),
        failing=len(failing),
        inspected=sum(row.inspection != "not_inspected" for row in failing),
        patterns=patterns,
        patterns_omitted=max(0, len(ordered) - MAX_PATTERNS),
        omitted_operations=sum(len(members) for members in ordered[MAX_PATTERNS:]),
        rate_limits=_rate_limits(failing),
    )


def _key(row: OperationRow) -> tuple[str, ...]:
    return tuple(str(part) for part in (row.tsp, row.status, row.inspection, row.error_type, row.status_code))


def _pattern(members: list[OperationRow], scanned: int) -> Pattern:
    head = members[0]
    newest = sorted(
        members, key=lambda row: (row.inspection != "not_inspected", row.created_at), reverse=True
    )
    fleets = sorted({row.fleet_ref for row in members if row.fleet_ref is not None})
    kinds: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for row in members:
        kinds[(row.resource, row.operation_type)] += 1
    by_size = sorted(kinds.items(), key=lambda item: (-item[1], str(item[0])))
    return Pattern(
        tsp=head.tsp,
        status=head.status,
        error=head.inspection,
        error_type=head.error_type,
        http=head.status_code,
        count=len(members),
        share=round(len(members) / scanned, 4),
        first=min(row.created_at for row in members),
        last=max(row.created_at for row in members),
        kinds=[Kind(resource=resource, op=op, count=count) for (resource, op), count in by_size[:MAX_KINDS]],
        kinds_omitted=max(0, len(by_size) - MAX_KINDS),
        connections=len({row.connection_id for row in members}),
        fleets=fleets[:MAX_FLEETS],
        examples=[Example(connection_id=row.connection_id, id=row.id) for row in newest[:MAX_EXAMPLES]],
    )


def _rate_limits(rows: Iterable[OperationRow]) -> list[TspRateLimit]:
    latest: dict[str, RateLimitSeen] = {}
    for row in rows:
        seen = row.rate_limit
        if seen is not None and (seen.tsp not in latest or seen.observed_at > latest[seen.tsp].observed_at):
            latest[seen.tsp] = seen
    ordered = sorted(latest.values(), key=lambda seen: seen.observed_at, reverse=True)
    return [TspRateLimit(**vars(seen)) for seen in ordered[:MAX_RATE_LIMITS]]


Stop = Literal["page_cap", "time_budget", "rate_limited"]


class TriageResult(OutputModel):
    """The triage tool's structured content."""

    model_config = COMPACT_SCHEMA

    since: datetime | None = Field(
        description="Window start sent to Catena; null: its default (until - 24 h)."
    )
    until: datetime | None = Field(description="Window end sent to Catena; null: its default (now).")
    scanned: int = Field(description="Operations read in the window.")
    failing: int = Field(description="Of those, not success (failed, pending, other).")
    pages: int
    stop: Stop | None = Field(description="What cut the scan short; null: the whole window was read.")
    inspected: int = Field(description="Failing operations whose attempts were read.")
    inspect_stop: Stop | None = Field(description="What cut the reading of attempts short.")
    unreadable: int = Field(description="Listed items too malformed to read.")
    patterns: list[Pattern] = Field(description="Largest first.")
    patterns_omitted: int
    operations_omitted: int = Field(description="Operations in the omitted patterns.")
    rate_limits: list[TspRateLimit] = Field(description="Latest rate-limit headers seen per TSP.")
    next_steps: list[str]
