"""Bearer-token protection for the HTTP transports (CATENA_MCP_AUTH_TOKEN)."""

import hmac
import ipaddress

from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl, SecretStr


class StaticTokenVerifier(TokenVerifier):
    """Accepts exactly one shared secret, compared in constant time."""

    def __init__(self, token: SecretStr) -> None:
        self._expected = token.get_secret_value().encode()

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self._expected):
            return AccessToken(token="(redacted)", client_id="catena-mcp-client", scopes=[])  # noqa: S106
        return None


def auth_settings(host: str, port: int) -> AuthSettings:
    # The SDK requires an issuer URL; with no resource_server_url it is not published anywhere.
    return AuthSettings(
        issuer_url=AnyHttpUrl(f"http://{_url_host(host)}:{port}"),
        resource_server_url=None,
        required_scopes=[],
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
