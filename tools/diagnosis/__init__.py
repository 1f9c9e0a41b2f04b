"""Diagnosis of one resource operation: what happened, why, what to do next.

Pure and fast: no I/O, the clock is an argument.

    diagnosis = diagnose(operation, now=now)
    text = render_text(operation, diagnosis)   # markdown, at most 6,000 characters
"""

from catena_mcp.tools.diagnosis.engine import diagnose
from catena_mcp.tools.diagnosis.render import MAX_CHARS, render_text
from catena_mcp.tools.diagnosis.result import Diagnosis, Verdict

__all__ = ["MAX_CHARS", "Diagnosis", "Verdict", "diagnose", "render_text"]
