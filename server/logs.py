"""stderr logging: on stdio, stdout is the JSON-RPC wire and must carry nothing else."""

import logging
import sys

from catena_mcp.server.config import LogLevel


class NoTracebacks(logging.Filter):
    """Keeps tracebacks out of the log, whoever logs them (us, the SDK, uvicorn).

    A traceback can quote upstream text or a request body; the exception's type is enough to report.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info is not None and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage().rstrip()} [{record.exc_info[0].__name__}]"
            record.args = None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def configure_logging(level: LogLevel) -> None:
    # Configured before MCPServer is built, so the SDK's own basicConfig (which would pick a Rich
    # handler when rich is installed) finds the root logger already set up and leaves it alone.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(NoTracebacks())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request line at INFO; that is noise unless someone asked for DEBUG.
    logging.getLogger("httpx").setLevel(max(logging.getLevelName(level), logging.WARNING))
