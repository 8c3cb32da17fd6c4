"""deploy/Containerfile: linted by hadolint (every finding fails), and its structure read
with dockerfile-parse against what the deployment relies on."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.deploy.conftest import CONTAINERFILE, DEPLOY, REPO, containerfile, run, tool

# Every service's plain-HTTP operations port (/health, /ready, /metrics): one number.
OPERATIONS_PORTS = ["SILTA_INGEST_HTTP_PORT", "SILTA_TIMELINE_HTTP_PORT", "SILTA_MLLP_HTTP_PORT",
                    "SILTA_HTTP_INGEST_OPS_PORT", "SILTA_API_OPS_PORT"]


def _hadolint(path: Path) -> list[dict[str, object]]:
    done = run(tool("hadolint"), "--no-color", "--format", "json", "--failure-threshold",
               "info", str(path))
    findings: list[dict[str, object]] = json.loads(done.stdout or "[]")
    assert (done.returncode == 0) == (not findings), done.stderr
    return findings


def test_hadolint_finds_nothing() -> None:
    assert _hadolint(CONTAINERFILE) == []


def test_hadolint_does_flag_a_bad_containerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Containerfile"
    bad.write_text("FROM python\nRUN apt-get update && apt-get install curl\nRUN cd /src\n")
    codes = {finding["code"] for finding in _hadolint(bad)}
    assert {"DL3006", "DL3008", "DL3003"} <= codes


def test_multi_stage_on_slim_python_311() -> None:
    parser = containerfile()
    froms = [i["value"] for i in parser.structure if i["instruction"] == "FROM"]
    assert len(froms) >= 2
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", parser.baseimage)
    assert all(image == parser.baseimage for image in parser.parent_images)


def test_final_stage_runs_silta_serve_as_a_numeric_non_root_user() -> None:
    final = _final_stage()
    users = [value for instruction, value in final if instruction == "USER"]
    assert users, "the final stage must set USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0  # numeric: runAsNonRoot verifies it without /etc/passwd
    entrypoints = [value for instruction, value in final if instruction == "ENTRYPOINT"]
    assert json.loads(entrypoints[-1]) == ["silta", "serve"]


def test_healthcheck_probes_health_on_the_port_every_service_serves(
        image_env: dict[str, str]) -> None:
    (healthcheck,) = [value for instruction, value in _final_stage()
                      if instruction == "HEALTHCHECK"]
    assert "http://127.0.0.1:9090/health" in healthcheck  # plain HTTP, whatever TLS is on
    assert {image_env[name] for name in OPERATIONS_PORTS} == {"9090"}
    assert image_env["SILTA_HTTP_HOST"] == "0.0.0.0"
    exposed = [value for instruction, value in _final_stage() if instruction == "EXPOSE"]
    assert set(" ".join(exposed).split()) == {"9090", image_env["SILTA_API_PORT"],
                                              image_env["SILTA_HTTP_INGEST_PORT"], "2575"}


def test_no_dev_dependencies_and_only_package_sources_copied() -> None:
    parser = containerfile()
    runs = " ".join(i["value"] for i in parser.structure if i["instruction"] == "RUN")
    installs = re.findall(r"pip install ([^&;]+)", runs)
    assert installs, "the build stage installs Silta with pip"
    for args in installs:
        assert "[" not in args and "-e" not in shlex.split(args), args  # no extras, not editable
    for instruction in parser.structure:
        if instruction["instruction"] == "COPY" and "--from" not in instruction["value"]:
            *sources, _ = shlex.split(instruction["value"])
            for source in sources:
                assert (REPO / source).exists(), source
                assert source not in {"tests", "bench", "."}, source
    ignored = (DEPLOY / "Containerfile.dockerignore").read_text().split()
    assert {".venv", "tests", "**/__pycache__"} <= set(ignored)


def _final_stage() -> list[tuple[str, str]]:
    structure = [(i["instruction"], i["value"]) for i in containerfile().structure]
    last_from = max(n for n, (instruction, _) in enumerate(structure) if instruction == "FROM")
    return structure[last_from:]
