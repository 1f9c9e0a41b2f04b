"""The Starlette app that speaks Catena's wire format.

It serves the Keycloak token endpoint, Catena's get-resource-operation endpoint, its list endpoint (over
the generated history of `simulator.history`, see `simulator.listing`) and a small `/_sim/` control API
for tests. Error bodies follow Catena's OpenAPI exactly; where Catena's behaviour is not documented
(check order, detail strings) the choice mirrors the FastAPI + Keycloak stack Catena runs on.
"""

import base64
import binascii
import math
import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cached_property
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote_plus
from uuid import UUID

import anyio
from pydantic import TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from catena_mcp.simulator.counting import CountStatuses
from catena_mcp.simulator.faults import (
    FAULT_OPERATIONS,
    FORBIDDEN_CONNECTION_ID,
    LIST_FAULT_ID,
    Fault,
    FaultBook,
    FaultError,
    parse_fault,
    parse_token_fault,
)
from catena_mcp.simulator.history import HISTORY_END
from catena_mcp.simulator.hostile import hostile_response, token_reply
from catena_mcp.simulator.listing import (
    HistoryIndex,
    ListingError,
    default_history_index,
    index_history,
    list_page,
)
from catena_mcp.simulator.store import OperationRef, PreparedCatalogue, default_catalogue, prepare_catalogue

TOKEN_PATH = "/realms/catena/protocol/openid-connect/token"  # noqa: S105 -- a path, not a secret
DEFAULT_CLIENT_ID = "catena-demo"
DEFAULT_CLIENT_SECRET = "demo-secret"  # noqa: S105 -- the simulator's published demo credential
DEFAULT_TOKEN_TTL_SECONDS = 3600.0

_ANY_METHOD = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_UUID = TypeAdapter(UUID)
LIST_PATH = "/v2/integrations/connections/resource-operations"
__all__ = ["OperationRef", "prepare_catalogue"]  # re-exported: callers know them from here


class SimulatorState:
    """Everything a running simulator knows; touched only from its event loop thread."""

    def __init__(
        self,
        catalogue: PreparedCatalogue,
        faults: FaultBook,
        *,
        client_id: str,
        client_secret: str,
        token_ttl_seconds: float,
        history: Sequence[Mapping[str, Any]] | None = None,
        now: datetime = HISTORY_END,
    ) -> None:
        self.catalogue = catalogue
        self._history = history
        self.now = now  # the clock behind the list endpoint's default window
        self.faults = faults
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_ttl_seconds = token_ttl_seconds
        self._tokens: dict[str, float] = {}  # access token -> monotonic expiry
        self._sleepers: set[anyio.CancelScope] = set()
        self.token_requests = 0
        self.operation_requests = 0
        self.list_requests = 0
        self.by_status: dict[int, int] = {}

    @cached_property
    def history(self) -> HistoryIndex:
        # Built on first use: indexing the generated week takes ~0.5 s, which most simulators never need.
        return default_history_index() if self._history is None else index_history(self._history)

    def issue_token(self) -> str:
        token = secrets.token_urlsafe(32)
        self._tokens[token] = time.monotonic() + self.token_ttl_seconds
        return token

    def token_problem(self, token: str) -> str | None:
        """Why a bearer token is refused, or None if it is good."""
        expiry = self._tokens.get(token)
        if expiry is None:
            return "Invalid token"
        if time.monotonic() >= expiry:
            del self._tokens[token]
            return "Token has expired"
        return None

    def revoke(self, token: str) -> None:
        self._tokens.pop(token, None)

    def set_fault(self, operation_id: str, fault: Mapping[str, Any]) -> None:
        self.faults.set(operation_id, parse_fault(fault))

    def set_token_fault(self, fault: Mapping[str, Any]) -> None:
        self.faults.set_token(parse_token_fault(fault))

    def stats(self) -> dict[str, Any]:
        return {
            "token_requests": self.token_requests,
            "operation_requests": self.operation_requests,
            "list_requests": self.list_requests,
            "by_status": {str(status): n for status, n in sorted(self.by_status.items())},
        }

    def reset(self) -> None:
        """Built-in faults back, counters to zero. Tokens stay valid so connected clients carry on."""
        self.faults.reset()
        self.token_requests = self.operation_requests = self.list_requests = 0
        self.by_status.clear()

    async def pause(self, seconds: float, request: Request) -> None:
        """Hold a request for `seconds`, but no longer than the client waits or the simulator runs."""
        with anyio.move_on_after(seconds) as scope:
            self._sleepers.add(scope)
            try:
                # Once the request is read, the next message is the disconnect when the client gives up.
                while (await request.receive())["type"] != "http.disconnect":
                    pass
            finally:
                self._sleepers.discard(scope)

    def wake_sleepers(self) -> None:
        for scope in list(self._sleepers):
            scope.cancel()


def catena_error(status: int, detail: Any = None, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """Catena's error body: `{code, message, detail}`, except 500 whose schema has only `message`."""
    if status == 500:
        return JSONResponse({"message": "Internal Server Error"}, 500, headers)
    message = "Invalid Request Body" if status == 422 else HTTPStatus(status).phrase
    return JSONResponse({"code": status, "message": message, "detail": detail}, status, headers)


def _keycloak_error(
    status: int, error: str, description: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status, headers)


_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}

# Detail strings for status faults: plausible Catena wording, overridable per fault.
_FAULT_DETAILS = {
    400: "Invalid request",
    401: "Invalid token",
    403: "Missing scope resource_operation:read",
    404: "Resource operation not found",
    405: "Method Not Allowed",
    409: "Resource operation was modified concurrently",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Upstream request timed out",
}

_NOT_JSON = (
    b"<!DOCTYPE html>\n<html>\n<head><title>Maintenance</title></head>\n"
    b"<body><h1>We'll be back soon</h1></body>\n</html>\n"
)


def _fault_response(fault: Fault, operation_id: str, token: str, state: SimulatorState) -> Response | None:
    if fault.status is not None:
        return catena_error(fault.status, fault.detail or _FAULT_DETAILS.get(fault.status))
    if fault.rate_limit is not None:
        limit = fault.rate_limit
        seconds = math.ceil(limit.retry_after)
        detail = (
            {
                "retry_after_seconds": seconds,
                "message": f"Rate limit exceeded. Retry after {seconds} seconds.",
            }
            if limit.body
            else None
        )
        # The header keeps the exact value: TSPs in the wild send fractional seconds such as `0.40235`.
        headers = {"Retry-After": format(limit.retry_after, "g")} if limit.header else None
        return catena_error(429, detail, headers)
    if fault.malformed == "not-json":
        return Response(_NOT_JSON, 200, media_type="text/html")
    if fault.malformed == "wrong-shape":
        return JSONResponse({"id": operation_id, "status": "failed"})
    if fault.expire_token is not None:
        state.revoke(token)
        return catena_error(401, "Token has expired", _UNAUTHORIZED_HEADERS)
    stored = state.catalogue.bodies.get(operation_id)
    if fault.body is not None and stored is not None:
        return hostile_response(fault.body, stored.body)
    return None  # latency only, or a hostile body for an operation that does not exist


def _client_credentials(request: Request, form: Mapping[str, list[str]]) -> tuple[str | None, str | None]:
    """HTTP Basic wins over form fields, as RFC 6749 allows a client only one way to authenticate."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            client_id, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        # RFC 6749 §2.3.1: both halves are form-encoded before being joined.
        return unquote_plus(client_id), unquote_plus(secret)
    return _first(form, "client_id"), _first(form, "client_secret")


def _first(form: Mapping[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


class _Endpoints:
    def __init__(self, state: SimulatorState) -> None:
        self.state = state

    async def token(self, request: Request) -> Response:
        state = self.state
        state.token_requests += 1
        fault = state.faults.take_token()
        if fault is not None:
            if fault.latency_seconds:
                await request.body()  # read first: once held, the only message left is the disconnect
                await state.pause(fault.latency_seconds, request)
            if fault.reply is not None:
                return token_reply(fault.reply)
        if request.method != "POST":
            return _keycloak_error(405, "invalid_request", "HTTP method not allowed", {"Allow": "POST"})
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/x-www-form-urlencoded":
            return _keycloak_error(
                400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"
            )
        try:
            form = parse_qs((await request.body()).decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return _keycloak_error(400, "invalid_request", "Request body is not valid UTF-8")
        grant_type = _first(form, "grant_type")
        if grant_type is None:
            return _keycloak_error(400, "invalid_request", "Missing form parameter: grant_type")
        if grant_type != "client_credentials":
            return _keycloak_error(400, "unsupported_grant_type", "Unsupported grant_type")
        if _client_credentials(request, form) != (state.client_id, state.client_secret):
            return _keycloak_error(401, "invalid_client", "Invalid client or Invalid client credentials")
        scope = _first(form, "scope") or ""
        if scope.split() != ["organization"]:
            return _keycloak_error(400, "invalid_scope", f"Invalid scopes: {scope}")
        body = {
            "access_token": state.issue_token(),
            "expires_in": math.ceil(state.token_ttl_seconds),
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": "organization",
        }
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    async def operation(self, request: Request) -> Response:
        state = self.state
        state.operation_requests += 1
        # FastAPI's order: method, then security dependencies, then path validation.
        token = self._authenticated(request)
        if isinstance(token, Response):
            return token
        ids: dict[str, str] = {}
        errors: list[dict[str, str]] = []
        for name in ("connection_id", "resource_operation_id"):
            raw = request.path_params[name]
            try:
                ids[name] = str(_UUID.validate_python(raw))
            except ValidationError as exc:
                error = exc.errors()[0]
                errors.append(
                    {
                        "path": f"path.{name}",
                        "input": raw,
                        "message": error["msg"],
                        "error_type": error["type"],
                    }
                )
        if errors:
            return catena_error(422, errors)
        connection_id, operation_id = ids["connection_id"], ids["resource_operation_id"]
        if connection_id == FORBIDDEN_CONNECTION_ID:
            return catena_error(403, "Missing scope resource_operation:read")

        response = await self._faulted(operation_id, token, request)
        if response is not None:
            return response
        stored = state.catalogue.bodies.get(operation_id) or state.history.bodies.get(operation_id)
        if stored is None or stored.connection_id != connection_id:
            return catena_error(404, "Resource operation not found")
        return Response(stored.body, media_type="application/json")

    async def list_operations(self, request: Request) -> Response:
        self.state.list_requests += 1
        token = self._authenticated(request)
        if isinstance(token, Response):
            return token
        response = await self._faulted(LIST_FAULT_ID, token, request)
        if response is not None:
            return response
        try:
            page = list_page(self.state.history, request.query_params.multi_items(), self.state.now)
        except ListingError as exc:
            return catena_error(exc.status, exc.detail)
        return Response(page, media_type="application/json")

    def _authenticated(self, request: Request) -> str | Response:
        """The bearer token, or the answer refusing the request (FastAPI's order: method, then security)."""
        if request.method != "GET":
            return catena_error(405, f"Method {request.method} not allowed", {"Allow": "GET"})
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if not scheme:
            return catena_error(401, "Not authenticated", _UNAUTHORIZED_HEADERS)
        if scheme.lower() != "bearer" or not token:
            return catena_error(401, "Invalid authentication credentials", _UNAUTHORIZED_HEADERS)
        problem = self.state.token_problem(token)
        return token if problem is None else catena_error(401, problem, _UNAUTHORIZED_HEADERS)

    async def _faulted(self, fault_id: str, token: str, request: Request) -> Response | None:
        fault = self.state.faults.take(fault_id)
        if fault is None:
            return None
        if fault.latency_seconds:
            await self.state.pause(fault.latency_seconds, request)
        return _fault_response(fault, fault_id, token, self.state)

    async def set_fault(self, request: Request) -> Response:
        try:
            payload = await request.json()
        except ValueError:
            payload = None
        if not (
            isinstance(payload, dict)
            and payload.keys() == {"operation_id", "fault"}
            and isinstance(payload["operation_id"], str)
            and isinstance(payload["fault"], dict)
        ):
            return catena_error(400, 'Expected JSON {"operation_id": "<uuid>" or "token", "fault": {...}}')
        try:
            if payload["operation_id"] == "token":
                self.state.set_token_fault(payload["fault"])
            else:
                self.state.set_fault(payload["operation_id"], payload["fault"])
        except FaultError as exc:
            return catena_error(400, str(exc))
        return await self.faults(request)

    # The control endpoints are async although they never await: Starlette would run sync endpoints in a
    # worker thread, and the state must only be touched from the event loop.
    async def faults(self, _request: Request) -> Response:
        return JSONResponse({"faults": self.state.faults.snapshot()})

    async def clear_faults(self, request: Request) -> Response:
        self.state.faults.clear()
        return await self.faults(request)

    async def stats(self, _request: Request) -> Response:
        return JSONResponse(self.state.stats())

    async def reset(self, request: Request) -> Response:
        self.state.reset()
        return await self.stats(request)

    async def operations(self, _request: Request) -> Response:
        refs = self.state.catalogue.refs
        return JSONResponse({key: ref._asdict() for key, ref in sorted(refs.items())})


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return catena_error(exc.status_code, exc.detail, exc.headers)


async def _server_error(_request: Request, _exc: Exception) -> Response:
    return catena_error(500)


def create_app(
    catalogue: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    token_ttl_seconds: float = DEFAULT_TOKEN_TTL_SECONDS,
    default_faults: bool = True,
    history: Sequence[Mapping[str, Any]] | None = None,
    now: datetime = HISTORY_END,
) -> Starlette:
    """The simulator app. `catalogue` maps keys to raw operation JSON; by default the shipped corpus.

    `default_faults` adds the built-in fault operations (see `simulator.faults.FAULT_OPERATIONS`).
    `history` is what the list endpoint lists (raw operation JSON, also served one by one); by default the
    generated week of `simulator.history`. `now` is the clock behind the list's default window.
    """
    if token_ttl_seconds <= 0:
        raise ValueError("token_ttl_seconds must be positive")
    if catalogue is None:
        prepared = default_catalogue(default_faults)
    else:
        prepared = prepare_catalogue(catalogue, with_fault_operations=default_faults)
    defaults = {op.operation_id: op.fault for op in FAULT_OPERATIONS} if default_faults else {}
    state = SimulatorState(
        prepared,
        FaultBook(defaults),
        client_id=client_id,
        client_secret=client_secret,
        token_ttl_seconds=token_ttl_seconds,
        history=history,
        now=now,
    )
    endpoints = _Endpoints(state)
    app = Starlette(
        routes=[
            Route(TOKEN_PATH, endpoints.token, methods=_ANY_METHOD),
            Route(LIST_PATH, endpoints.list_operations, methods=_ANY_METHOD),
            Route(
                "/v2/integrations/connections/{connection_id}/resource-operations/{resource_operation_id}",
                endpoints.operation,
                methods=_ANY_METHOD,
            ),
            Route("/_sim/faults", endpoints.faults, methods=["GET"]),
            Route("/_sim/faults", endpoints.set_fault, methods=["POST"]),
            Route("/_sim/faults", endpoints.clear_faults, methods=["DELETE"]),
            Route("/_sim/stats", endpoints.stats, methods=["GET"]),
            Route("/_sim/reset", endpoints.reset, methods=["POST"]),
            Route("/_sim/operations", endpoints.operations, methods=["GET"]),
        ],
        middleware=[Middleware(CountStatuses, counts=state.by_status)],
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
        # Nothing here legitimately takes a large body; refuse before buffering one.
        max_body_size=64 * 1024,
    )
    app.state.simulator = state
    return app


def simulator_state(app: Starlette) -> SimulatorState:
    state = app.state.simulator
    assert isinstance(state, SimulatorState)
    return state
