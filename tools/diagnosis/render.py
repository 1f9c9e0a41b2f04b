"""render_text(): the diagnosis as compact markdown for the model to read.

Our words are plain markdown; every upstream value (IDs, error details, header values, unknown enum
values, fleet_ref) goes through `quote()`, so it sits in a code span, on one line, bounded, and cannot
break the table or pass for our instructions. Every list is capped and says what it left out, and a
final guard keeps the text within MAX_CHARS whatever the input.
"""

from collections.abc import Callable
from datetime import datetime

from catena_mcp.tools.catena.records import KNOWN_ERROR_TYPES, ResourceOperation
from catena_mcp.tools.diagnosis.next_steps import (
    VERDICT_LABELS,
    fmt_duration,
    fmt_time,
    plural,
    retry_moment,
)
from catena_mcp.tools.diagnosis.result import Diagnosis, FailureGroup, Phase, RateLimitFacts
from catena_mcp.tools.untrusted import quote

MAX_CHARS = 6000
MAX_TABLE_ROWS = 6
MAX_RATE_LIMIT_LINES = 2
MAX_REQUEST_ID_LINES = 3
LATEST_DETAILS_CHARS = 160
OLDER_DETAILS_CHARS = 80
MAX_STEPS = 6
_TRUNCATED = "\n\n… (output cut at 6,000 characters)"
_DROP_ORDER = (("notes", "data notes"), ("request_ids", "request IDs"), ("rate_limits", "rate limits"))


class _Clock:
    """Times on the operation's creation day lose their date (stated once, in the facts).

    A full timestamp costs about 11 tokens and a short answer holds a dozen of them.
    """

    def __init__(self, operation: ResourceOperation) -> None:
        self.day = operation.created_at.date()

    def __call__(self, moment: datetime) -> str:
        full = fmt_time(moment)
        return full[11:] if moment.date() == self.day else full


def render_text(operation: ResourceOperation, diagnosis: Diagnosis) -> str:
    """Markdown leading with the verdict; never longer than MAX_CHARS."""
    at = _Clock(operation)
    sections = {
        "headline": _headline(diagnosis),
        "facts": _facts(operation, diagnosis, at),
        "table": _table(diagnosis, at),
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
        if sections[name]:
            sections[name] = ""
            dropped.append(label)
            text = _join(sections) + f"\n\n({', '.join(dropped)} omitted to stay within 6,000 characters)"
    if len(text) <= MAX_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_CHARS - len(_TRUNCATED))
    return text[: cut if cut > 0 else MAX_CHARS - len(_TRUNCATED)] + _TRUNCATED


def _join(sections: dict[str, str]) -> str:
    return "\n\n".join(section for section in sections.values() if section)


def _headline(diagnosis: Diagnosis) -> str:
    # The summary is built from our words only and starts with the verdict label: bold that label.
    label = VERDICT_LABELS[diagnosis.verdict]
    summary = diagnosis.summary[:600]
    if summary.startswith(label):
        return f"**{label}**{summary[len(label) :]}"
    return summary


def _facts(operation: ResourceOperation, diagnosis: Diagnosis, at: Callable[[datetime], str]) -> str:
    # The operation and connection IDs are left out: the caller passed them, and they are in the
    # structured result.
    def value(text: str | None, limit: int = 40) -> str:
        return "none" if text is None else quote(text, limit)

    lines = [
        f"**TSP:** {value(operation.source_name)} · **Resource:** {value(operation.resource)} · "
        f"**Operation:** {value(operation.operation_type, 20)} · **Status:** {value(operation.status)}"
        f" · **Fleet ref:** {value(operation.fleet_ref)}",
        f"**Created:** {fmt_time(operation.created_at)} (undated times below: this day, UTC)"
        + (f" · **Updated:** {at(operation.updated_at)}" if operation.updated_at else ""),
    ]
    if operation.resource_id or operation.source_id:
        lines.append(
            f"**Resource ID:** {value(operation.resource_id)} · "
            f"**Source ID (in the TSP):** {value(operation.source_id)}"
        )
    attempts = diagnosis.attempts
    counts = [
        f"{count} {label}"
        for count, label in (
            (attempts.failed, "failed"),
            (attempts.succeeded, "succeeded"),
            (attempts.other, "other"),
        )
        if count
    ]
    line = f"**Attempts:** {attempts.total}" + (f" ({', '.join(counts)})" if counts else "")
    if attempts.first_at and attempts.last_at and attempts.span_seconds is not None:
        line += f", {at(attempts.first_at)}"
        if attempts.total > 1:
            line += f" → {at(attempts.last_at)} ({fmt_duration(attempts.span_seconds)})"
    lines.append(line)
    if attempts.failed + attempts.other:
        lines.append(f"**Progression:** {_progression(diagnosis)}")
    return "  \n".join(lines)


def _progression(diagnosis: Diagnosis) -> str:
    progression = diagnosis.progression
    if progression.kind == "single_failure":
        head = "one failed attempt"
    elif progression.kind == "repeated":
        head = "the same failure repeated"
    else:
        head = f"the outcome changed {plural(progression.changes, 'time')}"
    runs = [_run(phase) for phase in progression.phases]
    if not progression.phases_omitted:
        return f"{head}: " + " → ".join(runs)
    # Too many runs to list: say in which order the kinds first appeared, then where it ends.
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
        "**Failures by kind** (most recent first):",
        "| Error type | HTTP | Count | Seen | Latest details |",
        "|---|---|---|---|---|",
    ]
    for row, group in enumerate(groups[:MAX_TABLE_ROWS]):
        kind = "none" if group.error_type is None else quote(group.error_type, 24)
        # The failure that matters now gets room to name every rejected field; older ones a glimpse.
        limit = LATEST_DETAILS_CHARS if row == 0 else OLDER_DETAILS_CHARS
        details = "none" if group.details_excerpt is None else quote(group.details_excerpt, limit)
        status = "-" if group.status_code is None else group.status_code
        seen = at(group.last_seen)
        if group.first_seen != group.last_seen:
            seen = f"{at(group.first_seen)} → {seen}"
        rows.append(f"| {kind} | {status} | {group.count} | {seen} | {details} |")
    omitted = len(groups) - MAX_TABLE_ROWS + diagnosis.failure_groups_omitted
    if omitted > 0:
        rows.append(f"\n{plural(omitted, 'older failure kind')} omitted.")
    return "\n".join(rows)


def _rate_limits(diagnosis: Diagnosis, at: Callable[[datetime], str]) -> str:
    sources = [(group, group.rate_limit) for group in diagnosis.failure_groups if group.rate_limit]
    if not sources:
        return ""
    lines = ["**Rate limits:**"]
    lines += [f"- {_rate_limit_line(group, facts, at)}" for group, facts in sources[:MAX_RATE_LIMIT_LINES]]
    if len(sources) > MAX_RATE_LIMIT_LINES:
        lines.append(f"- {len(sources) - MAX_RATE_LIMIT_LINES} more omitted")
    return "\n".join(lines)


def _rate_limit_line(group: FailureGroup, facts: RateLimitFacts, at: Callable[[datetime], str]) -> str:
    """`tsp 429 at T: retry after 2 min, at T (already passed) · limit 100 per 1 min · raw: ...`"""
    parts = []
    if facts.retry_at is not None and facts.retry_after_seconds is not None:
        parts.append(
            f"retry after {fmt_duration(max(facts.retry_after_seconds, 0))}, at {retry_moment(facts, at)}"
        )
    elif facts.reset_at is not None:
        parts.append(f"window resets at {at(facts.reset_at)}")
    if facts.limit is not None:
        window = f" per {fmt_duration(facts.window_seconds)}" if facts.window_seconds is not None else ""
        parts.append(f"limit {facts.limit}{window}")
    elif facts.window_seconds is not None:
        parts.append(f"window {fmt_duration(facts.window_seconds)}")
    if facts.remaining is not None:
        parts.append(f"{facts.remaining} remaining")
    raw = "; ".join(f"{name}: {value}" for name, value in facts.raw.items())
    parts.append(f"raw: {quote(raw, 120)}")
    if facts.unparsed:
        parts.append(f"not understood: {quote(', '.join(facts.unparsed), 80)}")
    when = f"{_label(group.error_type, group.status_code)} at {at(facts.observed_at)}"
    return f"{when}: " + " · ".join(parts)


def _request_ids(diagnosis: Diagnosis, at: Callable[[datetime], str]) -> str:
    groups = diagnosis.failure_groups
    # Breadth first: the latest ID of each kind of failure, which is what a support ticket needs, then older.
    depth = max((len(group.request_ids) for group in groups), default=0)
    refs = [
        (group, group.request_ids[level])
        for level in range(depth)
        for group in groups
        if level < len(group.request_ids)
    ]
    if not refs:
        return ""
    lines = ["**Request IDs to quote:**"]
    for group, ref in refs[:MAX_REQUEST_ID_LINES]:
        label = _label(group.error_type, group.status_code)
        lines.append(f"- {quote(ref.value, 48)}: attempt {ref.attempt}, {at(ref.at)}, {label}")
    more = len(refs) - MAX_REQUEST_ID_LINES + sum(group.request_ids_omitted for group in groups)
    if more > 0:
        lines.append(f"- {more} more omitted")
    return "\n".join(lines)


def _steps(diagnosis: Diagnosis) -> str:
    steps = diagnosis.next_steps[:MAX_STEPS]
    return "**Next steps:**\n" + "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))


def _notes(diagnosis: Diagnosis) -> str:
    if not diagnosis.notes:
        return ""
    return "**Data notes:**\n" + "\n".join(f"- {note}" for note in diagnosis.notes)
