"""MCP prompts of catena-mcp."""

from prompts.diagnose import register_prompts

__all__ = ["register_prompts"]
