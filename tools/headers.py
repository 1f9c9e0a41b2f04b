"""Which TSP response headers may leave this server.

Catena says it redacts `response_headers` to rate-limit headers and request IDs; we enforce the same
allow-list ourselves so that a future Catena change (or a bug) can never leak an `Authorization` or
`Set-Cookie` value through us.
"""

REQUEST_ID_HEADERS = ("x-request-id", "x-correlation-id", "x-trace-id")
RATE_LIMIT_PREFIXES = ("x-ratelimit-", "x-rate-limit-", "ratelimit-")
_RATE_LIMIT_NAMES = ("retry-after", "ratelimit")
# Real names are under 40 characters (`x-ratelimit-remaining-minute`). Longer ones are refused: the
# diagnosis caches what it reads per header name, and a cache must not hold megabyte names a hostile
# upstream made up.
MAX_NAME_CHARS = 64


def is_allowed_header(name: str) -> bool:
    if len(name) > MAX_NAME_CHARS:
        return False
    lowered = name.strip().lower()
    return (
        lowered in REQUEST_ID_HEADERS
        or lowered in _RATE_LIMIT_NAMES
        or lowered.startswith(RATE_LIMIT_PREFIXES)
    )
