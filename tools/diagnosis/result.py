"""The structured diagnosis: what the tool returns as MCP structured content.

It becomes the tool's outputSchema, so every field carries a short description and the nesting stays
shallow. Text that came from upstream (error details, header values, unknown enum values) is already
cleaned (one line, no control characters, bounded) but is still data, never our own words.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

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

    log_id: str = Field(description="The attempt (log entry) these headers came from.")
    observed_at: datetime = Field(
        description="When that attempt was recorded; relative values count from it."
    )
    limit: int | None = Field(default=None, description="Requests allowed per window.")
    remaining: int | None = Field(default=None, description="Requests left in the window.")
    window_seconds: float | None = Field(default=None, description="Length of the rate-limit window.")
    reset_at: datetime | None = Field(default=None, description="When the window resets.")
    retry_at: datetime | None = Field(default=None, description="Earliest moment the caller may retry.")
    retry_after_seconds: float | None = Field(
        default=None, description="retry_at minus the attempt's time, in seconds."
    )
    retry_at_passed: bool | None = Field(default=None, description="Whether retry_at is already past.")
    seconds_until_retry: float | None = Field(
        default=None, description="Seconds from now until retry_at (0 once passed)."
    )
    raw: dict[str, str] = Field(description="The rate-limit headers as received (cleaned, bounded).")
    unparsed: list[str] = Field(
        default_factory=list, description="Header names whose value was not understood."
    )


class RequestIdRef(BaseModel):
    """A request ID a TSP returned, with the attempt it belongs to."""

    header: str = Field(description="Header name, lowercased.")
    value: str = Field(description="The ID (cleaned, bounded).")
    log_id: str = Field(description="The attempt's log ID.")
    attempt: int = Field(description="Attempt number, 1 = first, in time order.")
    at: datetime = Field(description="When the attempt was recorded.")


class FailureGroup(BaseModel):
    """Failed attempts sharing one (error_type, HTTP status)."""

    error_type: str | None = Field(
        description="Catena's error type (unknown values passed through, cleaned)."
    )
    status_code: int | None = Field(description="HTTP status the TSP returned, if recorded.")
    count: int = Field(description="Attempts in this group.")
    first_seen: datetime = Field(description="First attempt in this group.")
    last_seen: datetime = Field(description="Latest attempt in this group.")
    latest_log_id: str = Field(description="Log ID of the latest attempt in this group.")
    details_excerpt: str | None = Field(
        description="Latest error_details in this group: upstream text, cleaned and bounded."
    )
    request_ids: list[RequestIdRef] = Field(description="Most recent request IDs in this group.")
    request_ids_omitted: int = Field(description="Further request IDs in this group not listed.")
    rate_limit: RateLimitFacts | None = Field(
        description="Rate-limit facts of the latest attempt that had any."
    )


class Phase(BaseModel):
    """A run of consecutive attempts with the same outcome."""

    succeeded: bool = Field(description="True for a run of successful attempts.")
    error_type: str | None = Field(description="Error type of the run (null for successes).")
    status_code: int | None = Field(description="HTTP status of the run.")
    count: int = Field(description="Attempts in the run.")
    from_attempt: int = Field(description="First attempt number of the run.")
    to_attempt: int = Field(description="Last attempt number of the run.")


class Progression(BaseModel):
    """How the outcome evolved across attempts."""

    kind: ProgressionKind = Field(description="no_failures | single_failure | repeated | changed.")
    changes: int = Field(description="How many times the outcome changed between consecutive attempts.")
    phases: list[Phase] = Field(description="The first run, then the most recent runs, in time order.")
    phases_omitted: int = Field(description="Runs left out between the first listed run and the next.")


class Attempts(BaseModel):
    """Counts and timing of the attempts (one log entry per attempt)."""

    total: int = Field(description="Attempts logged.")
    failed: int = Field(description="Attempts with status failed.")
    succeeded: int = Field(description="Attempts with status success.")
    other: int = Field(description="Attempts with an undocumented status.")
    first_at: datetime | None = Field(description="First attempt.")
    last_at: datetime | None = Field(description="Latest attempt.")
    span_seconds: float | None = Field(description="Time from first to latest attempt.")


class Diagnosis(BaseModel):
    """What happened to one resource operation, why, and what to do next."""

    verdict: Verdict = Field(description="Overall outcome.")
    summary: str = Field(description="One-sentence headline, safe to paste into a ticket.")
    operation_status: str = Field(description="Catena's status as received (cleaned).")
    attempts: Attempts
    failure_groups: list[FailureGroup] = Field(
        description="Failures by (error_type, status), most recent first."
    )
    failure_groups_omitted: int = Field(description="Older groups not listed.")
    progression: Progression
    rate_limit: RateLimitFacts | None = Field(
        description="Rate-limit facts of the most recent failed attempt that had rate-limit headers."
    )
    next_steps: list[str] = Field(description="What to do next, most important first.")
    notes: list[str] = Field(description="Data oddities worth knowing (drifted fields, unknown values).")
