"""A week of generated resource operations for the list endpoint, with failure patterns planted in it.

Deterministic: every "random" choice is a hash of the operation's coordinates (no RNG state, so the same
operations come out on any Python version), and every timestamp hangs off `HISTORY_START`. The simulator's
clock for the list endpoint's defaults stands at `HISTORY_END`, so "the last 24 hours" is the last day here.

Background: most writes succeed first time, some after a transient timeout or 503, a few fail on a TSP 500,
and the last minutes hold in-flight pending writes. Planted on top (see `PLANTED`):
- a throttling burst: Samsara 429s for acme-freight during a bulk sync on 19 November, 08:00-10:30;
- a validation rule: Motive rejects driver (`user`) creates without a licence number, all week;
- revoked credentials: every Geotab write for acme-freight fails `auth` from 20 November 06:00;
- stuck pending: Zonar writes for bluewater-haulage stay pending, never attempted, from 20 November 09:00.
"""

import hashlib
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

HISTORY_START = datetime(2026, 11, 14, tzinfo=UTC)
HISTORY_END = datetime(2026, 11, 21, tzinfo=UTC)
PARTNER_ID = "3c9e7b1a-5d2f-4e8a-b6c4-0f1e2d3c4b5a"
_NAMESPACE = uuid.UUID("6f1d3c2a-8b4e-4f7a-9c5d-0e2b4a6c8d1f")

THROTTLING = (datetime(2026, 11, 19, 8, tzinfo=UTC), datetime(2026, 11, 19, 10, 30, tzinfo=UTC))
REVOKED_FROM = datetime(2026, 11, 20, 6, tzinfo=UTC)
STUCK_FROM = datetime(2026, 11, 20, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Connection:
    connection_id: str
    fleet_ref: str
    source_name: str
    per_hour: float  # average writes per hour, before the day/night swing


CONNECTIONS = (
    Connection("1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c01", "acme-freight", "samsara", 9.0),
    Connection("1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c02", "northwind-logistics", "motive", 5.0),
    Connection("1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c03", "acme-freight", "geotab", 4.0),
    Connection("1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c04", "bluewater-haulage", "zonar", 3.0),
    Connection("1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c05", "northwind-logistics", "samsara", 3.0),
)
SAMSARA_ACME, MOTIVE_NORTHWIND, GEOTAB_ACME, ZONAR_BLUEWATER, _ = CONNECTIONS

PLANTED = {
    "throttling": "Samsara (acme-freight): 429s during a bulk vehicle sync, 19 Nov 08:00-10:30 UTC",
    "validation": "Motive (northwind-logistics): user creates without a licence number fail validation",
    "revoked": "Geotab (acme-freight): every write fails auth from 20 Nov 06:00 UTC",
    "stuck": "Zonar (bluewater-haulage): writes stay pending with no attempt from 20 Nov 09:00 UTC",
}

# Resource mix, as cumulative shares.
_RESOURCES = (
    ("vehicle", 0.40),
    ("user", 0.65),
    ("message", 0.80),
    ("trailer", 0.90),
    ("fuel_transaction", 1.0),
)
_Kind = tuple[str, int | None, str]  # error_type, response_status_code, error_details
_TIMEOUT: _Kind = ("network", None, "ReadTimeout: no response from the TSP within 30 s")
_UNAVAILABLE: _Kind = ("tsp", 503, "503 Service Unavailable")
_SERVER_ERROR: _Kind = ("tsp", 500, "500 Internal Server Error")
_THROTTLED: _Kind = ("tsp", 429, '{"message": "Rate limit exceeded: 150 requests per 10 seconds"}')
_REVOKED: _Kind = ("auth", 401, "401 Unauthorized: invalid_grant: the user's session was revoked")
_NO_LICENCE: _Kind = (
    "validation",
    422,
    '{"error_type": "validation_error", "message": "license_number can\'t be blank"}',
)


def _unit(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) for these coordinates."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NAMESPACE, repr(parts)))


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _writes_in_hour(connection: Connection, hour: datetime) -> int:
    # Trucking runs by day (US daytime): 1.8 times the average at 15:00 UTC, a fifth of it at 03:00.
    expected = connection.per_hour * (1 + 0.8 * math.cos((hour.hour - 15) * math.pi / 12))
    if connection is SAMSARA_ACME and THROTTLING[0] <= hour < THROTTLING[1]:
        expected *= 5  # the bulk sync that trips Samsara's rate limit
    whole = int(expected)
    return whole + (_unit("extra", connection.connection_id, hour) < expected - whole)


def _payload(resource: str, n: int, licensed: bool) -> dict[str, Any]:
    match resource:
        case "vehicle":
            return {"name": f"Truck {n % 900 + 100}", "vin": f"1FUJGLDR{n % 10**9:09d}", "year": 2019}
        case "user":
            driver: dict[str, Any] = {"first_name": "Sam", "last_name": f"Driver {n % 500}"}
            if licensed:
                driver["license_number"] = f"D{n % 10**7:07d}"
            return driver
        case "message":
            return {"body": "Please confirm your next pickup", "recipient": f"driver-{n % 500}"}
        case "trailer":
            return {"name": f"Trailer {n % 400 + 1}", "license_plate": f"TR{n % 10**5:05d}"}
        case _:
            return {"gallons": round(40 + 80 * _unit("gallons", n), 1), "fuel_type": "diesel"}


class _Builder:
    """Builds one operation: attempts appended in order, then the outcome."""

    def __init__(self, connection: Connection, created: datetime, n: int) -> None:
        self.connection = connection
        self.created = created
        self.n = n
        self.op_id = _id("op", connection.connection_id, n)
        self.at = created
        self.logs: list[dict[str, Any]] = []

    def attempt(self, kind: _Kind | None, headers: dict[str, str], after_seconds: float) -> None:
        self.at += timedelta(seconds=after_seconds)
        request_id = f"{self.connection.source_name[:3]}-{self.n:05d}-{len(self.logs) + 1}"
        error_type, status_code, details = kind if kind is not None else (None, 200, None)
        self.logs.append(
            {
                "id": _id("log", self.op_id, len(self.logs)),
                "created_at": _stamp(self.at),
                "updated_at": _stamp(self.at),
                "resource_operation_id": self.op_id,
                "status": "failed" if kind is not None else "success",
                "error_type": error_type,
                "error_details": details,
                "response_status_code": status_code,
                "response_headers": {"X-Request-Id": request_id, **headers},
            }
        )

    def build(self, resource: str, operation_type: str, status: str, licensed: bool) -> dict[str, Any]:
        succeeded = status == "success"
        return {
            "id": self.op_id,
            "created_at": _stamp(self.created),
            "updated_at": _stamp(self.at),
            "partner_id": PARTNER_ID,
            "connection_id": self.connection.connection_id,
            "fleet_ref": self.connection.fleet_ref,
            "source_name": self.connection.source_name,
            "resource": resource,
            "resource_id": _id("resource", self.op_id) if succeeded else None,
            "source_id": self._source_id(resource) if succeeded else None,
            "operation_type": operation_type,
            "status": status,
            "payload": _payload(resource, self.n, licensed),
            "logs": self.logs,
        }

    def _source_id(self, resource: str) -> str:
        # The TSP's ID for the record: a fleet's few hundred records are written again and again.
        return str(int(_unit("source", self.connection.connection_id, resource, self.n % 150) * 1e15))


def _throttled_headers(at: datetime) -> dict[str, str]:
    return {
        "Retry-After": "1",
        "X-RateLimit-Limit": "150",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(at.timestamp()) + 10),
    }


def _operation(connection: Connection, created: datetime, n: int) -> dict[str, Any]:
    op = _Builder(connection, created, n)
    roll = _unit("roll", op.op_id)
    resource = next(name for name, share in _RESOURCES if _unit("resource", op.op_id) < share)
    operation_type = "create" if _unit("type", op.op_id) < 0.35 else "update"
    licensed = _unit("licence", op.op_id) < 0.4
    status = "success"
    if connection is ZONAR_BLUEWATER and created >= STUCK_FROM:
        status = "pending"  # Catena's queue for this connection stalled: never attempted
    elif HISTORY_END - created < timedelta(minutes=4):
        status = "pending"  # in flight when the clock stops
    elif connection is GEOTAB_ACME and created >= REVOKED_FROM:
        op.attempt(_REVOKED, {}, 2)
        status = "failed"
    elif connection is MOTIVE_NORTHWIND and (resource, operation_type, licensed) == ("user", "create", False):
        op.attempt(_NO_LICENCE, {}, 2)
        status = "failed"
    elif connection is SAMSARA_ACME and THROTTLING[0] <= created < THROTTLING[1]:
        attempts = 3 if roll < 0.7 else 1 + int(roll * 10) % 2
        for attempt in range(attempts):
            delay = 2 if attempt == 0 else 30 * attempt
            op.attempt(_THROTTLED, _throttled_headers(op.at + timedelta(seconds=delay)), delay)
        if roll >= 0.7:
            op.attempt(None, {}, 15)
        else:
            status = "failed"
    elif roll < 0.012:
        for attempt in range(3):
            op.attempt(_SERVER_ERROR, {}, 2 if attempt == 0 else 60 * attempt)
        status = "failed"
    elif roll < 0.07:
        op.attempt(_TIMEOUT if roll < 0.04 else _UNAVAILABLE, {}, 2)
        op.attempt(None, {}, 30)
    else:
        op.attempt(None, {}, 1 + 3 * _unit("latency", op.op_id))
    return op.build(resource, operation_type, status, licensed)


def _operations() -> Iterator[dict[str, Any]]:
    for connection in CONNECTIONS:
        n = 0
        hour = HISTORY_START
        while hour < HISTORY_END:
            count = _writes_in_hour(connection, hour)
            for k in range(count):
                offset = (k + _unit("offset", connection.connection_id, hour, k)) * 3600 / count
                yield _operation(connection, hour + timedelta(seconds=int(offset)), n)
                n += 1
            hour += timedelta(hours=1)


@cache
def generate_history() -> tuple[dict[str, Any], ...]:
    """Every generated operation, oldest first. Cached: treat the dicts as read-only."""
    return tuple(sorted(_operations(), key=lambda op: (op["created_at"], op["id"])))
