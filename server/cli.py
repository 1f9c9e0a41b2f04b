"""The `catena-mcp` command line.

Heavy imports (the MCP SDK, the simulator) happen inside the command that needs them, so `--help` and
start-up stay fast.
"""

import argparse
import sys
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, cast

from catena_mcp import __version__

if TYPE_CHECKING:
    from catena_mcp.server.serve import Transport

DESCRIPTION = """\
MCP server that explains Catena Telematics resource operations (write-backs to a fleet's TSP) and their
failed attempts. With no command it serves MCP on stdio, the way Claude Desktop and IDEs launch it.

Configuration comes from the environment (or a .env file): CATENA_CLIENT_ID and CATENA_CLIENT_SECRET (or
CATENA_ACCESS_TOKEN), CATENA_BASE_URL, CATENA_TOKEN_URL, CATENA_TIMEOUT, CATENA_MAX_RETRIES,
CATENA_MAX_RESPONSE_BYTES, CATENA_MCP_LOG_LEVEL; for the HTTP transports CATENA_MCP_AUTH_TOKEN,
CATENA_MCP_ALLOWED_HOSTS, CATENA_MCP_ALLOWED_ORIGINS and CATENA_MCP_STATELESS. Secrets are never taken as
arguments."""

EPILOG = """\
commands:
  demo                      run a scripted demo against the built-in simulator (no credentials needed)
  diagnose CONN_ID OP_ID    print the diagnosis of one operation (--json for the structured result)
  triage [filters]          print what is failing across a window of operations (see triage --help)
  simulator                 serve the Catena simulator on its own (--host, --port)

examples:
  catena-mcp                                     serve stdio
  catena-mcp --transport streamable-http         serve http://127.0.0.1:8000/mcp
  catena-mcp --demo --transport sse --port 9000  serve simulated data over SSE
  catena-mcp --transport streamable-http --host 0.0.0.0 --stateless
                                                 one of several replicas (needs CATENA_MCP_AUTH_TOKEN)
  catena-mcp triage --demo --since 2026-11-19T06:00:00Z --until 2026-11-19T12:00:00Z
  catena-mcp demo"""


def _serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="catena-mcp",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"catena-mcp {__version__}")
    parser.add_argument(
        "--transport",
        choices=("stdio", "sse", "streamable-http"),
        default="stdio",
        help="how MCP clients connect (default: stdio)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="HTTP bind address (default: 127.0.0.1; any other needs CATENA_MCP_AUTH_TOKEN)",
    )
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default: 8000)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="serve against a built-in Catena simulator instead of the real API (simulated data)",
    )
    parser.add_argument(
        "--stateless",
        action="store_true",
        help="Streamable HTTP without sessions, so any replica answers any request: for more than one "
        "replica behind a load balancer (or CATENA_MCP_STATELESS=1)",
    )
    return parser


def _diagnose_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="catena-mcp diagnose",
        description="Print the diagnosis of one resource operation, using the configured credentials.",
    )
    parser.add_argument("connection_id", help="connection UUID")
    parser.add_argument("resource_operation_id", help="resource operation UUID")
    parser.add_argument("--json", action="store_true", help="print the structured result as JSON")
    parser.add_argument(
        "--max-logs", type=int, default=20, help="raw logs to include with --json (0-500, default 20)"
    )
    parser.add_argument("--demo", action="store_true", help="read from the built-in simulator")
    return parser


def _triage_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="catena-mcp triage",
        description="Print the failure patterns across a window of resource operations (default: the last "
        "24 hours), using the configured credentials. Every filter is optional.",
    )
    parser.add_argument("--connection-id", help="only this connection (UUID)")
    parser.add_argument("--source-name", help="only this TSP, e.g. samsara")
    parser.add_argument("--resource", help="only this resource, e.g. vehicle")
    parser.add_argument("--operation-type", choices=("create", "update"), help="only creates or updates")
    parser.add_argument(
        "--fleet-ref", action="append", default=[], help="only this fleet (repeat for several, at most 100)"
    )
    parser.add_argument("--source-id", help="only this record's ID in the TSP (needs --resource)")
    parser.add_argument("--since", help="window start, ISO 8601 with a zone (2026-11-19T08:00:00Z)")
    parser.add_argument("--until", help="window end, ISO 8601 with a zone (default: now)")
    parser.add_argument("--json", action="store_true", help="print the structured result as JSON")
    parser.add_argument("--demo", action="store_true", help="read from the built-in simulator")
    return parser


def _simulator_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="catena-mcp simulator", description="Serve the Catena simulator (simulated data) until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default: 8765)")
    return parser


def _demo_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="catena-mcp demo",
        description="Start the simulator, spawn catena-mcp on stdio against it, call the tool with the "
        "official MCP client and print what an assistant would read.",
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args and not args[0].startswith("-") else None
    if command == "demo":
        _demo_parser().parse_args(args[1:])
        from catena_mcp.server.demo import run_demo

        sys.exit(run_demo())
    if command == "diagnose":
        options = _diagnose_parser().parse_args(args[1:])
        from catena_mcp.server.diagnose_cli import run_diagnose

        sys.exit(
            run_diagnose(
                options.connection_id,
                options.resource_operation_id,
                as_json=options.json,
                max_logs=options.max_logs,
                demo=options.demo,
            )
        )
    if command == "triage":
        options = _triage_parser().parse_args(args[1:])
        from catena_mcp.server.triage_cli import run_triage

        sys.exit(
            run_triage(
                connection_id=options.connection_id,
                source_name=options.source_name,
                resource=options.resource,
                operation_type=options.operation_type,
                fleet_refs=options.fleet_ref,
                source_id=options.source_id,
                since=options.since,
                until=options.until,
                as_json=options.json,
                demo=options.demo,
            )
        )
    if command == "simulator":
        options = _simulator_parser().parse_args(args[1:])
        from catena_mcp.simulator.cli import run

        run(options.host, options.port)
        return
    parser = _serve_parser()
    if command is not None:
        parser.error(f"unknown command {command!r} (see --help)")
    options = parser.parse_args(args)
    sys.exit(_serve(options.transport, options.host, options.port, options.demo, options.stateless))


def _serve(transport: str, host: str, port: int, demo: bool, stateless: bool) -> int:
    import anyio

    from catena_mcp.server.config import settings_for_command
    from catena_mcp.server.logs import configure_logging
    from catena_mcp.server.serve import StartupError, serve

    settings = settings_for_command("catena-mcp")
    if settings is None:
        return 2
    configure_logging(settings.catena_mcp_log_level)
    try:
        options = partial(serve, demo=demo, stateless=stateless)
        anyio.run(options, settings, cast("Transport", transport), host, port)
    except StartupError as exc:
        print(f"catena-mcp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
