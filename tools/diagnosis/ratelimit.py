"""Rate-limit headers, in every spelling seen in the wild, turned into facts about one attempt.

TSPs disagree on names and formats (see API-FACTS.md): `Retry-After` as seconds or HTTP-date;
`X-RateLimit-*` / `X-Rate-Limit-*` whose reset is epoch seconds, epoch milliseconds, delta seconds or an
ISO datetime; the IETF drafts' `RateLimit-*`, combined `RateLimit: limit=, remaining=, reset=`, and
structured `RateLimit: "p";r=;t=` with `RateLimit-Policy`. Values are upstream text: a value we cannot
read is reported raw and listed in `unparsed`, never raised.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from catena_mcp.tools.diagnosis.result import RateLimitFacts
from catena_mcp.tools.header_values import Moment, duration, integer, parse_retry_after, reset_moment
from catena_mcp.tools.headers import RATE_LIMIT_PREFIXES, REQUEST_ID_HEADERS, is_allowed_header
from catena_mcp.tools.untrusted import clean

# Longer values are not rate-limit values; refusing them keeps parsing cost flat.
_MAX_VALUE = 200
_MAX_RAW_HEADERS = 12

HeaderKind = Literal["request_id", "rate_limit"]


def _items(text: str) -> list[tuple[str, dict[str, str]]]:
    """Structured-field list `a;k=v;k2=v2, b;k=v` -> [(a, {k: v, ...}), ...] (quotes dropped)."""
    items = []
    for member in text.split(","):
        head, *params = member.split(";")
        args = {}
        for param in params:
            key, _, value = param.partition("=")
            args[key.strip().lower()] = value.strip().strip('"')
        items.append((head.strip().strip('"'), args))
    return items


class Collected:
    """The facts gathered so far; the first header that yields a value wins."""

    __slots__ = ("limit", "remaining", "reset", "retry", "unparsed", "window")

    def __init__(self) -> None:
        self.limit: int | None = None
        self.remaining: int | None = None
        self.window: float | None = None
        self.reset: Moment | None = None
        self.retry: list[Moment] = []
        self.unparsed: list[str] = []

    def take(
        self,
        name: str,
        *,
        limit: int | None = None,
        remaining: int | None = None,
        window: float | None = None,
        reset: Moment | None = None,
    ) -> None:
        """Keep what one header yielded; a header that yielded nothing is listed as unparsed."""
        if limit is None and remaining is None and window is None and reset is None:
            self.unparsed.append(name)
        self.limit = self.limit if self.limit is not None else limit
        self.remaining = self.remaining if self.remaining is not None else remaining
        self.window = self.window if self.window is not None else window
        self.reset = self.reset if self.reset is not None else reset

    def take_retry(self, name: str, moment: Moment | None) -> None:
        if moment is None:
            self.unparsed.append(name)
        else:
            self.retry.append(moment)

    def merge(self, other: "Collected") -> None:
        """Add what a later header yielded: the same as if its values had been taken here."""
        self.unparsed += other.unparsed
        self.retry += other.retry
        self.limit = self.limit if self.limit is not None else other.limit
        self.remaining = self.remaining if self.remaining is not None else other.remaining
        self.window = self.window if self.window is not None else other.window
        self.reset = self.reset if self.reset is not None else other.reset


def _parse_ratelimit_field(name: str, value: str, policy: str | None, out: Collected) -> None:
    """`RateLimit`: combined `limit=, remaining=, reset=` or structured `"p";r=;t=`."""
    items = _items(value)
    if "=" in items[0][0]:  # combined form: each member is key=value
        pairs = {}
        for member in value.split(","):
            key, _, raw = member.partition("=")
            pairs[key.strip().lower()] = raw.strip()
        reset = reset_moment(pairs["reset"]) if "reset" in pairs else None
        out.take(
            name,
            limit=integer(pairs.get("limit", "")),
            remaining=integer(pairs.get("remaining", "")),
            reset=reset,
        )
        if policy is not None:
            _parse_policy("ratelimit-policy", policy, None, out)
        return
    # Structured form: several policies may be listed; the one with the fewest requests left binds.
    readable = [(item, args, r) for item, args in items if (r := integer(args.get("r", ""))) is not None]
    if not readable:
        out.take(name)
        return
    chosen, args, remaining = min(readable, key=lambda entry: entry[2])
    out.take(name, remaining=remaining, reset=reset_moment(args["t"]) if "t" in args else None)
    if policy is not None:
        _parse_policy("ratelimit-policy", policy, chosen, out)


def _parse_policy(name: str, value: str, wanted: str | None, out: Collected) -> None:
    """`RateLimit-Policy`: older `10;w=1` (limit first) or structured `"default";q=100;w=60`."""
    items = _items(value)
    item, args = next(((i, a) for i, a in items if i == wanted), items[0])
    limit = integer(args["q"]) if "q" in args else integer(item)
    out.take(name, limit=limit, window=duration(args["w"]) if "w" in args else None)


@lru_cache(maxsize=256)
def _limit_reading(value: str) -> tuple[int | None, float | None]:
    """`X-RateLimit-Limit: 100`, `100, 100;w=60`, or Geotab's period form `1m` -> (limit, window)."""
    items = _items(value)
    limit = integer(items[0][0])
    periods = [args.get("w", args.get("window")) for _, args in items]
    window = next((duration(p) for p in periods if p is not None), None)
    if limit is None and window is None:
        window = duration(items[0][0])
    return limit, window


# Limits and remaining counts repeat from attempt to attempt: their readings are cached.
_integer = lru_cache(maxsize=256)(integer)


def _parse_suffix(name: str, suffix: str, value: str, out: Collected) -> None:
    """The `-limit`, `-remaining`, `-reset`, ... members of the X- and IETF families."""
    if suffix == "limit":
        limit, window = _limit_reading(value)
        out.take(name, limit=limit, window=window)
    elif suffix == "remaining":
        out.take(name, remaining=_integer(value))
    elif suffix == "reset":
        out.take(name, reset=reset_moment(value))
    elif suffix == "retry-after-seconds":
        out.take_retry(name, parse_retry_after(value))
    elif suffix == "retry-at":
        out.take_retry(name, reset_moment(value))
    # Anything else (-used, -resource, ...) is kept raw: there is nothing to compute from it.


def _absolute(moment: Moment | None, at: datetime) -> datetime | None:
    if moment is None or isinstance(moment, datetime):
        return moment
    try:
        return at + timedelta(seconds=moment)
    except OverflowError:
        return None


@lru_cache(maxsize=256)
def header_kind(name: str) -> HeaderKind | None:
    """Whether an allow-listed header carries a request ID or rate-limit facts (None: neither)."""
    lowered = name.strip().lower()
    if lowered in REQUEST_ID_HEADERS:
        return "request_id"
    return "rate_limit" if is_allowed_header(lowered) else None


def collect_flat(flat: tuple[str, ...]) -> Collected:
    """What rate-limit headers (any case) given as `(name, value, name, value, ...)` say: the cheapest key
    to build."""
    names, values = flat[::2], flat[1::2]
    out = Collected()
    for index, name, policy_index in _plan(names):
        policy = None if policy_index is None else values[policy_index]
        if policy is not None and len(policy) > _MAX_VALUE:
            out.unparsed.append("ratelimit-policy")
            policy = None
        # Overlong values are not read, and only their first characters key the cache.
        out.merge(_header_reading(name, values[index][: _MAX_VALUE + 1], policy))
    return out


@lru_cache(maxsize=256)
def _plan(names: tuple[str, ...]) -> tuple[tuple[int, str, int | None], ...]:
    """How to read headers with these names: (value index, lowercased name, policy's value index).

    A fixed order, so that when several families disagree the result does not depend on header order;
    `RateLimit-Policy` is read together with `RateLimit` when both came, to match policy names. Cached:
    the attempts of one operation keep sending the same names.
    """
    lowered = {name.strip().lower(): index for index, name in enumerate(names)}  # the last one wins
    policy = lowered.get("ratelimit-policy")
    skip = "ratelimit-policy" if "ratelimit" in lowered else None
    order = sorted((n for n in lowered if n != skip), key=lambda n: (not n.startswith("ratelimit"), n))
    return tuple((lowered[n], n, policy if n == "ratelimit" else None) for n in order)


@lru_cache(maxsize=1024)
def _header_reading(name: str, value: str, policy: str | None) -> Collected:
    """What one header says (with its policy, for `RateLimit`). Cached: attempts of one failure usually
    repeat their headers, and values are bounded, so the cache stays small. Shared: read-only."""
    out = Collected()
    if len(value) > _MAX_VALUE:
        out.take(name)
    elif name == "retry-after":
        out.take_retry(name, parse_retry_after(value))
    elif name == "ratelimit":
        _parse_ratelimit_field(name, value, policy, out)
    elif name == "ratelimit-policy":
        _parse_policy(name, value, None, out)
    else:
        suffix = _suffix(name)
        if suffix is not None:
            _parse_suffix(name, suffix, value, out)
    return out


@lru_cache(maxsize=256)
def _suffix(name: str) -> str | None:
    """`reset` for `x-ratelimit-reset`: the member of a header family."""
    prefix = next((p for p in RATE_LIMIT_PREFIXES if name.startswith(p)), None)
    return None if prefix is None else name[len(prefix) :]


def _moments(out: Collected, at: datetime) -> tuple[datetime | None, datetime | None]:
    """(what the retry headers asked, when the window resets), as absolute moments."""
    asked = None
    for moment in out.retry:
        absolute = _absolute(moment, at)
        if absolute is not None and (asked is None or absolute > asked):
            asked = absolute
    return asked, _absolute(out.reset, at)


def honoured(out: Collected, at: datetime, throttled: bool) -> datetime | None:
    """The moment to wait for: the later of what the retry headers asked and, once the window is
    exhausted (`remaining` 0, or a 429), its reset."""
    return _honoured(out, *_moments(out, at), throttled)


def _honoured(
    out: Collected, asked: datetime | None, reset_at: datetime | None, throttled: bool
) -> datetime | None:
    binding = reset_at if reset_at is not None and (out.remaining == 0 or throttled) else None
    if asked is None or binding is None:
        return asked or binding
    return max(asked, binding)


def as_delays(flat: tuple[str, ...], at: datetime) -> tuple[str, ...]:
    """`flat` with each epoch reset or retry-at value (seconds or milliseconds) rewritten as the delay from
    `at`: the same moment, since a delay counts from the attempt, so the same wait. TSPs stamp a new epoch
    on every attempt; as delays, the attempts of one failure share a header set and its wait is computed
    once. Values that are not plain future epochs stay as they are."""
    out: list[str] | None = None
    for position in range(1, len(flat), 2):
        value = flat[position]
        if (
            (len(value) == 10 or len(value) == 13)
            and value.isdigit()
            and _is_moment_header(flat[position - 1])
        ):
            epoch = int(value) / 1000 if len(value) == 13 else int(value)
            delay = epoch - at.timestamp()
            if 0 <= delay < _MAX_DELAY:
                out = list(flat) if out is None else out
                out[position] = f"{delay:.6f}"
    return flat if out is None else tuple(out)


# Epoch seconds have 10 digits (until 2286), milliseconds 13; smaller numbers are already delays.
_MAX_DELAY = 1e8  # below header_values' epoch threshold, so read back as a delay


@lru_cache(maxsize=256)
def _is_moment_header(name: str) -> bool:
    suffix = _suffix(name.strip().lower())
    return suffix in ("reset", "retry-at")


def wait_seconds(out: Collected, at: datetime, throttled: bool) -> float | None:
    """How long the headers read into `out` asked the attempt made at `at` to wait."""
    moment = honoured(out, at, throttled)
    return None if moment is None else round((moment - at).total_seconds(), 3)


def wait_is_relative(out: Collected) -> bool:
    """Whether every moment in `out` counts from the attempt, so the wait is the same for any attempt."""
    return all(not isinstance(m, datetime) for m in out.retry) and not isinstance(out.reset, datetime)


def parse_rate_limit(
    headers: Mapping[str, str], *, log_id: str, at: datetime, now: datetime, throttled: bool
) -> RateLimitFacts | None:
    """Facts from one attempt's headers, or None when it had no rate-limit header.

    `at` is the attempt's own time (relative values count from it); `throttled` says the attempt was a
    429, which makes a window reset the retry moment even when `remaining` is missing.
    """
    flat: list[str] = []
    for name, value in headers.items():
        if header_kind(name) == "rate_limit":
            flat += (name, value)
    if not flat:
        return None
    out = collect_flat(tuple(flat))
    asked, reset_at = _moments(out, at)
    retry_at = _honoured(out, asked, reset_at, throttled)
    raw = flat[: 2 * _MAX_RAW_HEADERS]
    return RateLimitFacts(
        log_id=log_id,
        observed_at=at,
        limit=out.limit,
        remaining=out.remaining,
        window_seconds=out.window,
        reset_at=reset_at,
        retry_asked_at=asked,
        retry_at=retry_at,
        retry_after_seconds=None if retry_at is None else round((retry_at - at).total_seconds(), 3),
        retry_at_passed=None if retry_at is None else retry_at <= now,
        seconds_until_retry=(
            None if retry_at is None else round(max((retry_at - now).total_seconds(), 0.0), 3)
        ),
        raw={shown_name(raw[i]): clean(raw[i + 1], 120) for i in range(0, len(raw), 2)},
        unparsed=[shown_name(name) for name in out.unparsed],
    )


@lru_cache(maxsize=256)
def shown_name(name: str) -> str:
    """A header's name as the diagnosis shows it. Cached: the attempts of one operation repeat them."""
    return clean(name.strip().lower(), 60)
