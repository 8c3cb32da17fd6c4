"""Silta services as real OS processes (`silta serve ...`): crash and scale-out tests and
the pipeline benchmarks run them this way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from deploy.local.broker import free_port


def settings_env(settings: BaseSettings) -> dict[str, str]:
    """The SILTA_* environment that reproduces `settings` in another process."""
    env: dict[str, str] = {}
    for name, value in settings:
        if value is None:
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        elif isinstance(value, list | dict):
            value = json.dumps(value, default=_plain)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        env[f"SILTA_{name.upper()}"] = str(value)
    return env


def _plain(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)


class ServiceProcess:
    """`silta serve <service>` in a child process, with its log in a file."""

    def __init__(self, service: str, settings: BaseSettings, log_dir: Path, name: str) -> None:
        self.service = service
        self.env = {**os.environ, **settings_env(settings), "SILTA_LOG_JSON": "true"}
        self.log_path = log_dir / f"{name}.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "services.cli.main", "serve", self.service,
             "--port", str(self.port)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush, open transactions left behind."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def dump_tasks(self) -> None:
        """Ask the process to log every asyncio task's stack (diagnosis of a stuck test)."""
        if self.alive:
            assert self.process is not None
            os.kill(self.process.pid, signal.SIGUSR1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
