"""`catena-mcp simulator`: serve the simulator until Ctrl-C.

Stdout carries exactly one line, the address, so scripts can read it (port 0 picks a free port); everything
else goes to stderr through logging.
"""

import contextlib
import logging
import sys

import uvicorn

from catena_mcp.simulator.app import LIST_PATH, TOKEN_PATH, create_app, simulator_state
from catena_mcp.simulator.faults import (
    EVERY_OPERATION_FAULT_ID,
    FAULT_OPERATIONS,
    FORBIDDEN_CONNECTION_ID,
    LIST_FAULT_ID,
)
from catena_mcp.simulator.history import HISTORY_END, HISTORY_START, PLANTED
from catena_mcp.simulator.running import base_url_of, bind_socket, server_config

logger = logging.getLogger(__name__)


def run(host: str, port: int) -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app()
    state = simulator_state(app)
    sock = bind_socket(host, port)  # listening already: clients that connect now wait in the backlog
    base_url = base_url_of(sock)
    print(f"Catena simulator listening on {base_url}", flush=True)
    logger.info(
        "token URL %s%s, client_id %r, client_secret %r; %d operations (GET %s/_sim/operations)",
        base_url,
        TOKEN_PATH,
        state.client_id,
        state.client_secret,
        len(state.catalogue.refs),
        base_url,
    )
    logger.info("every operation on connection %s answers 403", FORBIDDEN_CONNECTION_ID)
    logger.info(
        "GET %s%s lists a generated week, %s to %s (the list's clock stands at its end), planted: %s",
        base_url,
        LIST_PATH,
        HISTORY_START.isoformat(),
        HISTORY_END.isoformat(),
        "; ".join(PLANTED.values()),
    )
    logger.info(
        "faults on %s apply to every list page, on %s to every operation without its own",
        LIST_FAULT_ID,
        EVERY_OPERATION_FAULT_ID,
    )
    for fault_op in FAULT_OPERATIONS:
        path = state.catalogue.refs[fault_op.key].path
        logger.info("%s: GET %s%s -> %s", fault_op.key, base_url, path, fault_op.description)
    # A plain uvicorn.Server: here uvicorn should own SIGINT/SIGTERM and drain connections before exiting.
    server = uvicorn.Server(server_config(app, log_level="info"))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it handled
        server.run(sockets=[sock])
