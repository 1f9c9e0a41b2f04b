"""Rendering text we did not write (TSP error details, header values, Catena's `detail`).

Such text can contain anything, including markdown that breaks our tables or sentences addressed to the
model. It is stripped of control characters, folded to one line, bounded, and always shown inside a
code span so it reads as quoted data rather than as our own words.
"""

import re

# Terminal escape sequences (colours, cursor moves) go whole, not just their ESC byte.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")
_WHITESPACE = re.compile(r"\s+")


def clean(text: str, limit: int) -> str:
    """One line of printable text, at most `limit` characters (an ellipsis marks a cut)."""
    # Only a bounded prefix is scanned, so a 10 MB detail costs no more than a short one.
    prefix = text[: limit * 4 + 64]
    if prefix.isprintable() and "  " not in prefix:
        # The common case (IDs, enum values, plain details), ~8x faster than the three substitutions and
        # identical to them: printable text holds no ESC and none of _CONTROL, and its only whitespace is
        # the ASCII space, here never repeated.
        flat = prefix.strip()
    else:
        flat = _WHITESPACE.sub(" ", _CONTROL.sub("", _ANSI.sub("", prefix))).strip()
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + "…"


def quote(text: str, limit: int = 200) -> str:
    """`clean` text wrapped in a code span that its own backticks cannot close; `|` cannot split a table."""
    body = clean(text, limit).replace("`", "'").replace("|", "¦")
    return f"`{body}`" if body else "`(empty)`"
