"""Fields Catena sends that its docs (and our models) do not list: shown with their values, not just named.

The endpoint is provisional and grows fields (`attempt_number`, `next_attempt_at`, ...) that can answer
the very question asked ("when is the next attempt?"). Scalars are kept with their value, bounded; a
name ending in `_at` whose value reads as a time becomes a moment, rendered like every other time.
Objects and lists are only named: their contents could be anything, of any size. For the text only: the
structured result already carries these fields, in the operation record itself.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from catena_mcp.tools.catena.records import ResourceOperation
from catena_mcp.tools.header_values import reset_moment
from catena_mcp.tools.untrusted import clean

MAX_ON_OPERATION = 10
MAX_ON_LOGS = 10
VALUE_CHARS = 60


@dataclass(frozen=True)
class ExtraField:
    name: str  # cleaned
    value: str | None  # bounded, non-strings as JSON; None for objects and lists
    moment: datetime | None  # the value as a time, for names ending in _at
    attempt: int | None  # None: on the operation; else the latest attempt (in time order) carrying it
    count: int  # attempts carrying it


def _moment(name: str, value: Any) -> datetime | None:
    if not name.lower().endswith("_at") or isinstance(value, bool):
        return None
    # Epoch seconds or milliseconds, or an ISO or HTTP date; a small number is no moment.
    moment = reset_moment(str(value)[:64])
    return moment if isinstance(moment, datetime) else None


def _first_shown(name: str) -> tuple[bool, str]:
    # Times first: when something happens next is what an unknown field most often answers.
    return not name.lower().endswith("_at"), name


def _field(name: str, value: Any, attempt: int | None, count: int) -> ExtraField:
    scalar = value is None or isinstance(value, str | int | float | bool)
    text = value if isinstance(value, str) else json.dumps(value)[:200] if scalar else None
    return ExtraField(
        name=clean(name, 40),
        value=None if text is None else clean(text, VALUE_CHARS),
        moment=_moment(name, value) if scalar and value is not None else None,
        attempt=attempt,
        count=count,
    )


def undocumented_fields(operation: ResourceOperation) -> list[ExtraField]:
    """The operation's unknown fields, then the logs' (the latest value of each, with a count)."""
    fields = []
    extra = operation.__pydantic_extra__
    if extra:  # most operations have none: no sorting, no list to cut
        shown = sorted(islice(extra, 200), key=_first_shown)[:MAX_ON_OPERATION]
        fields = [_field(name, extra[name], None, 0) for name in shown]
    logs = operation.logs
    with_extra = [log for log in logs if log.__pydantic_extra__]
    if not with_extra:
        return fields
    position = {id(log): n for n, log in enumerate(sorted(logs, key=lambda log: log.created_at))}
    latest: dict[str, tuple[int, Any]] = {}
    counts: dict[str, int] = {}
    for log in with_extra:
        attempt = position[id(log)] + 1
        for name, value in islice((log.__pydantic_extra__ or {}).items(), 50):
            if attempt >= latest.get(name, (0, None))[0]:
                latest[name] = (attempt, value)
            counts[name] = counts.get(name, 0) + 1
    for name in sorted(latest, key=lambda n: (-latest[n][0], *_first_shown(n)))[:MAX_ON_LOGS]:
        attempt, value = latest[name]
        fields.append(_field(name, value, attempt, counts[name]))
    return fields
