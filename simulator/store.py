"""What the simulator serves, encoded once: the named catalogue (with the built-in fault operations).

Benchmarks fetch the ~2 MB operation far too often to re-encode it per request.
"""

import copy
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from catena_mcp.simulator.faults import FAULT_CONNECTION_ID, FAULT_OPERATIONS

_PREFERRED_FAULT_BASE = "failed_network"


class OperationRef(NamedTuple):
    connection_id: str
    operation_id: str

    @property
    def path(self) -> str:
        return f"/v2/integrations/connections/{self.connection_id}/resource-operations/{self.operation_id}"


class Stored(NamedTuple):
    connection_id: str
    body: bytes


@dataclass(frozen=True)
class PreparedCatalogue:
    """A catalogue serialized once: benchmarks fetch the ~2 MB operation far too often to re-encode it."""

    refs: dict[str, OperationRef]
    bodies: dict[str, Stored]


def encode(payload: Any) -> bytes:
    # The same encoding as Starlette's JSONResponse (and so FastAPI's), i.e. Catena's bytes on the wire.
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _fault_base(catalogue: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any]:
    """The payload fault operations answer with once their fault lets a request through.

    Preferably the corpus's plain network failure (fitting for timeouts and 503s, and free of the schema drift
    other entries carry on purpose); otherwise a failed operation with a few logs, picked by sorted key so the
    choice stays stable as the corpus grows.
    """
    if not catalogue:
        raise ValueError("fault operations reuse a catalogue payload, so the catalogue must not be empty")
    if _PREFERRED_FAULT_BASE in catalogue:
        return catalogue[_PREFERRED_FAULT_BASE]
    for key in sorted(catalogue):
        op = catalogue[key]
        if op.get("status") == "failed" and 1 <= len(op.get("logs") or ()) <= 10:
            return op
    return catalogue[min(catalogue)]


def _as_fault_operation(base: Mapping[str, Any], operation_id: str) -> dict[str, Any]:
    payload = copy.deepcopy(dict(base))
    payload["id"] = operation_id
    payload["connection_id"] = FAULT_CONNECTION_ID
    for log in payload.get("logs") or ():
        log["resource_operation_id"] = operation_id
    return payload


def prepare_catalogue(
    catalogue: Mapping[str, Mapping[str, Any]], *, with_fault_operations: bool = True
) -> PreparedCatalogue:
    refs: dict[str, OperationRef] = {}
    bodies: dict[str, Stored] = {}

    def add(key: str, payload: Mapping[str, Any]) -> None:
        ref = OperationRef(str(UUID(payload["connection_id"])), str(UUID(payload["id"])))
        if key in refs or ref.operation_id in bodies:
            raise ValueError(f"operation {ref.operation_id} ({key}) appears twice in the catalogue")
        refs[key] = ref
        bodies[ref.operation_id] = Stored(ref.connection_id, encode(payload))

    for key, payload in catalogue.items():
        add(key, payload)
    if with_fault_operations:
        base = _fault_base(catalogue)
        for fault_op in FAULT_OPERATIONS:
            add(fault_op.key, _as_fault_operation(base, fault_op.operation_id))
    return PreparedCatalogue(refs, bodies)


@functools.cache
def default_catalogue(with_fault_operations: bool) -> PreparedCatalogue:
    # Imported here so the app (and tests that inject a catalogue) never pays for loading the corpus unless
    # it is used, and cached so starting many simulators in one process parses and encodes it once.
    from catena_mcp.simulator.catalogue import load_catalogue

    return prepare_catalogue(load_catalogue(), with_fault_operations=with_fault_operations)
