"""The tool's surface and its successful answers, in-process against a fake Catena."""

import json
from collections.abc import Callable
from typing import Any

import anyio
import httpx
import pytest
from inline_snapshot import external_file, snapshot
from mcp import Client
from mcp.server import MCPServer

from catena_mcp.simulator.catalogue import load_catalogue
from tests.fakes import CLIENT_SECRET, FakeCatena, Sleeps, catena_error
from tests.operations import FAILED_BY_ERROR_TYPE, SUCCEEDED_AFTER_RETRY, log, operation
from tests.test_tool_errors import ARGS, call

pytestmark = pytest.mark.anyio

ServerFactory = Callable[..., MCPServer[Any]]


async def test_tool_surface(server_factory: ServerFactory) -> None:
    """Any change to what clients see of the tools shows up here as a diff (the whole tools/list)."""
    async with Client(server_factory(FakeCatena(SUCCEEDED_AFTER_RETRY))) as client:
        tools = (await client.list_tools()).tools
    surface = [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools]
    assert surface == external_file("golden/tools_list.json")
    # Clients validate every structured result against these: keep each small.
    sizes = {tool.name: len(json.dumps(tool.output_schema)) for tool in tools}
    assert sizes == snapshot(
        {
            "get_resource_operation": 5315,
            "triage_resource_operation_failures": 3884,
            "list_resource_operations": 1907,
        }
    )
    assert max(sizes.values()) < 6000


async def test_success_after_retry(server_factory: ServerFactory) -> None:
    assert await call(server_factory(FakeCatena(SUCCEEDED_AFTER_RETRY))) == snapshot(
        {
            "_meta": {
                "io.modelcontextprotocol/serverInfo": {
                    "name": "catena-mcp",
                    "title": "Catena resource operations",
                    "version": "0.1.0",
                }
            },
            "content": [
                {
                    "type": "text",
                    "text": """\
**Succeeded** after 2 attempts: update vehicle on samsara at 2026-11-20T10:02:00Z, after failures tsp (HTTP 429).

**TSP:** `samsara` · **Resource:** `vehicle` · **Operation:** `update` · **Status:** `success` · **Fleet ref:** `acme-logistics`  \n\
**Created:** 2026-11-20T09:59:58Z (undated times below: this day, UTC) · **Updated:** 10:30:00Z  \n\
**Resource ID:** `9d8c7b6a-5f4e-4d3c-8b2a-190817263544` · **Source ID (in the TSP):** `281474977292042`  \n\
**Attempts:** 2 (1 failed, 1 succeeded), 10:01:00Z → 10:02:00Z (1 min)  \n\
**Progression:** one failed attempt: tsp 429 ×1 → success ×1

**Failures by kind** (most recent first):
| Error type | HTTP | Count | Seen | Latest details |
|---|---|---|---|---|
| `tsp` | 429 | 1 | 10:01:00Z | `Rate limit exceeded` |

**Rate limits:**
- tsp 429 at 10:01:00Z: retry after 30 s, at 10:01:30Z (already passed) · raw: `retry-after: 30`

**Request IDs to quote:**
- `req-aa11`: attempt 1, 10:01:00Z, tsp 429

**Next steps:**
1. Nothing to do: Catena's automatic retries got the write through; look into the earlier failures only if they recur.\
""",
                }
            ],
            "structuredContent": {
                "operation": {
                    "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                    "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                    "created_at": "2026-11-20T09:59:58Z",
                    "updated_at": "2026-11-20T10:30:00Z",
                    "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                    "fleet_ref": "acme-logistics",
                    "source_name": "samsara",
                    "resource": "vehicle",
                    "resource_id": "9d8c7b6a-5f4e-4d3c-8b2a-190817263544",
                    "source_id": "281474977292042",
                    "operation_type": "update",
                    "status": "success",
                    "payload": {"name": "Truck 42", "vin": "1FUJGLDR5CLBP8834"},
                    "logs": [
                        {
                            "id": "00000000-0000-4000-8000-000000000001",
                            "created_at": "2026-11-20T10:01:00Z",
                            "updated_at": "2026-11-20T10:01:00Z",
                            "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "status": "failed",
                            "error_type": "tsp",
                            "error_details": "Rate limit exceeded",
                            "response_status_code": 429,
                            "response_headers": {"Retry-After": "30", "X-Request-Id": "req-aa11"},
                        },
                        {
                            "id": "00000000-0000-4000-8000-000000000002",
                            "created_at": "2026-11-20T10:02:00Z",
                            "updated_at": "2026-11-20T10:02:00Z",
                            "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "status": "success",
                            "error_type": None,
                            "error_details": None,
                            "response_status_code": 200,
                            "response_headers": {"X-Request-Id": "req-bb22"},
                        },
                    ],
                },
                "diagnosis": {
                    "verdict": "succeeded_after_retries",
                    "summary": "Succeeded after 2 attempts: update vehicle on samsara at 2026-11-20T10:02:00Z, after failures tsp (HTTP 429).",
                    "operation_status": "success",
                    "attempts": {
                        "total": 2,
                        "failed": 1,
                        "succeeded": 1,
                        "other": 0,
                        "first_at": "2026-11-20T10:01:00Z",
                        "last_at": "2026-11-20T10:02:00Z",
                        "span_seconds": 60.0,
                    },
                    "failure_groups": [
                        {
                            "error_type": "tsp",
                            "status_code": 429,
                            "count": 1,
                            "first_seen": "2026-11-20T10:01:00Z",
                            "last_seen": "2026-11-20T10:01:00Z",
                            "latest_log_id": "00000000-0000-4000-8000-000000000001",
                            "details_excerpt": "Rate limit exceeded",
                            "request_ids": [
                                {
                                    "header": "x-request-id",
                                    "value": "req-aa11",
                                    "log_id": "00000000-0000-4000-8000-000000000001",
                                    "attempt": 1,
                                    "at": "2026-11-20T10:01:00Z",
                                }
                            ],
                            "request_ids_omitted": 0,
                            "rate_limit": {
                                "log_id": "00000000-0000-4000-8000-000000000001",
                                "observed_at": "2026-11-20T10:01:00Z",
                                "limit": None,
                                "remaining": None,
                                "window_seconds": None,
                                "reset_at": None,
                                "retry_at": "2026-11-20T10:01:30Z",
                                "retry_after_seconds": 30.0,
                                "retry_at_passed": True,
                                "seconds_until_retry": 0.0,
                                "raw": {"retry-after": "30"},
                                "unparsed": [],
                            },
                        }
                    ],
                    "failure_groups_omitted": 0,
                    "progression": {
                        "kind": "single_failure",
                        "changes": 1,
                        "phases": [
                            {
                                "succeeded": False,
                                "error_type": "tsp",
                                "status_code": 429,
                                "count": 1,
                                "from_attempt": 1,
                                "to_attempt": 1,
                            },
                            {
                                "succeeded": True,
                                "error_type": None,
                                "status_code": None,
                                "count": 1,
                                "from_attempt": 2,
                                "to_attempt": 2,
                            },
                        ],
                        "phases_omitted": 0,
                    },
                    "rate_limit": {
                        "log_id": "00000000-0000-4000-8000-000000000001",
                        "observed_at": "2026-11-20T10:01:00Z",
                        "limit": None,
                        "remaining": None,
                        "window_seconds": None,
                        "reset_at": None,
                        "retry_at": "2026-11-20T10:01:30Z",
                        "retry_after_seconds": 30.0,
                        "retry_at_passed": True,
                        "seconds_until_retry": 0.0,
                        "raw": {"retry-after": "30"},
                        "unparsed": [],
                    },
                    "next_steps": [
                        "Nothing to do: Catena's automatic retries got the write through; look into the earlier failures only if they recur."
                    ],
                    "notes": [],
                },
                "logs_omitted": 0,
            },
            "isError": False,
            "resultType": "complete",
        }
    )


@pytest.mark.parametrize("error_type", ["auth", "validation", "network", "tsp"])
async def test_each_error_type(server_factory: ServerFactory, error_type: str) -> None:
    result = await call(server_factory(FakeCatena(FAILED_BY_ERROR_TYPE[error_type])))
    assert (
        result
        == snapshot(
            {
                "auth": {
                    "_meta": {
                        "io.modelcontextprotocol/serverInfo": {
                            "name": "catena-mcp",
                            "title": "Catena resource operations",
                            "version": "0.1.0",
                        }
                    },
                    "content": [
                        {
                            "type": "text",
                            "text": """\
**Failed** after 1 attempt: update vehicle on samsara; latest failure auth (HTTP 401) at 2026-11-20T10:01:00Z.

**TSP:** `samsara` · **Resource:** `vehicle` · **Operation:** `update` · **Status:** `failed` · **Fleet ref:** `acme-logistics`  \n\
**Created:** 2026-11-20T09:59:58Z (undated times below: this day, UTC) · **Updated:** 10:30:00Z  \n\
**Attempts:** 1 (1 failed), 10:01:00Z  \n\
**Progression:** one failed attempt: auth 401 ×1

**Failures by kind** (most recent first):
| Error type | HTTP | Count | Seen | Latest details |
|---|---|---|---|---|
| `auth` | 401 | 1 | 10:01:00Z | `OAuth token revoked by the fleet admin` |

**Next steps:**
1. The TSP rejected the connection's credentials: the fleet must re-authorize this connection with its TSP; every write fails until it does.
2. There is no retry endpoint: once the cause is fixed, issue the write again (a new operation). Catena never retries sync writes (is_sync=true).\
""",
                        }
                    ],
                    "structuredContent": {
                        "operation": {
                            "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                            "created_at": "2026-11-20T09:59:58Z",
                            "updated_at": "2026-11-20T10:30:00Z",
                            "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                            "fleet_ref": "acme-logistics",
                            "source_name": "samsara",
                            "resource": "vehicle",
                            "resource_id": None,
                            "source_id": None,
                            "operation_type": "update",
                            "status": "failed",
                            "payload": {"name": "Truck 42", "vin": "1FUJGLDR5CLBP8834"},
                            "logs": [
                                {
                                    "id": "00000000-0000-4000-8000-000000000001",
                                    "created_at": "2026-11-20T10:01:00Z",
                                    "updated_at": "2026-11-20T10:01:00Z",
                                    "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                                    "status": "failed",
                                    "error_type": "auth",
                                    "error_details": "OAuth token revoked by the fleet admin",
                                    "response_status_code": 401,
                                    "response_headers": None,
                                }
                            ],
                        },
                        "diagnosis": {
                            "verdict": "failed",
                            "summary": "Failed after 1 attempt: update vehicle on samsara; latest failure auth (HTTP 401) at 2026-11-20T10:01:00Z.",
                            "operation_status": "failed",
                            "attempts": {
                                "total": 1,
                                "failed": 1,
                                "succeeded": 0,
                                "other": 0,
                                "first_at": "2026-11-20T10:01:00Z",
                                "last_at": "2026-11-20T10:01:00Z",
                                "span_seconds": 0.0,
                            },
                            "failure_groups": [
                                {
                                    "error_type": "auth",
                                    "status_code": 401,
                                    "count": 1,
                                    "first_seen": "2026-11-20T10:01:00Z",
                                    "last_seen": "2026-11-20T10:01:00Z",
                                    "latest_log_id": "00000000-0000-4000-8000-000000000001",
                                    "details_excerpt": "OAuth token revoked by the fleet admin",
                                    "request_ids": [],
                                    "request_ids_omitted": 0,
                                    "rate_limit": None,
                                }
                            ],
                            "failure_groups_omitted": 0,
                            "progression": {
                                "kind": "single_failure",
                                "changes": 0,
                                "phases": [
                                    {
                                        "succeeded": False,
                                        "error_type": "auth",
                                        "status_code": 401,
                                        "count": 1,
                                        "from_attempt": 1,
                                        "to_attempt": 1,
                                    }
                                ],
                                "phases_omitted": 0,
                            },
                            "rate_limit": None,
                            "next_steps": [
                                "The TSP rejected the connection's credentials: the fleet must re-authorize this connection with its TSP; every write fails until it does.",
                                "There is no retry endpoint: once the cause is fixed, issue the write again (a new operation). Catena never retries sync writes (is_sync=true).",
                            ],
                            "notes": [],
                        },
                        "logs_omitted": 0,
                    },
                    "isError": False,
                    "resultType": "complete",
                },
                "validation": {
                    "_meta": {
                        "io.modelcontextprotocol/serverInfo": {
                            "name": "catena-mcp",
                            "title": "Catena resource operations",
                            "version": "0.1.0",
                        }
                    },
                    "content": [
                        {
                            "type": "text",
                            "text": """\
**Failed** after 1 attempt: update vehicle on samsara; latest failure validation (HTTP 422) at 2026-11-20T10:01:00Z.

**TSP:** `samsara` · **Resource:** `vehicle` · **Operation:** `update` · **Status:** `failed` · **Fleet ref:** `acme-logistics`  \n\
**Created:** 2026-11-20T09:59:58Z (undated times below: this day, UTC) · **Updated:** 10:30:00Z  \n\
**Attempts:** 1 (1 failed), 10:01:00Z  \n\
**Progression:** one failed attempt: validation 422 ×1

**Failures by kind** (most recent first):
| Error type | HTTP | Count | Seen | Latest details |
|---|---|---|---|---|
| `validation` | 422 | 1 | 10:01:00Z | `vin: must be 17 characters` |

**Next steps:**
1. The TSP rejected the payload: fix the fields named in the latest error details (rules differ per TSP), then issue the write again.
2. There is no retry endpoint: once the cause is fixed, issue the write again (a new operation). Catena never retries sync writes (is_sync=true).\
""",
                        }
                    ],
                    "structuredContent": {
                        "operation": {
                            "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                            "created_at": "2026-11-20T09:59:58Z",
                            "updated_at": "2026-11-20T10:30:00Z",
                            "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                            "fleet_ref": "acme-logistics",
                            "source_name": "samsara",
                            "resource": "vehicle",
                            "resource_id": None,
                            "source_id": None,
                            "operation_type": "update",
                            "status": "failed",
                            "payload": {"name": "Truck 42", "vin": "1FUJGLDR5CLBP8834"},
                            "logs": [
                                {
                                    "id": "00000000-0000-4000-8000-000000000001",
                                    "created_at": "2026-11-20T10:01:00Z",
                                    "updated_at": "2026-11-20T10:01:00Z",
                                    "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                                    "status": "failed",
                                    "error_type": "validation",
                                    "error_details": "vin: must be 17 characters",
                                    "response_status_code": 422,
                                    "response_headers": None,
                                }
                            ],
                        },
                        "diagnosis": {
                            "verdict": "failed",
                            "summary": "Failed after 1 attempt: update vehicle on samsara; latest failure validation (HTTP 422) at 2026-11-20T10:01:00Z.",
                            "operation_status": "failed",
                            "attempts": {
                                "total": 1,
                                "failed": 1,
                                "succeeded": 0,
                                "other": 0,
                                "first_at": "2026-11-20T10:01:00Z",
                                "last_at": "2026-11-20T10:01:00Z",
                                "span_seconds": 0.0,
                            },
                            "failure_groups": [
                                {
                                    "error_type": "validation",
                                    "status_code": 422,
                                    "count": 1,
                                    "first_seen": "2026-11-20T10:01:00Z",
                                    "last_seen": "2026-11-20T10:01:00Z",
                                    "latest_log_id": "00000000-0000-4000-8000-000000000001",
                                    "details_excerpt": "vin: must be 17 characters",
                                    "request_ids": [],
                                    "request_ids_omitted": 0,
                                    "rate_limit": None,
                                }
                            ],
                            "failure_groups_omitted": 0,
                            "progression": {
                                "kind": "single_failure",
                                "changes": 0,
                                "phases": [
                                    {
                                        "succeeded": False,
                                        "error_type": "validation",
                                        "status_code": 422,
                                        "count": 1,
                                        "from_attempt": 1,
                                        "to_attempt": 1,
                                    }
                                ],
                                "phases_omitted": 0,
                            },
                            "rate_limit": None,
                            "next_steps": [
                                "The TSP rejected the payload: fix the fields named in the latest error details (rules differ per TSP), then issue the write again.",
                                "There is no retry endpoint: once the cause is fixed, issue the write again (a new operation). Catena never retries sync writes (is_sync=true).",
                            ],
                            "notes": [],
                        },
                        "logs_omitted": 0,
                    },
                    "isError": False,
                    "resultType": "complete",
                },
                "network": {
                    "_meta": {
                        "io.modelcontextprotocol/serverInfo": {
                            "name": "catena-mcp",
                            "title": "Catena resource operations",
                            "version": "0.1.0",
                        }
                    },
                    "content": [
                        {
                            "type": "text",
                            "text": """\
**Pending** after 1 attempt: update vehicle on samsara; latest failure network (no HTTP status) at 2026-11-20T10:01:00Z.

**TSP:** `samsara` · **Resource:** `vehicle` · **Operation:** `update` · **Status:** `pending` · **Fleet ref:** `acme-logistics`  \n\
**Created:** 2026-11-20T09:59:58Z (undated times below: this day, UTC) · **Updated:** 10:30:00Z  \n\
**Attempts:** 1 (1 failed), 10:01:00Z  \n\
**Progression:** one failed attempt: network ×1

**Failures by kind** (most recent first):
| Error type | HTTP | Count | Seen | Latest details |
|---|---|---|---|---|
| `network` | - | 1 | 10:01:00Z | `Read timed out after 30 s` |

**Next steps:**
1. Timeout or connection failure, usually transient: Catena retries async writes itself; if the operation ends failed, issue the write again later.
2. Catena is still working on this write and retries failed attempts by itself: wait for the resource_operation.succeeded or .failed webhook, or check again later; issuing the write again now could apply it twice.\
""",
                        }
                    ],
                    "structuredContent": {
                        "operation": {
                            "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                            "created_at": "2026-11-20T09:59:58Z",
                            "updated_at": "2026-11-20T10:30:00Z",
                            "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                            "fleet_ref": "acme-logistics",
                            "source_name": "samsara",
                            "resource": "vehicle",
                            "resource_id": None,
                            "source_id": None,
                            "operation_type": "update",
                            "status": "pending",
                            "payload": {"name": "Truck 42", "vin": "1FUJGLDR5CLBP8834"},
                            "logs": [
                                {
                                    "id": "00000000-0000-4000-8000-000000000001",
                                    "created_at": "2026-11-20T10:01:00Z",
                                    "updated_at": "2026-11-20T10:01:00Z",
                                    "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                                    "status": "failed",
                                    "error_type": "network",
                                    "error_details": "Read timed out after 30 s",
                                    "response_status_code": None,
                                    "response_headers": None,
                                }
                            ],
                        },
                        "diagnosis": {
                            "verdict": "pending_with_failures",
                            "summary": "Pending after 1 attempt: update vehicle on samsara; latest failure network (no HTTP status) at 2026-11-20T10:01:00Z.",
                            "operation_status": "pending",
                            "attempts": {
                                "total": 1,
                                "failed": 1,
                                "succeeded": 0,
                                "other": 0,
                                "first_at": "2026-11-20T10:01:00Z",
                                "last_at": "2026-11-20T10:01:00Z",
                                "span_seconds": 0.0,
                            },
                            "failure_groups": [
                                {
                                    "error_type": "network",
                                    "status_code": None,
                                    "count": 1,
                                    "first_seen": "2026-11-20T10:01:00Z",
                                    "last_seen": "2026-11-20T10:01:00Z",
                                    "latest_log_id": "00000000-0000-4000-8000-000000000001",
                                    "details_excerpt": "Read timed out after 30 s",
                                    "request_ids": [],
                                    "request_ids_omitted": 0,
                                    "rate_limit": None,
                                }
                            ],
                            "failure_groups_omitted": 0,
                            "progression": {
                                "kind": "single_failure",
                                "changes": 0,
                                "phases": [
                                    {
                                        "succeeded": False,
                                        "error_type": "network",
                                        "status_code": None,
                                        "count": 1,
                                        "from_attempt": 1,
                                        "to_attempt": 1,
                                    }
                                ],
                                "phases_omitted": 0,
                            },
                            "rate_limit": None,
                            "next_steps": [
                                "Timeout or connection failure, usually transient: Catena retries async writes itself; if the operation ends failed, issue the write again later.",
                                "Catena is still working on this write and retries failed attempts by itself: wait for the resource_operation.succeeded or .failed webhook, or check again later; issuing the write again now could apply it twice.",
                            ],
                            "notes": [],
                        },
                        "logs_omitted": 0,
                    },
                    "isError": False,
                    "resultType": "complete",
                },
                "tsp": {
                    "_meta": {
                        "io.modelcontextprotocol/serverInfo": {
                            "name": "catena-mcp",
                            "title": "Catena resource operations",
                            "version": "0.1.0",
                        }
                    },
                    "content": [
                        {
                            "type": "text",
                            "text": """\
**Failed** after 3 attempts: update vehicle on samsara; latest failure tsp (HTTP 503) at 2026-11-20T10:03:00Z.

**TSP:** `samsara` · **Resource:** `vehicle` · **Operation:** `update` · **Status:** `failed` · **Fleet ref:** `acme-logistics`  \n\
**Created:** 2026-11-20T09:59:58Z (undated times below: this day, UTC) · **Updated:** 10:30:00Z  \n\
**Attempts:** 3 (3 failed), 10:01:00Z → 10:03:00Z (2 min)  \n\
**Progression:** the same failure repeated: tsp 503 ×3

**Failures by kind** (most recent first):
| Error type | HTTP | Count | Seen | Latest details |
|---|---|---|---|---|
| `tsp` | 503 | 3 | 10:01:00Z → 10:03:00Z | `Service Unavailable` |

**Request IDs to quote:**
- `corr-3`: attempt 3, 10:03:00Z, tsp 503
- `corr-2`: attempt 2, 10:02:00Z, tsp 503
- `corr-1`: attempt 1, 10:01:00Z, tsp 503

**Next steps:**
1. TSP outage or server error (HTTP 5xx): usually transient; retry later, and report it to the TSP with the request IDs if it persists.
2. There is no retry endpoint: once the cause is fixed, issue the write again (a new operation). Catena never retries sync writes (is_sync=true).\
""",
                        }
                    ],
                    "structuredContent": {
                        "operation": {
                            "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                            "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                            "created_at": "2026-11-20T09:59:58Z",
                            "updated_at": "2026-11-20T10:30:00Z",
                            "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                            "fleet_ref": "acme-logistics",
                            "source_name": "samsara",
                            "resource": "vehicle",
                            "resource_id": None,
                            "source_id": None,
                            "operation_type": "update",
                            "status": "failed",
                            "payload": {"name": "Truck 42", "vin": "1FUJGLDR5CLBP8834"},
                            "logs": [
                                {
                                    "id": "00000000-0000-4000-8000-000000000001",
                                    "created_at": "2026-11-20T10:01:00Z",
                                    "updated_at": "2026-11-20T10:01:00Z",
                                    "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                                    "status": "failed",
                                    "error_type": "tsp",
                                    "error_details": "Service Unavailable",
                                    "response_status_code": 503,
                                    "response_headers": {"X-Correlation-Id": "corr-1"},
                                },
                                {
                                    "id": "00000000-0000-4000-8000-000000000002",
                                    "created_at": "2026-11-20T10:02:00Z",
                                    "updated_at": "2026-11-20T10:02:00Z",
                                    "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                                    "status": "failed",
                                    "error_type": "tsp",
                                    "error_details": "Service Unavailable",
                                    "response_status_code": 503,
                                    "response_headers": {"X-Correlation-Id": "corr-2"},
                                },
                                {
                                    "id": "00000000-0000-4000-8000-000000000003",
                                    "created_at": "2026-11-20T10:03:00Z",
                                    "updated_at": "2026-11-20T10:03:00Z",
                                    "resource_operation_id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                                    "status": "failed",
                                    "error_type": "tsp",
                                    "error_details": "Service Unavailable",
                                    "response_status_code": 503,
                                    "response_headers": {"X-Correlation-Id": "corr-3"},
                                },
                            ],
                        },
                        "diagnosis": {
                            "verdict": "failed",
                            "summary": "Failed after 3 attempts: update vehicle on samsara; latest failure tsp (HTTP 503) at 2026-11-20T10:03:00Z.",
                            "operation_status": "failed",
                            "attempts": {
                                "total": 3,
                                "failed": 3,
                                "succeeded": 0,
                                "other": 0,
                                "first_at": "2026-11-20T10:01:00Z",
                                "last_at": "2026-11-20T10:03:00Z",
                                "span_seconds": 120.0,
                            },
                            "failure_groups": [
                                {
                                    "error_type": "tsp",
                                    "status_code": 503,
                                    "count": 3,
                                    "first_seen": "2026-11-20T10:01:00Z",
                                    "last_seen": "2026-11-20T10:03:00Z",
                                    "latest_log_id": "00000000-0000-4000-8000-000000000003",
                                    "details_excerpt": "Service Unavailable",
                                    "request_ids": [
                                        {
                                            "header": "x-correlation-id",
                                            "value": "corr-3",
                                            "log_id": "00000000-0000-4000-8000-000000000003",
                                            "attempt": 3,
                                            "at": "2026-11-20T10:03:00Z",
                                        },
                                        {
                                            "header": "x-correlation-id",
                                            "value": "corr-2",
                                            "log_id": "00000000-0000-4000-8000-000000000002",
                                            "attempt": 2,
                                            "at": "2026-11-20T10:02:00Z",
                                        },
                                        {
                                            "header": "x-correlation-id",
                                            "value": "corr-1",
                                            "log_id": "00000000-0000-4000-8000-000000000001",
                                            "attempt": 1,
                                            "at": "2026-11-20T10:01:00Z",
                                        },
                                    ],
                                    "request_ids_omitted": 0,
                                    "rate_limit": None,
                                }
                            ],
                            "failure_groups_omitted": 0,
                            "progression": {
                                "kind": "repeated",
                                "changes": 0,
                                "phases": [
                                    {
                                        "succeeded": False,
                                        "error_type": "tsp",
                                        "status_code": 503,
                                        "count": 3,
                                        "from_attempt": 1,
                                        "to_attempt": 3,
                                    }
                                ],
                                "phases_omitted": 0,
                            },
                            "rate_limit": None,
                            "next_steps": [
                                "TSP outage or server error (HTTP 5xx): usually transient; retry later, and report it to the TSP with the request IDs if it persists.",
                                "There is no retry endpoint: once the cause is fixed, issue the write again (a new operation). Catena never retries sync writes (is_sync=true).",
                            ],
                            "notes": [],
                        },
                        "logs_omitted": 0,
                    },
                    "isError": False,
                    "resultType": "complete",
                },
            }
        )[error_type]
    )


async def test_schema_drift_is_tolerated(server_factory: ServerFactory) -> None:
    drifted = operation(
        "cancelled",
        [
            {
                "id": "00000000-0000-4000-8000-000000000001",
                "created_at": "2026-11-20T10:01:00",
                "status": "failed",
                "error_type": "quota",
                "error_details": "Monthly write quota exhausted",
                "attempt_number": 1,
                "response_headers": {
                    "Set-Cookie": "session=abc",
                    "Authorization": "Bearer leaked",
                    "x-ratelimit-remaining": 0,
                },
            }
        ],
        source_name="brand_new_tsp",
        resource="asset_tag",
        priority="high",
    )
    for field in ("payload", "fleet_ref", "updated_at", "operation_type"):
        drifted.pop(field)
    result = await call(server_factory(FakeCatena(drifted)))
    assert result == snapshot(
        {
            "_meta": {
                "io.modelcontextprotocol/serverInfo": {
                    "name": "catena-mcp",
                    "title": "Catena resource operations",
                    "version": "0.1.0",
                }
            },
            "content": [
                {
                    "type": "text",
                    "text": """\
**Unknown status** 'cancelled' after 1 attempt: unknown asset_tag on brand_new_tsp; latest failure quota (no HTTP status) at 2026-11-20T10:01:00Z.

**TSP:** `brand_new_tsp` · **Resource:** `asset_tag` · **Operation:** none · **Status:** `cancelled` · **Fleet ref:** none  \n\
**Created:** 2026-11-20T09:59:58Z (undated times below: this day, UTC)  \n\
**Attempts:** 1 (1 failed), 10:01:00Z  \n\
**Progression:** one failed attempt: `quota` ×1

**Failures by kind** (most recent first):
| Error type | HTTP | Count | Seen | Latest details |
|---|---|---|---|---|
| `quota` | - | 1 | 10:01:00Z | `Monthly write quota exhausted` |

**Rate limits:**
- `quota` at 10:01:00Z: 0 remaining · raw: `x-ratelimit-remaining: 0`

**Next steps:**
1. This status is not documented by Catena: ask Catena support what it means before issuing the write again.
2. Catena reported an error type this server does not know: read the error details and ask Catena support before issuing the write again.

**Data notes:**
- The operation status is not one Catena documents (pending, success, failed).
- 1 error type not documented by Catena; shown as received.
- 1 attempt in the older log shape (no response_status_code/response_headers).
- Fields missing from Catena's reply: updated_at, fleet_ref, operation_type, payload.
- Fields this server does not know yet: priority.\
""",
                }
            ],
            "structuredContent": {
                "operation": {
                    "id": "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77",
                    "connection_id": "7b2d0c4e-3f7a-4d0b-9c1e-5a6f8e9d0a11",
                    "created_at": "2026-11-20T09:59:58Z",
                    "updated_at": None,
                    "partner_id": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0",
                    "fleet_ref": None,
                    "source_name": "brand_new_tsp",
                    "resource": "asset_tag",
                    "resource_id": None,
                    "source_id": None,
                    "operation_type": None,
                    "status": "cancelled",
                    "payload": None,
                    "logs": [
                        {
                            "id": "00000000-0000-4000-8000-000000000001",
                            "created_at": "2026-11-20T10:01:00Z",
                            "updated_at": None,
                            "resource_operation_id": None,
                            "status": "failed",
                            "error_type": "quota",
                            "error_details": "Monthly write quota exhausted",
                            "response_status_code": None,
                            "response_headers": {"x-ratelimit-remaining": "0"},
                            "attempt_number": 1,
                        }
                    ],
                    "priority": "high",
                },
                "diagnosis": {
                    "verdict": "unknown_status",
                    "summary": "Unknown status 'cancelled' after 1 attempt: unknown asset_tag on brand_new_tsp; latest failure quota (no HTTP status) at 2026-11-20T10:01:00Z.",
                    "operation_status": "cancelled",
                    "attempts": {
                        "total": 1,
                        "failed": 1,
                        "succeeded": 0,
                        "other": 0,
                        "first_at": "2026-11-20T10:01:00Z",
                        "last_at": "2026-11-20T10:01:00Z",
                        "span_seconds": 0.0,
                    },
                    "failure_groups": [
                        {
                            "error_type": "quota",
                            "status_code": None,
                            "count": 1,
                            "first_seen": "2026-11-20T10:01:00Z",
                            "last_seen": "2026-11-20T10:01:00Z",
                            "latest_log_id": "00000000-0000-4000-8000-000000000001",
                            "details_excerpt": "Monthly write quota exhausted",
                            "request_ids": [],
                            "request_ids_omitted": 0,
                            "rate_limit": {
                                "log_id": "00000000-0000-4000-8000-000000000001",
                                "observed_at": "2026-11-20T10:01:00Z",
                                "limit": None,
                                "remaining": 0,
                                "window_seconds": None,
                                "reset_at": None,
                                "retry_at": None,
                                "retry_after_seconds": None,
                                "retry_at_passed": None,
                                "seconds_until_retry": None,
                                "raw": {"x-ratelimit-remaining": "0"},
                                "unparsed": [],
                            },
                        }
                    ],
                    "failure_groups_omitted": 0,
                    "progression": {
                        "kind": "single_failure",
                        "changes": 0,
                        "phases": [
                            {
                                "succeeded": False,
                                "error_type": "quota",
                                "status_code": None,
                                "count": 1,
                                "from_attempt": 1,
                                "to_attempt": 1,
                            }
                        ],
                        "phases_omitted": 0,
                    },
                    "rate_limit": {
                        "log_id": "00000000-0000-4000-8000-000000000001",
                        "observed_at": "2026-11-20T10:01:00Z",
                        "limit": None,
                        "remaining": 0,
                        "window_seconds": None,
                        "reset_at": None,
                        "retry_at": None,
                        "retry_after_seconds": None,
                        "retry_at_passed": None,
                        "seconds_until_retry": None,
                        "raw": {"x-ratelimit-remaining": "0"},
                        "unparsed": [],
                    },
                    "next_steps": [
                        "This status is not documented by Catena: ask Catena support what it means before issuing the write again.",
                        "Catena reported an error type this server does not know: read the error details and ask Catena support before issuing the write again.",
                    ],
                    "notes": [
                        "The operation status is not one Catena documents (pending, success, failed).",
                        "1 error type not documented by Catena; shown as received.",
                        "1 attempt in the older log shape (no response_status_code/response_headers).",
                        "Fields missing from Catena's reply: updated_at, fleet_ref, operation_type, payload.",
                        "Fields this server does not know yet: priority.",
                    ],
                },
                "logs_omitted": 0,
            },
            "isError": False,
            "resultType": "complete",
        }
    )
    assert "leaked" not in str(result)
    assert "session=abc" not in str(result)


async def test_max_logs_keeps_the_latest(server_factory: ServerFactory) -> None:
    many = operation("failed", [log(n, error_type="tsp", code=503, details="busy") for n in range(1, 31)])
    server = server_factory(FakeCatena(many))
    result = await call(server, {**ARGS, "max_logs": 2})
    structured = result["structuredContent"]
    assert [entry["id"][-2:] for entry in structured["operation"]["logs"]] == ["29", "30"]
    assert structured["logs_omitted"] == 28
    none = await call(server, {**ARGS, "max_logs": 0})
    assert none["structuredContent"]["operation"]["logs"] == []
    assert none["structuredContent"]["logs_omitted"] == 30
    assert none["content"] == result["content"], "the diagnosis always covers every log"


async def test_token_is_cached_across_calls(server_factory: ServerFactory) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY)
    server = server_factory(fake)
    for _ in range(3):
        assert (await call(server)).get("isError") is False
    assert len(fake.token_requests) == 1
    (token_request,) = fake.token_requests
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    form = dict(httpx.QueryParams(token_request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "partner-client",
        "client_secret": CLIENT_SECRET,
        "scope": "organization",
    }
    assert {r.headers["authorization"] for r in fake.operation_requests} == {"Bearer token-1"}
    assert fake.operation_requests[0].headers["user-agent"].startswith("catena-mcp/")


async def test_expired_token_is_refreshed_once_on_401(server_factory: ServerFactory) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY, replies=[catena_error(401, "Unauthorized", "Token expired")])
    result = await call(server_factory(fake))
    assert result.get("isError") is False
    assert len(fake.token_requests) == 2
    assert [r.headers["authorization"] for r in fake.operation_requests] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


async def test_token_is_refreshed_before_it_expires(server_factory: ServerFactory, sleeps: Sleeps) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY, expires_in=60)
    server = server_factory(fake)
    await call(server)
    sleeps.elapsed += 29  # still 31 s left: reused
    await call(server)
    assert len(fake.token_requests) == 1
    sleeps.elapsed += 2  # inside the 30 s margin: refreshed
    await call(server)
    assert len(fake.token_requests) == 2


async def test_concurrent_calls_share_one_token_refresh(server_factory: ServerFactory) -> None:
    fake = FakeCatena(SUCCEEDED_AFTER_RETRY)
    server = server_factory(fake)
    results: list[dict[str, Any]] = []

    async def one() -> None:
        results.append(await call(server))

    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(one)
    assert len(results) == 20
    assert all(r.get("isError") is False for r in results)
    assert len(fake.token_requests) == 1
    assert len(fake.operation_requests) == 20


async def test_five_thousand_logs_stay_small(server_factory: ServerFactory) -> None:
    big = load_catalogue()["thousands_of_logs"]
    fake = FakeCatena({**big, "id": ARGS["resource_operation_id"], "connection_id": ARGS["connection_id"]})
    result = await call(server_factory(fake))
    text = result["content"][0]["text"]
    assert len(text) < 6000
    patterns = [
        (g["error_type"], g["status_code"], g["count"])
        for g in result["structuredContent"]["diagnosis"]["failure_groups"]
    ]
    assert sorted(patterns, key=str) == snapshot(
        [
            ("auth", 401, 1200),
            ("network", None, 600),
            ("tsp", 429, 1015),
            ("tsp", 502, 300),
            ("tsp", 503, 1200),
            ("validation", 422, 685),
        ]
    )
    for error_type, status, count in patterns:
        row = f"| `{error_type}` | {status if status is not None else '-'} | {count} |"
        assert row in text
    assert sum(count for *_, count in patterns) == len(big["logs"])
    assert len(json.dumps(result["structuredContent"])) < 200_000


async def test_drifted_field_types_cost_only_those_values(server_factory: ServerFactory) -> None:
    drifted = operation(
        "failed",
        [
            {**log(1, error_type="tsp", code=503, details="down"), "response_status_code": "n/a"},
            {
                **log(2, error_type="tsp", code=503),
                "response_headers": ["Retry-After: 5"],
                "error_details": 7,
            },
            {**log(3, error_type="validation", code=422, details="vin"), "id": 3003},
        ],
        fleet_ref={"name": "acme"},
        payload="not an object",
    )
    structured = (await call(server_factory(FakeCatena(drifted))))["structuredContent"]
    logs = structured["operation"]["logs"]
    assert [
        (entry["id"], entry["response_status_code"], entry["response_headers"]) for entry in logs
    ] == snapshot(
        [
            ("00000000-0000-4000-8000-000000000001", None, None),
            ("00000000-0000-4000-8000-000000000002", 503, None),
            ("3003", 422, None),
        ]
    )
    assert [entry["error_details"] for entry in logs] == snapshot(["down", "7", "vin"])
    assert (structured["operation"]["fleet_ref"], structured["operation"]["payload"]) == (None, None)
    assert structured["diagnosis"]["verdict"] == "failed"
