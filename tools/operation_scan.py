"""Paging through a window of operations, and reading the failing ones' attempts: bounded, observable work.

Bounds: at most MAX_PAGES pages of PAGE_SIZE, at most MAX_DETAILS operations fetched one by one with at most
DETAIL_CONCURRENCY in flight, and a time budget well inside an MCP client's usual 60 s request timeout.
What cut the work short is reported, never hidden. Catena's 429 is respected by the client (it waits out
short Retry-After values); a longer one stops the scan here with what was read so far. Cancellation of the
tool call cancels the task running this, and with it every request in flight.
"""

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from uuid import UUID

import anyio

from catena_mcp.tools.catena.client import MAX_PAGE_SIZE, CatenaClient
from catena_mcp.tools.catena.errors import CatenaError, RateLimitedError
from catena_mcp.tools.catena.filters import OperationFilters
from catena_mcp.tools.diagnosis.next_steps import plural
from catena_mcp.tools.diagnosis.triage import OperationRow, Stop, row_of, with_attempts

logger = logging.getLogger(__name__)

PAGE_SIZE = MAX_PAGE_SIZE
MAX_PAGES = 20
MAX_DETAILS = 200
DETAIL_CONCURRENCY = 8
# Paging may use this much of the budget; the detail fetches get the rest.
PAGING_BUDGET_SECONDS = 30.0
TOTAL_BUDGET_SECONDS = 40.0


Progress = Callable[[float, float | None, str | None], Awaitable[None]]


class ProgressReporter:
    """Sends progress notifications that only ever go up, whichever task reports."""

    def __init__(self, send: Progress) -> None:
        self._send = send
        self._sent = 0.0
        self._lock = anyio.Lock()

    async def report(self, progress: float, total: float | None, message: str) -> None:
        async with self._lock:
            if progress > self._sent:
                self._sent = progress
                await self._send(progress, total, message)


@dataclass
class Scan:
    rows: list[OperationRow] = field(default_factory=list)
    pages: int = 0
    stop: Stop | None = None
    unreadable: int = 0
    detail_stop: Stop | None = None
    fetched: int = 0


async def scan_window(
    catena: CatenaClient,
    filters: OperationFilters,
    reporter: ProgressReporter,
    *,
    budget: float = PAGING_BUDGET_SECONDS,
) -> Scan:
    """Every operation of the window, as rows, page by page until the cursor ends or a bound is hit."""
    scan = Scan()
    deadline = anyio.current_time() + budget
    cursor: str | None = None
    while True:
        if scan.pages == MAX_PAGES:
            scan.stop = "page_cap"
            return scan
        with anyio.move_on_after(deadline - anyio.current_time()) as paging:
            try:
                page = await catena.list_resource_operations(filters, cursor=cursor, size=PAGE_SIZE)
            except RateLimitedError:
                if scan.pages == 0:
                    raise
                scan.stop = "rate_limited"
                return scan
        if paging.cancelled_caught:
            scan.stop = "time_budget"
            return scan
        scan.pages += 1
        scan.unreadable += page.unreadable
        for item in page.items:
            # Catena does not say whether list items carry their logs: used when they do.
            scan.rows.append(row_of(item, logs_known="logs" in item.model_fields_set and bool(item.logs)))
        read = f"Read {plural(scan.pages, 'page')}: {plural(len(scan.rows), 'operation')}"
        await reporter.report(scan.pages, None, read)
        cursor = page.next_page
        if cursor is None:
            return scan


def detail_sample(rows: Sequence[OperationRow], cap: int = MAX_DETAILS) -> list[int]:
    """Indexes of the failing rows whose attempts to fetch: newest first, taking turns across the
    (TSP, resource, operation type, status) groups so that every group gets inspected examples."""
    groups: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for index in sorted(range(len(rows)), key=lambda i: rows[i].created_at, reverse=True):
        row = rows[index]
        if row.failing and row.inspection == "not_inspected":
            groups[(row.tsp, row.resource, row.operation_type, row.status)].append(index)
    queues = list(groups.values())
    chosen: list[int] = []
    depth = 0
    while len(chosen) < cap and any(depth < len(queue) for queue in queues):
        chosen += [queue[depth] for queue in queues if depth < len(queue)][: cap - len(chosen)]
        depth += 1
    return chosen


async def inspect_failing(
    catena: CatenaClient,
    scan: Scan,
    reporter: ProgressReporter,
    *,
    deadline: float,
) -> None:
    """Fetch the sampled failing operations (DETAIL_CONCURRENCY at a time) and fill in their attempts,
    until `deadline` (anyio's clock)."""
    chosen = detail_sample(scan.rows)
    if not chosen:
        return
    total = scan.pages + len(chosen)
    limiter = anyio.Semaphore(DETAIL_CONCURRENCY)

    async def fetch(index: int, group: anyio.abc.TaskGroup) -> None:
        row = scan.rows[index]
        try:
            ids = UUID(row.connection_id), UUID(row.id)
        except ValueError:
            return  # not an ID Catena could look up
        async with limiter:
            try:
                operation = await catena.get_resource_operation(*ids)
            except RateLimitedError:
                scan.detail_stop = "rate_limited"
                group.cancel_scope.cancel()
                return
            except CatenaError as error:
                # One unreadable operation costs its own inspection, not the triage.
                logger.info("Skipped one operation's attempts: %s", type(error).__name__)
                return
        scan.rows[index] = with_attempts(row, operation)
        scan.fetched += 1
        if scan.fetched % DETAIL_CONCURRENCY == 0 or scan.fetched == len(chosen):
            await reporter.report(
                scan.pages + scan.fetched,
                total,
                f"Read the attempts of {scan.fetched}/{len(chosen)} operations",
            )

    with anyio.move_on_after(deadline - anyio.current_time()) as fetching:
        async with anyio.create_task_group() as group:
            for index in chosen:
                group.start_soon(fetch, index, group)
    if fetching.cancelled_caught:
        scan.detail_stop = "time_budget"
