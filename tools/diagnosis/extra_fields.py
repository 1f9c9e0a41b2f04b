"""Fields Catena sends that its docs (and our models) do not list: shown with their values, not just named.

The endpoint is provisional and grows fields (`attempt_number`, `next_attempt_at`, ...) that can answer
the very question asked ("when is the next attempt?"). Scalars are kept with their value, bounded; a
name ending in `_at` whose value reads as a time becomes a moment, rendered like every other time.
Objects and lists are only named: their contents could be anything, of any size.
"""

import json
from collections.abc import Mapping
from datetime import datetime
from itertools import islice
from typing import Any

from catena_mcp.tools.catena.records import ResourceOperationLog
from catena_mcp.tools.diagnosis.result import ExtraField
from catena_mcp.tools.header_values import reset_moment
from catena_mcp.tools.untrusted import clean

MAX_ON_OPERATION = 10
MAX_ON_LOGS = 10
VALUE_CHARS = 60


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


def undocumented_fields(
    extra: Mapping[str, Any] | None, logs: list[ResourceOperationLog], with_extra: list[int]
) -> list[ExtraField]:
    """The operation's unknown fields, then the logs' (latest value of each, with a count); `with_extra`
    are the indices of the logs that have any, in time order."""
    extra = extra or {}
    fields = [_field(name, extra[name], None, 0) for name in sorted(islice(extra, 200), key=_first_shown)]
    fields = fields[:MAX_ON_OPERATION]
    latest: dict[str, int] = {}
    counts: dict[str, int] = {}
    for index in with_extra:
        for name in islice(logs[index].__pydantic_extra__ or {}, 50):
            latest[name] = index
            counts[name] = counts.get(name, 0) + 1
    for name in sorted(latest, key=lambda n: (-latest[n], *_first_shown(n)))[:MAX_ON_LOGS]:
        log_extra = logs[latest[name]].__pydantic_extra__ or {}
        fields.append(_field(name, log_extra[name], latest[name] + 1, counts[name]))
    return fields
