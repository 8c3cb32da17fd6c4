"""Settings dumps for the start-up log never hold a secret: secret fields are masked, and
so is the password in any URL (a PostgreSQL store URL is the usual one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from services.settings import SiltaSettings
from services.timeline.settings import TimelineSettings

KEY = "k" * 40


@pytest.mark.parametrize("password", ["secret", "s3cr@t:x", "p%40ss"])
def test_store_url_password_is_masked(password: str) -> None:
    settings = TimelineSettings(store_url=f"postgresql://silta:{password}@db:5432/silta",
                                pseudonym_key=KEY)
    dumped = json.dumps(settings.redacted())
    assert password not in dumped and KEY not in dumped
    assert settings.redacted()["store_url"] == "postgresql://silta:**********@db:5432/silta"


def test_urls_without_a_password_are_kept() -> None:
    for url in ("sqlite:///var/silta/t.sqlite3", "postgresql://silta@db/silta",
                "postgresql:///silta?host=/run/postgresql"):
        assert TimelineSettings(store_url=url, pseudonym_key=KEY).redacted()["store_url"] == url


# Secrets set in every service's settings, as a platform would: env vars and a mounted file.
SECRETS = {"SILTA_KAFKA_SASL_PASSWORD": "kafka-pw-Zq81xv", "SILTA_PSEUDONYM_KEY": "pk-" + "q" * 40,
           "SILTA_API_TOKENS": '{"api-token-Vb62mmmmmmmmmmmmmmmmmmmmmmm": {"actor": "evaluator:a", '
           '"scopes": ["timeline:read"]}}',
           "SILTA_HTTP_TOKENS": '{"hospital-fhir": "http-token-Jk44nnnnnnnnnnnnnnnnnnnnnnnnnnnn"}',
           "SILTA_EXPORT_API_TOKEN": "export-token-Wp09"}
NEEDLES = ["kafka-pw-Zq81xv", "q" * 40, "api-token-Vb62", "http-token-Jk44", "export-token-Wp09",
           "store-pw-Hh73"]


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SILTA_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("SILTA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("SILTA_KAFKA_SASL_USERNAME", "ingest")
    monkeypatch.setenv("SILTA_STORE_URL", "postgresql://silta:store-pw-Hh73@db/silta")


def _settings_classes() -> list[type[SiltaSettings]]:
    from services.api.settings import ApiSettings
    from services.cli.acls import AclsSettings
    from services.cli.export import ExportSettings
    from services.cli.topics import TopicsSettings
    from services.gateways.http.settings import HttpIngestSettings
    from services.gateways.mllp.settings import MllpSettings
    from services.ingest.settings import IngestSettings

    return [IngestSettings, TimelineSettings, MllpSettings, HttpIngestSettings, ApiSettings,
            ExportSettings, TopicsSettings, AclsSettings]


@pytest.mark.usefixtures("secret_env")
@pytest.mark.parametrize("settings_class", _settings_classes(), ids=lambda c: c.__name__)
def test_no_secret_in_any_settings_dump(settings_class: type[SiltaSettings]) -> None:
    settings = settings_class()
    assert settings.kafka_sasl_password is not None  # the secret did reach the settings
    dumped = json.dumps(settings.redacted(), default=str) + repr(settings) + str(settings)
    assert [n for n in NEEDLES if n in dumped] == []


@pytest.mark.usefixtures("secret_env")
def test_no_secret_in_any_help_text() -> None:
    from typer.main import get_command
    from typer.testing import CliRunner

    from services.cli.main import app

    def paths(command: Any, prefix: list[str]) -> list[list[str]]:
        found = [prefix]
        for name, sub in getattr(command, "commands", {}).items():
            found += paths(sub, [*prefix, name])
        return found

    every = paths(get_command(app), [])
    assert ["acls", "apply"] in every and ["serve"] in every
    for path in every:
        result = CliRunner().invoke(app, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert [n for n in NEEDLES if n in result.output] == [], path


def test_a_secret_file_works_for_every_optional_secret(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from services.cli.export import ExportSettings

    (tmp_path / "token").write_text("export-token-Wp09\n")
    monkeypatch.setenv("SILTA_EXPORT_API_TOKEN_FILE", str(tmp_path / "token"))
    token = ExportSettings().export_api_token
    assert token is not None and token.get_secret_value() == "export-token-Wp09"


def test_per_source_tokens_come_from_a_json_file(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from services.errors import ConfigError
    from services.gateways.http.settings import HttpIngestSettings

    tokens = tmp_path / "tokens.json"
    tokens.write_text('{"social-cis": "tok-Qm31aaaaaaaaaaaaaaaa"}\n')
    monkeypatch.setenv("SILTA_HTTP_TOKENS_FILE", str(tokens))
    settings = HttpIngestSettings()
    assert settings.http_tokens["social-cis"].get_secret_value() == "tok-Qm31aaaaaaaaaaaaaaaa"
    tokens.write_text("social-cis=tok-Qm31")
    with pytest.raises(ConfigError, match=r"SILTA_HTTP_TOKENS_FILE .*not a JSON object"):
        HttpIngestSettings()


STORE_URL = "postgresql://silta:store-pw-Hh73@db.example:5432/silta"


def _store_settings() -> list[type[SiltaSettings]]:
    from services.api.settings import ApiSettings
    from services.cli.evaluate import EvaluateSettings
    from services.cli.export import ExportSettings

    return [TimelineSettings, ApiSettings, ExportSettings, EvaluateSettings]


@pytest.mark.parametrize("settings_class", _store_settings(), ids=lambda c: c.__name__)
def test_the_store_url_comes_from_a_file_and_is_masked(
        settings_class: type[SiltaSettings], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Its password is a secret inside a setting that is not one: the URL has a _FILE form."""
    from services.errors import ConfigError

    (tmp_path / "store-url").write_text(STORE_URL + "\n")
    monkeypatch.setenv("SILTA_STORE_URL_FILE", str(tmp_path / "store-url"))
    monkeypatch.setenv("SILTA_PSEUDONYM_KEY", KEY)
    settings = settings_class()
    assert settings.store_url == STORE_URL  # type: ignore[attr-defined]
    dumped = json.dumps(settings.redacted(), default=str) + repr(settings)
    assert "store-pw-Hh73" not in dumped and "db.example:5432" in dumped
    monkeypatch.setenv("SILTA_STORE_URL", STORE_URL)
    with pytest.raises(ConfigError, match="set SILTA_STORE_URL or SILTA_STORE_URL_FILE, not both"):
        settings_class()


async def test_the_api_opens_the_store_its_url_file_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from services.api.app import build_app
    from services.api.settings import ApiSettings

    url = f"sqlite:///{tmp_path}/t.sqlite3"
    monkeypatch.setenv("SILTA_STORE_URL_FILE", str(tmp_path / "store-url"))
    (tmp_path / "store-url").write_text(url)
    app = build_app(ApiSettings(log_json=True))
    async with app.router.lifespan_context(app):
        pass
    out = capsys.readouterr()
    assert f'"store_url": "{url}"' in out.out + out.err  # the start-up log line
    assert (tmp_path / "t.sqlite3").exists()
