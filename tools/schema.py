"""Output schemas that say what a client needs and nothing else.

Pydantic's JSON schema repeats a `title` on every field, a `default` a result never uses, and spells an
optional value as `anyOf: [{type: T}, {type: null}]`. The official MCP client validates every structured
result against the tool's outputSchema, so its size is paid on every call: models that become an
outputSchema use `COMPACT_SCHEMA`, which drops the first two and writes the third as `type: [T, "null"]`.
It also drops the model's own description (its docstring, written for us): the fields say what a client
needs. What the schema accepts does not change.
"""

import copy
from collections import Counter
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema


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


def row_schema(schema: dict[str, Any]) -> None:
    """A compact schema whose scalar fields are named and required, their types stated in its description.

    For a row that repeats many times in one result. The official client validates with `jsonschema`, which
    pays ~4 µs for every value that has a schema of its own, whatever the schema says (formats are not
    asserted; descriptions, `type: [T, null]` and plain `type` cost the same), and nothing for a value whose
    schema is `true`. Fifty listed rows of 11 typed values made that validation a quarter of the call.
    Every row was validated against its model when the server built it.
    """
    compact_schema(schema)
    fields = schema["properties"]
    schema["description"] = "; ".join(_field_words(name, field) for name, field in fields.items()) + "."
    schema["properties"] = dict.fromkeys(fields, True)


def _field_words(name: str, field: dict[str, Any]) -> str:
    types = field["type"] if isinstance(field["type"], list) else [field["type"]]
    if field.get("format") == "date-time":
        types = ["date-time" if kind == "string" else kind for kind in types]
    words = f"{name} ({' or '.join(types)})"
    return f"{words}: {field['description']}" if "description" in field else words


ROW_SCHEMA = ConfigDict(json_schema_extra=row_schema)


class OutputModel(BaseModel):
    """Base of a tool's structured result: a compact schema, with single-use `$defs` written in place.

    A validator follows a `$ref` for every value it reaches through it (50 listed rows: 50 lookups), which
    made the official client's validation of a 50-row listing cost twice what the same schema inline does.
    Definitions used more than once stay shared, so the schema does not grow.
    """

    model_config = COMPACT_SCHEMA

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        root = handler.resolve_ref_schema(schema)
        uses: Counter[str] = Counter()
        _count(root, handler, uses, set())
        _inline(root, handler, uses)
        return schema


def _refs(node: Any) -> Iterator[dict[str, Any]]:
    """Every object holding a `$ref` below `node`, not looking into what the references point to."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield node
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _count(node: Any, handler: GetJsonSchemaHandler, uses: Counter[str], seen: set[str]) -> None:
    for holder in _refs(node):
        ref = holder["$ref"]
        uses[ref] += 1
        if ref not in seen:
            seen.add(ref)
            _count(handler.resolve_ref_schema({"$ref": ref}), handler, uses, seen)


def _inline(node: Any, handler: GetJsonSchemaHandler, uses: Counter[str]) -> None:
    for holder in list(_refs(node)):
        ref = holder["$ref"]
        if uses[ref] == 1:
            definition = copy.deepcopy(handler.resolve_ref_schema({"$ref": ref}))
            del holder["$ref"]
            holder.update({key: value for key, value in definition.items() if key not in holder})
            _inline(holder, handler, uses)
        else:
            _inline(handler.resolve_ref_schema({"$ref": ref}), handler, uses)
