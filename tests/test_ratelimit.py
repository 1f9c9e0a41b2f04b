"""Rate-limit header parsing: every format in API-FACTS.md, plus properties on arbitrary input."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catena_mcp.tools.diagnosis.ratelimit import parse_rate_limit
from catena_mcp.tools.diagnosis.result import RateLimitFacts
from catena_mcp.tools.headers import is_allowed_header

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # epoch 1795168800
NOW = AT + timedelta(minutes=1)


def at(seconds: float) -> datetime:
    return AT + timedelta(seconds=seconds)


def parse(headers: dict[str, str], *, throttled: bool = False) -> RateLimitFacts:
    facts = parse_rate_limit(headers, log_id="log-1", at=AT, now=NOW, throttled=throttled)
    assert facts is not None
    return facts


def facts_tuple(facts: RateLimitFacts) -> tuple[object, ...]:
    return (
        facts.limit,
        facts.remaining,
        facts.window_seconds,
        facts.reset_at,
        facts.retry_at,
        facts.unparsed,
    )


# (headers, throttled) -> (limit, remaining, window_seconds, reset_at, retry_at, unparsed)
CASES = {
    "retry-after seconds": ({"Retry-After": "120"}, False, (None, None, None, None, at(120), [])),
    "retry-after fractional (samsara)": (
        {"Retry-After": "0.40235"},
        False,
        (None, None, None, None, at(0.40235), []),
    ),
    "retry-after http-date": (
        {"Retry-After": "Fri, 20 Nov 2026 10:31:00 GMT"},
        False,
        (None, None, None, None, at(1860), []),
    ),
    "retry-after garbage": ({"Retry-After": "soon"}, False, (None, None, None, None, None, ["retry-after"])),
    "retry-after negative": ({"Retry-After": "-5"}, False, (None, None, None, None, None, ["retry-after"])),
    "x-ratelimit reset epoch seconds": (
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1795168860"},
        False,
        (100, 0, None, at(60), at(60), []),
    ),
    "x-ratelimit reset epoch milliseconds": (
        {"x-ratelimit-limit": "25", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1795168860000"},
        False,
        (25, 0, None, at(60), at(60), []),
    ),
    "x-ratelimit reset delta seconds": (
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"},
        False,
        (None, 0, None, at(30), at(30), []),
    ),
    "x-ratelimit limit with window param": (
        {"X-RateLimit-Limit": "100, 100;w=60", "X-RateLimit-Remaining": "7"},
        False,
        (100, 7, 60.0, None, None, []),
    ),
    "geotab period limit and iso reset": (
        {
            "X-Rate-Limit-Limit": "1m",
            "X-Rate-Limit-Remaining": "0",
            "X-Rate-Limit-Reset": "2026-11-20T10:01:00.0000000Z",
        },
        False,
        (None, 0, 60.0, at(60), at(60), []),
    ),
    "reset not a retry moment while requests remain": (
        {"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "30"},
        False,
        (None, 5, None, at(30), None, []),
    ),
    "throttled: reset is the retry moment even without remaining": (
        {"X-RateLimit-Reset": "30"},
        True,
        (None, None, None, at(30), at(30), []),
    ),
    "retry-after-seconds": (
        {"X-RateLimit-Retry-After-Seconds": "15"},
        False,
        (None, None, None, None, at(15), []),
    ),
    "retry-at epoch": ({"X-RateLimit-Retry-At": "1795168920"}, False, (None, None, None, None, at(120), [])),
    "the latest moment binds: retry headers and an exhausted window": (
        {
            "Retry-After": "10",
            "X-RateLimit-Retry-At": "1795168920",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": "5",
        },
        False,
        (None, 0, None, at(5), at(120), []),
    ),
    "ietf separate headers with old policy": (
        {
            "RateLimit-Limit": "10",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": "1",
            "RateLimit-Policy": "10;w=1",
        },
        False,
        (10, 0, 1.0, at(1), at(1), []),
    ),
    "ietf combined": (
        {"RateLimit": "limit=100, remaining=0, reset=30"},
        False,
        (100, 0, None, at(30), at(30), []),
    ),
    "ietf combined with policy": (
        {"RateLimit": "remaining=3, reset=30", "RateLimit-Policy": "100;w=60"},
        False,
        (100, 3, 60.0, at(30), None, []),
    ),
    "ietf structured, binding policy chosen": (
        {
            "RateLimit-Policy": '"burst";q=100;w=60, "daily";q=5000;w=86400',
            "RateLimit": '"daily";r=4211;t=43200, "burst";r=0;t=30',
        },
        False,
        (100, 0, 60.0, at(30), at(30), []),
    ),
    "ietf structured policy alone": (
        {"ratelimit-policy": '"default";q=100;w=60'},
        False,
        (100, None, 60.0, None, None, []),
    ),
    "uppercase names": (
        {"RETRY-AFTER": "3", "X-RATELIMIT-LIMIT": "9"},
        False,
        (9, None, None, None, at(3), []),
    ),
    "unreadable values are listed, readable ones kept": (
        {"X-RateLimit-Remaining": "lots", "X-RateLimit-Limit": "100", "RateLimit": '"p";r=abc'},
        False,
        (100, None, None, None, None, ["ratelimit", "x-ratelimit-remaining"]),
    ),
    "overflowing numbers": (
        {"Retry-After": "9" * 30, "X-RateLimit-Reset": "9" * 30},
        False,
        (None, None, None, None, None, ["retry-after", "x-ratelimit-reset"]),
    ),
    "overlong value": (
        {"Retry-After": "1" + " " * 300},
        False,
        (None, None, None, None, None, ["retry-after"]),
    ),
    "retry header earlier than an exhausted window's reset: the later binds": (
        {"Retry-After": "Fri, 20 Nov 2026 10:00:30 GMT", "RateLimit": "limit=10, remaining=0, reset=60"},
        False,
        (10, 0, None, at(60), at(60), []),
    ),
    "retry header later than an exhausted window's reset: it binds": (
        {"Retry-After": "90", "RateLimit": "limit=10, remaining=0, reset=60"},
        False,
        (10, 0, None, at(60), at(90), []),
    ),
    "a window with requests left does not bind": (
        {"Retry-After": "30", "RateLimit": "limit=10, remaining=3, reset=60"},
        False,
        (10, 3, None, at(60), at(30), []),
    ),
    "a 429 makes the reset bind even without remaining": (
        {"Retry-After": "30", "X-RateLimit-Reset": "60"},
        True,
        (None, None, None, at(60), at(60), []),
    ),
    "unknown member of a family is kept raw only": (
        {"X-RateLimit-Used": "12"},
        False,
        (None, None, None, None, None, []),
    ),
}


@pytest.mark.parametrize(("headers", "throttled", "expected"), list(CASES.values()), ids=list(CASES))
def test_formats(headers: dict[str, str], throttled: bool, expected: tuple[object, ...]) -> None:
    assert facts_tuple(parse(headers, throttled=throttled)) == expected


def test_raw_values_kept_beside_parsed_ones_and_times_relative_to_now() -> None:
    facts = parse({"Retry-After": "120", "X-Request-Id": "abc", "Authorization": "Bearer x"})
    assert facts.raw == {"retry-after": "120"}  # request IDs and non-allow-listed headers are not rate limits
    assert (facts.retry_after_seconds, facts.retry_at_passed, facts.seconds_until_retry) == (
        120.0,
        False,
        60.0,
    )
    passed = parse({"Retry-After": "30"})
    assert (passed.retry_at_passed, passed.seconds_until_retry) == (True, 0.0)


def test_what_the_retry_headers_asked_is_kept_beside_the_moment_to_honour() -> None:
    facts = parse({"Retry-After": "30", "RateLimit": "limit=10, remaining=0, reset=60"})
    assert (facts.retry_asked_at, facts.reset_at, facts.retry_at, facts.retry_after_seconds) == (
        at(30),
        at(60),
        at(60),
        60.0,
    )


def test_no_rate_limit_headers_means_no_facts() -> None:
    headers = {"X-Request-Id": "r", "Set-Cookie": "s=1", "Authorization": "Bearer t"}
    assert parse_rate_limit(headers, log_id="l", at=AT, now=NOW, throttled=True) is None


RATE_LIMIT_NAMES = [
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-Rate-Limit-Limit",
    "X-Rate-Limit-Reset",
    "X-RateLimit-Retry-After-Seconds",
    "X-RateLimit-Retry-At",
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]
names = st.one_of(
    st.sampled_from(RATE_LIMIT_NAMES).map(lambda name: name.lower() if len(name) % 2 else name),
    st.sampled_from(["Authorization", "Set-Cookie", "Cookie", "X-Api-Key", "X-Request-Id"]),
    st.text(max_size=40),
)
values = st.one_of(
    st.text(max_size=300),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
    st.sampled_from(['"p";r=0;t=30', "limit=1, remaining=x, reset=", "10;w=", ";;,,==", '"";q=;w=1m']),
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(names, values, max_size=20), st.booleans())
def test_never_raises_and_only_allow_listed_headers_survive(headers: dict[str, str], throttled: bool) -> None:
    facts = parse_rate_limit(headers, log_id="l", at=AT, now=NOW, throttled=throttled)
    if facts is None:
        assert not any(
            is_allowed_header(n) and n.strip().lower().startswith(("retry", "x-rate", "ratelimit"))
            for n in headers
        )
        return
    assert 0 < len(facts.raw) <= 12
    assert all(is_allowed_header(name) and len(name) <= 60 for name in facts.raw)
    assert all(len(value) <= 120 for value in facts.raw.values())
    assert set(facts.unparsed) <= {name.strip().lower() for name in headers}
    if facts.retry_at is not None:
        assert facts.retry_at_passed is (facts.retry_at <= NOW)
        assert facts.seconds_until_retry is not None
        assert facts.seconds_until_retry >= 0
