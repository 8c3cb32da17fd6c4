"""Settings shared by the services. Each service has one settings class built from these.

Environment variables use the `SILTA_` prefix, e.g. `SILTA_KAFKA_BOOTSTRAP`.
"""

from __future__ import annotations

import json
import os
import re
import typing
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

import deploy
from services.errors import ConfigError
from services.kafka.connection import KafkaConnection, SaslMechanism, SecurityProtocol
from services.pseudonyms import MIN_KEY_BYTES, Pseudonymiser

DEFAULT_TOPICS_FILE = Path(deploy.__file__).resolve().parent / "topics.yaml"


# hide_input_in_errors: a validation error must not echo a password back.
_CONFIG = SettingsConfigDict(env_prefix="SILTA_", extra="ignore", frozen=True,
                             hide_input_in_errors=True)


class SecretFiles(PydanticBaseSettingsSource):
    """Every secret setting, and every URL setting (`*_url`: a URL can hold a password,
    `SILTA_STORE_URL=postgresql://user:password@host/db`), can come from a mounted file:
    `SILTA_<NAME>_FILE` holds the path, e.g.
    `SILTA_KAFKA_SASL_PASSWORD_FILE=/run/secrets/kafka-password`; one trailing newline is
    dropped; a map of secrets (per-source tokens) is a JSON object in its file. Setting both
    `SILTA_<NAME>` and `SILTA_<NAME>_FILE` is an error. A setting that declares its own
    `<name>_file` field (the pseudonym key) reads it itself."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every field at once

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields
        values: dict[str, Any] = {}
        for name in file_settings(self.settings_cls):
            secret_map = _is_secret_map(fields[name].annotation)
            variable = f"SILTA_{name.upper()}"
            path = os.environ.get(f"{variable}_FILE")
            if path is None:
                continue
            if variable in os.environ:
                raise ConfigError(f"set {variable} or {variable}_FILE, not both")
            try:
                text = Path(path).read_text()
            except OSError as exc:
                raise ConfigError(f"{variable}_FILE {path}: {exc.strerror}") from exc
            if not secret_map:
                values[name] = text[:-1] if text.endswith("\n") else text
                continue
            try:
                values[name] = json.loads(text)
            except ValueError:
                raise ConfigError(f"{variable}_FILE {path}: not a JSON object") from None
        return values


def file_settings(settings_cls: type[BaseSettings]) -> list[str]:
    """The fields that also read `SILTA_<NAME>_FILE` (see SecretFiles)."""
    fields = settings_cls.model_fields
    return [name for name, field in fields.items() if f"{name}_file" not in fields and (
        _is_secret(field.annotation) or _is_secret_map(field.annotation)
        or name.endswith("_url"))]


def _is_secret_map(annotation: Any) -> bool:
    return typing.get_origin(annotation) is dict and typing.get_args(annotation)[1] is SecretStr


def _is_secret(annotation: Any) -> bool:
    """`SecretStr` or `SecretStr | None`."""
    args = typing.get_args(annotation)
    return annotation is SecretStr or (SecretStr in args and type(None) in args)


class SiltaSettings(BaseSettings):
    model_config = _CONFIG

    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma separated"
    )
    kafka_security_protocol: SecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        None, description="needed with SASL_PLAINTEXT and SASL_SSL")
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = Field(
        None, description="or a file: SILTA_KAFKA_SASL_PASSWORD_FILE")
    kafka_ssl_cafile: Path | None = Field(
        None, description="CA bundle (PEM) the brokers' certificates are checked against; "
        "default: the system's")
    kafka_ssl_certfile: Path | None = Field(None, description="client certificate (PEM), mTLS")
    kafka_ssl_keyfile: Path | None = Field(None, description="client private key (PEM), mTLS")
    kafka_ssl_check_hostname: bool = True
    topics_file: Path = Field(DEFAULT_TOPICS_FILE, description="declarative topic definitions")
    log_level: str = "INFO"
    log_json: bool | None = Field(None, description="JSON logs; default: JSON when not a TTY")
    events_topic: str = "silta.events.v1"
    timeline_topic: str = "silta.timeline.v1"
    deadletter_topic: str = "silta.deadletter.v1"

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, SecretFiles(settings_cls), dotenv_settings,
                file_secret_settings)

    @model_validator(mode="after")
    def _kafka_is_consistent(self) -> SiltaSettings:
        self.kafka  # noqa: B018 -- building it checks the security settings fit together
        return self

    @property
    def kafka(self) -> KafkaConnection:
        """Where Kafka is and how to authenticate: what every client is built from."""
        return KafkaConnection(
            self.kafka_bootstrap, self.kafka_security_protocol, self.kafka_sasl_mechanism,
            self.kafka_sasl_username, self.kafka_sasl_password, self.kafka_ssl_cafile,
            self.kafka_ssl_certfile, self.kafka_ssl_keyfile, self.kafka_ssl_check_hostname)

    def __repr_args__(self) -> Any:
        # repr() reaches tracebacks and debug logs too: no URL password there either
        # (SecretStr fields already print as '**********').
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if isinstance(value, str) else value

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
