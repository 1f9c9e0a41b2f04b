"""The README's generated tool reference and its quick-start commands must match the code and CI."""

from pathlib import Path

import pytest

from catena_mcp.server.docs import END, START, tool_reference, with_reference

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()

pytestmark = pytest.mark.anyio


async def test_tool_reference_is_current() -> None:
    assert with_reference(README, await tool_reference()) == README, (
        "README's tool reference drifted from the code: run `python -m catena_mcp.server.docs`"
    )
    assert README.count(START) == 1
    assert README.count(END) == 1


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = section.split("```sh\n")[1:]
    return [block.split("\n```", 1)[0].strip() for block in blocks]


def test_quick_start_is_two_commands_and_ci_runs_the_test_one() -> None:
    demo, suite = quick_start_commands()
    assert demo.endswith("catena-mcp demo")
    assert suite.endswith("pytest -q")
    ci = (ROOT / ".ci" / "run").read_text()
    assert suite in ci.splitlines(), ".ci/run must run the README's test command verbatim"
