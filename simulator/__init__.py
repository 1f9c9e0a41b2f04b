"""A Catena simulator: a real HTTP server speaking Catena's wire format, for the demo, tests and benchmarks.

    async with running_simulator() as sim:          # or: with SimulatorThread() as sim:
        sim.base_url, sim.token_url, sim.client_id, sim.client_secret
        sim.operations["fault-503-twice"].path      # catalogue keys and built-in fault operations
        sim.set_fault(operation_id, {"status": 503, "times": 2})
        sim.set_fault(LIST_FAULT_ID, {"rate_limit": {"retry_after": 1}, "after": 1, "times": 1})
        sim.set_fault(operation_id, {"body": "gzip-bomb"})  # hostile bodies: see simulator.hostile
        sim.set_token_fault({"latency_seconds": 120})     # or {"reply": "crlf-token", "times": 1}
        sim.stats()

The same controls exist over HTTP under `/_sim/` (faults, stats, reset, operations; a token fault is posted
to `/_sim/faults` with `"operation_id": "token"`). The list endpoint pages through a generated week of
operations with planted failure patterns (`simulator.history`).
"""

from catena_mcp.simulator.app import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, OperationRef, create_app
from catena_mcp.simulator.faults import (
    EVERY_OPERATION_FAULT_ID,
    FAULT_CONNECTION_ID,
    FAULT_OPERATIONS,
    FORBIDDEN_CONNECTION_ID,
    LIST_FAULT_ID,
    FaultError,
)
from catena_mcp.simulator.running import SimulatorHandle, SimulatorOptions, SimulatorThread, running_simulator

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "EVERY_OPERATION_FAULT_ID",
    "FAULT_CONNECTION_ID",
    "FAULT_OPERATIONS",
    "FORBIDDEN_CONNECTION_ID",
    "LIST_FAULT_ID",
    "FaultError",
    "OperationRef",
    "SimulatorHandle",
    "SimulatorOptions",
    "SimulatorThread",
    "create_app",
    "running_simulator",
]
