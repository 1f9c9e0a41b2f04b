"""Counting the statuses the simulator answers with, for `/_sim/stats`."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class CountStatuses:
    """Counts the status of every Catena-facing response (the control API is not part of the show)."""

    def __init__(self, app: ASGIApp, counts: dict[int, int]) -> None:
        self.app = app
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sim/"):
            await self.app(scope, receive, send)
            return
        started = False

        async def counting_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self._count(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            if not started:  # Starlette's outermost middleware will turn this into the 500 below
                self._count(500)
            raise

    def _count(self, status: int) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
