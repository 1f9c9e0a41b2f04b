"""What the model pays: tokens of the tool definition in its context, and of the text each call returns.

Counted with cl100k (`bpe-openai`, which bundles the encoding and works offline). A tool definition is what
clients put in the model's context: name, title, description and input schema, as compact JSON. The raw
JSON is what the thin proxy returns: Catena's operation, counted compact (the proxy's own text block is the
same JSON indented, which only costs more).
"""

import json
from functools import cache
from typing import Any

from bench.results import Row, Target
from bench.warm import LARGE, SMALL, Replies

# The OpenAPI-generated alternative's tools/list, as measured in the issue.
OPENAPI_TOOLS_LIST_TOKENS = 1843
TOOL = "get_resource_operation"
SHOWN = (SMALL, "rate_limit_x_variants", "many_failure_kinds", LARGE)
HANDFUL = 10  # "a handful of attempts": at most this many logs
_CHUNK = 200_000  # bpe-openai refuses inputs of 1M characters; split between JSON values below that


@cache
def _encoding() -> Any:
    import bpe_openai

    return bpe_openai.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    """cl100k tokens; long text is split after a comma, which moves the count by < 0.01%."""
    total = 0
    start = 0
    while start < len(text):
        end = len(text)
        if end - start > _CHUNK:
            comma = text.rfind(",", start, start + _CHUNK)
            end = comma + 1 if comma > start else start + _CHUNK
        total += len(_encoding().encode_ordinary(text[start:end]))
        start = end
    return total


def definition(tool: dict[str, Any]) -> str:
    return json.dumps(
        {k: tool[k] for k in ("name", "title", "description", "inputSchema") if k in tool},
        separators=(",", ":"),
    )


def text_of(result: dict[str, Any]) -> str:
    return "\n".join(block["text"] for block in result["content"] if block.get("type") == "text")


def raw_json(result: dict[str, Any]) -> str:
    return json.dumps(result["structuredContent"], ensure_ascii=False, separators=(",", ":"))


def definition_rows(tools: dict[str, list[dict[str, Any]]]) -> list[Row]:
    mine = next(tool for tool in tools["catena-mcp"] if tool["name"] == TOOL)
    thin = next(tool for tool in tools["thin proxy"] if tool["name"] == TOOL)
    whole = json.dumps(tools["catena-mcp"], separators=(",", ":"))
    section = "tokens: tool definitions (every conversation)"
    return [
        Row(
            section,
            f"{TOOL}: name+title+description+inputSchema",
            "tokens",
            count_tokens(definition(mine)),
            OPENAPI_TOOLS_LIST_TOKENS,
            "OpenAPI-generated tools/list",
            Target("<=", 400, "absolute"),
        ),
        Row(
            section,
            f"{TOOL}: name+title+description+inputSchema",
            "tokens",
            count_tokens(definition(mine)),
            count_tokens(definition(thin)),
            "thin proxy's tool",
        ),
        Row(
            section,
            "whole tools/list reply, incl. outputSchema and annotations",
            "tokens",
            count_tokens(whole),
            OPENAPI_TOOLS_LIST_TOKENS,
            "OpenAPI-generated tools/list",
            note="for clients that also show the model the output schema",
        ),
    ]


def text_rows(replies: Replies) -> list[Row]:
    section = "tokens: text content per call"
    rows = []
    for key in SHOWN:
        text, raw = text_of(replies.ours[key]), raw_json(replies.baseline[key])
        logs = len(replies.baseline[key].get("structuredContent", {}).get("logs") or [])
        label = f"{key} ({logs:,} log{'s' * (logs != 1)})"
        limit = 700 if logs <= HANDFUL else 1500
        tokens, raw_tokens = count_tokens(text), count_tokens(raw)
        thin_text_tokens = count_tokens(text_of(replies.baseline[key]))
        rows.append(Row(section, f"{label}: characters", "chars", len(text), len(raw), "raw JSON"))
        rows.append(
            Row(
                section,
                f"{label}: tokens",
                "tokens",
                tokens,
                raw_tokens,
                "raw JSON",
                Target("<=", limit, "absolute"),
                note=f"thin proxy's text block: {thin_text_tokens:,} tokens",
            )
        )
        if key == LARGE:
            rows.append(
                Row(
                    section,
                    f"{label}: tokens vs raw JSON",
                    "tokens",
                    tokens,
                    raw_tokens,
                    "raw JSON",
                    Target("<=", 1 / 300),
                )
            )
    counts = {key: count_tokens(text_of(result)) for key, result in replies.ours.items()}
    handful = {
        key: n
        for key, n in counts.items()
        if len(replies.baseline[key].get("structuredContent", {}).get("logs") or []) <= HANDFUL
    }
    worst_handful = max(handful, key=handful.__getitem__)
    worst = max(counts, key=counts.__getitem__)
    rows.append(
        Row(
            section,
            f"max over the {len(handful)} operations with <= {HANDFUL} logs ({worst_handful})",
            "tokens",
            handful[worst_handful],
            target=Target("<=", 700, "absolute"),
        )
    )
    rows.append(
        Row(
            section,
            f"max over all {len(counts)} catalogue operations ({worst})",
            "tokens",
            counts[worst],
            target=Target("<=", 1500, "absolute"),
        )
    )
    return rows
