"""`silta contracts ...` as a vendor uses it: good, wrong, truncated, non-JSON, binary, huge."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.catalogue import CATALOGUE
from services.cli.main import app

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples" / "v1"
STARTED = EXAMPLES / "fi.silta.health.encounter.started.v1.json"
runner = CliRunner()


def silta(*args: str, stdin: bytes | None = None):
    return runner.invoke(app, list(args), input=stdin)


def test_list_names_every_type() -> None:
    result = silta("contracts", "list")
    assert result.exit_code == 0
    assert all(spec.type in result.output for spec in CATALOGUE)


def test_schema_and_example_print_json() -> None:
    schema = json.loads(silta("contracts", "schema", CATALOGUE[0].type).output)
    assert schema["title"] == CATALOGUE[0].type
    example = json.loads(silta("contracts", "example", CATALOGUE[0].type).output)
    assert example["headers"]["ce_type"] == CATALOGUE[0].type


def test_unknown_type_suggests_close_names() -> None:
    result = silta("contracts", "schema", "fi.silta.health.encounter.startd.v1")
    assert result.exit_code == 2
    assert "fi.silta.health.encounter.started.v1" in result.output


def test_all_examples_conform() -> None:
    result = silta("contracts", "validate", str(EXAMPLES))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{len(CATALOGUE)} messages: all conform"


def test_wrong_message_gets_location_pointer_expected_and_found(tmp_path: Path) -> None:
    message = json.loads(STARTED.read_text())
    message["value"]["status"] = "finished"
    del message["headers"]["ce_time"]
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(message))
    result = silta("contracts", "validate", str(path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert f"{path}: /headers/ce_time: expected a value (required element), found nothing" in lines
    assert any(line.startswith(f"{path}: /value/status: expected one of") and
               line.endswith("found 'finished'") for line in lines)
    assert lines[-1] == "1 message: 0 conform, 1 do not (2 failures)"


def test_ndjson_failures_carry_line_numbers() -> None:
    good = json.dumps(json.loads(STARTED.read_text()))
    bad = good.replace('"in-progress"', '"nonsense"')
    result = silta("contracts", "validate", "-", stdin=f"{good}\n{bad}\n\n{good}\n".encode())
    assert result.exit_code == 1
    assert result.output.startswith("<stdin>:2: /value/status:")
    assert "3 messages: 2 conform, 1 do not" in result.output


def test_truncated_json_is_a_failure_with_line_and_column() -> None:
    truncated = STARTED.read_bytes()[:200]
    result = silta("contracts", "validate", "-", stdin=truncated)
    assert result.exit_code == 1
    assert "expected well-formed JSON, found" in result.output and "line" in result.output


@pytest.mark.parametrize("data", [b"", b"   \n", b"\x00\x01\x02binary", b"\xff\xfe\xfa not utf8"])
def test_unusable_input_exits_2(data: bytes) -> None:
    result = silta("contracts", "validate", "-", stdin=data)
    assert result.exit_code == 2
    assert "unusable input" in result.output


def test_non_json_text_is_a_failure_not_a_crash() -> None:
    result = silta("contracts", "validate", "-", stdin=b"MSH|^~\\&|LAB|X\rPID|1\r")
    assert result.exit_code == 1
    assert "well-formed JSON" in result.output


def test_missing_path_exits_2(tmp_path: Path) -> None:
    assert silta("contracts", "validate", str(tmp_path / "nope")).exit_code == 2


def test_very_large_input_is_checked_message_by_message() -> None:
    line = json.dumps(json.loads(STARTED.read_text())) + "\n"
    result = silta("contracts", "validate", "-", stdin=(line * 2000).encode())
    assert result.exit_code == 0
    assert result.output.strip() == "2000 messages: all conform"
    huge = json.loads(STARTED.read_text())
    huge["value"]["id"] = "x" * 9_000_000
    result = silta("contracts", "validate", "-", stdin=json.dumps(huge).encode())
    assert result.exit_code == 1 and "a message under" in result.output


def test_json_output_for_pipelines() -> None:
    result = silta("contracts", "validate", "--format", "json", str(EXAMPLES))
    assert json.loads(result.output)["ok"] is True


def test_the_installed_command_never_prints_a_traceback() -> None:
    for data in (b"{", b"\x00" * 10, b"[]", b'{"headers": 1, "value": []}', b"null"):
        done = subprocess.run([sys.executable, "-m", "services.cli.main", "contracts",
                               "validate", "-"], input=data, capture_output=True, timeout=60)
        assert done.returncode in (1, 2)
        assert b"Traceback" not in done.stdout + done.stderr
