"""Rows of the results table: a measurement of ours, the baseline's, their ratio and the target."""

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Op = Literal["<=", ">="]


@dataclass(frozen=True)
class Target:
    """`value op limit`, where value is the ratio (kind "ratio") or ours itself (kind "absolute")."""

    op: Op
    limit: float
    kind: Literal["ratio", "absolute"] = "ratio"

    def met(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def normalized(self, value: float) -> float:
        """The value as a fraction of what the target allows: <= 1 means met, whichever way it points."""
        if self.op == "<=":
            return value / self.limit
        return self.limit / value if value else float("inf")

    def __str__(self) -> str:
        if self.kind == "absolute":
            return f"{self.op} {self.limit:,.0f}"
        return f"{self.op} {fmt_ratio(self.limit)}"


@dataclass
class Row:
    section: str
    metric: str
    unit: str
    ours: float
    baseline: float | None = None
    baseline_label: str = ""
    target: Target | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.ours / self.baseline

    @property
    def checked_value(self) -> float | None:
        if self.target is None:
            return None
        return self.ratio if self.target.kind == "ratio" else self.ours

    @property
    def met(self) -> bool | None:
        value = self.checked_value
        if self.target is None or value is None:
            return None
        return self.target.met(value)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = None if self.target is None else asdict(self.target)
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Row":
        data = {k: v for k, v in data.items() if k not in ("ratio", "met")}
        target = data.pop("target")
        return cls(**data, target=None if target is None else Target(**target))


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100), the convention latency reports use."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    if ratio < 0.01:
        return f"1/{1 / ratio:,.0f}"
    return f"{ratio:.2f}x"


def table(rows: Sequence[Row], *, markdown: bool = False) -> str:
    header = ["Metric", "Unit", "catena-mcp", "Baseline", "Ratio", "Target", "Met"]
    lines = []
    for row in rows:
        baseline = "-" if row.baseline is None else f"{fmt(row.baseline, row.unit)} ({row.baseline_label})"
        met = {True: "yes", False: "NO", None: ""}[row.met]
        ratio = fmt_ratio(row.ratio)
        lines.append(
            [row.metric, row.unit, fmt(row.ours, row.unit), baseline, ratio, str(row.target or ""), met]
        )
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        section = None
        for row, line in zip(rows, lines, strict=True):
            if row.section != section:
                section = row.section
                out.append(f"| **{section}** |" + " |" * (len(header) - 1))
            met = {"yes": "yes", "NO": "**NO**"}.get(line[-1], "")
            cells = [*line[:-1], met]
            out.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
        return "\n".join(out)
    widths = [max(len(header[i]), *(len(line[i]) for line in lines)) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    section = None
    for row, line in zip(rows, lines, strict=True):
        if row.section != section:
            section = row.section
            out.append(f"[{section}]")
        out.append("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    return "\n".join(out)


def save(rows: Sequence[Row], meta: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps({"meta": meta, "rows": [row.as_dict() for row in rows]}, indent=1) + "\n")


def load(path: Path) -> tuple[list[Row], dict[str, Any]]:
    data = json.loads(path.read_text())
    return [Row.from_dict(row) for row in data["rows"]], data["meta"]
