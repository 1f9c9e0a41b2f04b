"""`python -m bench`: every benchmark, ours against its baseline side by side, then the table with ratios.

python -m bench                 # full run (< 5 min on 2 cores); writes bench/results.json
python -m bench --quick         # CI run (< 60 s): fewer spawns, calls and rounds
python -m bench --chart         # also draw bench/ratios.png from the results (needs matplotlib)
python -m bench --only coldstart,warm
"""

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.results import Row, save, table

HERE = Path(__file__).parent
RESULTS = HERE / "results.json"
SECTIONS = (
    "coldstart",
    "warm",
    "triage",
    "client",
    "diagnosis",
    "throughput",
    "replicas",
    "memory",
    "tokens",
    "hostile",
)


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "mcp": version("mcp"),
        "pydantic": version("pydantic"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI run: fewer repetitions (< 60 s)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated subset of {SECTIONS}")
    parser.add_argument("--chart", action="store_true", help="draw bench/ratios.png (needs matplotlib)")
    parser.add_argument("--update-doc", action="store_true", help="write the table into BENCHMARKS.md")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the results JSON")
    options = parser.parse_args(argv)
    only = set(options.only.split(","))
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}")
    quick = options.quick
    # "tokens" reuses the replies and tool lists the stdio sections collect.
    if "tokens" in only:
        only |= {"coldstart", "warm"}

    from bench.upstream import SimulatorProcess
    from catena_mcp.simulator.faults import FAULT_OPERATIONS

    started = time.perf_counter()
    meta: dict[str, Any] = {
        "mode": "quick" if quick else "full",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    meta |= _machine()
    rows: list[Row] = []
    timings: dict[str, float] = {}

    def section(name: str) -> bool:
        if name in only:
            print(f"... {name}", file=sys.stderr, flush=True)
            timings[name] = time.perf_counter()
            return True
        return False

    def done(name: str) -> None:
        timings[name] = round(time.perf_counter() - timings[name], 1)

    with SimulatorProcess() as upstream:
        fault_keys = {op.key for op in FAULT_OPERATIONS}
        catalogue = sorted(key for key in upstream.operations if key not in fault_keys)
        tools: dict[str, list[dict[str, Any]]] = {}
        replies = None
        if section("coldstart"):
            from bench import coldstart

            new, tools = coldstart.run(upstream, spawns=5 if quick else 15)
            rows += new
            done("coldstart")
        if section("warm"):
            from bench import warm

            new, replies = warm.run(
                upstream,
                small_calls=200 if quick else 600,
                large_calls=20 if quick else 30,
                catalogue=catalogue,
            )
            rows += new
            done("warm")
        if section("throughput"):
            from bench import throughput

            if quick:
                rows += throughput.run(upstream, rounds=2, seconds=1.5, warmup=0.5)
            else:
                rows += throughput.run(upstream, rounds=6, seconds=4.0)
            done("throughput")
        if section("triage"):
            from bench import triage

            rows += triage.triage_rows(upstream, rounds=2 if quick else 5)
            done("triage")
        if section("client"):
            from bench import triage

            rows += triage.client_rows(upstream, calls=10 if quick else 40)
            done("client")
        if section("replicas"):
            from bench import replicas

            if replicas.haproxy_binary() is None:
                print("    skipped: needs haproxy (apt-get install -y haproxy)", file=sys.stderr, flush=True)
            elif quick:
                rows += replicas.run(upstream, rounds=2, seconds=1.0, warmup=0.3)
            else:
                rows += replicas.run(upstream, rounds=6, seconds=4.0)
            done("replicas")
        if section("memory"):
            from bench import memory

            small = [key for key in catalogue if key != "thousands_of_logs"]
            rows += memory.run(upstream, (1000, 1500) if quick else (1000, 5000), small)
            done("memory")
        if section("hostile"):
            from bench import hostile

            # The pre-hardening server takes ~10 s per body: only in the full run.
            rows += hostile.run(upstream, with_before=not quick)
            done("hostile")
    if section("diagnosis"):
        from bench import diagnosis

        rows += diagnosis.run(samples=5 if quick else 15)
        done("diagnosis")
    if section("tokens") and replies is not None:
        from bench import tokens

        rows += tokens.definition_rows(tools) + tokens.text_rows(replies)
        done("tokens")

    meta["seconds"] = round(time.perf_counter() - started, 1)
    meta["section_seconds"] = timings
    order = {name: n for n, name in enumerate(SECTIONS)}
    rows.sort(key=lambda row: order.get(_section_key(row), 99))
    print(table(rows))
    missed = [row for row in rows if row.met is False]
    met = [row for row in rows if row.met]
    print(f"\n{len(met)} targets met, {len(missed)} missed; {meta['seconds']} s ({meta['mode']} mode)")
    save(rows, meta, options.output)
    print(f"results: {options.output}", file=sys.stderr)
    if options.chart:
        from bench.chart import draw

        print(f"chart: {draw(rows, meta)}", file=sys.stderr)
    if options.update_doc:
        from bench.report import update_doc

        print(f"updated: {update_doc(rows, meta)}", file=sys.stderr)
    return 0


def _section_key(row: Row) -> str:
    prefixes = {
        "cold": "coldstart",
        "warm": "warm",
        "diag": "diagnosis",
        "thro": "throughput",
        "repl": "replicas",
        "memo": "memory",
        "toke": "tokens",
        "tria": "triage",
        "offi": "client",
        "host": "hostile",
    }
    return prefixes.get(row.section[:4], "")


if __name__ == "__main__":
    sys.exit(main())
