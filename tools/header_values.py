"""Values of rate-limit headers, read as TSPs write them: numbers, durations, moments.

A leaf: the Catena client reads Catena's own `Retry-After` with it, the diagnosis every TSP header.
Values are upstream text: an unreadable one gives None, never an exception.
"""

import math
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache

_EPOCH_MS = 1e12  # 2001-09-09 in milliseconds: anything larger is epoch ms
_EPOCH_S = 1e9  # 2001-09-09 in seconds: anything larger is epoch seconds, smaller is a delta
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|m|min|mins|h|hr|d)?", re.IGNORECASE)
_UNIT_SECONDS = {
    **dict.fromkeys(("s", "sec", "secs"), 1.0),
    **dict.fromkeys(("m", "min", "mins"), 60.0),
    **dict.fromkeys(("h", "hr"), 3600.0),
    "ms": 0.001,
    "d": 86400.0,
}

# A moment is either seconds relative to the attempt or an absolute datetime.
Moment = float | datetime


def number(text: str) -> float | None:
    text = text.strip()
    return float(text) if _NUMBER.fullmatch(text) else None


def integer(text: str) -> int | None:
    value = number(text)
    return int(value) if value is not None and value.is_integer() else None


def _finite_seconds(value: float) -> float | None:
    # timedelta overflows long before a float does; such values are nonsense anyway.
    return value if math.isfinite(value) and value < 1e10 else None


@lru_cache(maxsize=512)
def duration(text: str) -> float | None:
    """`60`, `1m`, `500ms`, `1h` -> seconds."""
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    return _finite_seconds(float(match.group(1)) * _UNIT_SECONDS[(match.group(2) or "s").lower()])


def moment_of(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@lru_cache(maxsize=512)
def reset_moment(text: str) -> Moment | None:
    """A reset value: epoch ms, epoch s or delta s (told apart by magnitude), or a datetime."""
    text = text.strip()
    value = number(text)
    if value is None:
        return moment_of(text)
    if value >= _EPOCH_MS:
        return _epoch(value / 1000)
    if value >= _EPOCH_S:
        return _epoch(value)
    return value


def _epoch(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


@lru_cache(maxsize=512)
def parse_retry_after(text: str) -> Moment | None:
    """`Retry-After`: delay seconds (possibly fractional) or an HTTP-date; None when unreadable."""
    text = text.strip()
    value = number(text)
    if value is not None:
        return _finite_seconds(value)
    return moment_of(text)
