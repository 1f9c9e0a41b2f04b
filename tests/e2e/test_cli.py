"""The installed `catena-mcp` commands: `demo`, `diagnose`, and serving the built-in simulator (`--demo`)."""

import json
import re
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from catena_mcp.simulator import SimulatorHandle
from catena_mcp.tools.answer import SIMULATED_BANNER
from tests.e2e.helpers import TOOL, TRIAGE, arguments, run, server_env, stdio_server, text_of


def ids(sim: SimulatorHandle, key: str) -> list[str]:
    ref = sim.operations[key]
    return [ref.connection_id, ref.operation_id]


def test_demo_prints_a_triage_then_diagnosed_operations(tmp_path: Path) -> None:
    result = run(["demo"], env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    output = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", result.stdout)
    headings = [
        line for line in output.splitlines() if line.startswith(("Catena simulator", "Tools:", TOOL, TRIAGE))
    ]
    assert headings == snapshot(
        [
            "Catena simulator on http://127.0.0.1:PORT; spawning `catena-mcp` on stdio.",
            "Tools: get_resource_operation, triage_resource_operation_failures, list_resource_operations",
            "triage_resource_operation_failures  (the last 24 hours)",
            "get_resource_operation  (largest pattern's example)",
            "get_resource_operation  (success_after_retries)",
            "get_resource_operation  (rate_limit_x_variants)",
            "get_resource_operation  (failed_validation)",
        ]
    )
    assert output == snapshot("""\
Catena simulator on http://127.0.0.1:PORT; spawning `catena-mcp` on stdio.
Tools: get_resource_operation, triage_resource_operation_failures, list_resource_operations

──────────────────────────────────────────────────────────────────────────────
triage_resource_operation_failures  (the last 24 hours)
──────────────────────────────────────────────────────────────────────────────
**167 of 570 operations failed or are pending (29.3%)** in the last 24 hours (Catena's default window): 8 patterns.

**Scanned:** 1 page, 570 operations, the whole window  \n\
**Attempts read:** 167 of 167 failing operations

| # | TSP | status | latest error | ops | share | resource · op | first → last (UTC) | fleets | example (operation · connection) |
|---|---|---|---|---|---|---|---|---|---|
| 1 | geotab | failed | auth (HTTP 401) | 90 | 15.8% | vehicle update 25, vehicle create 17, 8 other kinds | 11-20 06:33 → 11-20 23:38 | `acme-freight` | `73f0abb1-3848-5e7f-83aa-29b766134ff9` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c03` |
| 2 | zonar | pending | no attempt yet | 60 | 10.5% | vehicle update 18, user update 9, 7 other kinds | 11-20 09:05 → 11-20 23:37 | `bluewater-haulage` | `37a50e29-142c-5f3d-9725-ca28baf0f78a` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c04` |
| 3 | samsara | failed | tsp (HTTP 500) | 6 | 1.1% | vehicle update 3, fuel_transaction update 1, 2 other kinds | 11-20 02:42 → 11-20 23:09 | `acme-freight`, `northwind-logistics` (2 connections) | `f5076b9c-62ea-5b09-ae45-ee8ebbf20ad0` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c01` |
| 4 | motive | failed | tsp (HTTP 500) | 4 | 0.7% | message update 2, fuel_transaction update 1, 1 other kind | 11-20 12:17 → 11-20 18:17 | `northwind-logistics` | `fc7249cc-4dcf-5ed2-acc1-c7d3520a8b20` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c02` |
| 5 | motive | failed | validation (HTTP 422) | 4 | 0.7% | user create 4 | 11-20 11:09 → 11-20 15:58 | `northwind-logistics` | `f3d6b960-b970-58af-800d-655888117eb8` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c02` |
| 6 | geotab | failed | tsp (HTTP 500) | 1 | 0.2% | vehicle update 1 | 11-20 05:58 → 11-20 05:58 | `acme-freight` | `29911028-b4e3-5954-9fd9-cb62489932db` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c03` |
| 7 | motive | pending | no attempt yet | 1 | 0.2% | user create 1 | 11-20 23:59 → 11-20 23:59 | `northwind-logistics` | `15b01454-fec6-5823-8a4c-d709244c5d9f` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c02` |
| 8 | samsara | pending | no attempt yet | 1 | 0.2% | user update 1 | 11-20 23:57 → 11-20 23:57 | `acme-freight` | `a1217e7a-fa4c-5c91-a392-2273a0d8e20a` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c01` |

**Next steps:**
1. geotab rejects the credentials of connection `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c03` (`acme-freight`) (90 operations failed auth since 2026-11-20T06:33:55Z): the fleet must re-authorize the connection; every write fails until it does.
2. 60 operations to zonar pending with no attempt since 2026-11-20T09:05:09Z: Catena has not tried them; ask Catena support to check the queue of connection `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c04` (`bluewater-haulage`).
3. motive rejects payloads (4 operations, mostly user create): read the field errors of an example with get_resource_operation, fix the payloads, then issue the writes again.
4. 11 operations failed on TSP errors or timeouts (samsara, motive, geotab): usually transient on the TSP's side; issue the writes again once it recovers, and report it to the TSP if it lasts.
5. Open an example with get_resource_operation (connection_id and resource_operation_id from the table) for its attempts, request IDs to quote and rate-limit timing.

──────────────────────────────────────────────────────────────────────────────
get_resource_operation  (largest pattern's example)
──────────────────────────────────────────────────────────────────────────────
**Failed** after 1 attempt: update user on geotab; latest failure auth (HTTP 401) at 2026-11-20T23:38:25Z.

**Fleet ref:** `acme-freight` · **Created:** 2026-11-20T23:38:23Z (undated times below: this day, UTC) · **Updated:** 23:38:25  \n\
**Attempts:** 1 failed, 23:38:25

**Failures by kind**, latest first:
| Error type | HTTP | Count | Seen | Latest details |
|-|-|-|-|-|
| `auth` | 401 | 1 | 23:38:25 | `401 Unauthorized: invalid_grant: the user's session was revoked` |

**Request IDs to quote:**
- `geo-00666-1`: attempt 1, 23:38:25, auth 401

**Next steps:**
1. The TSP rejected the connection's credentials: the fleet must re-authorize this connection with its TSP; retrying changes nothing until then.
2. Catena has stopped trying and has no retry endpoint: issue the write again once the cause is fixed.

──────────────────────────────────────────────────────────────────────────────
get_resource_operation  (success_after_retries)
──────────────────────────────────────────────────────────────────────────────
**Succeeded** after 3 attempts: update user on motive at 2026-11-20T10:31:03Z, after failures network (no HTTP status), tsp (HTTP 503).

**Fleet ref:** `rio-grande-haulage` · **Created:** 2026-11-20T10:28:11Z (undated times below: this day, UTC) · **Updated:** 10:31:04  \n\
**Resource ID:** `c41e8a2f-7b3d-4e9c-a1f5-6d2b8e0c4a7f` · **Source ID (in the TSP):** `4417729`  \n\
**Attempts:** 3 (2 failed, 1 succeeded), 10:28:42 → 10:31:03 (2 min 21 s)  \n\
**Progression:** network ×1 → tsp 503 ×1 → success ×1

**Failures by kind**, latest first:
| Error type | HTTP | Count | Seen | Latest details |
|-|-|-|-|-|
| `tsp` | 503 | 1 | 10:29:31 | `503 Service Unavailable: upstream maintenance window` |
| `network` | - | 1 | 10:28:42 | `ReadTimeout: no response from api.gomotive.com within 30s` |

**Rate limits:**
- tsp 503 at 10:29:31: retry after 1 min 29 s, at 10:31:00 (already passed)

**Request IDs to quote:**
- `mtv-7f2a91c0e4`: attempt 2, 10:29:31, tsp 503

**Next steps:**
1. Nothing to do: the write succeeded after 2 failed attempts; look into the failures only if they recur.

──────────────────────────────────────────────────────────────────────────────
get_resource_operation  (rate_limit_x_variants)
──────────────────────────────────────────────────────────────────────────────
**Failed** after 3 attempts: create user on samsara; latest failure tsp (HTTP 429) at 2026-11-20T11:09:58Z; earlier: tsp (HTTP 502), tsp (HTTP 503).

**Fleet ref:** `acme-freight` · **Created:** 2026-11-20T10:00:00Z (undated times below: this day, UTC) · **Updated:** 11:10:00  \n\
**Attempts:** 3 failed, 10:00:03 → 11:09:58 (1 h 9 min)

**Failures by kind**, latest first:
| Error type | HTTP | Count | Seen | Latest details |
|-|-|-|-|-|
| `tsp` | 429 | 1 | 11:09:58 | `Too many requests` |
| `tsp` | 503 | 1 | 10:30:00 | `503 Service Unavailable` |
| `tsp` | 502 | 1 | 10:00:03 | `502 Bad Gateway` |

**Rate limits:**
- tsp 429 at 11:09:58: retry after 32 s: 11:10:30 · window resets 11:11:00 · limit 100 per 1 min, 0 remaining · they disagree: honour the later, 11:11:00 (already passed)
- tsp 503 at 10:30:00: window resets 10:31:00 (already passed) · limit 25, 0 remaining
- tsp 502 at 10:00:03: retry after 15 s: 10:00:18 · window resets 10:00:48 · 0 remaining · they disagree: honour the later, 10:00:48 (already passed)

**Request IDs to quote:**
- `sam-4410ab`: attempt 3, 11:09:58, tsp 429

**Next steps:**
1. The TSP throttled the requests (HTTP 429): wait until 2026-11-20T11:11:00Z (already passed) before issuing the write again, and pace writes on this connection.
2. TSP outage or server error (HTTP 503, 502), usually transient: if it persists, report it to the TSP.
3. Catena has stopped trying and has no retry endpoint: issue the write again once the cause is fixed.

──────────────────────────────────────────────────────────────────────────────
get_resource_operation  (failed_validation)
──────────────────────────────────────────────────────────────────────────────
**Failed** after 2 attempts: create user on geotab; latest failure validation (HTTP 422) at 2026-11-20T09:02:39Z.

**Fleet ref:** `northwind-logistics` · **Created:** 2026-11-20T09:02:00Z (undated times below: this day, UTC) · **Updated:** 09:02:40  \n\
**Attempts:** 2 failed, 09:02:05 → 09:02:39 (34 s)

**Failures by kind**, latest first:
| Error type | HTTP | Count | Seen | Latest details |
|-|-|-|-|-|
| `validation` | 422 | 2 | 09:02:05 → 09:02:39 | `ArgumentException: Name 'j.oneil' is invalid: user names must be e-mail addresses; licenseNumber exceeds 16 characters` |

**Payload fields the details name**, as sent:
- `license_number`: `D1234-56789-01234-5` (19 characters)

**Rate limits:**
- validation 422 at 09:02:39: window resets 09:03:00 · window 1 min, 1497 remaining

**Request IDs to quote:**
- `gt-0a9f`: attempt 2, 09:02:39, validation 422
- `gt-0a91`: attempt 1, 09:02:05, validation 422

**Next steps:**
1. The TSP rejected the payload: fix the fields shown above as its details say (rules differ per TSP).
2. Catena has stopped trying and has no retry endpoint: issue the write again once the cause is fixed.

──────────────────────────────────────────────────────────────────────────────
All simulated. Wire it into a client with: catena-mcp --demo
""")


def test_diagnose_prints_what_the_tool_says_with_and_without_demo(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    """`--demo` needs no credentials and says what a configured `diagnose` says, under the banner.

    The `--demo` run starts its own simulator (same catalogue, so same IDs); `sim` serves the other.
    """
    result = run(["diagnose", *ids(sim, "success_first_time")], env=server_env(sim), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == snapshot("""\
**Succeeded** on the first attempt: create vehicle on samsara at 2026-11-20T09:00:01Z.

**Fleet ref:** `acme-freight` · **Created:** 2026-11-20T09:00:00Z (undated times below: this day, UTC) · **Updated:** 09:00:02  \n\
**Resource ID:** `5a7c9e1b-3d2f-4a6b-8c0e-1f3d5b7a9c2e` · **Source ID (in the TSP):** `281474982547231`  \n\
**Attempts:** 1 succeeded, 09:00:01

**Next steps:**
1. Nothing to do: the TSP accepted the write.
""")
    demo = run(["diagnose", *ids(sim, "success_first_time"), "--demo"], env={}, cwd=tmp_path)
    assert (demo.returncode, demo.stderr) == (0, "")
    assert demo.stdout == SIMULATED_BANNER + result.stdout
    assert sim.stats()["operation_requests"] == 1


def test_diagnose_json_prints_the_structured_result_with_and_without_demo(
    sim: SimulatorHandle, tmp_path: Path
) -> None:
    args = ["diagnose", *ids(sim, "success_first_time"), "--json", "--max-logs", "0"]
    result = run(args, env=server_env(sim), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    demo = run([*args, "--demo"], env={}, cwd=tmp_path)
    assert (demo.returncode, demo.stderr) == (0, "")
    assert json.loads(demo.stdout) == json.loads(result.stdout)
    assert json.loads(result.stdout) == snapshot(
        {
            "operation": {
                "id": "f0015e2d-f5c9-5b78-aa0e-f8ad250f9011",
                "connection_id": "8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f",
                "created_at": "2026-11-20T09:00:00.412000Z",
                "updated_at": "2026-11-20T09:00:02.118000Z",
                "partner_id": "3c9e7b1a-5d2f-4e8a-b6c4-0f1e2d3c4b5a",
                "fleet_ref": "acme-freight",
                "source_name": "samsara",
                "resource": "vehicle",
                "resource_id": "5a7c9e1b-3d2f-4a6b-8c0e-1f3d5b7a9c2e",
                "source_id": "281474982547231",
                "operation_type": "create",
                "status": "success",
                "payload": {
                    "name": "Truck 1042",
                    "vin": "1FUJGLDR5CLBP8834",
                    "license_plate": "7XKD193",
                    "make": "Freightliner",
                    "model": "Cascadia",
                    "year": 2022,
                    "external_ids": {"erp_id": "V-1042"},
                },
                "logs": [],
            },
            "diagnosis": {
                "verdict": "succeeded_first_time",
                "summary": "Succeeded on the first attempt: create vehicle on samsara at 2026-11-20T09:00:01Z.",
                "operation_status": "success",
                "attempts": {
                    "total": 1,
                    "failed": 0,
                    "succeeded": 1,
                    "other": 0,
                    "first_at": "2026-11-20T09:00:01.907000Z",
                    "last_at": "2026-11-20T09:00:01.907000Z",
                    "span_seconds": 0.0,
                },
                "failure_groups": [],
                "failure_groups_omitted": 0,
                "progression": {
                    "kind": "no_failures",
                    "changes": 0,
                    "phases": [
                        {
                            "succeeded": True,
                            "error_type": None,
                            "status_code": None,
                            "count": 1,
                            "from_attempt": 1,
                            "to_attempt": 1,
                        }
                    ],
                    "phases_omitted": 0,
                },
                "next_steps": ["Nothing to do: the TSP accepted the write."],
                "notes": [],
            },
            "logs_omitted": 1,
        }
    )


def test_triage_prints_what_the_tool_says_with_and_without_demo(sim: SimulatorHandle, tmp_path: Path) -> None:
    window = [
        "--since",
        "2026-11-19T06:00:00Z",
        "--until",
        "2026-11-19T12:00:00Z",
        "--source-name",
        "samsara",
    ]
    result = run(["triage", *window], env=server_env(sim), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == snapshot("""\
**74 of 172 operations failed or are pending (43.0%)** in 2026-11-19T06:00:00Z → 2026-11-19T12:00:00Z: 1 pattern.

**Scanned:** 1 page, 172 operations, the whole window  \n\
**Attempts read:** 74 of 74 failing operations

| # | TSP | status | latest error | ops | share | resource · op | first → last (UTC) | fleets | example (operation · connection) |
|---|---|---|---|---|---|---|---|---|---|
| 1 | samsara | failed | tsp (HTTP 429) | 74 | 43.0% | vehicle update 23, user update 11, 8 other kinds | 11-19 08:00 → 11-19 10:29 | `acme-freight` | `62f135be-ab78-541b-a697-031310e418fd` · `1a6e4c2b-3d5f-4a7b-8c9d-0e1f2a3b4c01` |

**Rate-limit headers, latest per TSP:**
- samsara at 2026-11-19T10:30:37Z: 0 of 150 left, window resets 2026-11-19T10:30:47Z, retry from 2026-11-19T10:30:47Z

**Next steps:**
1. samsara throttled writes (HTTP 429, 74 operations, 11-19 08:00 → 11-19 10:29): pace writes to it and issue the failed ones again after the retry moment.
2. Open an example with get_resource_operation (connection_id and resource_operation_id from the table) for its attempts, request IDs to quote and rate-limit timing.
""")
    demo = run(["triage", *window, "--demo"], env={}, cwd=tmp_path)
    assert (demo.returncode, demo.stderr) == (0, "")
    assert demo.stdout == SIMULATED_BANNER + result.stdout
    as_json = run(["triage", *window, "--json"], env=server_env(sim), cwd=tmp_path)
    assert json.loads(as_json.stdout)["patterns"][0]["http"] == 429
    assert sim.stats()["list_requests"] == 2


def test_triage_refuses_bad_filters_before_any_request(sim: SimulatorHandle, tmp_path: Path) -> None:
    cases = {
        "naive since": ["--since", "2026-11-19T06:00:00"],
        "bad connection": ["--connection-id", "nope"],
        "source_id alone": ["--source-id", "42"],
    }
    outcomes = {}
    for case, args in cases.items():
        result = run(["triage", *args], env=server_env(sim), cwd=tmp_path)
        outcomes[case] = (result.returncode, result.stdout, result.stderr)
    assert outcomes == snapshot(
        {
            "naive since": (
                2,
                "",
                "catena-mcp triage: Invalid arguments: since (`2026-11-19T06:00:00`) has no time zone; add one, like 2026-11-19T08:00:00Z or +02:00.\n",
            ),
            "bad connection": (2, "", "catena-mcp triage: --connection-id must be a UUID.\n"),
            "source_id alone": (
                2,
                "",
                "catena-mcp triage: Invalid arguments: source_id needs resource too (a TSP's record ID is unique per resource).\n",
            ),
        }
    )
    assert sim.stats()["token_requests"] == 0


def test_diagnose_refuses_bad_input(sim: SimulatorHandle, tmp_path: Path) -> None:
    connection, operation = ids(sim, "success_first_time")
    cases = {
        "bad connection UUID": ["not-a-uuid", operation, "--demo"],
        "bad operation UUID": [connection, "../../etc/passwd", "--demo"],
        "unknown operation": [connection, "00000000-0000-4000-8000-000000000000"],
    }
    outcomes = {}
    for case, args in cases.items():
        result = run(["diagnose", *args], env=server_env(sim), cwd=tmp_path)
        outcomes[case] = (result.returncode, result.stdout, result.stderr)
    assert outcomes == snapshot(
        {
            "bad connection UUID": (2, "", "catena-mcp diagnose: both IDs must be UUIDs.\n"),
            "bad operation UUID": (2, "", "catena-mcp diagnose: both IDs must be UUIDs.\n"),
            "unknown operation": (
                1,
                "",
                "catena-mcp diagnose: No resource operation 00000000-0000-4000-8000-000000000000 on connection 8d4f2b6e-1a3c-4e5d-9f7b-2c6a8e0d4b1f: check both IDs; an operation belongs to exactly one connection.\n",
            ),
        }
    )


@pytest.mark.anyio
async def test_serving_demo_data_over_stdio(sim: SimulatorHandle, tmp_path: Path) -> None:
    """`catena-mcp --demo`, which the demo tells users to wire into their client, answers like the real thing."""
    async with stdio_server(sim, tmp_path, args=["--demo"], env={}) as client:
        assert client.instructions is not None
        assert client.instructions.endswith("all data is simulated.")
        result = await client.call_tool(TOOL, arguments(sim, "success_first_time"))
        assert result.is_error is False, text_of(result)
        assert text_of(result).startswith(SIMULATED_BANNER + "**Succeeded** on the first attempt")
    # It read its own simulator, not the reference one.
    assert sim.stats()["operation_requests"] == 0
