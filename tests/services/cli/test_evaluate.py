"""`silta evaluate indicators` as a user runs it: a real SQLite store written by the
timeline store's own code, JSON lines in the documented shape, and one-line errors."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from services.timeline.store import open_store
from tests.services.cli.test_export import one_line_error, silta
from tests.services.evaluation.builders import Client

FIELDS = {"indicator", "period", "group", "numerator", "denominator", "value", "open",
          "suppressed"}


def clients() -> list[Client]:
    out = []
    for n in range(7):  # 5 decided within 7 working days of 3.3.2025, 2 late
        client = Client(f"c{n}", age_band="13-17" if n < 4 else "7-12")
        client.child_notification("2025-03-03")
        client.decision("2025-03-12" if n < 5 else "2025-03-20")
        out.append(client)
    return out


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/t.sqlite3"

    async def seed() -> None:
        store = open_store(url)
        await store.open()
        await store.upsert([e for c in clients() for e in c.entries])
        await store.close()
    asyncio.run(seed())
    return url


def records(*args: str) -> list[dict[str, object]]:
    result = silta("evaluate", "indicators", *args, "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_json_lines_for_the_whole_timeline(store_url: str) -> None:
    out = records("--store", store_url, "--as-of", "2025-12-31")
    assert all(r.keys() >= FIELDS for r in out)
    decision = next(r for r in out if r["indicator"] == "child-welfare.decision-7wd")
    # 2 missed (suppressed) would be 7 decided - 5 met: the met go too, the total stays
    assert decision["period"] is None and decision["group"] is None
    assert decision["numerator"] is None and decision["denominator"] == 7
    assert decision["value"] is None and decision["open"] == 0
    assert set(decision["suppressed"]) == {"missed", "numerator"}


def test_periods_groups_and_the_cell_size(store_url: str) -> None:
    # 3.3.2025 falls in THL's half-year 1.10.2024-31.3.2025
    out = records("--store", store_url, "--period", "2024H2", "--by", "age_band",
                  "--min-cell", "1")
    decision = {r["group"]: r for r in out if r["indicator"] == "child-welfare.decision-7wd"}
    assert {g: (r["numerator"], r["denominator"]) for g, r in decision.items()} == {
        None: (5, 7), "age_band=13-17": (4, 4), "age_band=7-12": (1, 3)}
    assert all(r["period"] == "2024H2" for r in out)
    assert decision[None]["value"] == pytest.approx(5 / 7)


def test_the_table_names_what_it_withheld(store_url: str) -> None:
    result = silta("evaluate", "indicators", "--store", store_url)
    assert result.returncode == 0, result.stderr
    assert "child-welfare.decision-7wd" in result.stdout
    assert "missed (primary)" in result.stdout and "withheld" in result.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["--period", "2025H3"], ["2025H3", "2025H1"]),
    (["--by", "postcode"], ["postcode", "organisation"]),
    (["--as-of", "tomorrow"], ["--as-of", "YYYY-MM-DD"]),
    (["--min-cell", "0"], ["--min-cell"]),
])
def test_bad_options_are_one_line_errors(store_url: str, args: list[str],
                                         words: list[str]) -> None:
    one_line_error(silta("evaluate", "indicators", "--store", store_url, *args), *words)


def test_a_missing_store(tmp_path: Path) -> None:
    one_line_error(silta("evaluate", "indicators", "--store",
                         f"sqlite:///{tmp_path}/none.sqlite3"), "none.sqlite3")


@pytest.mark.parametrize(("command", "env", "words"), [
    (["evaluate", "indicators"], {"evaluation_min_cell": "five"},
     ["SILTA_EVALUATION_MIN_CELL", "integer"]),
    (["evaluate", "indicators"], {"evaluation_min_cell": "0"},
     ["SILTA_EVALUATION_MIN_CELL", "greater than or equal to 1"]),
    (["evaluate", "report", "--out", "r"], {"evaluation_publisher": "two words"},
     ["SILTA_EVALUATION_PUBLISHER"]),
    (["evaluate", "publish"], {"kafka_security_protocol": "SASL_SSL"},
     ["SILTA_KAFKA_SASL_MECHANISM"]),
    (["evaluate", "indicators"], {"evaluation_memory_limit": "lots"},
     ["SILTA_EVALUATION_MEMORY_LIMIT", "lots"]),
    (["export", "parquet", "--out", "p"], {"kafka_ssl_check_hostname": "maybe"},
     ["SILTA_KAFKA_SSL_CHECK_HOSTNAME", "boolean"]),
    (["export", "meds", "--out", "m"], {"export_api_url": "x", "kafka_security_protocol": "TLS"},
     ["SILTA_KAFKA_SECURITY_PROTOCOL", "'SSL'"]),
])
def test_bad_settings_are_one_line_errors(store_url: str, tmp_path: Path, command: list[str],
                                          env: dict[str, str], words: list[str]) -> None:
    command = [str(tmp_path / a) if a in ("r", "p", "m") else a for a in command]
    result = silta(*command, **env, store_url=store_url)
    one_line_error(result, *words)
    assert "Traceback" not in result.stderr
