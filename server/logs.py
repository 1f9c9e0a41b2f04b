"""stderr logging: on stdio, stdout is the JSON-RPC wire and must carry nothing else."""

import logging
import sys

from server.config import LogLevel


def configure_logging(level: LogLevel) -> None:
    # Configured before MCPServer is built, so the SDK's own basicConfig (which would pick a Rich
    # handler when rich is installed) finds the root logger already set up and leaves it alone.
    logging.basicConfig(
        stream=sys.stderr,
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    # httpx logs every request line at INFO; that is noise unless someone asked for DEBUG.
    logging.getLogger("httpx").setLevel(max(logging.getLevelName(level), logging.WARNING))
