"""MCP prompts of catena-mcp."""

from catena_mcp.prompts.diagnose import register_prompts

__all__ = ["register_prompts"]
