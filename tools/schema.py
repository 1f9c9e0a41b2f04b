"""Output schemas that say what a client needs and nothing else.

Pydantic's JSON schema repeats a `title` on every field, a `default` a result never uses, and spells an
optional value as `anyOf: [{type: T}, {type: null}]`. The official MCP client validates every structured
result against the tool's outputSchema, so its size is paid on every call: models that become an
outputSchema use `COMPACT_SCHEMA`, which drops the first two and writes the third as `type: [T, "null"]`.
It also drops the model's own description (its docstring, written for us): the fields say what a client
needs. What the schema accepts does not change.
"""

from typing import Any

from pydantic import ConfigDict


def compact_schema(schema: dict[str, Any]) -> None:
    schema.pop("title", None)
    schema.pop("description", None)
    for field in schema.get("properties", {}).values():
        _compact(field)


def _compact(node: dict[str, Any]) -> None:
    node.pop("title", None)
    node.pop("default", None)
    branches = node.get("anyOf")
    if isinstance(branches, list) and len(branches) == 2 and {"type": "null"} in branches:
        (other,) = [branch for branch in branches if branch != {"type": "null"}]
        if isinstance(other.get("type"), str):
            del node["anyOf"]
            node.update(other, type=[other["type"], "null"])
            if "enum" in other:
                node["enum"] = [*other["enum"], None]


COMPACT_SCHEMA = ConfigDict(json_schema_extra=compact_schema)
