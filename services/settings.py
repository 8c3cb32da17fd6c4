"""Settings shared by the services. Each service has one settings class built from these.

Environment variables use the `SILTA_` prefix, e.g. `SILTA_KAFKA_BOOTSTRAP`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

import deploy
from adapters.identity import MIN_KEY_BYTES, Pseudonymiser
from services.errors import ConfigError

DEFAULT_TOPICS_FILE = Path(deploy.__file__).resolve().parent / "topics.yaml"


_CONFIG = SettingsConfigDict(env_prefix="SILTA_", extra="ignore", frozen=True)


class SiltaSettings(BaseSettings):
    model_config = _CONFIG

    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma separated"
    )
    topics_file: Path = Field(DEFAULT_TOPICS_FILE, description="declarative topic definitions")
    log_level: str = "INFO"
    log_json: bool | None = Field(None, description="JSON logs; default: JSON when not a TTY")
    events_topic: str = "silta.events.v1"
    timeline_topic: str = "silta.timeline.v1"
    deadletter_topic: str = "silta.deadletter.v1"

    def redacted(self) -> dict[str, Any]:
        """The settings with secrets masked, for the start-up log line: secret fields, and
        the password of any URL (`postgresql://user:pass@host/db`)."""
        return {name: ("**********" if isinstance(value, SecretStr) else
                       str(value) if isinstance(value, Path) else
                       redact_url(value) if isinstance(value, str) else value)
                for name, value in self}


# scheme://user:password@ — the password is everything after the user's colon up to the
# last '@' before the host (passwords may contain '@' and ':').
_URL_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://[^:/@]*:)[^/]*@")


def redact_url(text: str) -> str:
    """`text` with the password of a URL masked; anything else unchanged."""
    return _URL_PASSWORD.sub(r"\1**********@", text)


class PseudonymSettings(BaseSettings):
    """The pseudonym key: `SILTA_PSEUDONYM_KEY` or a mounted file `SILTA_PSEUDONYM_KEY_FILE`."""

    model_config = _CONFIG

    pseudonym_key: SecretStr | None = Field(None, description=f"at least {MIN_KEY_BYTES} bytes")
    pseudonym_key_file: Path | None = None
    pseudonym_key_version: str = Field("k1", pattern=r"^[a-z0-9-]{1,16}$")

    @model_validator(mode="after")
    def _one_key(self) -> PseudonymSettings:
        if self.pseudonym_key is not None and self.pseudonym_key_file is not None:
            raise ValueError("set SILTA_PSEUDONYM_KEY or SILTA_PSEUDONYM_KEY_FILE, not both")
        return self

    def pseudonymiser(self) -> Pseudonymiser:
        if self.pseudonym_key_file is not None:
            try:
                key = self.pseudonym_key_file.read_bytes().strip()
            except OSError as exc:
                raise ConfigError(f"SILTA_PSEUDONYM_KEY_FILE {self.pseudonym_key_file}: "
                                  f"{exc.strerror}") from exc
        elif self.pseudonym_key is not None:
            key = self.pseudonym_key.get_secret_value().encode()
        else:
            raise ConfigError("no pseudonym key: set SILTA_PSEUDONYM_KEY (at least "
                              f"{MIN_KEY_BYTES} random bytes, e.g. `openssl rand -hex 32`) or "
                              "SILTA_PSEUDONYM_KEY_FILE")
        if len(key) < MIN_KEY_BYTES:
            raise ConfigError(f"the pseudonym key has {len(key)} bytes; it needs at least "
                              f"{MIN_KEY_BYTES}")
        return Pseudonymiser(key, self.pseudonym_key_version)
