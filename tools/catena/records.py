"""Tolerant models of Catena's provisional resource-operation payload.

The endpoint is provisional: fields may be renamed or added and enums grow (new TSPs, resources, error
types, statuses). So enums are plain strings, unknown fields are kept (`extra="allow"`), and every field the
OpenAPI marks optional may be absent. Only what we cannot work without is required.
"""

import json
from datetime import UTC, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from catena_mcp.tools.headers import is_allowed_header

# The values Catena documents today; anything else is still accepted and shown verbatim.
KNOWN_ERROR_TYPES = ("auth", "validation", "network", "tsp")
KNOWN_OPERATION_STATUSES = ("pending", "success", "failed")


def _utc_times(fields: dict[str, Any]) -> None:
    # Catena (FastAPI) may serialise naive datetimes; they are UTC. Other offsets are converted, so that
    # a time's fields (and its date) read as UTC.
    for name in ("created_at", "updated_at"):
        value = fields[name]
        if value is not None and (value.tzinfo is None or value.utcoffset()):
            fields[name] = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ResourceOperationLog(BaseModel):
    """One attempt to carry out the operation against the TSP."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str = Field(description="Log entry ID.")
    created_at: datetime = Field(description="When the attempt was recorded (UTC).")
    updated_at: datetime | None = None
    resource_operation_id: str | None = None
    status: str = Field(description="success | failed (other values are passed through).")
    error_type: str | None = Field(
        default=None, description="auth | validation | network | tsp (other values are passed through)."
    )
    error_details: str | None = Field(default=None, description="Text from the TSP or Catena: untrusted.")
    response_status_code: int | None = Field(default=None, description="HTTP status the TSP returned.")
    # Values as received (any JSON), then as text: a number or a null value costs that header, not all.
    response_headers: dict[str, Any] | None = Field(
        default=None, description="Rate-limit and request-ID headers only; anything else is dropped."
    )

    # Normalised by the operation's validator, which runs once for the operation and all its logs.


class ResourceOperation(BaseModel):
    """A write-back Catena forwards to a fleet's TSP, with one log per attempt."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    id: str = Field(description="Resource operation ID.")
    connection_id: str = Field(description="The connection (one fleet + one TSP) it belongs to.")
    created_at: datetime
    updated_at: datetime | None = None
    partner_id: str | None = None
    fleet_ref: str | None = None
    source_name: str | None = Field(default=None, description="The TSP, e.g. samsara, motive, geotab.")
    resource: str | None = Field(default=None, description="e.g. vehicle, user, message.")
    resource_id: str | None = None
    source_id: str | None = None
    operation_type: str | None = Field(default=None, description="create | update.")
    status: str = Field(description="pending | success | failed (other values are passed through).")
    payload: dict[str, Any] | None = None
    logs: list[ResourceOperationLog] = Field(default_factory=list)

    @field_validator("logs", mode="before")
    @classmethod
    def _null_logs(cls, value: Any) -> Any:
        return [] if value is None else value

    @model_validator(mode="after")
    def _normalised(self) -> Self:
        """Times in UTC, headers allow-listed, for the operation and its logs in one pass.

        One validator for the whole record rather than one per field and log: each is a call from
        pydantic-core into Python, and they made up half the cost of reading a short operation. Values
        already right are left alone, and written straight into `__dict__` (pydantic's `__setattr__`
        would cost more than the check).
        """
        _utc_times(self.__dict__)
        for log in self.logs:
            fields = log.__dict__
            _utc_times(fields)
            headers = fields["response_headers"]
            if headers:
                # Names are already text (validated as such); values become text, in one pass with the
                # allow-list.
                fields["response_headers"] = {
                    name: value if isinstance(value, str) else str(value)
                    for name, value in headers.items()
                    if value is not None and is_allowed_header(name)
                }
        return self


def parse_operation(content: bytes | bytearray) -> ResourceOperation:
    """Catena's JSON as a ResourceOperation, dropping optional fields whose value has drifted in type.

    The fast path is one pydantic-core pass over the bytes. Only when that fails is the JSON decoded and
    every optional field named in the errors set to null, so that, say, a `response_status_code` of
    `"n/a"` in one log costs that one value instead of the whole answer. What is still invalid then (a
    missing ID or timestamp, a non-object) raises `ValidationError`.
    """
    try:
        return ResourceOperation.model_validate_json(content)
    except ValidationError as exc:
        errors = exc.errors()
        if errors[0]["type"] == "json_invalid":
            raise
        data = json.loads(content)
        if not isinstance(data, dict) or not _drop_drifted(data, errors):
            raise
    return ResourceOperation.model_validate(data)


class OperationPage(BaseModel):
    """One page of the list endpoint: operations (without logs, as far as Catena documents) and the cursor."""

    items: list[ResourceOperation]
    next_page: str | None = None
    # Items too broken to read even after dropping drifted fields: counted, never guessed at.
    unreadable: int = 0


def parse_page(content: bytes | bytearray) -> OperationPage:
    """Catena's page as an OperationPage; raises `ValidationError` only when the page itself is unreadable.

    Like `parse_operation`, drifted optional fields cost their value, and an item that is still invalid costs
    that item (counted in `unreadable`), not the page.
    """
    try:
        return OperationPage.model_validate_json(content)
    except ValidationError as exc:
        if exc.errors()[0]["type"] == "json_invalid":
            raise
        data = json.loads(content)
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            raise
    items = []
    for item in data["items"]:
        try:
            items.append(_tolerant(item))
        except ValidationError:
            continue
    cursor = data.get("next_page")
    return OperationPage(
        items=items,
        next_page=cursor if isinstance(cursor, str) and cursor else None,
        unreadable=len(data["items"]) - len(items),
    )


def _tolerant(data: Any) -> ResourceOperation:
    try:
        return ResourceOperation.model_validate(data)
    except ValidationError as exc:
        if not isinstance(data, dict) or not _drop_drifted(data, exc.errors()):
            raise
    return ResourceOperation.model_validate(data)


_OPTIONAL = {
    "operation": {name for name, f in ResourceOperation.model_fields.items() if not f.is_required()}
    - {"logs"},
    "log": {name for name, f in ResourceOperationLog.model_fields.items() if not f.is_required()},
}


def _drop_drifted(data: dict[str, Any], errors: list[Any]) -> bool:
    """Null the optional fields the errors point at; False when an error concerns anything else."""
    for error in errors:
        match error["loc"]:
            case (str(name),) if name in _OPTIONAL["operation"]:
                data[name] = None
            case ("logs", int(index), str(name), *_) if name in _OPTIONAL["log"]:
                data["logs"][index][name] = None
            case _:
                return False
    return True
