"""Configuration from the environment (and an optional `.env` file).

pydantic-settings gives us typed parsing, `SecretStr` masking and `.env` support without hand-written
environment plumbing. Secrets are only ever read from the environment, never from the command line.
"""

import sys
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from catena_mcp.tools.catena.client import DEFAULT_MAX_RESPONSE_BYTES, ClientConfig

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    catena_base_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://api.catenatelematics.com"), description="Catena API host."
    )
    catena_token_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://auth.catenatelematics.com/realms/catena/protocol/openid-connect/token"),
        description="Keycloak token endpoint.",
    )
    catena_client_id: str | None = Field(default=None, description="OAuth2 client ID.")
    catena_client_secret: SecretStr | None = Field(default=None, description="OAuth2 client secret.")
    catena_access_token: SecretStr | None = Field(
        default=None, description="A ready bearer token, used instead of client credentials."
    )
    catena_timeout: float = Field(default=10.0, gt=0, le=50, description="Seconds per upstream request.")
    catena_max_retries: int = Field(
        default=2, ge=0, le=5, description="Retries of one call after the first attempt."
    )
    catena_max_response_bytes: int = Field(
        default=DEFAULT_MAX_RESPONSE_BYTES,
        ge=64 * 1024,
        description="Largest Catena reply read, counted after decompression; larger ones are refused.",
    )
    catena_mcp_log_level: LogLevel = Field(default="WARNING", description="stderr log level.")
    catena_mcp_auth_token: SecretStr | None = Field(
        default=None,
        description="Bearer token HTTP clients must send; required to bind a non-loopback host.",
    )
    catena_mcp_stateless: bool = Field(
        default=False, description="Serve Streamable HTTP statelessly, for replicas (same as --stateless)."
    )
    # NoDecode: a comma-separated list, not the JSON pydantic-settings expects for list fields.
    catena_mcp_allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=[], description="Host headers the HTTP transports accept (comma-separated)."
    )
    catena_mcp_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default=[], description="Origin headers the HTTP transports accept (comma-separated)."
    )

    @field_validator("catena_mcp_allowed_hosts", "catena_mcp_allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @property
    def has_credentials(self) -> bool:
        return self.catena_access_token is not None or (
            self.catena_client_id is not None and self.catena_client_secret is not None
        )

    def client_config(self) -> ClientConfig:
        return ClientConfig(
            base_url=str(self.catena_base_url).rstrip("/"),
            token_url=str(self.catena_token_url),
            client_id=self.catena_client_id,
            client_secret=self.catena_client_secret,
            access_token=self.catena_access_token,
            timeout=self.catena_timeout,
            max_retries=self.catena_max_retries,
            max_response_bytes=self.catena_max_response_bytes,
        )


class ConfigError(Exception):
    """The environment holds a value we cannot use; the message names the variables, never the values."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        names = ", ".join(sorted({str(err["loc"][0]).upper() for err in exc.errors() if err["loc"]}))
        raise ConfigError(f"invalid configuration in {names}; see catena-mcp --help") from None


def settings_for_command(prog: str) -> Settings | None:
    """Settings for a command-line run; on a bad environment, says so on stderr and returns None."""
    try:
        return load_settings()
    except ConfigError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return None
