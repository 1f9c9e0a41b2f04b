"""The Catena API client: one shared `httpx.AsyncClient`, OAuth2 client credentials, bounded retries.

Every failure leaves this module as a `CatenaError` whose message is one of the fixed templates in
`tools.errors`; nothing else (no httpx exception, no traceback, no token) escapes.
"""

import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import anyio
import httpx
from pydantic import SecretStr, ValidationError

from catena_mcp import __version__
from catena_mcp.tools.catena import errors
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
_RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
LIST_PATH = "/v2/integrations/connections/resource-operations"
MAX_PAGE_SIZE = 1000

Sleep = Callable[[float], Awaitable[None]]


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
        self._token_lock = anyio.Lock()

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
                headers={"User-Agent": f"catena-mcp/{__version__}", "Accept": "application/json"},
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
        response, attempts = await self._get(url)
        if response.status_code == 200:
            return _parse_operation(response)
        raise self._failure(
            response,
            attempts,
            not_found=errors.not_found(str(connection_id), str(operation_id)),
            unprocessable=errors.unprocessable,
        )

    async def list_resource_operations(
        self, filters: OperationFilters, *, cursor: str | None = None, size: int = MAX_PAGE_SIZE
    ) -> OperationPage:
        """One page of the list endpoint; pass the page's `next_page` as `cursor` for the next one."""
        params = [*filters.query(), ("size", str(size))] + ([("cursor", cursor)] if cursor else [])
        response, attempts = await self._get(f"{self._config.base_url}{LIST_PATH}?{urlencode(params)}")
        if response.status_code == 200:
            return _parse_page(response)
        raise self._failure(
            response, attempts, not_found=errors.list_not_found(), unprocessable=errors.filters_rejected
        )

    def _failure(
        self,
        response: httpx.Response,
        attempts: int,
        *,
        not_found: errors.CatenaError,
        unprocessable: Callable[[list[tuple[str, str]]], errors.CatenaError],
    ) -> errors.CatenaError:
        """The error for a final non-200 answer; 404 and 422 mean different things per endpoint."""
        status = response.status_code
        detail = _error_detail(response)
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
                return unprocessable(_rejected_fields(response))
            case _ if status >= 500:
                return errors.server_error(status, detail, attempts)
            case _:
                return errors.unexpected_status(status, detail)

    async def _get(self, url: str) -> tuple[httpx.Response, int]:
        """GET with the retry policy; returns the final response and how many attempts it took."""
        deadline = self._clock() + CALL_BUDGET_SECONDS
        attempts = 0
        refreshed_after_401 = False
        while True:
            token = await self._access_token(deadline)
            attempts += 1
            retries_left = attempts <= self._config.max_retries
            try:
                response = await self._http.get(
                    url,
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=self._attempt_timeout(deadline),
                )
            except httpx.TimeoutException:
                if retries_left and await self._backoff(attempts, deadline):
                    continue
                raise errors.timed_out(self._config.timeout, attempts) from None
            except httpx.TransportError:
                if retries_left and await self._backoff(attempts, deadline):
                    continue
                raise errors.unreachable(attempts) from None

            status = response.status_code
            if status == 401 and not refreshed_after_401 and self._can_refresh:
                # The token expired or was revoked early: refresh once, and this retry is free.
                refreshed_after_401 = True
                attempts -= 1
                await self._invalidate(token)
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
            if status in _RETRYABLE_STATUSES and retries_left and await self._backoff(attempts, deadline):
                continue
            return response, attempts

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
        if self._token is not None and self._clock() < self._token_expires_at:
            return self._token
        # Single flight: concurrent calls wait for one refresh instead of each asking Keycloak.
        async with self._token_lock:
            if self._token is not None and self._clock() < self._token_expires_at:
                return self._token
            self._token, lifetime = await self._fetch_token(deadline)
            self._token_expires_at = self._clock() + lifetime
            return self._token

    async def _invalidate(self, token: str) -> None:
        async with self._token_lock:
            # Another call may already have replaced the rejected token; keep the newer one.
            if self._token == token:
                self._token = None

    async def _fetch_token(self, deadline: float) -> tuple[str, float]:
        config = self._config
        if config.access_token is not None:
            return config.access_token.get_secret_value(), float("inf")
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
            response = await self._http.post(
                config.token_url, data=form, timeout=self._attempt_timeout(deadline)
            )
        except httpx.TimeoutException:
            raise errors.token_endpoint_failed(None, "no answer in time") from None
        except httpx.TransportError:
            raise errors.token_endpoint_failed(None, "could not connect") from None
        body = _json_object(response)
        if response.status_code != 200:
            if body.get("error") in ("invalid_client", "unauthorized_client"):
                raise errors.invalid_client()
            raise errors.token_endpoint_failed(response.status_code, "")
        token = body.get("access_token")
        expires_in = body.get("expires_in")
        if not isinstance(token, str) or not token:
            raise errors.token_endpoint_failed(response.status_code, "")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else 300.0
        logger.info("Fetched a Catena access token valid for %.0f s", lifetime)
        # Short-lived tokens get half their life as margin, so they are still reused at all.
        return token, lifetime - min(TOKEN_EXPIRY_MARGIN_SECONDS, lifetime / 2)


def _parse_operation(response: httpx.Response) -> ResourceOperation:
    try:
        return parse_operation(response.content)
    except ValidationError as exc:
        raise _malformed(exc) from None


def _parse_page(response: httpx.Response) -> OperationPage:
    try:
        return parse_page(response.content)
    except ValidationError as exc:
        raise _malformed(exc) from None


def _malformed(exc: ValidationError) -> errors.MalformedReplyError:
    first = exc.errors()[0]
    if first["type"] == "json_invalid":
        return errors.malformed_body("not JSON")
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    return errors.malformed_body(f"unexpected shape at {where}")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _error_detail(response: httpx.Response) -> str | None:
    detail = _json_object(response).get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    return None


def _rejected_fields(response: httpx.Response) -> list[tuple[str, str]]:
    detail = _json_object(response).get("detail")
    if not isinstance(detail, list):
        return []
    return [
        (str(item.get("path", "?")), str(item.get("message", "")))
        for item in detail
        if isinstance(item, dict)
    ]


def _retry_after_seconds(response: httpx.Response, now: datetime) -> float | None:
    """Seconds to wait from `Retry-After` (delta or HTTP-date) or Catena's `detail.retry_after_seconds`."""
    header = response.headers.get("retry-after")
    moment = parse_retry_after(header) if header else None
    if isinstance(moment, datetime):
        return max(0.0, (moment - now).total_seconds())
    if moment is not None:
        return max(0.0, moment)
    detail = _json_object(response).get("detail")
    if isinstance(detail, dict):
        from_body = detail.get("retry_after_seconds")
        if isinstance(from_body, int | float) and not isinstance(from_body, bool) and 0 <= from_body < 1e10:
            return float(from_body)
    return None
