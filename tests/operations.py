"""Small hand-made operations in Catena's wire format, for the server tests."""

from typing import Any

from tests.fakes import CONNECTION_ID, OPERATION_ID

PARTNER_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


def log(
    n: int,
    status: str = "failed",
    *,
    error_type: str | None = None,
    code: int | None = None,
    details: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    return {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "created_at": f"2026-11-20T10:{n:02d}:00Z",
        "updated_at": f"2026-11-20T10:{n:02d}:00Z",
        "resource_operation_id": OPERATION_ID,
        "status": status,
        "error_type": error_type,
        "error_details": details,
        "response_status_code": code,
        "response_headers": headers,
    }


def operation(status: str, logs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": OPERATION_ID,
        "created_at": "2026-11-20T09:59:58Z",
        "updated_at": "2026-11-20T10:30:00Z",
        "partner_id": PARTNER_ID,
        "connection_id": CONNECTION_ID,
        "fleet_ref": "acme-logistics",
        "source_name": "samsara",
        "resource": "vehicle",
        "resource_id": None,
        "source_id": None,
        "operation_type": "update",
        "status": status,
        "payload": {"name": "Truck 42", "vin": "1FUJGLDR5CLBP8834"},
        "logs": logs,
    }
    body.update(extra)
    return body


SUCCEEDED_AFTER_RETRY = operation(
    "success",
    [
        log(
            1,
            error_type="tsp",
            code=429,
            details="Rate limit exceeded",
            headers={"Retry-After": "30", "X-Request-Id": "req-aa11"},
        ),
        log(2, "success", code=200, headers={"X-Request-Id": "req-bb22"}),
    ],
    resource_id="9d8c7b6a-5f4e-4d3c-8b2a-190817263544",
    source_id="281474977292042",
)

FAILED_BY_ERROR_TYPE = {
    "auth": operation(
        "failed",
        [log(1, error_type="auth", code=401, details="OAuth token revoked by the fleet admin")],
    ),
    "validation": operation(
        "failed",
        [log(1, error_type="validation", code=422, details="vin: must be 17 characters")],
    ),
    "network": operation(
        "pending",
        [log(1, error_type="network", details="Read timed out after 30 s")],
    ),
    "tsp": operation(
        "failed",
        [
            log(
                n,
                error_type="tsp",
                code=503,
                details="Service Unavailable",
                headers={"X-Correlation-Id": f"corr-{n}"},
            )
            for n in (1, 2, 3)
        ],
    ),
}
