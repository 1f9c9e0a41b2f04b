"""MCP prompts of catena-mcp."""

from typing import Any

from mcp.server import MCPServer

from catena_mcp.prompts.diagnose import register_prompts as register_diagnosis_prompts
from catena_mcp.prompts.triage import register_triage_prompt


def register_prompts(mcp: MCPServer[Any]) -> None:
    """Register every prompt on `mcp`."""
    register_diagnosis_prompts(mcp)
    register_triage_prompt(mcp)


__all__ = ["register_prompts"]
