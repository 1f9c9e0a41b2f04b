"""bench/ratios.png: every measurement that has a target, as a fraction of what its target allows.

Each bar is normalised so that the target sits at 1 whichever way it points: `ratio / limit` for "<="
targets, `limit / ratio` for ">=" ones, and ours / budget for absolute token budgets. Left of the line is
met. The label gives the raw ratio or count.

    python -m bench.chart            # redraw from bench/results.json
"""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.results import Row, fmt_ratio, load

HERE = Path(__file__).parent
PNG = HERE / "ratios.png"
_CAP = 2.0  # bars beyond twice the target are drawn to here and marked


def _label(row: Row) -> str:
    section = row.section.split(" (")[0].split(":")[0]
    return f"{section}: {row.metric}"


def draw(rows: Sequence[Row], meta: dict[str, Any], path: Path = PNG) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    checked = [row for row in rows if row.target is not None and row.checked_value is not None]
    labels, fractions, colors, texts = [], [], [], []
    for row in checked:
        target, value = row.target, row.checked_value
        assert target is not None
        assert value is not None
        fraction = target.normalized(value)
        if target.kind == "ratio":
            text = f"{fmt_ratio(value)} (target {target})"
        else:
            text = f"{value:,.0f} {row.unit} (target {target})"
        labels.append(_label(row))
        fractions.append(fraction)
        colors.append("#2e7d32" if row.met else "#c62828")
        texts.append(text)

    fig, ax = plt.subplots(figsize=(12, 0.42 * len(checked) + 1.8))
    y = list(range(len(checked)))[::-1]
    ax.barh(y, [min(f, _CAP) for f in fractions], color=colors, height=0.62)
    ax.axvline(1.0, color="black", linewidth=1.5)
    for yi, fraction, text in zip(y, fractions, texts, strict=True):
        ax.text(
            min(fraction, _CAP) + 0.02, yi, text + (" ▶" if fraction > _CAP else ""), va="center", fontsize=8
        )
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, max(1.6, min(max(fractions), _CAP) + 0.55))
    ax.set_xlabel("fraction of what the target allows (1 = at the target; green = met, red = missed)")
    ax.set_title(
        f"catena-mcp vs baselines, {meta.get('mode', '?')} run {meta.get('date', '')[:10]} "
        f"({meta.get('cores', '?')} cores, Python {meta.get('python', '?')}, mcp {meta.get('mcp', '?')})",
        fontsize=10,
    )
    ax.grid(axis="x", alpha=0.25)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results.json"
    rows, meta = load(source)
    print(draw(rows, meta))
