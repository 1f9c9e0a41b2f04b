"""The Catena API client: one shared `httpx.AsyncClient`, OAuth2 client credentials, bounded retries.

Every failure leaves this module as a `CatenaError` whose message is one of the fixed templates in
`tools.catena.errors`; nothing else (no httpx exception, no traceback, no token) escapes.

Nothing upstream sends is trusted for size, pace or shape: every body is read under a byte cap
(`body.read_capped`), every call runs under one deadline that covers the token, each attempt, the backoff
and every byte of every body, and large bodies are decoded in a worker thread so no call stalls another.
"""

import copy
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import urlencode
from uuid import UUID

import anyio
import httpx
from pydantic import SecretStr, ValidationError

from catena_mcp import __version__
from catena_mcp.tools.catena import errors
from catena_mcp.tools.catena.body import BodyTooLarge, BodyUnreadable, read_capped
from catena_mcp.tools.catena.filters import OperationFilters
from catena_mcp.tools.catena.records import OperationPage, ResourceOperation, parse_operation, parse_page
from catena_mcp.tools.header_values import parse_retry_after

logger = logging.getLogger(__name__)

# A whole call must finish well inside an MCP client's usual 60 s request timeout.
CALL_BUDGET_SECONDS = 45.0
# A 429 asking us to wait this long or less is waited out; anything longer is reported at once.
SHORT_RATE_LIMIT_WAIT_SECONDS = 5.0
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 4.0
# Refresh a cached token this long before Catena says it expires (the official SDK uses 30 s).
TOKEN_EXPIRY_MARGIN_SECONDS = 30.0
# When the token reply gives no lifetime (OAuth2 only recommends `expires_in`), and the longest we believe.
DEFAULT_TOKEN_LIFETIME_SECONDS = 300.0
MAX_TOKEN_LIFETIME_SECONDS = 366 * 86400.0
# The largest operation body read: ~80x the 5,000-attempt operation (~2 MB). Parsing one this size takes
# ~3 s and ~400 MiB at its peak, which is why it is a cap and why it runs off the event loop.
DEFAULT_MAX_RESPONSE_BYTES = 32 * 2**20
# A token reply is a few kB; nothing bigger is read.
TOKEN_REPLY_MAX_BYTES = 64 * 1024
# Bodies larger than this are decoded in a worker thread (~25 ms of parsing), one at a time.
THREAD_PARSE_MIN_BYTES = 256 * 1024
_RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
LIST_PATH = "/v2/integrations/connections/resource-operations"
MAX_PAGE_SIZE = 1000
# What may follow "Bearer ": visible ASCII (RFC 6750's b64token is narrower); never CR, LF or spaces.
_SENDABLE_TOKEN = re.compile(r"[!-~]+")

Sleep = Callable[[float], Awaitable[None]]
T = TypeVar("T")


@dataclass(frozen=True)
class ClientConfig:
    """What the client needs to reach Catena: plain values, whoever reads them from where."""

    base_url: str
    token_url: str
    client_id: str | None = None
    client_secret: SecretStr | None = None
    # A ready bearer token, used instead of client credentials and never refreshed.
    access_token: SecretStr | None = None
    timeout: float = 10.0
    max_retries: int = 2
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    call_budget: float = CALL_BUDGET_SECONDS


@dataclass(frozen=True)
class Reply:
    """A response read in full (within the caps): what the retry policy and the parsers look at."""

    status: int
    headers: httpx.Headers
    body: bytes | bytearray


@dataclass
class _TokenFetch:
    """One token request in flight; calls that need a token meanwhile wait for its outcome, good or bad."""

    done: anyio.Event = field(default_factory=anyio.Event)
    error: errors.CatenaError | None = None


@dataclass
class _Attempts:
    count: int = 0


class _CutShort(Exception):
    """The connection broke after the status line: Catena answered, but not in full."""


class CatenaClient:
    """Async client for the resource-operation endpoint. One per process; use as an async context."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self._now = now
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._closed = False
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_fetch: _TokenFetch | None = None
        self._parse_limiter: anyio.CapacityLimiter | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        # Built on first use, not at start-up: its TLS context (loading the CA bundle) takes ~30 ms, 5% of the
        # stdio cold start, and an MCP client spawning the server need not wait for it to list the tools.
        if self._client is None:
            if self._closed:
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(self._config.timeout),
                # Only encodings `body.read_capped` inflates under its cap.
                headers={
                    "User-Agent": f"catena-mcp/{__version__}",
                    "Accept": "application/json",
                    "Accept-Encoding": "gzip, deflate",
                },
                follow_redirects=False,
            )
        return self._client

    async def __aenter__(self) -> "CatenaClient":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.aclose()

    async def get_resource_operation(self, connection_id: UUID, operation_id: UUID) -> ResourceOperation:
        url = (
            f"{self._config.base_url}/v2/integrations/connections/{connection_id}"
            f"/resource-operations/{operation_id}"
        )
        reply, attempts = await self._get(url, parse=_parse_operation)
        if isinstance(reply, Reply):
            raise self._failure(
                reply,
                attempts,
                not_found=errors.not_found(str(connection_id), str(operation_id)),
                unprocessable=errors.unprocessable,
            )
        return reply

    async def list_resource_operations(
        self, filters: OperationFilters, *, cursor: str | None = None, size: int = MAX_PAGE_SIZE
    ) -> OperationPage:
        """One page of the list endpoint; pass the page's `next_page` as `cursor` for the next one."""
        params = [*filters.query(), ("size", str(size))] + ([("cursor", cursor)] if cursor else [])
        url = f"{self._config.base_url}{LIST_PATH}?{urlencode(params)}"
        reply, attempts = await self._get(url, parse=_parse_page)
        if isinstance(reply, Reply):
            raise self._failure(
                reply, attempts, not_found=errors.list_not_found(), unprocessable=errors.filters_rejected
            )
        return reply

    def _failure(
        self,
        reply: Reply,
        attempts: int,
        *,
        not_found: errors.CatenaError,
        unprocessable: Callable[[list[tuple[str, str]]], errors.CatenaError],
    ) -> errors.CatenaError:
        """The error for a final non-200 answer; 404 and 422 mean different things per endpoint."""
        status = reply.status
        detail = _error_detail(reply)
        logger.info("Catena answered HTTP %s after %d attempt(s)", status, attempts)
        match status:
            case 400:
                return errors.bad_request(detail)
            case 401:
                if self._config.access_token is not None:
                    return errors.access_token_rejected()
                return errors.unauthorized_after_refresh(detail)
            case 403:
                return errors.forbidden(detail)
            case 404:
                return not_found
            case 405:
                return errors.method_not_allowed()
            case 409:
                return errors.conflict(detail)
            case 422:
                return unprocessable(_rejected_fields(reply))
            case _ if status >= 500:
                return errors.server_error(status, detail, attempts)
            case _:
                return errors.unexpected_status(status, detail)

    async def _get(
        self, url: str, *, parse: Callable[[bytes | bytearray], T], params: Mapping[str, Any] | None = None
    ) -> tuple[T | Reply, int]:
        """GET `url` under the call's deadline: a token, the attempts of the retry policy, every body.

        A 200 body is decoded with `parse` (in a worker thread when large; `parse` raises `CatenaError` on
        a body it cannot read) and returned as its value; any other final reply is returned as it came, for
        the caller to turn into its error. Also returns how many attempts it took.
        """
        budget = self._config.call_budget
        attempts = _Attempts()
        with anyio.move_on_after(budget):
            reply = await self._attempts(url, params, self._clock() + budget, attempts)
            if reply.status != 200:
                return reply, attempts.count
            return await self._parse(parse, reply.body), attempts.count
        if attempts.count == 0:
            raise errors.token_endpoint_failed(None, "no answer in time")
        raise errors.out_of_time(budget, attempts.count)

    async def _attempts(
        self, url: str, params: Mapping[str, Any] | None, deadline: float, attempts: _Attempts
    ) -> Reply:
        """The retry policy; returns the final reply, counting attempts in `attempts` as they start."""
        refreshed_after_401 = False
        while True:
            token = await self._access_token(deadline)
            attempts.count += 1
            retries_left = attempts.count <= self._config.max_retries
            try:
                response = await self._send(
                    "GET",
                    url,
                    deadline,
                    self._config.max_response_bytes,
                    params=params,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except BodyTooLarge:
                raise errors.reply_too_large(self._config.max_response_bytes) from None
            except BodyUnreadable as exc:
                raise errors.reply_unreadable(str(exc)) from None
            except (httpx.TimeoutException, TimeoutError):
                if retries_left and await self._backoff(attempts.count, deadline):
                    continue
                if self._clock() >= deadline - 0.2:  # cut short by the call's deadline, not CATENA_TIMEOUT
                    raise errors.out_of_time(self._config.call_budget, attempts.count) from None
                raise errors.timed_out(self._config.timeout, attempts.count) from None
            except _CutShort:
                if retries_left and await self._backoff(attempts.count, deadline):
                    continue
                raise errors.reply_cut_short(attempts.count) from None
            except httpx.TransportError:
                if retries_left and await self._backoff(attempts.count, deadline):
                    continue
                raise errors.unreachable(attempts.count) from None

            status = response.status
            if status == 401 and not refreshed_after_401 and self._can_refresh:
                # The token expired or was revoked early: refresh once, and this retry is free.
                refreshed_after_401 = True
                attempts.count -= 1
                self._invalidate(token)
                continue
            if status == 429:
                wait = _retry_after_seconds(response, self._now())
                if (
                    wait is not None
                    and wait <= SHORT_RATE_LIMIT_WAIT_SECONDS
                    and retries_left
                    and self._clock() + wait < deadline - 1
                ):
                    await self._sleep(wait)
                    continue
                retry_at = None if wait is None else self._now() + timedelta(seconds=wait)
                raise errors.rate_limited(wait, retry_at)
            if (
                status in _RETRYABLE_STATUSES
                and retries_left
                and await self._backoff(attempts.count, deadline)
            ):
                continue
            return response

    async def _send(self, method: str, url: str, deadline: float, cap: int, **request: Any) -> Reply:
        """One request read in full, all of it (connect, headers, every body byte) within one attempt's time.

        Raises `TimeoutError` or `httpx.TimeoutException` when out of time, `_CutShort` when the connection
        breaks mid-body, `BodyTooLarge`/`BodyUnreadable` for a body past `cap` or in an unknown encoding,
        and `httpx.TransportError` when there was no answer at all.
        """
        timeout = self._attempt_timeout(deadline)
        # httpx's timeouts bound each network operation; this bounds their sum, so a body that drips one
        # byte at a time cannot outlast the attempt.
        # (`move_on_after` and a check, rather than `fail_after`: ~10 µs less on every request.)
        with anyio.move_on_after(timeout) as attempt:
            response = await self._http.send(
                self._http.build_request(method, url, timeout=timeout, **request), stream=True
            )
            try:
                body = await read_capped(response, cap)
            except (httpx.RemoteProtocolError, httpx.ReadError):
                raise _CutShort from None
            finally:
                # Closing before the end of the body drops the connection: a reply past the cap is not read.
                await response.aclose()
        if attempt.cancelled_caught:
            raise TimeoutError
        return Reply(response.status_code, response.headers, body)

    async def _parse(self, parse: Callable[[bytes | bytearray], T], body: bytes | bytearray) -> T:
        if len(body) < THREAD_PARSE_MIN_BYTES:
            return parse(body)
        # One large parse at a time: each holds several times its body in memory at its peak. Abandoned on
        # cancellation so the call's deadline holds; the thread then finishes on its own and frees it all.
        if self._parse_limiter is None:
            self._parse_limiter = anyio.CapacityLimiter(1)
        return await anyio.to_thread.run_sync(
            parse, body, abandon_on_cancel=True, limiter=self._parse_limiter
        )

    def _attempt_timeout(self, deadline: float) -> float:
        return max(0.1, min(self._config.timeout, deadline - self._clock()))

    async def _backoff(self, attempt: int, deadline: float) -> bool:
        """Sleep before the next attempt (jittered exponential); False when the call budget forbids it."""
        ceiling = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1))
        delay = ceiling * (0.5 + self._jitter() / 2)
        if self._clock() + delay + 1 >= deadline:
            return False
        await self._sleep(delay)
        return True

    @property
    def _can_refresh(self) -> bool:
        return self._config.access_token is None

    async def _access_token(self, deadline: float) -> str:
        """The cached token, or a fresh one; concurrent callers share one fetch and its outcome."""
        while True:
            if self._token is not None and self._clock() < self._token_expires_at:
                return self._token
            fetch = self._token_fetch
            if fetch is None:
                return await self._lead_token_fetch(deadline)
            await fetch.done.wait()
            if fetch.error is not None:
                # Every waiter gets the failure at once, rather than retrying after the previous one gave up.
                raise copy.copy(fetch.error)
            # Otherwise the token is cached now, or the leader's call was cancelled: look again.

    async def _lead_token_fetch(self, deadline: float) -> str:
        fetch = self._token_fetch = _TokenFetch()
        try:
            token, lifetime = await self._fetch_token(deadline)
        except errors.CatenaError as error:
            fetch.error = error
            raise
        finally:
            self._token_fetch = None
            fetch.done.set()
        self._token, self._token_expires_at = token, self._clock() + lifetime
        return token

    def _invalidate(self, token: str) -> None:
        # Another call may already have replaced the rejected token; keep the newer one.
        if self._token == token:
            self._token = None

    async def _fetch_token(self, deadline: float) -> tuple[str, float]:
        config = self._config
        if config.access_token is not None:
            static = config.access_token.get_secret_value()
            if not _SENDABLE_TOKEN.fullmatch(static):
                raise errors.access_token_unusable()
            return static, float("inf")
        if config.client_id is None or config.client_secret is None:
            raise errors.missing_credentials()
        form = {
            "grant_type": "client_credentials",
            "client_id": config.client_id,
            "client_secret": config.client_secret.get_secret_value(),
            "scope": "organization",
        }
        try:
            # Bounded by what is left of the call's budget, like every other request of the call.
            reply = await self._send("POST", config.token_url, deadline, TOKEN_REPLY_MAX_BYTES, data=form)
        except (httpx.TimeoutException, TimeoutError):
            raise errors.token_endpoint_failed(None, "no answer in time") from None
        except _CutShort:
            raise errors.token_endpoint_failed(None, "the reply was cut short") from None
        except httpx.TransportError:
            raise errors.token_endpoint_failed(None, "could not connect") from None
        except BodyTooLarge:
            raise errors.token_endpoint_failed(None, "the reply is far too large") from None
        except BodyUnreadable:
            raise errors.token_endpoint_failed(None, "the reply could not be decoded") from None
        body = _json_object(reply)
        if reply.status != 200:
            if body.get("error") in ("invalid_client", "unauthorized_client"):
                raise errors.invalid_client()
            raise errors.token_endpoint_failed(reply.status, "")
        if not body:
            raise errors.token_endpoint_failed(reply.status, "the reply is not a JSON object we can read")
        token = body.get("access_token")
        if not isinstance(token, str) or not _SENDABLE_TOKEN.fullmatch(token):
            raise errors.token_endpoint_failed(reply.status, "the reply holds no usable access_token")
        lifetime = _token_lifetime(body.get("expires_in"))
        if lifetime is None:
            raise errors.token_endpoint_failed(
                reply.status, "the reply's expires_in is not a sensible number of seconds"
            )
        logger.info("Fetched a Catena access token valid for %.0f s", lifetime)
        # Short-lived tokens get half their life as margin, so they are still reused at all.
        return token, lifetime - min(TOKEN_EXPIRY_MARGIN_SECONDS, lifetime / 2)


def _token_lifetime(expires_in: Any) -> float | None:
    """Seconds from `expires_in` (a number, or digits as some servers send); None when it is absurd."""
    if expires_in is None:
        return DEFAULT_TOKEN_LIFETIME_SECONDS
    if isinstance(expires_in, str) and expires_in.strip().isdigit() and len(expires_in) < 12:
        expires_in = int(expires_in)
    if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
        return None
    # `1e400` arrives as infinity, NaN compares false with everything, and 10**400 stays an exact int.
    if 0 < expires_in <= MAX_TOKEN_LIFETIME_SECONDS:
        return float(expires_in)
    return None


def _parse_operation(body: bytes | bytearray) -> ResourceOperation:
    try:
        return parse_operation(body)
    except ValidationError as exc:
        raise _malformed(exc) from None


def _parse_page(body: bytes | bytearray) -> OperationPage:
    try:
        return parse_page(body)
    except ValidationError as exc:
        raise _malformed(exc) from None


def _malformed(exc: ValidationError) -> errors.MalformedReplyError:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return errors.malformed_body("not JSON")
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    return errors.malformed_body(f"unexpected shape at {where}")


def _json_object(reply: Reply) -> dict[str, Any]:
    try:
        body = json.loads(reply.body)
    except (ValueError, RecursionError):
        # Not JSON, or nested deeper than Python's parser goes: either way there is nothing to read in it.
        return {}
    return body if isinstance(body, dict) else {}


def _error_detail(reply: Reply) -> str | None:
    detail = _json_object(reply).get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    return None


def _rejected_fields(reply: Reply) -> list[tuple[str, str]]:
    detail = _json_object(reply).get("detail")
    if not isinstance(detail, list):
        return []
    return [
        (str(item.get("path", "?")), str(item.get("message", "")))
        for item in detail
        if isinstance(item, dict)
    ]


def _retry_after_seconds(reply: Reply, now: datetime) -> float | None:
    """Seconds to wait from `Retry-After` (delta or HTTP-date) or Catena's `detail.retry_after_seconds`."""
    header = reply.headers.get("retry-after")
    moment = parse_retry_after(header) if header else None
    if isinstance(moment, datetime):
        return max(0.0, (moment - now).total_seconds())
    if moment is not None:
        return max(0.0, moment)
    detail = _json_object(reply).get("detail")
    if isinstance(detail, dict):
        from_body = detail.get("retry_after_seconds")
        if isinstance(from_body, int | float) and not isinstance(from_body, bool) and 0 <= from_body < 1e10:
            return float(from_body)
    return None
