"""`silta evaluate publish` to a real topic: CloudEvents headers, records that validate
against the committed JSON Schema, nothing but suppressed aggregates in the bytes (no
pseudonym, entry id, record or episode reference), and `report --compare` reading them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from contracts.schemas import SCHEMA_DIR
from tests.conftest import TopicFactory
from tests.services.cli.test_evaluate import clients, store_url  # noqa: F401 - fixture
from tests.services.cli.test_export import one_line_error, silta
from tests.support.pipeline import read_all

SCHEMA = json.loads((SCHEMA_DIR / "v1" / "fi.silta.indicators.record.v1.json").read_text())


async def test_only_suppressed_aggregates_reach_the_topic(
        kafka_bootstrap: str, make_topic: TopicFactory, store_url: str,  # noqa: F811
        tmp_path: Path) -> None:
    topic = await make_topic("indicators")
    env = {"kafka_bootstrap": kafka_bootstrap, "indicators_topic": topic,
           "evaluation_publisher": "urn:silta:county:test"}
    result = silta("evaluate", "publish", "--store", store_url, "--as-of", "2025-12-31",
                   **env)
    assert result.returncode == 0, result.stderr
    records = await read_all(kafka_bootstrap, topic, expected=1, settle=1)
    assert records and f"published {len(records)} " in result.stdout
    values: list[dict[str, Any]] = []
    for record in records:
        headers = dict(record.headers)
        assert headers["ce_type"] == b"fi.silta.indicators.record.v1"
        assert headers["ce_source"] == b"urn:silta:county:test"
        assert headers["ce_specversion"] == b"1.0" and len(headers["ce_id"]) == 32
        value = json.loads(record.value)
        jsonschema.validate(value, SCHEMA)
        values.append(value)
    decision = next(v for v in values if v["indicator"] == "child-welfare.decision-7wd")
    assert decision["numerator"] is None and "missed" in decision["suppressed"]

    everything = b"".join(r.value + (r.key or b"") + b"".join(v for _, v in r.headers)
                          for r in records)
    for client in clients():
        assert client.id.encode() not in everything
        for entry in client.entries:
            for ref in (entry.entry_id, entry.source_ref, entry.episode):
                assert ref is None or ref.encode() not in everything

    # the same position published again: the same event ids
    again = silta("evaluate", "publish", "--store", store_url, "--as-of", "2025-12-31", **env)
    assert again.returncode == 0, again.stderr
    twice = await read_all(kafka_bootstrap, topic, expected=2 * len(records), settle=1)
    ids = [dict(r.headers)["ce_id"] for r in twice]
    assert len(set(ids)) == len(records)

    report = silta("evaluate", "report", "--store", store_url, "--out", str(tmp_path / "r"),
                   "--compare", topic, "--as-of", "2025-12-31", **env)
    assert report.returncode == 0, report.stderr
    page = (tmp_path / "r" / "index.html").read_text()
    assert "Beside other counties" in page and "urn:silta:county:test" in page


def test_compare_file_with_a_bad_line_names_it(store_url: str,  # noqa: F811
                                               tmp_path: Path) -> None:
    good = tmp_path / "other.jsonl"
    result = silta("evaluate", "publish", "--store", store_url, "--out", str(good))
    assert result.returncode == 0, result.stderr
    lines = good.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([lines[0], lines[1].replace('"indicator":', '"indicatorx":')]))
    one_line_error(silta("evaluate", "report", "--store", store_url, "--out",
                         str(tmp_path / "r"), "--compare", str(bad)), "bad.jsonl line 2")
    ok = silta("evaluate", "report", "--store", store_url, "--out", str(tmp_path / "r2"),
               "--compare", str(good))
    assert ok.returncode == 0, ok.stderr
    assert "other" in (tmp_path / "r2" / "index.html").read_text()
