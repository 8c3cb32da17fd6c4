"""Settings of the timeline query API (env prefix SILTA_).

Tokens come as one secret, `SILTA_API_TOKENS`, a JSON object
`{"<token>": {"actor": "evaluator:team-a", "scopes": ["timeline:read"]}}`, so that a
platform can mount it from a secret store as it is. It stays a `SecretStr` here (the
start-up log shows actors and scopes, never tokens) and `grants()` parses it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from services.errors import ConfigError
from services.settings import SiltaSettings
from services.timeline.settings import TimelineSettings
from services.tls import ServerTls

Scope = Literal["timeline:read", "audit:read"]
SCOPES: dict[str, str] = {
    "timeline:read": "read pseudonymised timelines, entries, the client list and the "
                     "indicator dashboard",
    "audit:read": "read the audit log of the API",
}
MIN_TOKEN_LENGTH = 16


class TokenGrant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    actor: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9:._@-]{0,127}$",
                       description="who holds the token; written to every audit record")
    scopes: list[Scope] = Field(min_length=1)


class ApiSettings(SiltaSettings):
    api_port: int = Field(8080, ge=1, le=65535, description="HTTP port of the query API")
    api_ops_port: int | None = Field(
        None, ge=1, le=65535, description="a plain-HTTP port serving only /health, /ready "
        "and /metrics, for probes and Prometheus when the API's port speaks TLS (the image "
        "sets 9090)")
    store_url: str = Field(TimelineSettings.model_fields["store_url"].default,
                           description="sqlite:///path or postgresql://user:pass@host/db")
    api_tokens: SecretStr = Field(
        SecretStr("{}"),
        description='JSON {"<token>": {"actor": "...", "scopes": ["timeline:read"]}}')
    evaluation_min_cell: int = Field(5, ge=1, description="the dashboard suppresses cells "
                                     "counting fewer individuals (Toisiolaki 552/2019); the "
                                     "same setting as `silta evaluate`")
    api_indicators_max_age: float = Field(
        60, ge=0, le=86_400, description="seconds the dashboard's numbers may lag the store: "
        "it looks for new entries at most this often")
    api_tls_certfile: Path | None = Field(
        None, description="server certificate chain (PEM) for HTTPS; "
        "needs SILTA_API_TLS_KEYFILE too")
    api_tls_keyfile: Path | None = Field(None, description="private key (PEM) of that certificate")
    api_tls_client_cafile: Path | None = Field(
        None, description="CA (PEM) of client certificates; when set, a client without one "
        "from this CA is refused")

    @property
    def tls(self) -> ServerTls:
        return ServerTls("SILTA_API_TLS", self.api_tls_certfile, self.api_tls_keyfile,
                         self.api_tls_client_cafile)

    def grants(self) -> dict[str, TokenGrant]:
        """Token -> grant. Errors name the entry by position and actor, never the token."""
        try:
            raw = json.loads(self.api_tokens.get_secret_value() or "{}")
        except json.JSONDecodeError as exc:
            raise ConfigError(f"SILTA_API_TOKENS is not valid JSON (line {exc.lineno}, "
                              f"column {exc.colno})") from None
        if not isinstance(raw, dict):
            raise ConfigError('SILTA_API_TOKENS must be a JSON object {"<token>": {...}}')
        grants: dict[str, TokenGrant] = {}
        for position, (token, value) in enumerate(raw.items(), start=1):
            grants[token] = _grant(position, token, value)
        return grants

    def redacted(self) -> dict[str, Any]:
        shown = super().redacted()
        try:
            shown["api_tokens"] = [{"actor": g.actor, "scopes": g.scopes}
                                   for g in self.grants().values()]
        except ConfigError:
            shown["api_tokens"] = "(invalid)"
        return shown


def _grant(position: int, token: str, value: Any) -> TokenGrant:
    where = f"SILTA_API_TOKENS entry {position}"
    try:
        grant = TokenGrant.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(entry)"
        raise ConfigError(f"{where}: {field}: {first['msg']}") from None
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(f"{where} (actor {grant.actor}): the token has {len(token)} "
                          f"characters; use at least {MIN_TOKEN_LENGTH} random ones "
                          "(e.g. `openssl rand -hex 32`)")
    return grant
