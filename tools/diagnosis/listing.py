"""Listing operations: the newest rows of a window, as structured rows and a compact markdown table.

Pure. Connection IDs repeat across rows, so the table names each connection once (C1, C2, ...) in a legend
and the rows refer to it; operation IDs are shown whole, as get_resource_operation needs them.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from catena_mcp.tools.diagnosis.next_steps import fmt_time, ident, plural
from catena_mcp.tools.diagnosis.triage import OperationRow, Stop
from catena_mcp.tools.diagnosis.triage_render import STOP_REASONS, window_label
from catena_mcp.tools.schema import COMPACT_SCHEMA, ROW_SCHEMA, OutputModel
from catena_mcp.tools.untrusted import quote

StatusFilter = Literal["failed", "pending", "success", "not_success"]
MAX_CHARS = 5800  # with room for the demo banner: under 6,000 in all


class ListedRow(BaseModel):
    model_config = ROW_SCHEMA

    id: str
    connection_id: str
    tsp: str | None
    resource: str | None
    op: str | None = Field(description="operation_type")
    status: str
    attempts: int | None = Field(description="null when Catena's list item carries no attempts")
    error_type: str | None = Field(description="the latest failed attempt's, when known")
    http: int | None = Field(description="the latest failed attempt's HTTP status, when known")
    created: datetime
    updated: datetime | None


class ListResult(OutputModel):
    """The listing tool's structured content."""

    model_config = COMPACT_SCHEMA

    since: datetime | None = Field(description="Window start sent to Catena; null: its default.")
    until: datetime | None = Field(description="Window end sent to Catena; null: its default (now).")
    status: StatusFilter | None
    scanned: int = Field(description="Operations read in the window.")
    matched: int = Field(description="Of those, with the requested status.")
    pages: int
    stop: Stop | None = Field(description="What cut the scan short; null: the whole window was read.")
    unreadable: int
    rows: list[ListedRow] = Field(description="Newest first, at most limit.")
    omitted: int = Field(description="Matching operations beyond limit.")


def matches(row: OperationRow, status: StatusFilter | None) -> bool:
    if status is None:
        return True
    if status == "not_success":
        return row.failing
    return row.status == status


def listed(
    rows: Sequence[OperationRow], status: StatusFilter | None, limit: int
) -> tuple[list[ListedRow], int]:
    """The newest `limit` matching rows, whatever order they came in, and how many matched."""
    matching = sorted(
        (row for row in rows if matches(row, status)), key=lambda r: (r.created_at, r.id), reverse=True
    )
    return [_listed(row) for row in matching[:limit]], len(matching)


def _listed(row: OperationRow) -> ListedRow:
    return ListedRow(
        id=row.id,
        connection_id=row.connection_id,
        tsp=row.tsp,
        resource=row.resource,
        op=row.operation_type,
        status=row.status,
        attempts=row.attempts,
        error_type=row.error_type,
        http=row.status_code,
        created=row.created_at,
        updated=row.updated_at,
    )


_WHAT = {None: "operations", "not_success": "failed or pending operations"}


def render_listing(result: ListResult) -> str:
    window = window_label(result.since, result.until)
    what = _WHAT.get(result.status, f"{result.status} operations")
    if not result.rows:
        head = f"**No {what}** among {result.scanned:,} operations in {window}."
        return "\n\n".join([head, _scope(result), _hint(result)])
    shown = len(result.rows)
    which = f"The {shown} newest" if result.omitted else f"All {shown}"
    head = f"**{which} of {result.matched:,} {what}** in {window}."
    sections = [head, _scope(result), "", _hint(result)]
    for keep in range(shown, 0, -1):
        sections[2] = _table(result.rows[:keep])
        if keep < shown:
            sections[2] += f"\n\n({shown - keep} more rows in the structured content only: text budget)"
        text = "\n\n".join(section for section in sections if section)
        if len(text) <= MAX_CHARS:
            return text
    return text[:MAX_CHARS]


def _scope(result: ListResult) -> str:
    operations = "1 operation" if result.scanned == 1 else f"{result.scanned:,} operations"
    line = f"**Scanned:** {plural(result.pages, 'page')}, {operations}"
    line += (
        ", the whole window" if result.stop is None else f": **stopped early at {STOP_REASONS[result.stop]}**"
    )
    if result.unreadable:
        line += f" ({result.unreadable} unreadable items left out)"
    return line


def _table(rows: Sequence[ListedRow]) -> str:
    connections: dict[str, str] = {}
    for row in rows:
        connections.setdefault(row.connection_id, f"C{len(connections) + 1}")
    tsps = {row.connection_id: row.tsp for row in rows}
    legend = "**Connections:** " + " · ".join(
        f"{label} = {quote(connection, 40)} ({ident(tsps[connection])})"
        for connection, label in connections.items()
    )
    lines = [
        legend,
        "",
        "| created (UTC) | status | TSP · resource · op | conn | operation ID | attempts · latest error |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        if row.attempts is None:
            attempts = "-"
        else:
            attempts = str(row.attempts)
            if row.error_type or row.http:
                attempts += f" · {ident(row.error_type) if row.error_type else 'none'}"
                attempts += f" HTTP {row.http}" if row.http is not None else ""
        lines.append(
            f"| {fmt_time(row.created)[:19].replace('T', ' ')} | {ident(row.status)} | {ident(row.tsp)} · "
            f"{ident(row.resource)} · {ident(row.op)} | {connections[row.connection_id]} | "
            f"{quote(row.id, 40)} | {attempts} |"
        )
    return "\n".join(lines)


def _hint(result: ListResult) -> str:
    steps = []
    if result.omitted and result.rows:
        oldest = fmt_time(result.rows[-1].created)
        steps.append(
            f"{result.omitted:,} more match: raise limit, or continue with until={oldest} (same filters)."
        )
    if result.stop is not None:
        steps.append("More operations exist beyond the scan: narrow since/until or add filters.")
    if any(row.attempts is None for row in result.rows):
        steps.append(
            "Catena's list does not carry attempts: open an operation with get_resource_operation, or run "
            "triage_resource_operation_failures for the error patterns."
        )
    return "**Next:** " + " ".join(steps) if steps else ""
