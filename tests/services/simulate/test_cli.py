"""`silta simulate` from the command line: files and manifest, the summary, and one-line
errors with exit code 2 (never a traceback)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from services.cli.simulate import simulate
from services.simulate import SimConfig, build, summarise

app = typer.Typer(pretty_exceptions_enable=False)
app.command()(simulate)
runner = CliRunner()
SMALL = ["--clients", "12", "--seed", "4", "--start", "2025-02-03", "--days", "200"]


def run(*args: str, **env: str):
    return runner.invoke(app, list(args), env=env or None)


def test_writes_one_file_per_message_and_a_manifest(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = run(*SMALL, "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in (out / "manifest.ndjson").read_text().splitlines()]
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.ndjson")
    assert len(files) == len(lines)
    assert [entry["seq"] for entry in lines] == list(range(1, len(lines) + 1))
    for entry in lines:
        data = (out / entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert entry["file"] == f"{entry['source_id']}/{entry['seq']:06d}." + (
            "hl7" if entry["format"] == "hl7v2" else "json")
        sector = "social" if entry["format"] == "social" else "health"
        assert entry["topic"] == f"silta.raw.{sector}.{entry['source_id']}.v1"
    assert {entry["source_id"] for entry in lines} == {"hospital-adt", "hospital-fhir",
                                                       "social-cis"}
    assert {entry["kind"] for entry in lines} == {"valid", "duplicate", "malformed"}


def test_files_are_the_library_messages(tmp_path: Path) -> None:
    run(*SMALL, "--out", str(tmp_path / "a"))
    sim = build(SimConfig(clients=12, seed=4, start=dt.date(2025, 2, 3),
                          days=200))
    lines = (tmp_path / "a" / "manifest.ndjson").read_text().splitlines()
    assert [(tmp_path / "a" / json.loads(line)["file"]).read_bytes() for line in lines] == [
        m.payload for m in sim.messages]


def test_summary_counts_events_by_translating(tmp_path: Path) -> None:
    result = run(*SMALL, "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    sim = build(SimConfig(clients=12, seed=4, start=dt.date(2025, 2, 3),
                          days=200))
    expected = summarise(sim.messages, sim.deadlines)
    assert printed["events"] == expected.events > 0
    assert printed["messages_total"] == len(sim.messages)
    assert printed["expected_deadletters"] == sum(m.kind == "malformed" for m in sim.messages)
    assert printed["problems"] == []
    assert set(printed["messages"]) == {"hl7v2", "fhir", "social"}


def test_plain_summary_names_the_numbers() -> None:
    result = run(*SMALL)
    assert result.exit_code == 0
    assert "contract events from valid messages" in result.stdout
    assert "expected dead letters" in result.stdout


def test_refuses_to_mix_runs_in_one_folder(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    assert run(*SMALL, "--out", str(out)).exit_code == 0
    again = run(*SMALL, "--out", str(out))
    assert again.exit_code == 2
    assert "not empty" in again.stderr and "Traceback" not in again.output
    replaced = run("--clients", "5", "--seed", "9", "--out", str(out), "--overwrite")
    assert replaced.exit_code == 0
    manifest = (out / "manifest.ndjson").read_text().splitlines()
    files = [p for p in out.rglob("*") if p.is_file() and p.name != "manifest.ndjson"]
    assert len(files) == len(manifest)  # nothing of the first run is left over


def test_unwritable_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run(*SMALL, "--out", str(blocker / "sim"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("silta simulate: cannot")
    assert "Traceback" not in result.output


def test_unreachable_broker_is_one_line_and_exit_2() -> None:
    result = run(*SMALL, "--kafka", SILTA_KAFKA_BOOTSTRAP="127.0.0.1:1")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "silta simulate: no Kafka broker answered at 127.0.0.1:1 (KafkaConnectionError)")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["--clients", "0"], ["--days", "3"],
                                  ["--malformed-share", "0.7"], ["--start", "2025-02-30"]])
def test_bad_options_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
