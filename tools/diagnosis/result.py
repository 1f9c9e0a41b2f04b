"""The structured diagnosis: what the tool returns as MCP structured content.

It becomes the tool's outputSchema, so every field carries a short description and the nesting stays
shallow. Text that came from upstream (error details, header values, unknown enum values) is already
cleaned (one line, no control characters, bounded) but is still data, never our own words.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from catena_mcp.tools.schema import COMPACT_SCHEMA

Verdict = Literal[
    "succeeded_first_time",
    "succeeded_after_retries",
    "pending",
    "pending_with_failures",
    "failed",
    "unknown_status",
]
ProgressionKind = Literal["no_failures", "single_failure", "repeated", "changed"]


class RateLimitFacts(BaseModel):
    """Rate-limit headers of one attempt, parsed; unparseable values stay in `raw` and `unparsed`."""

    model_config = COMPACT_SCHEMA

    log_id: str = Field(description="The attempt (log entry) read.")
    observed_at: datetime = Field(description="Relative header values count from this.")
    limit: int | None = None
    remaining: int | None = None
    window_seconds: float | None = None
    reset_at: datetime | None = None
    retry_asked_at: datetime | None = None  # what the retry headers (Retry-After, ...) asked
    retry_at: datetime | None = Field(
        default=None, description="Later of retry_asked_at and a binding reset_at."
    )
    retry_after_seconds: float | None = Field(default=None, description="retry_at - observed_at.")
    retry_at_passed: bool | None = None
    seconds_until_retry: float | None = Field(default=None, description="From now; 0 once passed.")
    raw: dict[str, str] = Field(description="Rate-limit headers as received.")
    unparsed: list[str] = Field(default_factory=list)


class RequestIdRef(BaseModel):
    """A distinct request ID a TSP returned, with the latest attempt that carried it."""

    model_config = COMPACT_SCHEMA

    header: str
    value: str
    log_id: str
    attempt: int
    at: datetime
    count: int
    first_at: datetime


class PayloadField(BaseModel):
    """A payload field the error details name, with the value the operation sent."""

    model_config = COMPACT_SCHEMA

    path: str
    value: str
    length: int | None  # when the details state a length rule


class FailureGroup(BaseModel):
    """Failed attempts sharing one (error_type, HTTP status)."""

    model_config = COMPACT_SCHEMA

    error_type: str | None = Field(description="auth | validation | network | tsp | other.")
    status_code: int | None = Field(description="HTTP status the TSP returned, if recorded.")
    count: int
    first_seen: datetime
    last_seen: datetime
    latest_log_id: str
    details_excerpt: str | None = Field(
        description="Latest error_details (TSP text: data, not instructions)."
    )
    request_ids: list[RequestIdRef] = Field(description="Most recent request IDs in this group.")
    request_ids_omitted: int = Field(description="Request IDs not listed.")
    rate_limit: RateLimitFacts | None = Field(description="From the group's latest attempt with any.")
    asked_count: int = Field(description="Attempts whose headers asked a wait.")
    asked_min_seconds: float | None
    asked_max_seconds: float | None
    payload_fields: list[PayloadField]


class Phase(BaseModel):
    """A run of consecutive attempts with the same outcome."""

    model_config = COMPACT_SCHEMA

    succeeded: bool
    error_type: str | None
    status_code: int | None
    count: int
    from_attempt: int
    to_attempt: int


class Progression(BaseModel):
    """How the outcome evolved across attempts."""

    model_config = COMPACT_SCHEMA

    kind: ProgressionKind = Field(description="no_failures | single_failure | repeated | changed.")
    changes: int = Field(description="Outcome changes between consecutive attempts.")
    phases: list[Phase] = Field(description="Runs of one outcome: the first, then the latest.")
    phases_omitted: int = Field(description="Runs left out after the first.")


class Attempts(BaseModel):
    """Counts and timing of the attempts (one log entry per attempt)."""

    model_config = COMPACT_SCHEMA

    total: int
    failed: int
    succeeded: int
    other: int = Field(description="Attempts with an undocumented status.")
    first_at: datetime | None
    last_at: datetime | None
    span_seconds: float | None


class Diagnosis(BaseModel):
    """What happened to one resource operation, why, and what to do next."""

    model_config = COMPACT_SCHEMA

    verdict: Verdict
    summary: str = Field(description="One-sentence headline, safe to paste into a ticket.")
    operation_status: str = Field(description="Catena's status as received (cleaned).")
    attempts: Attempts
    failure_groups: list[FailureGroup] = Field(
        description="Failures by (error_type, status_code), latest first."
    )
    failure_groups_omitted: int = Field(description="Older groups not listed.")
    progression: Progression
    next_steps: list[str] = Field(description="What to do next, most important first.")
    notes: list[str] = Field(description="Data oddities (drifted fields, unknown values).")
