"""The triage as markdown: verdict first, one table of patterns, rate limits, next steps; < 6,000 characters.

Our words only, plus upstream values that went through `ident` (enum-like words) or `quote` (fleet refs,
IDs), numbers and datetimes. Patterns are capped upstream of here (MAX_PATTERNS), so the text is bounded
by construction; a final guard cuts rows, never the verdict, should a pathological input get past that.
"""

from datetime import datetime

from catena_mcp.tools.diagnosis.next_steps import failure_label, fmt_time, ident, plural
from catena_mcp.tools.diagnosis.triage import Pattern, Stop, TriageResult, TspRateLimit
from catena_mcp.tools.untrusted import quote

MAX_CHARS = 5800  # with room for the demo banner: under 6,000 in all
MAX_STEPS = 6
GET_TOOL = "get_resource_operation"

STOP_REASONS: dict[Stop, str] = {
    "page_cap": "the page cap",
    "time_budget": "the time budget",
    "rate_limited": "Catena's rate limit (HTTP 429)",
}


def window_label(since: datetime | None, until: datetime | None) -> str:
    if since is None and until is None:
        return "the last 24 hours (Catena's default window)"
    start = fmt_time(since) if since else "24 h before the end"
    return f"{start} → {fmt_time(until) if until else 'now'}"


def _short(moment: datetime) -> str:
    return f"{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


def _count(number: int) -> str:
    return f"{number:,}"


def _operations(number: int) -> str:
    return "1 operation" if number == 1 else f"{number:,} operations"


def _share(value: float) -> str:
    return f"{value * 100:.1f}%"


def error_label(pattern: Pattern) -> str:
    match pattern.error:
        case "error":
            return failure_label(pattern.error_type, pattern.http)
        case "no_attempts":
            return "no attempt yet"
        case "no_failure":
            return "no failed attempt logged"
        case _:
            return "not inspected"


def render_triage(result: TriageResult) -> str:
    window = window_label(result.since, result.until)
    if result.scanned == 0:
        head = f"**No operations** in {window}: widen the window with since/until, or loosen the filters."
        return "\n\n".join([head, _scope(result)])
    if result.failing == 0:
        every = "the one operation" if result.scanned == 1 else f"all {_count(result.scanned)} operations"
        head = f"**Nothing failing:** {every} in {window} succeeded."
        return "\n\n".join([head, _scope(result)])
    head = (
        f"**{_count(result.failing)} of {_count(result.scanned)} operations failed or are pending "
        f"({_share(result.failing / result.scanned)})** in {window}: "
        f"{plural(len(result.patterns) + result.patterns_omitted, 'pattern')}."
    )
    sections = [head, _scope(result), _table(result), _rate_limits(result.rate_limits), _steps(result)]
    text = "\n\n".join(section for section in sections if section)
    while len(text) > MAX_CHARS and result.patterns:
        result = result.model_copy(update={"patterns": result.patterns[:-1]})
        sections[2] = _table(result) + "\n\n(table cut to stay within the text budget)"
        text = "\n\n".join(section for section in sections if section)
    return text[:MAX_CHARS]


def _scope(result: TriageResult) -> str:
    lines = [f"**Scanned:** {plural(result.pages, 'page')}, {_operations(result.scanned)}"]
    if result.stop is None:
        lines[0] += ", the whole window"
    else:
        lines[0] += f": **stopped early at {STOP_REASONS[result.stop]}**, more operations exist"
    if result.failing:
        line = f"**Attempts read:** {_count(result.inspected)} of {_count(result.failing)} failing operations"
        if result.inspected < result.failing:
            line += " (a sample: latest error types come from it; the rest are grouped as not inspected)"
            if result.inspect_stop is not None:
                line += f", cut by {STOP_REASONS[result.inspect_stop]}"
        lines.append(line)
    if result.unreadable:
        lines.append(f"**Unreadable items:** {result.unreadable} (left out)")
    return "  \n".join(lines)


def _table(result: TriageResult) -> str:
    rows = [
        "| # | TSP | status | latest error | ops | share | resource · op | first → last (UTC) | fleets"
        " | example (operation · connection) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, pattern in enumerate(result.patterns, 1):
        example = pattern.examples[0] if pattern.examples else None
        fleets = ", ".join(quote(fleet, 32) for fleet in pattern.fleets) or "none"
        if pattern.connections > 1:
            fleets += f" ({pattern.connections} connections)"
        rows.append(
            f"| {number} | {ident(pattern.tsp)} | {ident(pattern.status)} | {error_label(pattern)} | "
            f"{_count(pattern.count)} | {_share(pattern.share)} | {_kinds(pattern)} | "
            f"{_short(pattern.first)} → {_short(pattern.last)} | {fleets} | "
            + (f"{quote(example.id, 40)} · {quote(example.connection_id, 40)} |" if example else "none |")
        )
    if result.patterns_omitted:
        rows.append(
            f"\n{plural(result.patterns_omitted, 'smaller pattern')} ({_count(result.operations_omitted)} "
            "operations) not shown: filter by source_name, resource or connection_id to see them."
        )
    return "\n".join(rows)


def _kinds(pattern: Pattern) -> str:
    shown = [f"{ident(kind.resource)} {ident(kind.op)} {kind.count}" for kind in pattern.kinds[:2]]
    rest = len(pattern.kinds) - 2 + pattern.kinds_omitted
    return ", ".join(shown) + (f", {plural(rest, 'other kind')}" if rest > 0 else "")


def _rate_limits(limits: list[TspRateLimit]) -> str:
    if not limits:
        return ""
    lines = ["**Rate-limit headers, latest per TSP:**"]
    for seen in limits:
        facts = []
        if seen.remaining is not None:
            facts.append(
                f"{seen.remaining}" + (f" of {seen.limit}" if seen.limit is not None else "") + " left"
            )
        elif seen.limit is not None:
            facts.append(f"limit {seen.limit}")
        if seen.reset_at is not None:
            facts.append(f"window resets {fmt_time(seen.reset_at)}")
        if seen.retry_at is not None:
            facts.append(f"retry from {fmt_time(seen.retry_at)}")
        lines.append(
            f"- {ident(seen.tsp)} at {fmt_time(seen.observed_at)}: {', '.join(facts) or 'unparsed values'}"
        )
    return "\n".join(lines)


def _steps(result: TriageResult) -> str:
    return "**Next steps:**\n" + "\n".join(
        f"{number}. {step}" for number, step in enumerate(result.next_steps[:MAX_STEPS], 1)
    )


def triage_steps(result: TriageResult) -> list[str]:
    """What to do about the patterns that need someone to act, largest first; transient failures in one
    step after them; then how to see more."""
    steps: list[str] = []
    for pattern in result.patterns:
        step = _action(pattern)
        if step and step not in steps and len(steps) < 3:
            steps.append(step)
    transient = [pattern for pattern in result.patterns if _transient(pattern)]
    if transient:
        count = sum(pattern.count for pattern in transient)
        tsps = ", ".join(dict.fromkeys(ident(pattern.tsp) for pattern in transient))
        steps.append(
            f"{plural(count, 'operation')} failed on TSP errors or timeouts ({tsps}): usually transient on "
            "the TSP's side; issue the writes again once it recovers, and report it to the TSP if it lasts."
        )
    if result.inspected < result.failing:
        steps.append(
            f"{_count(result.failing - result.inspected)} failing operations were not inspected: narrow the "
            "window or filter by source_name, resource or connection_id to read their errors."
        )
    if result.stop is not None:
        steps.append(
            f"The scan stopped at {STOP_REASONS[result.stop]}: narrow since/until or add filters to cover "
            "the whole window."
        )
    if result.patterns:
        steps.append(
            f"Open an example with {GET_TOOL} (connection_id and resource_operation_id from the table) for "
            "its attempts, request IDs to quote and rate-limit timing."
        )
    return steps[:MAX_STEPS]


def _transient(pattern: Pattern) -> bool:
    return (
        pattern.error == "error"
        and pattern.http != 429
        and (
            pattern.error_type == "network" or (pattern.error_type == "tsp" and (pattern.http or 500) >= 500)
        )
    )


def _action(pattern: Pattern) -> str | None:
    tsp = ident(pattern.tsp)
    count = plural(pattern.count, "operation")
    if pattern.error == "no_attempts" and pattern.status == "pending":
        return (
            f"{count} to {tsp} pending with no attempt since {fmt_time(pattern.first)}: Catena has not tried "
            f"them; ask Catena support to check the queue of {_connection(pattern)}."
        )
    if pattern.error != "error":
        return None
    if pattern.http == 429:
        return (
            f"{tsp} throttled writes (HTTP 429, {count}, {_short(pattern.first)} → {_short(pattern.last)}): "
            "pace writes to it and issue the failed ones again after the retry moment."
        )
    if pattern.error_type == "auth":
        return (
            f"{tsp} rejects the credentials of {_connection(pattern)} ({count} failed auth since "
            f"{fmt_time(pattern.first)}): the fleet must re-authorize the connection; every write fails "
            "until it does."
        )
    if pattern.error_type == "validation":
        kind = pattern.kinds[0]
        return (
            f"{tsp} rejects payloads ({count}, mostly {ident(kind.resource)} {ident(kind.op)}): read the "
            f"field errors of an example with {GET_TOOL}, fix the payloads, then issue the writes again."
        )
    return None


def _connection(pattern: Pattern) -> str:
    fleets = ", ".join(quote(fleet, 32) for fleet in pattern.fleets) or "unknown fleet"
    if pattern.connections == 1 and pattern.examples:
        return f"connection {quote(pattern.examples[0].connection_id, 40)} ({fleets})"
    return f"{plural(pattern.connections, 'connection')} ({fleets})"
