"""Command-line and configuration behaviour that needs no subprocess."""

import pytest
from inline_snapshot import snapshot
from pydantic import SecretStr

from catena_mcp.server.auth import StaticTokenVerifier, is_loopback
from catena_mcp.server.cli import main
from catena_mcp.server.config import ConfigError, load_settings
from catena_mcp.server.serve import StartupError, check_bind
from tests.fakes import make_settings

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.20", False),
        ("example.com", False),
    ],
)
def test_loopback_detection(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_non_loopback_bind_needs_an_auth_token() -> None:
    with pytest.raises(StartupError) as refused:
        check_bind(make_settings(), "streamable-http", "0.0.0.0")
    assert str(refused.value) == snapshot(
        "Refusing to serve streamable-http on non-loopback host '0.0.0.0' without authentication: set CATENA_MCP_AUTH_TOKEN to a long random secret (clients send it as 'Authorization: Bearer <token>'), or bind 127.0.0.1."
    )
    check_bind(make_settings(catena_mcp_auth_token="long-random-secret"), "sse", "0.0.0.0")
    check_bind(make_settings(), "stdio", "0.0.0.0")
    check_bind(make_settings(), "sse", "127.0.0.1")


async def test_static_token_verifier() -> None:
    verifier = StaticTokenVerifier(SecretStr("long-random-secret"))
    accepted = await verifier.verify_token("long-random-secret")
    assert accepted is not None
    assert "long-random-secret" not in repr(accepted)
    assert await verifier.verify_token("long-random-secreT") is None
    assert await verifier.verify_token("") is None


def test_invalid_environment_names_the_variable_not_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATENA_TIMEOUT", "soon")
    monkeypatch.setenv("CATENA_MAX_RETRIES", "-1")
    monkeypatch.setenv("CATENA_CLIENT_SECRET", "hunter2-secret")
    with pytest.raises(ConfigError) as invalid:
        load_settings()
    assert str(invalid.value) == snapshot(
        "invalid configuration in CATENA_MAX_RETRIES, CATENA_TIMEOUT; see catena-mcp --help"
    )


def test_secrets_are_masked_in_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATENA_CLIENT_SECRET", "hunter2-secret")
    monkeypatch.setenv("CATENA_ACCESS_TOKEN", "eyJ-token")
    settings = load_settings()
    assert "hunter2-secret" not in repr(settings)
    assert "eyJ-token" not in repr(settings)


def test_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["frobnicate"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == snapshot(
        "catena-mcp: error: unknown command 'frobnicate' (see --help)"
    )


def test_secrets_are_not_command_line_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--client-secret", "x"])
    assert exited.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_diagnose_rejects_bad_ids_before_any_network(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["diagnose", "nope", "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77"])
    assert exited.value.code == 2
    assert capsys.readouterr().err == snapshot("catena-mcp diagnose: both IDs must be UUIDs.\n")


@pytest.mark.parametrize(
    "argv",
    [[], ["diagnose", "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77", "3c9e1f20-8b4d-4a6e-b7c5-2d1e0f9a8b77"]],
    ids=["serve", "diagnose"],
)
def test_bad_environment_stops_a_command_before_it_starts(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CATENA_TIMEOUT", "soon")
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert capsys.readouterr().err.split(": ", 1)[1] == snapshot(
        "invalid configuration in CATENA_TIMEOUT; see catena-mcp --help\n"
    )
