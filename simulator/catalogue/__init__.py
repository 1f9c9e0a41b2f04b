"""Realistic resource operations in Catena's exact wire format (ResourceOperationRead, snake_case).

Shared by the simulator and the diagnosis tests. Each `<key>.json` beside this file is one operation;
the large ones are generated here instead, deterministically (fixed timestamps and IDs, no randomness),
so the repository does not carry megabytes of JSON. Stdlib only: the simulator imports this at start-up.
"""

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent
_PARTNER_ID = "3c9e7b1a-5d2f-4e8a-b6c4-0f1e2d3c4b5a"
_CONNECTION_ID = "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f"
_Kind = tuple[str, int | None, str]  # error_type, response_status_code, error_details


@cache
def load_catalogue() -> dict[str, dict[str, Any]]:
    """Catalogue key (file stem) -> raw operation JSON. Cached: treat the dicts as read-only."""
    catalogue = {path.stem: json.loads(path.read_text("utf-8")) for path in sorted(_HERE.glob("*.json"))}
    catalogue["thousands_of_logs"] = thousands_of_logs()
    catalogue["many_failure_kinds"] = many_failure_kinds()
    catalogue["one_request_id_many_attempts"] = one_request_id_many_attempts()
    return catalogue


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _operation(
    op_id: str, created: datetime, updated: datetime, logs: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": op_id,
        "created_at": _stamp(created),
        "updated_at": _stamp(updated),
        "partner_id": _PARTNER_ID,
        "connection_id": _CONNECTION_ID,
        "fleet_ref": "acme-freight",
        "source_name": "samsara",
        "resource": "vehicle",
        "resource_id": None,
        "source_id": None,
        "operation_type": "create",
        "status": "failed",
        "payload": {
            "name": "Truck 2207",
            "vin": "3AKJGLDR8HSHT5512",
            "license_plate": "9KLM204",
            "year": 2017,
        },
        "logs": logs,
    }


def _log(op_id: str, n: int, at: datetime, kind: _Kind, headers: dict[str, str] | None) -> dict[str, Any]:
    error_type, status_code, details = kind
    return {
        "id": f"{op_id[:24]}{n:012x}",
        "created_at": _stamp(at),
        "updated_at": _stamp(at),
        "resource_operation_id": op_id,
        "status": "failed",
        "error_type": error_type,
        "error_details": details,
        "response_status_code": status_code,
        "response_headers": headers,
    }


_AUTH: _Kind = ("auth", 401, "401 Unauthorized: OAuth token revoked by the fleet administrator")
_OUTAGE: _Kind = (
    "tsp",
    503,
    "503 Service Unavailable: the server is temporarily unable to handle the request",
)
_GATEWAY: _Kind = ("tsp", 502, "502 Bad Gateway: upstream connect error or disconnect/reset before headers")
_THROTTLED: _Kind = ("tsp", 429, '{"message": "Rate limit exceeded. Retry later.", "requestId": "throttled"}')
_TIMEOUT: _Kind = ("network", None, "ReadTimeout: no response from api.samsara.com within 30 s")
_INVALID: _Kind = ("validation", 422, "422: invalid vin '3AKJGLDR8HSHT551': VIN must be 17 characters")


def thousands_of_logs() -> dict[str, Any]:
    """5000 failed attempts, 30 s apart: auth, then a mix of outages/throttling/timeouts, then validation."""
    op_id = "5f0c3a1e-9b2d-4c7e-8a41-0d6e2b7c9f13"
    start = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    logs = []
    kind: _Kind
    headers: dict[str, str] | None
    for n in range(5000):
        at = start + timedelta(seconds=30 * n)
        request_id = {"X-Request-Id": f"sam-{n:05d}-{(n * 7919) % 65536:04x}"}
        if n < 1200:
            kind, headers = _AUTH, request_id
        elif n < 4200:
            kind, headers = _mixed(n, at, request_id)
        elif n % 7 == 0:
            kind, headers = _THROTTLED, {**request_id, "Retry-After": "2"}
        else:
            kind, headers = _INVALID, request_id
        logs.append(_log(op_id, n, at, kind, headers))
    return _operation(op_id, start - timedelta(seconds=1), start + timedelta(seconds=30 * 4999 + 1), logs)


def _mixed(n: int, at: datetime, request_id: dict[str, str]) -> tuple[_Kind, dict[str, str] | None]:
    """The middle stretch: a fixed 10-attempt cycle of outages, timeouts and two styles of throttling."""
    slot = n % 10
    if slot < 4:
        return _OUTAGE, {**request_id, "Retry-After": "120"}
    if slot < 6:
        return _TIMEOUT, None
    if slot < 8:
        reset = str(int(at.timestamp()) + 60)
        return _THROTTLED, {
            **request_id,
            "X-RateLimit-Limit": "100",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset,
        }
    if slot == 8:
        return _GATEWAY, request_id
    return _THROTTLED, {
        **request_id,
        "RateLimit": '"default";r=0;t=30',
        "RateLimit-Policy": '"default";q=100;w=60',
    }


def many_failure_kinds() -> dict[str, Any]:
    """40 distinct (error_type, status) kinds with long details: exercises every cap of the diagnosis."""
    op_id = "a83e51d7-2c4f-4b96-9e0d-7f1a3c5e8b20"
    start = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    types = ("tsp", "validation", "auth", "network", "quota")
    logs = []
    for n in range(80):
        kind_no = n % 40
        kind = (
            types[kind_no % 5],
            400 + kind_no,
            f"failure kind {kind_no}: " + "the TSP explains at length. " * 20,
        )
        headers = {
            "X-Request-Id": f"req-{n:03d}",
            "X-Correlation-Id": f"corr-{n:03d}",
            "Retry-After": str(60 + n),
        }
        logs.append(_log(op_id, n, start + timedelta(minutes=3 * n), kind, headers))
    return _operation(op_id, start, start + timedelta(minutes=240), logs)


def one_request_id_many_attempts() -> dict[str, Any]:
    """Still pending after 1,669 attempts: 1,666 throttled ones carry one request ID (a gateway's) and all
    ask 30 s; two timeouts before them, one outage after."""
    op_id = "7246b7fc-5f6c-4505-a6ef-81047b7583c8"
    start = datetime(2026, 11, 19, 21, 0, tzinfo=UTC)
    throttled: _Kind = ("tsp", 429, "429 Too Many Requests: fleet quota exceeded")
    outage: _Kind = ("tsp", 503, "503 Service Unavailable")
    timeout: _Kind = ("network", None, "ReadTimeout: no response from api.gomotive.com within 30 s")
    logs = [_log(op_id, n, start + timedelta(seconds=20 * n), timeout, None) for n in range(2)]
    gateway = {"X-Request-Id": "gw-throttle-5d1e", "Retry-After": "30"}
    logs += [_log(op_id, n, start + timedelta(seconds=20 * n), throttled, gateway) for n in range(2, 1668)]
    last = {"X-Request-Id": "mtv-9c07b2", "Retry-After": "120"}
    logs.append(_log(op_id, 1668, start + timedelta(seconds=20 * 1668), outage, last))
    operation = _operation(
        op_id, start - timedelta(seconds=2), start + timedelta(seconds=20 * 1668 + 1), logs
    )
    return {**operation, "source_name": "motive", "status": "pending"}
