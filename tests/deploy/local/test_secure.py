"""`silta kafka up --secure DIR`: a person's secured broker, two env files per principal
(SASL/SCRAM and mutual TLS), each of which just works."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from dotenv import dotenv_values
from typer.testing import CliRunner

from deploy.local.broker import free_port
from services.cli.main import app
from services.kafka.acls import load_acls
from services.kafka.diagnosis import diagnose
from services.settings import SiltaSettings

pytestmark = pytest.mark.kafka


@dataclass(frozen=True)
class Secured:
    out: Path  # the --secure DIR
    port: int
    where: list[str]  # --port and --run-dir, as each `silta kafka` command takes them
    output: str  # what `up` printed


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    tmp_path = tmp_path_factory.mktemp("secure")
    port, run_dir, out = free_port(), tmp_path / "run", tmp_path / "creds"
    where = ["--port", str(port), "--run-dir", str(run_dir)]
    started = CliRunner().invoke(app, ["kafka", "up", "--secure", str(out), *where])
    try:
        assert started.exit_code == 0, started.output
        yield Secured(out, port, where, started.output)
    finally:
        stopped = CliRunner().invoke(app, ["kafka", "down", *where])
    assert stopped.output.strip() == "stopped"


def test_up_secure_writes_working_client_settings(secured: Secured,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out = secured.out
    principals = set(load_acls().principals)
    assert {p.name for p in out.iterdir()} == {"ca.pem"} | {
        f"{p}{suffix}" for p in principals for suffix in (".env", ".mtls.env", ".pem", ".key")}
    passwords = set()
    for principal in principals:
        env = _settings_from(out / f"{principal}.env", monkeypatch)
        settings = SiltaSettings()
        assert settings.kafka_security_protocol == "SASL_SSL"
        assert settings.kafka_sasl_username == principal
        assert asyncio.run(diagnose(settings.kafka)) is None, principal
        passwords.add(env["SILTA_KAFKA_SASL_PASSWORD"])
    assert len(passwords) == len(principals), "every principal has its own password"
    assert not any(p in secured.output for p in passwords)
    status = CliRunner().invoke(app, ["kafka", "status", *secured.where])
    assert status.exit_code == 0 and status.output.startswith("running"), status.output


def test_up_secure_writes_working_mutual_tls_settings(secured: Secured,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = secured.out
    assert f"env $(cat {out}/ingest.mtls.env) silta serve ingest" in secured.output
    for principal in load_acls().principals:
        env = _settings_from(out / f"{principal}.mtls.env", monkeypatch)
        assert not any(name.startswith("SILTA_KAFKA_SASL_") for name in env)
        assert (out / f"{principal}.key").stat().st_mode & 0o077 == 0  # owner only
        settings = SiltaSettings()
        assert settings.kafka_security_protocol == "SSL"
        assert settings.kafka_bootstrap != f"127.0.0.1:{secured.port}", "the mTLS listener"
        assert (settings.kafka_ssl_cafile, settings.kafka_ssl_certfile,
                settings.kafka_ssl_keyfile) == ((out / "ca.pem").resolve(),
                                                (out / f"{principal}.pem").resolve(),
                                                (out / f"{principal}.key").resolve())
        assert _common_name(out / f"{principal}.pem") == principal
        assert asyncio.run(diagnose(settings.kafka)) is None, principal


def _settings_from(path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """The env file's values, set in the environment as `env $(cat path)` would."""
    assert path.stat().st_mode & 0o077 == 0  # owner only
    env = dotenv_values(path)
    for name, value in env.items():
        monkeypatch.setenv(name, value or "")
    return env


def _common_name(cert: Path) -> str:
    subject = x509.load_pem_x509_certificate(cert.read_bytes()).subject
    return str(subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
