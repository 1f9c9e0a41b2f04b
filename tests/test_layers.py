"""The layer contract (pyproject's `[tool.importlinter]`) holds on this tree and catches a backwards import."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]["contracts"]
(LAYERS_CONTRACT,) = [contract["name"] for contract in CONTRACTS if contract["type"] == "layers"]
SOURCES = ("server", "tools", "prompts", "simulator")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` as CI runs it, on `tree`'s pyproject, importing `catena_mcp` from `tree`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=tree,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(tree / ".package")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_backwards_import_breaks_the_layers_contract(tmp_path: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__")
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    shutil.copytree(ROOT / ".package", tmp_path / ".package", symlinks=True, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    leaf = tmp_path / "tools" / "untrusted.py"
    # A leaf that reaches up to the command line: the kind of import that made the old cycle.
    leaf.write_text(leaf.read_text("utf-8") + "\nimport catena_mcp.server.cli  # noqa: E402, F401\n", "utf-8")

    result = lint_imports(tmp_path)

    assert result.returncode != 0
    report = " ".join(result.stdout.split())  # lint-imports wraps long contract names
    assert f"{LAYERS_CONTRACT} BROKEN" in report
    assert (
        "catena_mcp.tools.untrusted is not allowed to import catena_mcp.server: "
        "- catena_mcp.tools.untrusted -> catena_mcp.server.cli"
    ) in report
