"""Every way a Catena call can fail, each as one fixed, actionable message.

This is the one boundary between upstream failures and what the client reads: messages are our own
templates, and the only upstream text they carry is Catena's `detail`, cleaned, bounded and quoted.
"""

from datetime import datetime

from tools.untrusted import quote


class CatenaError(Exception):
    """A failed Catena call; `str(error)` is safe to show to the client and to log."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RateLimitedError(CatenaError):
    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


def _with_detail(message: str, detail: str | None) -> str:
    return f"{message} Catena said: {quote(detail, 200)}." if detail else message


def missing_credentials() -> CatenaError:
    return CatenaError(
        "Catena credentials are not configured: set CATENA_CLIENT_ID and CATENA_CLIENT_SECRET "
        "(or CATENA_ACCESS_TOKEN) in the server's environment, then restart it."
    )


def invalid_client() -> CatenaError:
    return CatenaError(
        "Catena rejected the client credentials (check CATENA_CLIENT_ID / CATENA_CLIENT_SECRET).", status=401
    )


def token_endpoint_failed(status: int | None, reason: str) -> CatenaError:
    where = f"HTTP {status}" if status is not None else reason
    return CatenaError(
        f"Could not get a Catena access token ({where}). Check CATENA_TOKEN_URL and that the token "
        "service is reachable; try again in a minute.",
        status=status,
    )


def access_token_rejected() -> CatenaError:
    return CatenaError(
        "Catena rejected the access token (HTTP 401). CATENA_ACCESS_TOKEN is expired or invalid: set a "
        "fresh one, or configure CATENA_CLIENT_ID and CATENA_CLIENT_SECRET so the server can refresh it.",
        status=401,
    )


def unauthorized_after_refresh(detail: str | None) -> CatenaError:
    return CatenaError(
        _with_detail(
            "Catena rejected a freshly issued access token (HTTP 401). The client credentials work but "
            "are not accepted by the API: ask Catena support to check the client.",
            detail,
        ),
        status=401,
    )


def bad_request(detail: str | None) -> CatenaError:
    return CatenaError(
        _with_detail("Catena rejected the request as malformed (HTTP 400).", detail), status=400
    )


def forbidden(detail: str | None) -> CatenaError:
    return CatenaError(
        _with_detail(
            "Catena refused access (HTTP 403): the client is missing the permission or scope "
            "`resource_operation:read`, or the connection belongs to another partner. Ask Catena support "
            "to grant it.",
            detail,
        ),
        status=403,
    )


def not_found(connection_id: str, operation_id: str) -> CatenaError:
    return CatenaError(
        f"No resource operation {operation_id} on connection {connection_id}: check both IDs; an "
        "operation belongs to exactly one connection.",
        status=404,
    )


def method_not_allowed() -> CatenaError:
    return CatenaError(
        "Catena answered 405 Method Not Allowed: the endpoint may have moved (it is provisional). "
        "Check CATENA_BASE_URL and upgrade catena-mcp.",
        status=405,
    )


def conflict(detail: str | None) -> CatenaError:
    return CatenaError(_with_detail("Catena answered 409 Conflict; try again shortly.", detail), status=409)


def unprocessable(fields: list[tuple[str, str]]) -> CatenaError:
    if fields:
        listed = "; ".join(f"{quote(path, 80)}: {quote(message, 120)}" for path, message in fields[:5])
        more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
        what = f" Fields rejected: {listed}{more}."
    else:
        what = ""
    return CatenaError(
        "Catena rejected the request parameters (HTTP 422); both IDs must be UUIDs." + what, status=422
    )


def rate_limited(retry_after: float | None, retry_at: datetime | None) -> RateLimitedError:
    if retry_after is None:
        when = "retry in a minute"
    else:
        when = f"retry after {retry_after:.0f} s"
        if retry_at is not None:
            when += f" (at {retry_at:%H:%M:%S}Z)"
    return RateLimitedError(
        f"Catena is rate-limiting this client (HTTP 429): {when}. Avoid calling the tool in a loop.",
        retry_after=retry_after,
    )


def server_error(status: int, detail: str | None, attempts: int) -> CatenaError:
    label = "gateway timeout" if status == 504 else "server error"
    return CatenaError(
        _with_detail(
            f"Catena returned a {label} (HTTP {status}) on {_attempts(attempts)}. This is on Catena's "
            "side: try again in a few minutes.",
            detail,
        ),
        status=status,
    )


def unexpected_status(status: int, detail: str | None) -> CatenaError:
    return CatenaError(_with_detail(f"Catena answered with unexpected HTTP {status}.", detail), status=status)


def timed_out(timeout: float, attempts: int) -> CatenaError:
    return CatenaError(
        f"Catena did not answer within {timeout:g} s on {_attempts(attempts)}. Try again later, or "
        "raise CATENA_TIMEOUT if this keeps happening."
    )


def unreachable(attempts: int) -> CatenaError:
    return CatenaError(
        f"Could not connect to Catena on {_attempts(attempts)}. Check network access and "
        "CATENA_BASE_URL; try again later."
    )


def malformed_body(what: str) -> CatenaError:
    return CatenaError(
        f"Catena's reply could not be read ({what}). The provisional endpoint may have changed shape: "
        "upgrade catena-mcp, or report it with the IDs you used."
    )


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"
