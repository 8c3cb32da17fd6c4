"""deploy/compose.yaml: validated against the compose-spec JSON schema (bundled by
check-jsonschema, with its licence), and read for what the stack relies on."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from tests.deploy.conftest import COMPOSE, DEPLOY, REPO, run, tool

SILTA_SERVICES = {"ingest", "timeline", "mllp", "http-ingest", "api"}


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))


def test_compose_file_matches_the_compose_spec() -> None:
    done = _check(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_misspelt_key(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("    environment:\n", "    enviroment:\n", 1))
    assert _check(broken).returncode == 1


def test_kafka_is_the_official_image_in_kraft_mode_at_the_tested_version(
        compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    image, tag = kafka["image"].split(":")
    assert image == "apache/kafka"
    tested = re.search(r"<kafka.version>(.+)</kafka.version>",
                       (DEPLOY / "local" / "kafka" / "pom.xml").read_text())
    assert tested and tag == tested.group(1)  # the version the test suite runs against
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert not any("ZOOKEEPER" in name for name in env)


def test_every_silta_service_runs_after_the_topics_are_applied(compose: dict[str, Any]) -> None:
    services = compose["services"]
    silta = {name: s for name, s in services.items() if "silta" in s.get("image", "")}
    topics = silta.pop("topics")
    assert topics["entrypoint"] == ["silta", "topics", "apply"]
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert {s["command"][0] for s in silta.values()} == SILTA_SERVICES
    assert "postgres" in services
    for name, service in silta.items():
        assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully", name
        assert service["read_only"] is True, name


def test_secrets_are_files_and_none_is_committed(compose: dict[str, Any]) -> None:
    declared = compose["secrets"]
    for name, service in compose["services"].items():
        for setting, value in (service.get("environment") or {}).items():
            if setting.endswith("_FILE"):
                secret = value.removeprefix("/run/secrets/")
                assert value.startswith("/run/secrets/") and secret in service["secrets"], name
                assert "file" in declared[secret]
    files = {(COMPOSE.parent / s["file"]).resolve() for s in declared.values()}
    tracked = subprocess.run(["git", "ls-files", "deploy/secrets"], cwd=REPO, text=True,
                             capture_output=True, check=True).stdout.split()
    assert not tracked and files
    assert all(f.parent == (DEPLOY / "secrets").resolve() for f in files)


def test_timeline_state_dir_is_on_a_volume(compose: dict[str, Any],
                                           image_env: dict[str, str]) -> None:
    timeline = compose["services"]["timeline"]
    state_dir = timeline["environment"].get("SILTA_TIMELINE_STATE_DIR",
                                            image_env["SILTA_TIMELINE_STATE_DIR"])
    mounts = [volume.split(":")[1] for volume in timeline["volumes"]]
    assert any(state_dir.startswith(mount.rstrip("/") + "/") for mount in mounts)
    assert timeline["volumes"][0].split(":")[0] in compose["volumes"]

