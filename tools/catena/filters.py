"""Which operations to list: the list endpoint's filters, already validated by the tools.

Names follow the tools' arguments (a contract); `query()` spells them the way Catena's query string does.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class OperationFilters:
    connection_id: UUID | None = None
    source_name: str | None = None
    resource: str | None = None
    operation_type: str | None = None
    fleet_refs: tuple[str, ...] = ()
    source_id: str | None = None
    # None leaves the end to Catena (since: 24 hours before until; until: now).
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> list[tuple[str, str]]:
        params = [
            (name, str(value))
            for name, value in (
                ("connection_id", self.connection_id),
                ("source_name", self.source_name),
                ("resource", self.resource),
                ("operation", self.operation_type),
                ("source_id", self.source_id),
            )
            if value is not None
        ]
        params += [("fleet_refs", fleet_ref) for fleet_ref in self.fleet_refs]
        if self.since is not None:
            params.append(("from_datetime", self.since.isoformat()))
        if self.until is not None:
            params.append(("to_datetime", self.until.isoformat()))
        return params
