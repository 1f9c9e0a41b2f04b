"""Every way a Catena call can fail, each as one fixed, actionable message.

This is the one boundary between upstream failures and what the client reads: messages are our own
templates, and the only upstream text they carry is Catena's `detail`, cleaned, bounded and quoted.
"""

from datetime import datetime

from catena_mcp.tools.untrusted import quote


class CatenaError(Exception):
    """A failed Catena call; `str(error)` is safe to show to the client and to log.

    Callers branch on the subclass, never on the HTTP status; `status` is kept for the logs.
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotConfiguredError(CatenaError):
    """No credentials: nothing was sent."""


class AuthError(CatenaError):
    """Catena or its token service refused who we are, or what we may read."""


class NotFoundError(CatenaError):
    """The operation does not exist on that connection."""


class RequestRejectedError(CatenaError):
    """Catena refused the request itself (400, 409, 422): what we asked, not who we are."""


class RateLimitedError(CatenaError):
    """Catena throttled us for longer than a call may wait."""

    def __init__(self, message: str, *, retry_after: float | None) -> None:
        super().__init__(message, status=429)
        self.retry_after = retry_after


class UpstreamError(CatenaError):
    """Catena, or the way to it, failed: 5xx, timeouts, no connection, a status we do not know."""


class MalformedReplyError(CatenaError):
    """Catena answered, but not in a shape we can read."""


def _with_detail(message: str, detail: str | None) -> str:
    return f"{message} Catena said: {quote(detail, 200)}." if detail else message


def missing_credentials() -> NotConfiguredError:
    return NotConfiguredError(
        "Catena credentials are not configured: set CATENA_CLIENT_ID and CATENA_CLIENT_SECRET "
        "(or CATENA_ACCESS_TOKEN) in the server's environment, then restart it."
    )


def invalid_client() -> AuthError:
    return AuthError(
        "Catena rejected the client credentials (check CATENA_CLIENT_ID / CATENA_CLIENT_SECRET).", status=401
    )


def token_endpoint_failed(status: int | None, reason: str) -> AuthError:
    where = ": ".join(part for part in (f"HTTP {status}" if status is not None else "", reason) if part)
    return AuthError(
        f"Could not get a Catena access token ({where}). Check CATENA_TOKEN_URL and that the token "
        "service is reachable; try again in a minute.",
        status=status,
    )


def access_token_unusable() -> NotConfiguredError:
    return NotConfiguredError(
        "CATENA_ACCESS_TOKEN cannot be sent as a bearer token (it holds spaces or control characters): set "
        "it to the token alone, then restart the server."
    )


def access_token_rejected() -> AuthError:
    return AuthError(
        "Catena rejected the access token (HTTP 401). CATENA_ACCESS_TOKEN is expired or invalid: set a "
        "fresh one, or configure CATENA_CLIENT_ID and CATENA_CLIENT_SECRET so the server can refresh it.",
        status=401,
    )


def unauthorized_after_refresh(detail: str | None) -> AuthError:
    return AuthError(
        _with_detail(
            "Catena rejected a freshly issued access token (HTTP 401). The client credentials work but "
            "are not accepted by the API: ask Catena support to check the client.",
            detail,
        ),
        status=401,
    )


def bad_request(detail: str | None) -> RequestRejectedError:
    return RequestRejectedError(
        _with_detail("Catena rejected the request as malformed (HTTP 400).", detail), status=400
    )


def forbidden(detail: str | None) -> AuthError:
    return AuthError(
        _with_detail(
            "Catena refused access (HTTP 403): the client is missing the permission or scope "
            "`resource_operation:read`, or the connection belongs to another partner. Ask Catena support "
            "to grant it.",
            detail,
        ),
        status=403,
    )


def not_found(connection_id: str, operation_id: str) -> NotFoundError:
    return NotFoundError(
        f"No resource operation {operation_id} on connection {connection_id}: check both IDs; an "
        "operation belongs to exactly one connection.",
        status=404,
    )


def list_not_found() -> UpstreamError:
    return UpstreamError(
        "Catena answered 404 for the list of resource operations: the endpoint may have moved (it is "
        "provisional). Check CATENA_BASE_URL and upgrade catena-mcp.",
        status=404,
    )


def method_not_allowed() -> UpstreamError:
    return UpstreamError(
        "Catena answered 405 Method Not Allowed: the endpoint may have moved (it is provisional). "
        "Check CATENA_BASE_URL and upgrade catena-mcp.",
        status=405,
    )


def conflict(detail: str | None) -> RequestRejectedError:
    return RequestRejectedError(
        _with_detail("Catena answered 409 Conflict; try again shortly.", detail), status=409
    )


def unprocessable(fields: list[tuple[str, str]]) -> RequestRejectedError:
    return RequestRejectedError(
        "Catena rejected the request parameters (HTTP 422); both IDs must be UUIDs." + _rejected(fields),
        status=422,
    )


def filters_rejected(fields: list[tuple[str, str]]) -> RequestRejectedError:
    return RequestRejectedError(
        "Catena rejected the filters (HTTP 422): check resource, source_name and the time window."
        + _rejected(fields),
        status=422,
    )


def _rejected(fields: list[tuple[str, str]]) -> str:
    if not fields:
        return ""
    listed = "; ".join(f"{quote(path, 80)}: {quote(message, 120)}" for path, message in fields[:5])
    more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
    return f" Fields rejected: {listed}{more}."


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


def server_error(status: int, detail: str | None, attempts: int) -> UpstreamError:
    label = "gateway timeout" if status == 504 else "server error"
    return UpstreamError(
        _with_detail(
            f"Catena returned a {label} (HTTP {status}) on {_attempts(attempts)}. This is on Catena's "
            "side: try again in a few minutes.",
            detail,
        ),
        status=status,
    )


def unexpected_status(status: int, detail: str | None) -> UpstreamError:
    return UpstreamError(
        _with_detail(f"Catena answered with unexpected HTTP {status}.", detail), status=status
    )


def timed_out(timeout: float, attempts: int) -> UpstreamError:
    return UpstreamError(
        f"Catena did not answer within {timeout:g} s on {_attempts(attempts)}. Try again later, or "
        "raise CATENA_TIMEOUT if this keeps happening."
    )


def unreachable(attempts: int) -> UpstreamError:
    return UpstreamError(
        f"Could not connect to Catena on {_attempts(attempts)}. Check network access and "
        "CATENA_BASE_URL; try again later."
    )


def out_of_time(budget: float, attempts: int) -> UpstreamError:
    return UpstreamError(
        f"Catena did not finish answering within the {budget:g} s a call may take ({_attempts(attempts)}). "
        "Try again later; if this keeps happening, Catena or the network to it is very slow."
    )


def reply_cut_short(attempts: int) -> MalformedReplyError:
    return MalformedReplyError(
        f"Catena's reply could not be read (the connection closed before the reply was complete) on "
        f"{_attempts(attempts)}. Try again; if this keeps happening, something between this server and "
        "Catena is cutting replies short."
    )


def reply_too_large(cap: int) -> MalformedReplyError:
    return MalformedReplyError(
        f"Catena's reply could not be read (it is larger than the {_size(cap)} cap set by "
        "CATENA_MAX_RESPONSE_BYTES), so it was not read to the end. Raise CATENA_MAX_RESPONSE_BYTES if an "
        "operation this large is expected, or report it to Catena with the IDs you used."
    )


def reply_unreadable(what: str) -> MalformedReplyError:
    return MalformedReplyError(
        f"Catena's reply could not be read ({what}). Try again; if this keeps happening, report it to "
        "Catena with the IDs you used."
    )


def malformed_body(what: str) -> MalformedReplyError:
    return MalformedReplyError(
        f"Catena's reply could not be read ({what}). The provisional endpoint may have changed shape: "
        "upgrade catena-mcp, or report it with the IDs you used."
    )


def _attempts(count: int) -> str:
    return "1 attempt" if count == 1 else f"{count} attempts"


def _size(count: int) -> str:
    mib = count / 2**20
    return f"{mib:g} MiB" if count >= 2**20 and mib == round(mib, 1) else f"{count:,}-byte"
