"""Rendering text we did not write (TSP error details, header values, Catena's `detail`).

Such text can contain anything, including markdown that breaks our tables or sentences addressed to the
model. It is stripped of every character that can hide or reorder text (controls, zero-width and bidi
characters, Unicode tag characters), folded to one line, bounded, and always shown inside a code span so it
reads as quoted data rather than as our own words.
"""

import itertools
import re
import unicodedata
from typing import Any

from pydantic_core import to_json

# Terminal escape sequences (colours, cursor moves) go whole, not just their ESC byte.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]")
_WHITESPACE = re.compile(r"\s+")
# Invisible characters that are not in a "C" category, so `str.isprintable` lets them through: Hangul
# fillers (blank letters), the braille blank, and the variation selectors that can smuggle bytes after any
# character (U+E0100-U+E01EF).
_INVISIBLE_PRINTABLE = re.compile("[\u115f\u1160\u3164\uffa0\u2800\U000e0100-\U000e01ef]")


def _visible(char: str) -> bool:
    """False for what can hide or reorder text: every control (Cc), format (Cf: zero-width characters,
    bidi embeddings, overrides and isolates, BOM, tag characters), surrogate, private-use or unassigned
    (the rest of the tag block) code point, and the invisible printable characters above."""
    return unicodedata.category(char)[0] != "C" and not _INVISIBLE_PRINTABLE.match(char)


def clean(text: str, limit: int) -> str:
    """One line of visible text, at most `limit` characters (an ellipsis marks a cut)."""
    # Only a bounded prefix is scanned, so a 10 MB detail costs no more than a short one.
    prefix = text[: limit * 4 + 64]
    if (
        prefix.isprintable()
        and "  " not in prefix
        and (prefix.isascii() or not _INVISIBLE_PRINTABLE.search(prefix))
    ):
        # The common case (IDs, enum values, plain details), ~8x faster than the slow path and identical to
        # it: such text holds no ESC and no character of a "C" category or of _INVISIBLE_PRINTABLE, and its
        # only whitespace is the ASCII space, never repeated.
        flat = prefix.strip()
    else:
        flat = _slow(prefix)
    if len(flat) <= limit:
        return flat
    return flat[: max(limit - 1, 0)].rstrip() + "…"


def _slow(prefix: str) -> str:
    # Whitespace (tabs, newlines, U+2028) becomes one space before the invisible characters go, so
    # "a\tb" reads "a b" and "a\u200bb" reads "ab".
    spaced = _WHITESPACE.sub(" ", _ANSI.sub("", prefix))
    return _WHITESPACE.sub(" ", "".join(filter(_visible, spaced))).strip()


def quote(text: str, limit: int = 200) -> str:
    """`clean` text wrapped in a code span that its own backticks cannot close; `|` cannot split a table."""
    body = clean(text, limit).replace("`", "'").replace("|", "¦")
    return f"`{body}`" if body else "`(empty)`"


TRUNCATED = "[cut by catena-mcp:"


def bound_json(value: Any, *, text_limit: int, items_limit: int, depth: int = 8) -> Any:
    """A JSON value (as `json.loads` gives it) with every string, list and object cut to the limits.

    For structured content that passes upstream data on as data: nothing is cleaned or reworded, but every
    cut is marked inside the value itself (`TRUNCATED` + what was left out), so a reader can tell a cut
    value from a short one. Nesting deeper than `depth` is replaced by such a marker.
    """
    return _Limits(text_limit, items_limit).bound(value, depth)


class _Limits:
    """The limits of one `bound_json` call. Methods, not nested functions: a recursive closure holds a
    reference to itself, so every call would leave a cycle behind for the garbage collector."""

    __slots__ = ("items", "text")

    def __init__(self, text: int, items: int) -> None:
        self.text = text
        self.items = items

    def fits(self, value: Any) -> bool:
        # Most values are short strings, numbers or null: settled here, without a call to `bound`.
        return (
            value is None
            or isinstance(value, int | float)
            or (isinstance(value, str) and len(value) <= self.text)
        )

    def bound(self, value: Any, depth: int) -> Any:
        text_limit, items_limit, fits = self.text, self.items, self.fits
        if isinstance(value, str):
            if len(value) <= text_limit:
                return value
            return f"{value[:text_limit]}… {TRUNCATED} {len(value):,} characters in all]"
        if not isinstance(value, list | dict):
            return value
        if depth <= 0:
            return f"{TRUNCATED} nested too deep]"
        if isinstance(value, list):
            kept = [item if fits(item) else self.bound(item, depth - 1) for item in value[:items_limit]]
            if len(value) > items_limit:
                kept.append(f"{TRUNCATED} {len(value) - items_limit:,} more items]")
            return kept
        bounded = {
            key if fits(key) else self.bound(key, 0): item if fits(item) else self.bound(item, depth - 1)
            for key, item in itertools.islice(value.items(), items_limit)
        }
        if len(value) > items_limit:
            bounded["…"] = f"{TRUNCATED} {len(value) - items_limit:,} more keys]"
        return bounded


def json_size(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON: its size on the wire, and at most its cost in tokens."""
    return len(to_json(value))
