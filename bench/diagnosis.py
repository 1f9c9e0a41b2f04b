"""Diagnosis time (diagnose + render_text) against the floor of reading the payload at all.

The floors are `json.loads` of the payload bytes and pydantic validation of them
(`ResourceOperation.model_validate_json`, which the tool does anyway before diagnosing). In-process; each
sample times a batch of runs, and ours and the floor alternate sample by sample.
"""

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.results import Row, Target, median
from catena_mcp.simulator.catalogue import thousands_of_logs
from catena_mcp.tools.catena.records import ResourceOperation
from catena_mcp.tools.diagnosis import diagnose, render_text

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def payload(logs: int) -> bytes:
    """The 5,000-log operation with `logs` of its logs, spread over its whole history, as Catena's bytes."""
    operation = thousands_of_logs()
    all_logs = operation["logs"]
    operation["logs"] = all_logs[:: max(1, len(all_logs) // logs)][:logs] if logs else []
    return json.dumps(operation, ensure_ascii=False, separators=(",", ":")).encode()


def _per_call(func: Callable[[], Any], batch: int) -> float:
    start = time.perf_counter()
    for _ in range(batch):
        func()
    return (time.perf_counter() - start) / batch * 1000


def _compare(ours: Callable[[], Any], floor: Callable[[], Any], samples: int) -> tuple[float, float]:
    ours(), floor()  # first use: caches, lazy imports
    # Batches of at least ~5 ms, so the clock's resolution and one-off hiccups do not matter.
    once = max(_per_call(floor, 1), _per_call(ours, 1), 1e-3)
    batch = max(1, int(5 / once))
    ours_ms: list[float] = []
    floor_ms: list[float] = []
    for n in range(samples):
        pair = ((ours, ours_ms), (floor, floor_ms))
        for func, out in pair if n % 2 == 0 else pair[::-1]:
            out.append(_per_call(func, batch))
    return median(ours_ms), median(floor_ms)


def run(samples: int) -> list[Row]:
    rows = []
    section = "diagnosis (in-process)"
    for logs in (1, 100, 5000):
        body = payload(logs)
        operation = ResourceOperation.model_validate_json(body)

        def work(operation: ResourceOperation = operation) -> str:
            return render_text(operation, diagnose(operation, now=NOW))

        def loads(body: bytes = body) -> Any:
            return json.loads(body)

        def validate(body: bytes = body) -> ResourceOperation:
            return ResourceOperation.model_validate_json(body)

        ours_ms, loads_ms = _compare(work, loads, samples)
        rows.append(
            Row(
                section,
                f"diagnose + render, {logs:,} log{'s' * (logs != 1)}",
                "ms",
                ours_ms,
                loads_ms,
                "json.loads",
                Target("<=", 1.0) if logs == 5000 else None,
                extra={"payload_bytes": len(body)},
            )
        )
        if logs == 5000:
            ours_ms, validate_ms = _compare(work, validate, samples)
            rows.append(
                Row(
                    section,
                    "diagnose + render, 5,000 logs",
                    "ms",
                    ours_ms,
                    validate_ms,
                    "pydantic validation",
                    note="validation is what the tool pays before diagnosing",
                )
            )
    return rows
