"""`silta translate`: what a vendor's message becomes, or exactly why not."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from contracts.events import parse_event
from services.cli.main import app

DATA = Path(__file__).resolve().parents[2] / "data"
runner = CliRunner()


def test_events_come_out_as_ndjson_that_conforms() -> None:
    result = runner.invoke(app, ["translate", "--format", "hl7v2",
                                 str(DATA / "hl7v2" / "adt_a01_v251.hl7")])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines
    for line in lines:
        message = json.loads(line)
        parse_event(message["headers"], message["value"])


def test_a_bad_message_exits_1_with_code_and_location_and_no_identity() -> None:
    payload = (DATA / "social" / "decision-granted.json").read_text()
    data = json.loads(payload)
    hetu = data["client"]["hetu"]
    data["client"]["hetu"] = hetu[:-1] + ("A" if hetu[-1] != "A" else "B")
    result = runner.invoke(app, ["translate", "-f", "social", "-"], input=json.dumps(data))
    assert result.exit_code == 1
    assert "identity.invalid" in result.output and "/client/hetu" in result.output
    assert hetu[:-1] not in result.output


def test_unreadable_input_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["translate", "-f", "fhir", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
