"""Fault injection: what a fault is, which faults are active, and the built-in fault operations.

A fault is keyed by resource operation ID and applies to requests that got past authentication, UUID
validation and the forbidden connection, so it can model anything Catena or a proxy in front of it might do
to one request. `times` counts the requests a fault affects; when it runs out the fault disappears and the
operation answers normally again, which is how "fails twice, then succeeds" is expressed; `after` lets that
many requests through first, which is how "the third page answers 429" is expressed.

Two reserved IDs widen a fault's reach: one set on `LIST_FAULT_ID` applies to the list endpoint (every page
request), one set on `EVERY_OPERATION_FAULT_ID` to every operation request without a fault of its own (so a
latency-only fault there models a slower Catena).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    model_validator,
)

# Fault operations live on their own connection so they can never shadow a catalogue operation.
FAULT_CONNECTION_ID = "00000000-0000-4000-8000-00000000fa17"
# Every operation on this connection answers 403, the way a client without the read scope is refused.
FORBIDDEN_CONNECTION_ID = "00000000-0000-4000-8000-000000000403"

LIST_FAULT_ID = "00000000-0000-4000-8000-000000001157"
EVERY_OPERATION_FAULT_ID = "00000000-0000-4000-8000-0000000000a1"

# 422 comes from bad UUIDs and 429 from `rate_limit`, each with its own body; the rest share Catena's shape.
FaultStatus = Literal[400, 401, 403, 404, 405, 409, 500, 502, 503, 504]
# A 200 whose body distrusts nothing: see `simulator.hostile` for what each one sends.
HostileBody = Literal["huge", "gzip-bomb", "endless", "drip", "cut-short", "huge-fields", "invisible-text"]
# An odd reply of the token endpoint: see `simulator.hostile.token_reply`.
OddTokenReply = Literal["deep-nesting", "infinite-expiry", "crlf-token", "no-token", "text-expiry"]


class FaultError(ValueError):
    """A fault specification the simulator cannot honour."""


class _Spec(BaseModel):
    # Strict and closed: a typo in a test's fault must fail loudly rather than silently inject nothing.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_S = TypeVar("_S", bound=_Spec)


class RateLimit(_Spec):
    retry_after: float = Field(ge=0, le=3600)
    times: PositiveInt | None = None
    header: bool = True
    body: bool = True


class ExpireToken(_Spec):
    times: PositiveInt = 1


class Fault(_Spec):
    """One fault: an optional delay, then at most one effect.

    With no `times` anywhere a fault lasts until cleared, except `expire_token`, which is a one-off unless
    told otherwise (a token that expires on every request is an outage, not an expiry).
    """

    latency_seconds: float = Field(default=0.0, ge=0, le=3600)
    status: FaultStatus | None = None
    detail: str | None = None
    rate_limit: RateLimit | None = None
    malformed: Literal["not-json", "wrong-shape"] | None = None
    expire_token: ExpireToken | None = None
    body: HostileBody | None = None
    times: PositiveInt | None = None
    after: NonNegativeInt = 0

    @model_validator(mode="after")
    def _one_effect(self) -> Self:
        effects = [self.status, self.rate_limit, self.malformed, self.expire_token, self.body]
        chosen = sum(effect is not None for effect in effects)
        if chosen > 1:
            raise ValueError("choose at most one of status, rate_limit, malformed, expire_token, body")
        if chosen == 0 and self.latency_seconds == 0:
            raise ValueError(
                "a fault needs latency_seconds or one of status, rate_limit, malformed, expire_token, body"
            )
        if self.detail is not None and self.status in (None, 500):
            raise ValueError(
                "detail only applies to a status fault other than 500 (whose body has no detail)"
            )
        nested = self.rate_limit if self.rate_limit is not None else self.expire_token
        if self.times is not None and nested is not None and "times" in nested.model_fields_set:
            raise ValueError("give times once, either at the top level or inside the fault")
        return self

    @property
    def initial_times(self) -> int | None:
        if self.times is not None:
            return self.times
        if self.rate_limit is not None:
            return self.rate_limit.times
        if self.expire_token is not None:
            return self.expire_token.times
        return None


class TokenFault(_Spec):
    """What the token endpoint does instead of issuing a token: hold the request, or answer oddly, or both."""

    latency_seconds: float = Field(default=0.0, ge=0, le=3600)
    reply: OddTokenReply | None = None
    times: PositiveInt | None = None

    @model_validator(mode="after")
    def _some_effect(self) -> Self:
        if self.reply is None and self.latency_seconds == 0:
            raise ValueError("a token fault needs latency_seconds or reply")
        return self


def parse_fault(spec: Mapping[str, Any]) -> Fault:
    return _parse(Fault, spec)


def parse_token_fault(spec: Mapping[str, Any]) -> TokenFault:
    return _parse(TokenFault, spec)


def _parse(model: type[_S], spec: Mapping[str, Any]) -> _S:
    try:
        return model.model_validate(spec)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc'])) or 'fault'}: {error['msg']}" for error in exc.errors()
        )
        raise FaultError(problems) from None


def canonical_uuid(value: str) -> str:
    try:
        return str(UUID(value))
    except (TypeError, ValueError):
        raise FaultError(f"operation_id must be a UUID, got {value!r}") from None


@dataclass
class _Active:
    fault: Fault
    remaining: int | None
    skip: int

    @classmethod
    def of(cls, fault: Fault) -> "_Active":
        return cls(fault, fault.initial_times, fault.after)


class FaultBook:
    """The active faults. Only ever touched from the simulator's event loop thread, so it needs no lock."""

    def __init__(self, defaults: Mapping[str, Fault]) -> None:
        self._defaults = dict(defaults)
        self._active: dict[str, _Active] = {}
        self._token: tuple[TokenFault, int | None] | None = None
        self.reset()

    def set(self, operation_id: str, fault: Fault) -> None:
        self._active[canonical_uuid(operation_id)] = _Active.of(fault)

    def set_token(self, fault: TokenFault) -> None:
        self._token = (fault, fault.times)

    def clear(self) -> None:
        self._active.clear()
        self._token = None

    def reset(self) -> None:
        self._active = {op_id: _Active.of(fault) for op_id, fault in self._defaults.items()}
        self._token = None

    def take_token(self) -> TokenFault | None:
        """The fault for this token request, if any, counting the request against its `times`."""
        if self._token is None:
            return None
        fault, remaining = self._token
        self._token = None if remaining == 1 else (fault, None if remaining is None else remaining - 1)
        return fault

    def take(self, operation_id: str) -> Fault | None:
        """The fault for this request, if any, counting the request against its `after` and `times`."""
        active = self._active.get(operation_id)
        if active is None and operation_id != LIST_FAULT_ID:
            operation_id = EVERY_OPERATION_FAULT_ID
            active = self._active.get(operation_id)
        if active is None:
            return None
        if active.skip:
            active.skip -= 1
            return None
        if active.remaining is not None:
            active.remaining -= 1
            if active.remaining == 0:
                del self._active[operation_id]
        return active.fault

    def snapshot(self) -> dict[str, Any]:
        faults = {
            op_id: {"fault": active.fault.model_dump(exclude_defaults=True), "remaining": active.remaining}
            for op_id, active in sorted(self._active.items())
        }
        if self._token is not None:
            faults["token"] = {
                "fault": self._token[0].model_dump(exclude_defaults=True),
                "remaining": self._token[1],
            }
        return faults


@dataclass(frozen=True)
class FaultOperation:
    """A built-in operation whose every request meets a fault, so the demo needs no setup."""

    key: str
    operation_id: str
    description: str
    fault: Fault


def _op(key: str, suffix: str, description: str, **spec: Any) -> FaultOperation:
    return FaultOperation(key, f"00000000-0000-4000-8000-00000000{suffix}", description, parse_fault(spec))


FAULT_OPERATIONS: tuple[FaultOperation, ...] = (
    _op("fault-400", "f400", "Always 400 Bad Request.", status=400),
    _op("fault-409", "f409", "Always 409 Conflict.", status=409),
    _op("fault-500", "f500", "Always 500; the body has only `message`.", status=500),
    _op(
        "fault-503-twice",
        "f503",
        "503 on the first 2 requests after a reset, then success.",
        status=503,
        times=2,
    ),
    _op("fault-504", "f504", "Always 504 Gateway Timeout.", status=504),
    _op(
        "fault-429",
        "f429",
        "Always 429 with `Retry-After: 2` and a retry_after_seconds body.",
        rate_limit={"retry_after": 2},
    ),
    _op(
        "fault-429-bare",
        "f42b",
        "Always 429 with no Retry-After header and a null detail.",
        rate_limit={"retry_after": 2, "header": False, "body": False},
    ),
    _op("fault-hang", "f0a1", "Hangs 120 s: longer than any client timeout.", latency_seconds=120),
    _op("fault-slow", "f0a2", "Every request succeeds after 1.5 s.", latency_seconds=1.5),
    _op("fault-not-json", "f0a3", "200 with an HTML page instead of JSON.", malformed="not-json"),
    _op("fault-wrong-shape", "f0a4", "200 with JSON that lacks required fields.", malformed="wrong-shape"),
    _op(
        "fault-token-expired",
        "f0a5",
        "The first request after a reset answers 401 and revokes its token; then success.",
        expire_token={"times": 1},
    ),
)
