"""diagnose(): one resource operation in, a Diagnosis out. Pure and fast.

Cost matters: an operation may carry thousands of logs and the diagnosis must cost less than decoding
them. So the logs are walked once, cheaply (counts, groups of indices, runs). Then each listed group reads
its attempts' headers once (distinct request IDs, what every rate-limit header set asked), with the
parsing cached per header set; the rest of the expensive work (full rate-limit facts, named payload
fields, text cleaning) is done only for what is reported: the latest of each listed group.
"""

from datetime import datetime
from operator import attrgetter
from typing import Any

from catena_mcp.tools.catena.records import (
    KNOWN_ERROR_TYPES,
    KNOWN_OPERATION_STATUSES,
    ResourceOperation,
    ResourceOperationLog,
)
from catena_mcp.tools.diagnosis.next_steps import (
    VERDICT_LABELS,
    failure_label,
    fmt_duration,
    fmt_time,
    ident,
    next_steps,
    plural,
)
from catena_mcp.tools.diagnosis.payload_fields import Leaves, named_fields, payload_leaves
from catena_mcp.tools.diagnosis.ratelimit import (
    Collected,
    as_delays,
    collect_flat,
    header_kind,
    parse_rate_limit,
    shown_name,
    wait_is_relative,
    wait_seconds,
)
from catena_mcp.tools.diagnosis.result import (
    Attempts,
    Diagnosis,
    FailureGroup,
    PayloadField,
    Progression,
    ProgressionKind,
    Verdict,
)
from catena_mcp.tools.untrusted import clean

MAX_GROUPS = 20
MAX_REQUEST_IDS = 3
MAX_PHASES = 8
MAX_NOTES = 6
DETAILS_LIMIT = 300
_EXPECTED_FIELDS = (
    "updated_at",
    "partner_id",
    "fleet_ref",
    "source_name",
    "resource",
    "operation_type",
    "payload",
)

FailureKey = tuple[str | None, int | None]
RequestIdFields = dict[str, object]
_UNSEEN = object()
_KNOWN_WORDS = frozenset((*KNOWN_ERROR_TYPES, *KNOWN_OPERATION_STATUSES))
_NO_RUN = object()


def diagnose(operation: ResourceOperation, *, now: datetime) -> Diagnosis:
    """Explain one operation; `now` decides whether retry moments have passed."""
    logs = operation.logs
    times = [log.created_at for log in logs]
    in_order = times == sorted(times)
    ordered = logs if in_order else sorted(logs, key=attrgetter("created_at"))

    # The single pass: attempt counts, failure groups (as indices) and where each run of equal outcome
    # starts (a run key is the failure key, or None for a success).
    succeeded = other = old_shape = 0
    groups: dict[FailureKey, list[int]] = {}
    run_keys: list[FailureKey | None] = []
    run_starts: list[int] = []
    current: object = _NO_RUN
    for index, log in enumerate(ordered):
        status = log.status
        key: FailureKey | None = None
        if status == "success":
            succeeded += 1
        else:
            if status != "failed":
                other += 1
            key = (log.error_type, log.response_status_code)
            members = groups.get(key)
            if members is None:
                groups[key] = [index]
            else:
                members.append(index)
        if key != current:
            current = key
            run_keys.append(key)
            run_starts.append(index)
        if "response_status_code" not in log.__pydantic_fields_set__:
            old_shape += 1
    failed = len(ordered) - succeeded - other

    by_recency = sorted(groups.items(), key=lambda item: -item[1][-1])
    payload = _Payload(operation.payload)
    listed = [_group(key, members, ordered, now, payload) for key, members in by_recency[:MAX_GROUPS]]
    verdict = _verdict(operation.status, succeeded, failed + other)
    attempts = _attempts(ordered, failed, succeeded, other)
    return Diagnosis(
        verdict=verdict,
        summary=_summary(operation, verdict, attempts, listed, now=now, total_kinds=len(groups)),
        operation_status=_word(operation.status),
        attempts=attempts,
        failure_groups=listed,
        failure_groups_omitted=len(groups) - len(listed),
        progression=_progression(run_keys, run_starts, len(ordered), failed + other, len(groups)),
        next_steps=[step.text for step in next_steps(verdict, listed, attempts)],
        notes=_notes(operation, ordered, in_order=in_order, other=other, old_shape=old_shape, groups=groups),
    )


def _verdict(status: str, succeeded: int, failures: int) -> Verdict:
    if status == "success":
        return "succeeded_after_retries" if failures else "succeeded_first_time"
    if status == "pending":
        return "pending_with_failures" if failures else "pending"
    return "failed" if status == "failed" else "unknown_status"


def _attempts(ordered: list[ResourceOperationLog], failed: int, succeeded: int, other: int) -> Attempts:
    first = ordered[0].created_at if ordered else None
    last = ordered[-1].created_at if ordered else None
    return Attempts(
        total=len(ordered),
        failed=failed,
        succeeded=succeeded,
        other=other,
        first_at=first,
        last_at=last,
        span_seconds=(last - first).total_seconds() if first and last else None,
    )


def _word(value: str) -> str:
    """An enum value as received, cleaned; the documented ones (most) are clean words already."""
    return value if value in _KNOWN_WORDS else clean(value, 60)


class _Payload:
    """The operation's payload, indexed on first need: only failures with details can name its fields."""

    def __init__(self, payload: dict[str, Any] | None) -> None:
        self.payload = payload
        self.leaves: Leaves | None = None

    def named_fields(self, details: str) -> list[PayloadField]:
        if self.leaves is None:
            self.leaves = payload_leaves(self.payload)
        return named_fields(details, self.leaves)


def _group(
    key: FailureKey,
    members: list[int],
    ordered: list[ResourceOperationLog],
    now: datetime,
    payload: _Payload,
) -> FailureGroup:
    error_type, status_code = key
    latest = ordered[members[-1]]
    latest_id = clean(latest.id, 60)
    details = _latest_details(members, ordered)
    headers = _read_headers(members, ordered)
    rate_limit = None
    if headers.rate_limited is not None:
        log = ordered[headers.rate_limited]
        rate_limit = parse_rate_limit(
            log.response_headers or {},
            log_id=latest_id if log is latest else clean(log.id, 60),
            at=log.created_at,
            now=now,
            throttled=log.response_status_code == 429,
        )
    request_ids = _request_ids(headers, ordered, latest, latest_id)
    return FailureGroup(
        error_type=None if error_type is None else _word(error_type),
        status_code=status_code,
        count=len(members),
        first_seen=ordered[members[0]].created_at,
        last_seen=latest.created_at,
        latest_log_id=latest_id,
        details_excerpt=None if details is None else clean(details, DETAILS_LIMIT),
        request_ids=request_ids,
        request_ids_omitted=len(headers.ids) - len(request_ids),
        rate_limit=rate_limit,
        asked_count=len(headers.asked),
        asked_min_seconds=min(headers.asked, default=None),
        asked_max_seconds=max(headers.asked, default=None),
        payload_fields=payload.named_fields(details) if details else [],
    )


def _latest_details(members: list[int], ordered: list[ResourceOperationLog]) -> str | None:
    for index in reversed(members):
        details = ordered[index].error_details
        if details:
            return details
    return None


def _request_ids(
    headers: "_Headers", ordered: list[ResourceOperationLog], latest: ResourceOperationLog, latest_id: str
) -> list[RequestIdFields]:
    """The most recent of the group's distinct request IDs, as the fields of a RequestIdRef: validated
    with their FailureGroup in one pass, a third cheaper than one model each."""
    if not headers.ids:
        return []
    if len(headers.ids) == 1:  # the usual case: nothing to rank
        ((value, seen),) = headers.ids.items()
        return [_request_id(value, seen, ordered, latest, latest_id)]
    candidates = {*_last_inserted(headers.ids), *headers.repeated}
    # A handful of candidates: sorting them is cheaper than a heap.
    by_recency = sorted(
        ((value, headers.ids[value]) for value in candidates),
        key=lambda item: _recency(item, ordered),
        reverse=True,
    )[:MAX_REQUEST_IDS]
    return [_request_id(value, seen, ordered, latest, latest_id) for value, seen in by_recency]


class _Headers:
    """What a group's response headers hold, read in one pass over all its attempts."""

    def __init__(self) -> None:
        # request ID -> the index of the one attempt that carried it, or [attempts, first, latest index]
        self.ids: dict[str, int | list[int]] = {}
        self.repeated: set[str] = set()  # the IDs seen on more than one attempt
        self.asked: list[float] = []  # per attempt: seconds its rate-limit headers asked to wait
        self.rate_limited: int | None = None  # the latest attempt with rate-limit headers


def _read_headers(members: list[int], ordered: list[ResourceOperationLog]) -> _Headers:
    # Every attempt is read, so counts and ranges are facts, not samples. The attempts of one failure
    # usually repeat their rate-limit headers, so the wait a header set asks is computed once per set when
    # it does not depend on the attempt's time (the memo holds the reading when it does).
    out = _Headers()
    ids = out.ids
    throttled = ordered[members[0]].response_status_code == 429  # the same for every member
    memo: dict[tuple[str, ...], object] = {}
    for index in members:
        log = ordered[index]
        headers = log.response_headers
        if not headers:
            continue
        items: list[str] = []
        epoch_like = False  # a value that may be an epoch moment (see as_delays)
        for name, value in headers.items():
            kind = header_kind(name)
            if kind == "request_id":
                seen = ids.get(value)
                if seen is None:
                    ids[value] = index  # most IDs are seen once: a list only for repeats
                elif isinstance(seen, int):
                    ids[value] = [2, seen, index]
                    out.repeated.add(value)
                else:
                    seen[0] += 1
                    seen[2] = index
            elif kind is not None:
                items += (name, value)
                epoch_like = epoch_like or ((len(value) == 10 or len(value) == 13) and value.isdigit())
        if not items:
            continue
        out.rate_limited = index
        key = as_delays(tuple(items), log.created_at) if epoch_like else tuple(items)
        wait = memo.get(key, _UNSEEN)
        if wait is _UNSEEN:
            reading = collect_flat(key)
            relative = wait_is_relative(reading)
            wait = memo[key] = wait_seconds(reading, log.created_at, throttled) if relative else reading
        if isinstance(wait, Collected):
            wait = wait_seconds(wait, log.created_at, throttled)
        if isinstance(wait, float):
            out.asked.append(wait)
    return out


def _last_inserted(ids: dict[str, int | list[int]]) -> list[str]:
    """The IDs of the most recent attempts, as inserted, down to MAX_REQUEST_IDS and whole attempts.

    An ID seen once was inserted in the order of its (only) attempt, so these and the repeated IDs are the
    only ones that can rank among the most recent: no need to rank thousands.
    """
    found: list[str] = []
    previous = None
    for value in reversed(ids):
        seen = ids[value]
        attempt = seen if isinstance(seen, int) else seen[1]
        if len(found) >= MAX_REQUEST_IDS and attempt != previous:
            break
        found.append(value)
        previous = attempt
    return found


def _recency(item: tuple[str, int | list[int]], ordered: list[ResourceOperationLog]) -> tuple[int, int]:
    """The latest attempt that carried the ID, then (for IDs of one attempt) the earlier header first."""
    value, seen = item
    latest = seen if isinstance(seen, int) else seen[2]
    values = list((ordered[latest].response_headers or {}).values())
    return latest, -values.index(value) if value in values else 0


def _request_id(
    value: str,
    seen: int | list[int],
    ordered: list[ResourceOperationLog],
    group_latest: ResourceOperationLog,
    group_latest_id: str,
) -> RequestIdFields:
    count, first, latest = (1, seen, seen) if isinstance(seen, int) else seen
    log = ordered[latest]
    headers = log.response_headers or {}
    header = next((n for n, v in headers.items() if v == value and header_kind(n) == "request_id"), "")
    return {
        "header": shown_name(header),
        "value": clean(value, 80),
        "log_id": group_latest_id if log is group_latest else clean(log.id, 60),
        "attempt": latest + 1,
        "at": log.created_at,
        "count": count,
        "first_at": ordered[first].created_at,
    }


def _progression(
    run_keys: list[FailureKey | None],
    run_starts: list[int],
    total: int,
    failures: int,
    distinct_failures: int,
) -> Progression:
    # Only the first run and the latest ones are listed: what matters is how it began and where it is now.
    shown = (
        range(len(run_keys))
        if len(run_keys) <= MAX_PHASES
        else [0, *range(len(run_keys) - MAX_PHASES + 1, len(run_keys))]
    )
    # Phases as fields, validated with the Progression in one pass: a third cheaper than one model each.
    phases: list[dict[str, object]] = []
    for n in shown:
        key = run_keys[n]
        end = run_starts[n + 1] if n + 1 < len(run_starts) else total
        phases.append(
            {
                "succeeded": key is None,
                "error_type": None if key is None or key[0] is None else _word(key[0]),
                "status_code": None if key is None else key[1],
                "count": end - run_starts[n],
                "from_attempt": run_starts[n] + 1,
                "to_attempt": end,
            }
        )
    kind: ProgressionKind = "changed"
    if failures <= 1:
        kind = "single_failure" if failures else "no_failures"
    elif distinct_failures == 1:
        kind = "repeated"
    return Progression(
        kind=kind,
        changes=max(len(run_keys) - 1, 0),
        phases=phases,
        phases_omitted=len(run_keys) - len(phases),
    )


def _summary(
    operation: ResourceOperation,
    verdict: Verdict,
    attempts: Attempts,
    groups: list[FailureGroup],
    *,
    now: datetime,
    total_kinds: int,
) -> str:
    """One sentence built from our words, computed values and `ident`-reduced enum values only."""
    tsp = ident(operation.source_name) if operation.source_name else "an unnamed TSP"
    what = f"{ident(operation.operation_type)} {ident(operation.resource)} on {tsp}"
    label = VERDICT_LABELS[verdict]
    if verdict == "unknown_status":
        label = f"{label} '{ident(operation.status)}'"
    tried = f"after {plural(attempts.total, 'attempt')}" if attempts.total else "with no attempt logged"
    if verdict == "succeeded_first_time":
        at = f" at {fmt_time(attempts.last_at)}" if attempts.last_at else ""
        return (
            f"{label} on the first attempt: {what}{at}."
            if attempts.total == 1
            else f"{label} {tried}: {what}{at}."
        )
    if verdict == "pending":
        age = fmt_duration(max((now - operation.created_at).total_seconds(), 0))
        return f"{label} {tried}: {what}, created {age} ago."
    if not groups:
        return f"{label} {tried}: {what}."
    if verdict == "succeeded_after_retries":
        at = f" at {fmt_time(attempts.last_at)}" if attempts.last_at else ""
        kinds = _kinds(sorted(groups[:4], key=attrgetter("first_seen")))
        return f"{label} {tried}: {what}{at}, after failures {kinds}."
    latest = groups[0]
    sentence = (
        f"{label} {tried}: {what}; latest failure {failure_label(latest.error_type, latest.status_code)}"
    )
    sentence += f" at {fmt_time(latest.last_seen)}"
    earlier = _kinds(sorted(groups[1:4], key=attrgetter("first_seen")))
    more = total_kinds - min(total_kinds, 4)
    earlier += f" and {plural(more, 'more kind')}" if more else ""
    return sentence + (f"; earlier: {earlier}." if earlier else ".")


def _kinds(groups: list[FailureGroup]) -> str:
    return ", ".join(failure_label(group.error_type, group.status_code) for group in groups)


def _notes(
    operation: ResourceOperation,
    ordered: list[ResourceOperationLog],
    *,
    in_order: bool,
    other: int,
    old_shape: int,
    groups: dict[FailureKey, list[int]],
) -> list[str]:
    """Oddities in the data itself: drift of the provisional API, inconsistencies. Our words only."""
    notes = []
    if operation.status not in KNOWN_OPERATION_STATUSES:
        notes.append("The operation status is not one Catena documents (pending, success, failed).")
    unknown_types = {key[0] for key in groups if key[0] is not None and key[0] not in KNOWN_ERROR_TYPES}
    if unknown_types:
        notes.append(
            f"{plural(len(unknown_types), 'error type')} not documented by Catena; shown as received."
        )
    if other:
        notes.append(f"{plural(other, 'attempt')} with an undocumented status, counted as not succeeded.")
    if old_shape:
        notes.append(
            f"{plural(old_shape, 'attempt')} in the older log shape"
            " (no response_status_code/response_headers)."
        )
    if not in_order:
        notes.append("The logs arrived out of time order; they are read in created_at order.")
    if operation.status == "success" and ordered and ordered[-1].status != "success":
        notes.append("The status is success but the latest attempt is not logged as successful.")
    if operation.status == "failed" and ordered and ordered[-1].status == "success":
        notes.append("The status is failed but the latest attempt is logged as successful.")
    present = operation.model_fields_set  # a property that copies: read once
    missing = [name for name in _EXPECTED_FIELDS if name not in present]
    if missing:
        notes.append(f"Fields missing from Catena's reply: {', '.join(missing)}.")
    return notes[:MAX_NOTES]
