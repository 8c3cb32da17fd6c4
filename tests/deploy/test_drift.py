"""No drift between the deployment files and the settings classes.

Every SILTA_* variable that deploy/Containerfile, deploy/compose.yaml or the rendered chart
sets must be a setting of the command it targets (a field of that service's settings
class, the `SILTA_<NAME>_FILE` form of a secret field, or an option of the `silta`
command line), and each service's settings must load from exactly what the files give it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest
import trustme
import typer.main
from pydantic_settings import BaseSettings

from services.api.settings import ApiSettings
from services.cli import serve
from services.cli.main import app
from services.cli.topics import TopicsSettings
from services.settings import PseudonymSettings, SiltaSettings, file_settings
from services.tls import ServerTls
from tests.deploy.conftest import (
    CHART_VARIANTS,
    DEPLOY,
    containers,
    pod_specs,
    render,
    secret_source,
)

Target = tuple[str, ...]  # the `silta` command words, e.g. ("serve", "ingest")
SERVE_TARGETS = [("serve", service.value) for service in serve.Service]


def settings_class(target: Target) -> type[BaseSettings]:
    if target[0] == "serve":
        package, name, _ = serve._SERVICES[serve.Service(target[1])]
        cls: type[BaseSettings] = getattr(import_module(f"{package}.settings"), name)
        return cls
    if target == ("topics", "apply"):
        return TopicsSettings
    if target == ("acls", "apply"):
        # `silta acls apply` arrives with issue 14's Kafka security branch; until then the
        # operator's Kafka connection settings are what the Job gives it.
        return SiltaSettings
    raise AssertionError(f"no settings class known for `silta {' '.join(target)}`")


def accepted(target: Target) -> set[str]:
    """Every SILTA_* name the target reads."""
    cls = settings_class(target)
    names = {f"SILTA_{name.upper()}" for name in cls.model_fields}
    names |= {f"SILTA_{name.upper()}_FILE" for name in file_settings(cls)}
    return names | _cli_envvars(target)


def unknown(target: Target, names: set[str]) -> set[str]:
    return {name for name in names if name.startswith("SILTA_")} - accepted(target)


def _cli_envvars(target: Target) -> set[str]:
    command: Any = typer.main.get_command(app)
    envvars = {p.envvar for p in command.params if isinstance(p.envvar, str)}
    for word in target:
        command = getattr(command, "commands", {}).get(word)
        if command is None:
            break
        envvars |= {p.envvar for p in command.params if isinstance(p.envvar, str)}
    return envvars


# --- what the files set ----------------------------------------------------------------


def chart_env(docs: list[dict[str, Any]]) -> Iterator[tuple[str, Target, dict[str, Any]]]:
    """(where, target, container) of every container the chart runs."""
    for name, pod in pod_specs(docs):
        for container in containers(pod):
            command = container.get("command") or ["silta", "serve", *container["args"]]
            assert command[0] == "silta", (name, command)
            yield f"{name}/{container['name']}", tuple(command[1:]), container


def compose_targets(compose: dict[str, Any]) -> Iterator[tuple[str, Target, dict[str, Any]]]:
    for name, service in compose["services"].items():
        if "silta" not in service.get("image", ""):
            continue
        command = service.get("entrypoint") or ["silta", "serve", *service["command"]]
        yield name, tuple(command[1:]), service


def test_the_image_sets_only_real_settings(image_env: dict[str, str]) -> None:
    # The image runs every service, so each variable must be read by at least one.
    names = {name for name in image_env if name.startswith("SILTA_")}
    assert names
    read_by_none = {name for name in names
                    if all(name in unknown(target, {name}) for target in SERVE_TARGETS)}
    assert not read_by_none


def test_compose_sets_only_real_settings_of_each_service(compose: dict[str, Any]) -> None:
    drift = {name: unknown(target, set(service.get("environment") or {}))
             for name, target, service in compose_targets(compose)}
    assert len(drift) == 6
    assert {where: names for where, names in drift.items() if names} == {}


@pytest.mark.parametrize("variant", CHART_VARIANTS)
def test_the_chart_sets_only_real_settings_of_each_service(
        rendered: dict[str, list[dict[str, Any]]], variant: str) -> None:
    drift = {where: unknown(target, {e["name"] for e in container.get("env", [])})
             for where, target, container in chart_env(rendered[variant])}
    assert drift
    assert {where: names for where, names in drift.items() if names} == {}


def test_the_check_flags_a_misspelt_or_misplaced_setting() -> None:
    ingest = ("serve", "ingest")
    assert unknown(ingest, {"SILTA_INGEST_MAX_BATCHES", "SILTA_STORE_URL", "SILTA_INGEST_MAX_BATCH",
                            "SILTA_KAFKA_SASL_PASSWORD_FILE", "SILTA_PSEUDONYM_KEY_FILE",
                            "SILTA_HTTP_HOST", "SILTA_LOG_LEVEL", "PATH"}) == {
        "SILTA_INGEST_MAX_BATCHES", "SILTA_STORE_URL"}
    assert unknown(("topics", "apply"), {"SILTA_HTTP_HOST"}) == {"SILTA_HTTP_HOST"}


def test_the_file_form_is_what_the_settings_read(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    (tmp_path / "password").write_text("from-a-file\n")
    monkeypatch.setenv("SILTA_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("SILTA_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("SILTA_KAFKA_SASL_USERNAME", "ingest")
    monkeypatch.setenv("SILTA_KAFKA_SASL_PASSWORD_FILE", str(tmp_path / "password"))
    settings = settings_class(("serve", "ingest"))()
    assert isinstance(settings, SiltaSettings) and settings.kafka_sasl_password is not None
    assert settings.kafka_sasl_password.get_secret_value() == "from-a-file"


# --- the settings load from what the files give -----------------------------------------

_TOKEN = "3f9a0c7d1e2b4a5968776655443322110"
SAMPLE_SECRETS = {  # (Secret or compose secret, key) -> content, shaped like the real thing
    ("silta-pseudonym-key", "key"): "a" * 64,
    ("pseudonym-key", ""): "b" * 64,
    ("silta-store", "url"): "postgresql://silta:pw@db:5432/silta",
    ("silta-api-tokens", "tokens"): json.dumps(
        {_TOKEN: {"actor": "evaluator:test", "scopes": ["timeline:read"]}}),
    ("api-tokens", ""): json.dumps({_TOKEN: {"actor": "evaluator:test", "scopes": ["audit:read"]}}),
    ("silta-http-tokens", "tokens"): json.dumps({"social-cis": _TOKEN}),
    ("postgres-password", ""): "pw",
    ("store-url", ""): "postgresql://silta:pw@postgres:5432/silta",
}
COMPOSE_VARIABLES = {"SILTA_HTTP_TOKENS": json.dumps({"social-cis": _TOKEN})}


def _sample(secret: str, key: str, pems: dict[tuple[str, str], str]) -> str:
    if secret == "silta-kafka-credentials":
        return f"password-of-{key}"
    return pems.get((secret, key)) or SAMPLE_SECRETS[(secret, key)]


def _pems() -> dict[tuple[str, str], str]:
    """A throwaway CA and client certificate, for the settings that load PEM files."""
    ca = trustme.CA()
    client = ca.issue_cert("ingest.silta.test")
    server = ca.issue_cert("api.silta.test")
    return {("silta-kafka-ca", "ca.crt"): ca.cert_pem.bytes().decode(),
            ("silta-ingest-tls", "tls.crt"): client.cert_chain_pems[0].bytes().decode(),
            ("silta-ingest-tls", "tls.key"): client.private_key_pem.bytes().decode(),
            ("silta-api-tls", "tls.crt"): server.cert_chain_pems[0].bytes().decode(),
            ("silta-api-tls", "tls.key"): server.private_key_pem.bytes().decode(),
            ("silta-api-tls", "ca.crt"): ca.cert_pem.bytes().decode()}


def _load(target: Target, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> BaseSettings:
    for name in [n for n in os.environ if n.startswith("SILTA_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = settings_class(target)()
    # What each service does with its settings at start-up, short of connecting.
    if isinstance(settings, SiltaSettings):
        settings.kafka.ssl_context()
    if isinstance(settings, PseudonymSettings):
        settings.pseudonymiser()
    if isinstance(settings, ApiSettings):
        assert settings.grants()
    if isinstance(tls := getattr(settings, "tls", None), ServerTls):
        tls.context()
    return settings


@pytest.mark.parametrize("variant", CHART_VARIANTS)
def test_each_pod_s_settings_load_from_what_the_chart_gives_it(
        rendered: dict[str, list[dict[str, Any]]], variant: str, image_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pems = _pems()
    pods = dict(pod_specs(rendered[variant]))
    for where, target, container in chart_env(rendered[variant]):
        pod = pods[where.split("/")[0]]
        env = {name: value for name, value in image_env.items() if name.startswith("SILTA_")}
        for entry in container.get("env", []):
            if "value" in entry:
                value = entry["value"]
                source = secret_source(pod, container, value)
                if source is not None:  # a mounted Secret: give it a file with sample content
                    file = tmp_path / where.replace("/", "_") / Path(value).name
                    file.parent.mkdir(exist_ok=True)
                    file.write_text(_sample(*source, pems))
                    value = str(file)
                env[entry["name"]] = value
            else:
                ref = entry["valueFrom"]["secretKeyRef"]
                env[entry["name"]] = _sample(ref["name"], ref["key"], pems)
        settings = _load(target, env, monkeypatch)
        if isinstance(settings, SiltaSettings) and settings.kafka.uses_sasl:
            assert settings.kafka_sasl_username in {"ingest", "timeline", "mllp-gateway",
                                                    "http-gateway", "operator"}


def test_each_service_s_settings_load_from_what_compose_gives_it(
        compose: dict[str, Any], image_env: dict[str, str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    pems = _pems()
    for name, target, service in compose_targets(compose):
        env = {n: v for n, v in image_env.items() if n.startswith("SILTA_")}
        for setting, value in (service.get("environment") or {}).items():
            value = re.sub(r"\$\{(\w+)(?::?[-?][^}]*)?\}",
                           lambda m: COMPOSE_VARIABLES[m.group(1)], str(value))
            if value.startswith("/run/secrets/"):
                file = tmp_path / f"{name}-{Path(value).name}"
                file.write_text(_sample(Path(value).name, "", pems) + "\n")
                value = str(file)
            env[setting] = value
        _load(target, env, monkeypatch)


def runbook_helm_commands() -> list[list[str]]:
    """The `--set` arguments of every `helm install|upgrade` in deploy/RUNBOOK.md."""
    text = (DEPLOY / "RUNBOOK.md").read_text()
    commands = re.findall(r"helm (?:install|upgrade) (?:[^\n]*\\\n)*[^\n]*", text)
    sets = []
    for command in commands:
        words = shlex.split(command.replace("\\\n", " "))
        sets.append([w for n, w in enumerate(words) if w == "--set" or words[n - 1] == "--set"])
    return sets


@pytest.mark.parametrize("sets", runbook_helm_commands(), ids=lambda sets: " ".join(sets[1::2])[:60])
def test_the_runbook_s_helm_commands_render_and_set_real_settings(sets: list[str]) -> None:
    docs = render(*sets)
    drift = {where: unknown(target, {e["name"] for e in container.get("env", [])})
             for where, target, container in chart_env(docs)}
    assert {where: names for where, names in drift.items() if names} == {}


def test_the_runbook_has_helm_commands() -> None:
    assert len(runbook_helm_commands()) >= 4
