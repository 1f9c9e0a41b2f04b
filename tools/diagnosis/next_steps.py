"""Our own words: next steps and the small vocabulary used to describe facts.

Everything here is trusted text. Upstream values only ever enter it through `ident` (enum-like values
reduced to `[A-Za-z0-9_.-]`, bounded) or as numbers and datetimes we computed ourselves; error details
and header values never do.
"""

import re
from collections.abc import Callable, Sequence
from datetime import datetime

from catena_mcp.tools.diagnosis.result import FailureGroup, RateLimitFacts, Verdict

_NOT_IDENT = re.compile(r"[^A-Za-z0-9_.-]+")

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
    word = _NOT_IDENT.sub("", value[: limit * 4]) if value else ""
    return word[:limit] or "unknown"


def fmt_time(moment: datetime) -> str:
    # What strftime("%Y-%m-%dT%H:%M:%SZ") gives (an unpadded year, as glibc prints it), at half the cost:
    # a short diagnosis formats a dozen times.
    m = moment
    return f"{m.year}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}Z"


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


_STEPS = {
    "auth": (
        "The TSP rejected the connection's credentials: the fleet must re-authorize this connection with its"
        " TSP; every write fails until it does."
    ),
    "validation": (
        "The TSP rejected the payload: fix the fields named in the latest error details (rules differ per"
        " TSP), then issue the write again."
    ),
    "network": (
        "Timeout or connection failure, usually transient: Catena retries async writes itself; if the"
        " operation ends failed, issue the write again later."
    ),
    "tsp_5xx": (
        "TSP outage or server error (HTTP 5xx): usually transient; retry later, and report it to the TSP with"
        " the request IDs if it persists."
    ),
    "tsp": (
        "The TSP sent an unexpected reply: check the payload and the target record, then issue the write"
        " again; report it to Catena support if it persists."
    ),
    "none": (
        "An attempt failed without an error type: read its error details; ask Catena support if they do not"
        " explain it."
    ),
    "unknown": (
        "Catena reported an error type this server does not know: read the error details and ask Catena"
        " support before issuing the write again."
    ),
}
_SUCCEEDED = "Nothing to do: the TSP accepted the write."
_RECOVERED = (
    "Nothing to do: Catena's automatic retries got the write through; look into the earlier failures only if"
    " they recur."
)
_UNKNOWN_STATUS = (
    "This status is not documented by Catena: ask Catena support what it means before issuing the write"
    " again."
)
_STILL_PENDING = (
    "Catena is still working on this write and retries failed attempts by itself: wait for the"
    " resource_operation.succeeded or .failed webhook, or check again later; issuing the write again now"
    " could apply it twice."
)
_NO_RETRY_ENDPOINT = (
    "There is no retry endpoint: once the cause is fixed, issue the write again (a new operation)."
    " Catena never retries sync writes (is_sync=true)."
)


def cause_step(group: FailureGroup) -> str:
    """What the failure of one group means and what fixes it."""
    code, error_type = group.status_code, group.error_type
    if code == 429:  # whatever the error type: a throttled request needs the retry moment
        moment = retry_moment(group.rate_limit)
        wait = f"wait until {moment}" if moment else "wait (the TSP gave no retry moment)"
        return (
            f"The TSP throttled the requests (HTTP 429): {wait} before issuing the write again, and pace"
            " writes on this connection."
        )
    if error_type == "tsp" and code is not None and code >= 500:
        return _STEPS["tsp_5xx"]
    if error_type is None:
        return _STEPS["none"]
    return _STEPS.get(error_type, _STEPS["unknown"])


def next_steps(verdict: Verdict, groups: Sequence[FailureGroup]) -> list[str]:
    """Fixed guidance for the verdict and the failures, the one that matters now first."""
    if verdict == "succeeded_first_time":
        return [_SUCCEEDED]
    if verdict == "succeeded_after_retries":
        return [_RECOVERED]
    if verdict == "pending":
        return [_STILL_PENDING]
    steps = [_UNKNOWN_STATUS] if verdict == "unknown_status" else []
    recovered = _recovered_auth(groups)
    causes: list[str] = []
    for group in groups:
        step = cause_step(group)
        # Once auth failures have stopped, "re-authorize" would be stale advice.
        if step not in causes and not (recovered and group.error_type == "auth"):
            causes.append(step)
    steps += causes[:3] + recovered
    if verdict == "pending_with_failures":
        steps.append(_STILL_PENDING)
    elif verdict == "failed":
        steps.append(_NO_RETRY_ENDPOINT)
    return steps


def _recovered_auth(groups: Sequence[FailureGroup]) -> list[str]:
    """Auth failures followed by other failures mean the credentials were fixed meanwhile."""
    auth = [group for group in groups if group.error_type == "auth"]
    if not auth or groups[0].error_type == "auth":
        return []
    since = fmt_time(max(group.last_seen for group in auth))
    return [
        f"Auth failures stopped after {since} and later attempts failed otherwise: the credentials seem"
        " fixed; fix the latest failure first."
    ]
