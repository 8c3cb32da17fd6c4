"""A command's settings from the environment, where a bad setting is one ConfigError
naming the variable (the command line prints it as one line and exits 2), not a pydantic
traceback. The value is never repeated: it may be a secret."""

from __future__ import annotations

from typing import TypeVar

from pydantic import ValidationError
from pydantic_settings import BaseSettings

from services.errors import ConfigError

S = TypeVar("S", bound=BaseSettings)


def load(settings: type[S]) -> S:
    try:
        return settings()
    except ValidationError as exc:
        prefix = settings.model_config.get("env_prefix", "")
        problems = []
        for error in exc.errors():
            cause = (error.get("ctx") or {}).get("error")
            why = str(cause) if isinstance(cause, ConfigError) else error["msg"]
            where = "_".join(str(part) for part in error["loc"]).upper()
            problems.append(f"{prefix}{where}: {why}" if where else why)
        raise ConfigError("; ".join(problems)) from None
