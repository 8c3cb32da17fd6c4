"""Settings shared by every service. Each service subclasses `SiltaSettings` once.

Environment variables use the `SILTA_` prefix, e.g. `SILTA_KAFKA_BOOTSTRAP`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

import deploy

DEFAULT_TOPICS_FILE = Path(deploy.__file__).resolve().parent / "topics.yaml"


class SiltaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SILTA_", extra="ignore", frozen=True)

    kafka_bootstrap: str = Field(
        "127.0.0.1:9092", description="Kafka bootstrap servers, comma separated"
    )
    topics_file: Path = Field(DEFAULT_TOPICS_FILE, description="declarative topic definitions")
    log_level: str = "INFO"
    log_json: bool | None = Field(None, description="JSON logs; default: JSON when not a TTY")

    def redacted(self) -> dict[str, Any]:
        """The settings as a dict with secrets masked, for the start-up log line."""
        return {
            name: ("**********" if isinstance(value, SecretStr) and value else value)
            for name, value in self
        }
