"""`silta kafka up --secure DIR`: a person's secured broker, one env file per principal,
each of which just works."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from dotenv import dotenv_values
from typer.testing import CliRunner

from deploy.local.broker import free_port
from services.cli.main import app
from services.kafka.acls import load_acls
from services.kafka.diagnosis import diagnose
from services.settings import SiltaSettings

pytestmark = pytest.mark.kafka


def test_up_secure_writes_working_client_settings(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    port, run_dir, out = free_port(), tmp_path / "run", tmp_path / "creds"
    where = ["--port", str(port), "--run-dir", str(run_dir)]
    started = CliRunner().invoke(app, ["kafka", "up", "--secure", str(out), *where])
    try:
        assert started.exit_code == 0, started.output
        principals = set(load_acls().principals)
        assert {p.name for p in out.iterdir()} == {"ca.pem"} | {f"{p}.env" for p in principals}
        passwords = set()
        for principal in principals:
            env = dotenv_values(out / f"{principal}.env")
            assert (out / f"{principal}.env").stat().st_mode & 0o077 == 0  # owner only
            for name, value in env.items():
                monkeypatch.setenv(name, value or "")
            settings = SiltaSettings()
            assert settings.kafka_security_protocol == "SASL_SSL"
            assert settings.kafka_sasl_username == principal
            assert asyncio.run(diagnose(settings.kafka)) is None, principal
            passwords.add(env["SILTA_KAFKA_SASL_PASSWORD"])
        assert len(passwords) == len(principals), "every principal has its own password"
        assert not any(p in started.output for p in passwords)
        status = CliRunner().invoke(app, ["kafka", "status", *where])
        assert status.exit_code == 0 and status.output.startswith("running"), status.output
    finally:
        stopped = CliRunner().invoke(app, ["kafka", "down", *where])
    assert stopped.output.strip() == "stopped"
