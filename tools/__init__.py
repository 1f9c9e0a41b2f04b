"""The MCP tools of catena-mcp, the Catena client and the diagnosis they are built on."""
