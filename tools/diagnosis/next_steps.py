"""Our own words: next steps and the small vocabulary used to describe facts.

Everything here is trusted text. Upstream values only ever enter it through `ident` (enum-like values
reduced to `[A-Za-z0-9_.-]`, bounded) or as numbers and datetimes we computed ourselves; error details
and header values never do.
"""

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from catena_mcp.tools.diagnosis.result import Attempts, FailureGroup, RateLimitFacts, Verdict

_IDENT_CHARS = "A-Za-z0-9_.-"
_NOT_IDENT = re.compile(f"[^{_IDENT_CHARS}]+")
_IDENT_WORD = re.compile(f"[{_IDENT_CHARS}]{{1,32}}")  # what `ident` returns unchanged

VERDICT_LABELS: dict[Verdict, str] = {
    "succeeded_first_time": "Succeeded",
    "succeeded_after_retries": "Succeeded",
    "pending": "Pending",
    "pending_with_failures": "Pending",
    "failed": "Failed",
    "unknown_status": "Unknown status",
}


def ident(value: str | None, limit: int = 32) -> str:
    """An enum-like upstream value (TSP, resource, error type) reduced to a safe word."""
    return _ident(value[: limit * 4], limit) if value else "unknown"


def spells_ident(value: str | None) -> bool:
    """Whether `ident(value)` is `value` itself, told without building it."""
    return value is not None and _IDENT_WORD.fullmatch(value) is not None


@lru_cache(maxsize=256)
def _ident(prefix: str, limit: int) -> str:
    # Cached: one operation's few enum values are reduced again for its summary, text and next steps. Keyed
    # on the prefix read, so that no long upstream value outlives its operation in the cache.
    return _NOT_IDENT.sub("", prefix)[:limit] or "unknown"


def fmt_time(moment: datetime) -> str:
    # What strftime("%Y-%m-%dT%H:%M:%SZ") gives (an unpadded year, as glibc prints it), at a sixth of the
    # cost: a short diagnosis formats a dozen times. isoformat pads the year to four digits. The date and
    # the time are formatted apart: the datetime's own isoformat would ask the time zone for its offset.
    day = moment.date().isoformat()
    if moment.year < 1000:
        day = f"{moment.year}{day[4:]}"
    return f"{day}T{moment.time().isoformat('seconds')}Z"


def fmt_duration(seconds: float) -> str:
    """`0.402 s`, `9.6 s`, `45 s`, `1 min 29 s`, `31 min`, `2 h 5 min`, `3 d 4 h`."""
    if seconds < 10:
        return f"{round(seconds, 3 if seconds < 1 else 1):g} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 600:
        return f"{whole // 60} min" + (f" {whole % 60} s" if whole % 60 else "")
    for unit, size, sub_unit, sub_size in (("d", 86400, "h", 3600), ("h", 3600, "min", 60)):
        if whole >= size:
            rest = (whole % size) // sub_size
            return f"{whole // size} {unit}" + (f" {rest} {sub_unit}" if rest else "")
    return f"{whole // 60} min"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def failure_label(error_type: str | None, status_code: int | None) -> str:
    """`validation (HTTP 422)`, `network (no HTTP status)`."""
    status = f"HTTP {status_code}" if status_code is not None else "no HTTP status"
    return f"{ident(error_type) if error_type else 'no error type'} ({status})"


def retry_moment(facts: RateLimitFacts | None, at: Callable[[datetime], str] = fmt_time) -> str | None:
    """`2026-11-20T10:33:00Z (already passed)` or `... (in 2 min)`."""
    if facts is None or facts.retry_at is None:
        return None
    when = "already passed" if facts.retry_at_passed else f"in {fmt_duration(facts.seconds_until_retry or 0)}"
    return f"{at(facts.retry_at)} ({when})"


class Step(NamedTuple):
    """One next step: `id` names the facts it rests on (tests hold each id to them), `text` is shown."""

    id: str
    text: str


# Each sentence states only what its condition establishes; the comment says which facts those are.
_SUCCEEDED = Step("succeeded", "Nothing to do: the TSP accepted the write.")  # status success, no failure
_UNKNOWN_STATUS = Step(  # a status outside pending/success/failed
    "unknown_status",
    "This status is not documented by Catena: ask Catena support what it means before issuing the write"
    " again.",
)
_QUEUED = Step(  # status pending, no attempt failed
    "pending",
    "Catena has queued this write and retries it by itself: wait for the resource_operation.succeeded or"
    " .failed webhook, or check again later; issuing the write again now could apply it twice.",
)
_AUTH = Step(  # a failure with error type auth, and auth is the latest failure
    "auth",
    "The TSP rejected the connection's credentials: the fleet must re-authorize this connection with its"
    " TSP; retrying changes nothing until then.",
)
_NETWORK = Step(  # a failure with error type network
    "network", "Timeout or connection failure between Catena and the TSP: usually transient."
)
_UNEXPECTED = Step(  # a tsp failure, not 429 nor 5xx
    "tsp_other",
    "The TSP sent an unexpected reply: check the payload and the target record; report it to Catena"
    " support if it persists.",
)
_UNKNOWN_TYPE = Step(  # an error type Catena does not document
    "unknown_error_type",
    "Catena reported an undocumented error type: read the error details and ask Catena support before"
    " issuing the write again.",
)


def cause_step(group: FailureGroup, verdict: Verdict) -> Step:
    """What the failure of one group means and what fixes it; only facts the group holds."""
    code, error_type = group.status_code, group.error_type
    if code == 429:  # whatever the error type: a throttled request needs the retry moment
        moment = retry_moment(group.rate_limit)
        if moment is None:
            return Step(
                "throttled_no_moment",
                "The TSP throttled the requests (HTTP 429) without saying until when: pace writes on this"
                " connection.",
            )
        if verdict == "failed":
            return Step(
                "throttled",
                f"The TSP throttled the requests (HTTP 429): wait until {moment} before issuing the write"
                " again, and pace writes on this connection.",
            )
        return Step(
            "throttled",
            f"The TSP throttled the requests (HTTP 429); by its rate-limit headers the earliest retry is"
            f" {moment}; pace writes on this connection.",
        )
    if _is_outage(group):
        return _outage([group])
    if error_type is None:
        attempts = "An attempt" if group.count == 1 else f"{group.count} attempts"
        read = "read the error details; ask" if group.details_excerpt else "ask"
        return Step(
            "no_error_type",
            f"{attempts} failed without an error type: {read} Catena support what happened.",
        )
    if error_type == "validation":
        if group.payload_fields:
            return Step(
                "validation_fields",
                "The TSP rejected the payload: fix the fields shown above as its details say (rules differ"
                " per TSP).",
            )
        return Step(
            "validation",
            "The TSP rejected the payload: fix the fields named in the latest error details (rules differ"
            " per TSP).",
        )
    known = {"auth": _AUTH, "network": _NETWORK, "tsp": _UNEXPECTED}
    return known.get(error_type, _UNKNOWN_TYPE)


def _is_outage(group: FailureGroup) -> bool:
    return group.error_type == "tsp" and group.status_code is not None and group.status_code >= 500


def _outage(groups: Sequence[FailureGroup]) -> Step:
    """One step for every 5xx kind: the advice is the same, the codes are the facts."""
    codes = ", ".join(str(group.status_code) for group in groups)
    ids = any(group.request_ids for group in groups)
    report = "the TSP with the request IDs above" if ids else "the TSP"
    return Step(
        "outage_with_ids" if ids else "outage",
        f"TSP outage or server error (HTTP {codes}), usually transient: if it persists, report it to"
        f" {report}.",
    )


def next_steps(verdict: Verdict, groups: Sequence[FailureGroup], attempts: Attempts) -> list[Step]:
    """Fixed guidance for the status and the failures, the one that matters now first."""
    if verdict == "succeeded_first_time":
        return [_SUCCEEDED]
    if verdict == "succeeded_after_retries":
        failed = plural(attempts.total - attempts.succeeded, "failed attempt")
        return [
            Step(
                "recovered",
                f"Nothing to do: the write succeeded after {failed}; look into the failures only if they"
                " recur.",
            )
        ]
    if verdict == "pending":
        return [_QUEUED]
    steps = [_UNKNOWN_STATUS] if verdict == "unknown_status" else []
    recovered = _recovered_auth(groups)
    causes: list[Step] = []
    outages = [group for group in groups if _is_outage(group)]
    for group in groups:
        step = _outage(outages) if _is_outage(group) else cause_step(group, verdict)
        # Once auth failures have stopped, "re-authorize" would be stale advice.
        if step not in causes and not (recovered and group.error_type == "auth"):
            causes.append(step)
    steps += causes[:3] + recovered
    if verdict == "pending_with_failures":
        steps.append(
            Step(
                "pending_retrying",
                f"Catena is still retrying this write ({plural(attempts.total, 'attempt')} so far): wait for"
                " the resource_operation.succeeded or .failed webhook, or check again later; issuing the"
                " write again now could apply it twice.",
            )
        )
    elif verdict == "failed":
        steps.append(
            Step(
                "failed",
                # The verdict ("Failed") already says the status.
                "Catena has stopped trying and has no retry endpoint: issue the write again once the cause"
                " is fixed.",
            )
        )
    return steps


def _recovered_auth(groups: Sequence[FailureGroup]) -> list[Step]:
    """Auth failures followed by other failures mean the credentials were fixed meanwhile."""
    auth = [group for group in groups if group.error_type == "auth"]
    if not auth or groups[0].error_type == "auth":
        return []
    since = fmt_time(max(group.last_seen for group in auth))
    return [
        Step(
            "auth_recovered",
            f"Auth failures stopped after {since} and later attempts failed otherwise: the credentials"
            " seem fixed.",
        )
    ]
