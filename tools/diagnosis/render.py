"""render_text(): the diagnosis as compact markdown for the model to read.

Our words are plain markdown; every upstream value (IDs, error details, header values, unknown enum
values, fleet_ref) goes through `quote()`, so it sits in a code span, on one line, bounded, and cannot
break the table or pass for our instructions. Every list is capped and says what it left out, and a
final guard keeps the text within MAX_CHARS whatever the input.
"""

from collections.abc import Callable
from datetime import datetime

from catena_mcp.tools.catena.records import KNOWN_ERROR_TYPES, KNOWN_OPERATION_STATUSES, ResourceOperation
from catena_mcp.tools.diagnosis.extra_fields import ExtraField, undocumented_fields
from catena_mcp.tools.diagnosis.next_steps import (
    VERDICT_LABELS,
    fmt_duration,
    fmt_time,
    plural,
    retry_moment,
    spells_ident,
)
from catena_mcp.tools.diagnosis.result import (
    Diagnosis,
    FailureGroup,
    PayloadField,
    Phase,
    RateLimitFacts,
    RequestIdRef,
)
from catena_mcp.tools.untrusted import quote

MAX_CHARS = 6000
MAX_TABLE_ROWS = 6
MAX_RATE_LIMIT_LINES = 3
MAX_REQUEST_ID_LINES = 6
MAX_PAYLOAD_LINES = 6
MAX_EXTRA_ON_OPERATION = 6
MAX_EXTRA_ON_LOGS = 4
LATEST_DETAILS_CHARS = 160
OLDER_DETAILS_CHARS = 80
MAX_STEPS = 6
_TRUNCATED = "\n\n… (output cut at 6,000 characters)"
_DROP_ORDER = (
    ("notes", "data notes"),
    ("request_ids", "request IDs"),
    ("rate_limits", "rate limits"),
    ("payload", "payload fields"),
)


class _Clock:
    """Times on the operation's creation day lose their date and their `Z` (both stated once, in the facts).

    A full timestamp costs about 13 tokens, a bare time 5, and a short answer holds a dozen of them.
    """

    def __init__(self, operation: ResourceOperation) -> None:
        self.day = operation.created_at.date()
        # The same moments recur (table, rate limits, request IDs); all are UTC, so equal ones read alike.
        self.shown: dict[datetime, str] = {}

    def at(self, moment: datetime) -> str:
        shown = self.shown.get(moment)
        if shown is None:
            # `time().isoformat` is one C call, a quarter of the cost of formatting the full timestamp.
            shown = moment.time().isoformat("seconds") if moment.date() == self.day else fmt_time(moment)
            self.shown[moment] = shown
        return shown


def render_text(operation: ResourceOperation, diagnosis: Diagnosis) -> str:
    """Markdown leading with the verdict; never longer than MAX_CHARS."""
    at = _Clock(operation).at
    sections = {
        "headline": _headline(diagnosis),
        "facts": _facts(operation, diagnosis, at),
        "table": _table(diagnosis, at),
        "payload": _payload_fields(diagnosis),
        "rate_limits": _rate_limits(diagnosis, at),
        "request_ids": _request_ids(diagnosis, at),
        "steps": _steps(diagnosis),
        "notes": _notes(diagnosis),
    }
    return _fit(sections)


def _fit(sections: dict[str, str]) -> str:
    """Join the sections; past MAX_CHARS drop the least useful ones, then cut as a last resort."""
    # Every upstream value is bounded, so only pathological input (every field at its cap) gets here.
    text = _join(sections)
    dropped: list[str] = []
    for name, label in _DROP_ORDER:
        if len(text) <= MAX_CHARS:
            break
        if sections.get(name):
            sections[name] = ""
            dropped.append(label)
            text = _join(sections) + f"\n\n({', '.join(dropped)} omitted to stay within 6,000 characters)"
    if len(text) <= MAX_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_CHARS - len(_TRUNCATED))
    return text[: cut if cut > 0 else MAX_CHARS - len(_TRUNCATED)] + _TRUNCATED


def _join(sections: dict[str, str]) -> str:
    return "\n\n".join(filter(None, sections.values()))


def _headline(diagnosis: Diagnosis) -> str:
    # The summary is built from our words only and starts with the verdict label: bold that label.
    label = VERDICT_LABELS[diagnosis.verdict]
    summary = diagnosis.summary[:600]
    if summary.startswith(label):
        return f"**{label}**{summary[len(label) :]}"
    return summary


def _value(text: str | None, limit: int = 40) -> str:
    return "none" if text is None else quote(text, limit)


def _facts(operation: ResourceOperation, diagnosis: Diagnosis, at: Callable[[datetime], str]) -> str:
    # The operation and connection IDs are left out: the caller passed them, and they are in the
    # structured result.
    first = (
        f"{_received(operation)}**Fleet ref:** {_value(operation.fleet_ref)} · "
        f"**Created:** {fmt_time(operation.created_at)} (undated times below: this day, UTC)"
    )
    updated, resource_id, source_id = operation.updated_at, operation.resource_id, operation.source_id
    if updated:
        first += f" · **Updated:** {at(updated)}"
    lines = [first]
    if resource_id or source_id:
        lines.append(
            f"**Resource ID:** {_value(resource_id)} · **Source ID (in the TSP):** {_value(source_id)}"
        )
    # Each read of a pydantic model's field goes through its __getattr__ hook: read each once.
    attempts = diagnosis.attempts
    failed, succeeded, other, total = attempts.failed, attempts.succeeded, attempts.other, attempts.total
    counts = []
    if failed:
        counts.append(f"{failed} failed")
    if succeeded:
        counts.append(f"{succeeded} succeeded")
    if other:
        counts.append(f"{other} other")
    # "4 failed", not "4 (4 failed)": the total is spelled out only when the outcomes differ.
    if len(counts) == 1:
        line = f"**Attempts:** {counts[0]}"
    else:
        line = f"**Attempts:** {total}" + (f" ({', '.join(counts)})" if counts else "")
    first_at, last_at, span = attempts.first_at, attempts.last_at, attempts.span_seconds
    if first_at and last_at and span is not None:
        line += f", {at(first_at)}"
        if total > 1:
            line += f" → {at(last_at)} ({fmt_duration(span)})"
    lines.append(line)
    if failed + other and not _table_tells_progression(diagnosis):
        lines.append(f"**Progression:** {_progression(diagnosis)}")
    lines += _undocumented(operation, at)
    return "  \n".join(lines)


def _received(operation: ResourceOperation) -> str:
    """The headline names the TSP, resource, operation and status in safe words; a value is repeated
    here, quoted as received, only when those words do not spell it exactly (or it is missing)."""
    received = ""
    for label, text, limit in (
        ("TSP", operation.source_name, 40),
        ("Resource", operation.resource, 40),
        ("Operation", operation.operation_type, 20),
        ("Status", operation.status, 40),
    ):
        if not spells_ident(text) or (label == "Status" and text not in KNOWN_OPERATION_STATUSES):
            received += f"**{label}:** {_value(text, limit)} · "
    return received


def _undocumented(operation: ResourceOperation, at: Callable[[datetime], str]) -> list[str]:
    """Fields Catena sent that we do not model, with their values: they may answer the question asked."""
    fields = undocumented_fields(operation)
    if not fields:
        return []
    on_operation = [field for field in fields if field.attempt is None]
    on_logs = [field for field in fields if field.attempt is not None]
    lines = []
    if on_operation:
        shown = _capped([_extra(field, at) for field in on_operation], MAX_EXTRA_ON_OPERATION, "more")
        lines.append("**Undocumented fields:** " + " · ".join(shown))
    if on_logs:
        shown = _capped([_extra(field, at) for field in on_logs], MAX_EXTRA_ON_LOGS, "more")
        lines.append("**Undocumented attempt fields** (latest value): " + " · ".join(shown))
    return lines


def _extra(field: ExtraField, at: Callable[[datetime], str]) -> str:
    if field.moment is not None:
        value = at(field.moment)
    elif field.value is None:
        value = "(an object or list)"
    else:
        value = quote(field.value, 40)
    where = ""
    if field.attempt is not None:
        where = (
            f" (attempt {field.attempt}" + (f"; on {field.count} attempts" if field.count > 1 else "") + ")"
        )
    return f"{quote(field.name, 32)} {value}{where}"


def _capped(items: list[str], cap: int, more: str, prefix: str = "") -> list[str]:
    """At most `cap` items and a count of the rest; a count of one would cost as much as the item."""
    if len(items) <= cap + 1:
        return items
    return [*items[:cap], f"{prefix}{len(items) - cap} {more}"]


def _table_tells_progression(diagnosis: Diagnosis) -> bool:
    """Whether the table already tells how the outcome evolved: every kind failed in one run of attempts,
    none succeeded in between, and every kind has its row (its Seen range then orders the runs)."""
    progression = diagnosis.progression
    if (
        progression.phases_omitted
        or len(diagnosis.failure_groups) > MAX_TABLE_ROWS
        or diagnosis.failure_groups_omitted
    ):
        return False
    kinds: set[tuple[str | None, int | None]] = set()
    for phase in progression.phases:
        if phase.succeeded:
            return False
        kinds.add((phase.error_type, phase.status_code))
    return len(kinds) == len(progression.phases)


def _progression(diagnosis: Diagnosis) -> str:
    progression = diagnosis.progression
    runs = list(map(_run, progression.phases))
    if not progression.phases_omitted:
        return " → ".join(runs)  # the arrows count the changes
    # Too many runs to list: say how many changes, in which order the kinds first appeared, where it ends.
    head = f"the outcome changed {plural(progression.changes, 'time')}"
    by_first = sorted(diagnosis.failure_groups[:MAX_TABLE_ROWS], key=lambda group: group.first_seen)
    order = " → ".join(_label(group.error_type, group.status_code) for group in by_first)
    return f"{head}; kinds in order of first appearance: {order}; latest runs: … → " + " → ".join(runs[-4:])


def _run(phase: Phase) -> str:
    name = "success" if phase.succeeded else _label(phase.error_type, phase.status_code)
    return f"{name} ×{phase.count}"


def _label(error_type: str | None, status_code: int | None) -> str:
    """A failure kind for the text: known types as words, anything else quoted."""
    if error_type is None:
        kind = "no error type"
    else:
        kind = error_type if error_type in KNOWN_ERROR_TYPES else quote(error_type, 24)
    return f"{kind} {status_code}" if status_code is not None else kind


def _table(diagnosis: Diagnosis, at: Callable[[datetime], str]) -> str:
    groups = diagnosis.failure_groups
    if not groups:
        return ""
    rows = [
        "**Failures by kind**, latest first:",
        "| Error type | HTTP | Count | Seen | Latest details |",
        "|-|-|-|-|-|",
    ]
    for row, group in enumerate(groups[:MAX_TABLE_ROWS]):
        # The failure that matters now gets room to name every rejected field; older ones a glimpse.
        details = _value(group.details_excerpt, LATEST_DETAILS_CHARS if row == 0 else OLDER_DETAILS_CHARS)
        status = group.status_code
        first_seen, last_seen = group.first_seen, group.last_seen
        seen = at(last_seen) if first_seen == last_seen else f"{at(first_seen)} → {at(last_seen)}"
        rows.append(
            f"| {_value(group.error_type, 24)} | {'-' if status is None else status} | {group.count} | {seen}"
            f" | {details} |"
        )
    omitted = len(groups) - MAX_TABLE_ROWS + diagnosis.failure_groups_omitted
    if omitted > 0:
        rows.append(f"\n{plural(omitted, 'older failure kind')} omitted.")
    return "\n".join(rows)


def _payload_fields(diagnosis: Diagnosis) -> str:
    """The values the operation sent for the fields the failures name (never the whole payload)."""
    named: dict[str, tuple[FailureGroup, PayloadField]] = {}
    for group in diagnosis.failure_groups[:MAX_TABLE_ROWS]:
        for field in group.payload_fields:
            named.setdefault(field.path, (group, field))
    if not named:
        return ""
    several = len({id(group) for group, _ in named.values()}) > 1
    lines = []
    for group, field in named.values():
        length = f" ({plural(field.length, 'character')})" if field.length is not None else ""
        by = f" · {_label(group.error_type, group.status_code)}" if several else ""
        lines.append(f"- {quote(field.path, 48)}: {quote(field.value, 60)}{length}{by}")
    return "\n".join(
        ["**Payload fields the details name**, as sent:", *_capped(lines, MAX_PAYLOAD_LINES, "more", "- ")]
    )


def _rate_limits(diagnosis: Diagnosis, at: Callable[[datetime], str]) -> str:
    lines = [
        f"- {_rate_limit_line(group, group.rate_limit, at)}"
        for group in diagnosis.failure_groups
        if group.rate_limit
    ]
    if not lines:
        return ""
    return "\n".join(
        [
            "**Rate limits:**",
            *_capped(lines, MAX_RATE_LIMIT_LINES, "older failure kinds' rate limits omitted", "- "),
        ]
    )


def _rate_limit_line(group: FailureGroup, facts: RateLimitFacts, at: Callable[[datetime], str]) -> str:
    """`tsp 429 at T: retry after 1 min: T · window resets T · limit 10 per 1 min, 0 remaining · they
    disagree: honour the later, T (in 2 min) · all 3 asked 1 min to 2 min · raw: ...`"""
    asked, reset = facts.retry_asked_at, facts.reset_at
    limit, window, remaining = facts.limit, facts.window_seconds, facts.remaining
    # A reset binds only once the window is exhausted; a retry header always does.
    binds = reset is not None and (remaining == 0 or group.status_code == 429)
    disagree = asked is not None and binds and reset != asked
    parts = []
    if asked is not None:
        delay = fmt_duration(max((asked - facts.observed_at).total_seconds(), 0))
        parts.append(
            f"retry after {delay}: {at(asked)}"
            if disagree
            else f"retry after {delay}, at {retry_moment(facts, at)}"
        )
    if reset is not None:
        parts.append(
            f"window resets {at(reset)}"
            if asked is not None or not binds
            else f"window resets {retry_moment(facts, at)}"
        )
    counts = []
    if limit is not None:
        counts.append(f"limit {limit}" + (f" per {fmt_duration(window)}" if window is not None else ""))
    elif window is not None:
        counts.append(f"window {fmt_duration(window)}")
    if remaining is not None:
        counts.append(f"{remaining} remaining")
    if counts:
        parts.append(", ".join(counts))
    if disagree:
        parts.append(f"they disagree: honour the later, {retry_moment(facts, at)}")
    if (
        group.count > 1
        and group.asked_count
        and group.asked_min_seconds is not None
        and group.asked_max_seconds is not None
    ):
        who = f"{group.asked_count} of"
        if group.asked_count == group.count:
            who = "both" if group.count == 2 else "all"
        low, high = fmt_duration(group.asked_min_seconds), fmt_duration(group.asked_max_seconds)
        counted = who if who == "both" else f"{who} {group.count}"
        parts.append(f"{counted} asked {low}" + (f" to {high}" if high != low else ""))
    # Values fully read into the facts above are not repeated (the structured result keeps them raw);
    # what was not understood, or lists more than the binding policy, is shown as received.
    unread, more, unparsed = [], [], facts.unparsed
    for name, value in facts.raw.items():
        if name in unparsed:
            unread.append(f"{name}: {value}")
        elif _lists_more(name, value):
            more.append(f"{name}: {value}")
    if unread:
        parts.append("not understood: " + quote("; ".join(unread), 120))
    if more:
        parts.append("as received: " + quote("; ".join(more), 160))
    when = f"{_label(group.error_type, group.status_code)} at {at(facts.observed_at)}"
    return f"{when}: " + " · ".join(parts)


def _lists_more(name: str, value: str) -> bool:
    """Whether a header lists several policies (`"burst";r=0, "daily";r=42`): the facts keep only one."""
    if not name.endswith(("ratelimit", "limit", "policy")):
        return False  # other values hold one fact each (a comma there is part of a date)
    heads = {member.split(";")[0].strip().strip('"') for member in value.split(",")}
    return len(heads) > 1 and not any("=" in head for head in heads)


def _request_ids(diagnosis: Diagnosis, at: Callable[[datetime], str]) -> str:
    """One line per distinct ID: the latest of each failure kind first, then older ones."""
    groups = diagnosis.failure_groups
    # The same ID may come back on failures of several kinds: one line, counting them all.
    lines: dict[str, list[tuple[FailureGroup, RequestIdRef]]] = {}
    for level in range(max([len(group.request_ids) for group in groups], default=0)):
        for group in groups:
            if level < len(group.request_ids):
                ref = group.request_ids[level]
                lines.setdefault(ref.value, []).append((group, ref))
    if not lines:
        return ""
    total = len(lines) + sum([group.request_ids_omitted for group in groups])
    shown = list(lines.values())
    shown = shown[: MAX_REQUEST_ID_LINES if total > MAX_REQUEST_ID_LINES + 1 else len(shown)]
    out = ["**Request IDs to quote:**", *(_request_id_line(seen, at) for seen in shown)]
    if total > len(shown):
        listed = {id(group) for seen in shown for group, _ in seen}
        unlisted = sum(1 for group in groups if id(group) not in listed and group.request_ids)
        older = f", and those of {plural(unlisted, 'older failure kind')}" if unlisted else ""
        out.append(f"- {total - len(shown)} more IDs omitted: older repeats of the kinds above{older}")
    return "\n".join(out)


def _request_id_line(seen: list[tuple[FailureGroup, RequestIdRef]], at: Callable[[datetime], str]) -> str:
    latest, first, count, labels = seen[0][1], seen[0][1].first_at, 0, []
    for group, ref in seen:
        count += ref.count
        if ref.at > latest.at:
            latest = ref
        first = min(first, ref.first_at)
        labels.append(_label(group.error_type, group.status_code))
    if count == 1:
        when = f"attempt {latest.attempt}, {at(latest.at)}"
    else:
        when = f"{count} attempts, {at(first)} → {at(latest.at)}"
    return f"- {quote(latest.value, 48)}: {when}, {', '.join(labels)}"


def _steps(diagnosis: Diagnosis) -> str:
    steps = diagnosis.next_steps[:MAX_STEPS]
    return "**Next steps:**\n" + "\n".join([f"{n}. {step}" for n, step in enumerate(steps, 1)])


def _notes(diagnosis: Diagnosis) -> str:
    if not diagnosis.notes:
        return ""
    return "**Data notes:**\n" + "\n".join([f"- {note}" for note in diagnosis.notes])
