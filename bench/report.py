"""Writes the latest table and run facts into BENCHMARKS.md, between its marker comments.

python -m bench.report            # from bench/results.json
"""

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.results import Row, load, table

HERE = Path(__file__).parent
DOC = HERE.parent / "BENCHMARKS.md"


def _replace(text: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    head, found, rest = text.partition(start)
    if not found:
        raise ValueError(f"{DOC.name} has no {start} marker")
    _, found, tail = rest.partition(end)
    if not found:
        raise ValueError(f"{DOC.name} has no {end} marker")
    return f"{head}{start}\n{body}\n{end}{tail}"


def run_facts(meta: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in meta.get("load_average_at_start", ()))
    sections = ", ".join(f"{name} {seconds:g} s" for name, seconds in meta.get("section_seconds", {}).items())
    m = meta.get
    command = "python -m bench" + (" --quick" if m("mode") == "quick" else "")
    return "\n".join(
        [
            f"- Run: `{command}` ({m('mode')} mode) on {m('date')}, {m('seconds')} s in all ({sections}).",
            f"- Machine: {m('cpu')}, {m('cores')} cores, load average {load} at the start; {m('platform')}.",
            f"- Software: Python {m('python')}, mcp {m('mcp')}, pydantic {m('pydantic')}.",
        ]
    )


def update_doc(rows: Sequence[Row], meta: dict[str, Any], path: Path = DOC) -> Path:
    text = path.read_text()
    text = _replace(text, "table", table(rows, markdown=True))
    text = _replace(text, "run", run_facts(meta))
    path.write_text(text)
    return path


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results.json"
    rows, meta = load(source)
    print(update_doc(rows, meta))
