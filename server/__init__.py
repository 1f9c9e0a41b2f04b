"""catena-mcp: the MCP wiring, configuration, transports and command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("catena-mcp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
