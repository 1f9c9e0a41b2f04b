"""The MCP wiring, configuration, transports and command line of catena-mcp."""
