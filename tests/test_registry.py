"""server.json, the MCP Registry entry, agrees with what it describes: pyproject, README, image, settings."""

import json
import re
import tomllib
from pathlib import Path
from typing import Any, get_args

from inline_snapshot import snapshot
from pydantic import SecretStr, TypeAdapter

from catena_mcp import __version__
from catena_mcp.server.config import Settings

ROOT = Path(__file__).resolve().parent.parent
ENTRY: dict[str, Any] = json.loads((ROOT / "server.json").read_text("utf-8"))
PROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]


def test_versions_equal_pyprojects() -> None:
    versions = [ENTRY["version"], *(package["version"] for package in ENTRY["packages"])]
    assert versions == [PROJECT["version"]] * 2
    assert __version__ == PROJECT["version"]


def test_the_name_is_the_repositorys_and_is_claimed_where_the_registry_looks() -> None:
    repository = PROJECT["urls"]["Repository"]
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", repository)
    assert match is not None, repository
    owner, name = match.groups()
    assert ENTRY["name"] == f"io.github.{owner}/{name}"
    assert ENTRY["repository"] == {"url": repository, "source": "github"}
    # PyPI publishes the README: the registry checks the package is ours by this marker in it.
    readme = (ROOT / "README.md").read_text("utf-8")
    assert re.findall(r"mcp-name: \S+", readme) == [f"mcp-name: {ENTRY['name']}"]
    # An OCI entry needs the same name as a label on the image.
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert re.findall(r'io\.modelcontextprotocol\.server\.name="([^"]+)"', dockerfile) == [ENTRY["name"]]


def test_the_package_is_the_pypi_one_run_with_uvx_over_stdio() -> None:
    (package,) = ENTRY["packages"]
    assert {key: value for key, value in package.items() if key != "environmentVariables"} == snapshot(
        {
            "registryType": "pypi",
            "registryBaseUrl": "https://pypi.org",
            "identifier": "catena-mcp",
            "version": "0.1.0",
            "runtimeHint": "uvx",
            "transport": {"type": "stdio"},
        }
    )
    assert package["identifier"] == PROJECT["name"]
    assert ENTRY["$schema"] == "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
    assert len(ENTRY["description"]) <= 100


def test_environment_variables_are_settings_with_their_defaults_and_secrets_marked() -> None:
    (package,) = ENTRY["packages"]
    fields = Settings.model_fields
    declared, actual = {}, {}
    for variable in package["environmentVariables"]:
        name = variable["name"]
        field = fields[name.lower()]
        assert field.annotation is not None
        # The declared default, read the way the setting reads it (URLs gain their trailing slash).
        default = variable.get("default")
        parsed = None if default is None else TypeAdapter(field.annotation).validate_python(default)
        declared[name] = (variable["isSecret"], parsed, variable["isRequired"])
        actual[name] = (SecretStr in get_args(field.annotation), field.default, field.is_required())
    assert declared == actual
    # Every secret a stdio server reads is declared (the auth token guards the HTTP transports only).
    secrets = {name.upper() for name, field in fields.items() if SecretStr in get_args(field.annotation)}
    assert secrets - set(declared) == {"CATENA_MCP_AUTH_TOKEN"}
