"""The wheel a user installs: one import package, safe next to distributions with generic top-level names.

Builds the wheel from this tree, installs it into a fresh virtualenv, then installs over it a throwaway
distribution that ships top-level `server`, `tools` and `prompts` packages (before issue 8 it overwrote our
`server/__init__.py` and `catena-mcp --version` died with an ImportError), and runs the installed command.
"""

import base64
import hashlib
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from inline_snapshot import snapshot

import catena_mcp
from tests.e2e.helpers import process_env

ROOT = Path(__file__).resolve().parents[1]
GENERIC_NAMES = ("server", "tools", "prompts")
PIP_TIMEOUT_SECONDS = 300


def pip(*args: str) -> None:
    """The test runner's pip; `--python` points it at another environment, which needs no pip of its own."""
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=False,
        timeout=PIP_TIMEOUT_SECONDS,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    pip("wheel", "--no-deps", "-w", str(out), str(ROOT))
    (built,) = out.glob("*.whl")
    return built


def throwaway_wheel(directory: Path) -> Path:
    """A distribution with the generic top-level packages many projects ship, built by hand."""
    dist_info = "someone_elses_server-1.0.dist-info"
    files = {f"{name}/__init__.py": f'OWNER = "someone else"  # {name}\n' for name in GENERIC_NAMES}
    files[f"{dist_info}/METADATA"] = "Metadata-Version: 2.1\nName: someone-elses-server\nVersion: 1.0\n"
    files[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{dist_info}/RECORD"] = "\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n"
    path = directory / "someone_elses_server-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture(scope="module")
def crowded_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv (no system site-packages) with our wheel, then the throwaway installed over it."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = str(venv / "bin" / "python")
    pip("--python", python, "install", "--no-compile", str(wheel))
    pip("--python", python, "install", "--no-compile", str(throwaway_wheel(wheel.parent)))
    return venv


def run(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        env=process_env(),
        cwd=venv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_wheel_holds_one_import_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    assert sorted({name.split("/")[0] for name in names}) == [
        "catena_mcp",
        f"catena_mcp-{catena_mcp.__version__}.dist-info",
    ]
    shipped = {"catena_mcp/py.typed", "catena_mcp/__main__.py", "catena_mcp/server/cli.py"}
    assert shipped <= set(names)
    assert f"catena_mcp-{catena_mcp.__version__}.dist-info/licenses/LICENSE" in names


def test_installed_next_to_generic_top_level_packages(crowded_venv: Path) -> None:
    # The setting is real: the other distribution's packages are the ones `import server` ... finds.
    result = run(crowded_venv, "python", "-c", "import server, tools, prompts; print(server.OWNER)")
    assert (result.returncode, result.stdout, result.stderr) == (0, "someone else\n", "")

    version = run(crowded_venv, "catena-mcp", "--version")
    assert (version.returncode, version.stdout, version.stderr) == (
        0,
        f"catena-mcp {catena_mcp.__version__}\n",
        "",
    )

    demo = run(crowded_venv, "catena-mcp", "demo")
    assert (demo.returncode, demo.stderr) == (0, "")
    output = re.sub(r"http://127\.0\.0\.1:\d+", "http://127.0.0.1:PORT", demo.stdout)
    # The headings and each operation's verdict line; tests/e2e/test_cli.py pins the whole output.
    key_lines = re.findall(
        r"^(?:Catena simulator|Tools:|get_resource_operation|\*\*\w+\*\* |All).*$", output, re.M
    )
    assert key_lines == snapshot(
        [
            "Catena simulator on http://127.0.0.1:PORT; spawning `catena-mcp` on stdio.",
            "Tools: get_resource_operation, triage_resource_operation_failures, list_resource_operations",
            "get_resource_operation  (largest pattern's example)",
            "**Failed** after 1 attempt: update user on geotab; latest failure auth (HTTP 401) at 2026-11-20T23:38:25Z.",
            "get_resource_operation  (success_after_retries)",
            "**Succeeded** after 3 attempts: update user on motive at 2026-11-20T10:31:03Z, after failures network (no HTTP status), tsp (HTTP 503).",
            "get_resource_operation  (rate_limit_x_variants)",
            "**Failed** after 3 attempts: create user on samsara; latest failure tsp (HTTP 429) at 2026-11-20T11:09:58Z; earlier: tsp (HTTP 502), tsp (HTTP 503).",
            "get_resource_operation  (failed_validation)",
            "**Failed** after 2 attempts: create user on geotab; latest failure validation (HTTP 422) at 2026-11-20T09:02:39Z.",
            "All simulated. Wire it into a client with: catena-mcp --demo",
        ]
    )

    # Uninstalling the other distribution removes only its own files.
    pip("--python", str(crowded_venv / "bin" / "python"), "uninstall", "-y", "someone-elses-server")
    version = run(crowded_venv, "catena-mcp", "--version")
    assert (version.returncode, version.stdout) == (0, f"catena-mcp {catena_mcp.__version__}\n")
