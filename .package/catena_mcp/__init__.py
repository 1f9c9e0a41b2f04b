"""catena-mcp: an MCP server that explains Catena Telematics resource operations.

The subpackages are the repository's top-level folders (`server/`, `tools/`, `prompts/`, `simulator/`),
linked in here so that the source tree, the editable install and the wheel share one import name; see
CONTRIBUTING.md.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("catena-mcp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
