"""The report: self-contained (nothing to fetch), the same numbers in HTML, CSV and JSON,
suppressed cells shown as such, and no pseudonym or entry id anywhere in its bytes."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path

from services.evaluation.periods import parse_period
from services.evaluation.report import write_report
from services.evaluation.tables import Options
from tests.services.evaluation.builders import Client, view


def clients() -> list[Client]:
    out = []
    for n in range(16):
        client = Client(f"c{n}", age_band="13-17")
        client.child_notification("2025-03-03" if n < 8 else "2025-05-05")
        client.decision("2025-03-12" if n < 6 else "2025-03-20" if n < 8 else "2025-05-07")
        client.relationship("opened", "2025-03-25")
        client.measure("2025-04-01", "family", 3)
        client.measure("2025-09-01", "family", 5 if n % 3 else 2)
        if n < 8:  # two paths of 8 clients each
            client.emergency_visit("2025-06-01")
        out.append(client)
    return out


def test_report_is_self_contained_and_agrees_with_its_csv_and_json(tmp_path: Path) -> None:
    people = clients()
    con, current = view(tmp_path, *people)
    options = Options(period=parse_period("2025"), until=dt.date(2026, 1, 1))
    files = write_report(con, current, options, tmp_path / "r", "store test")
    page = (tmp_path / "r" / "index.html").read_text()

    # nothing fetched: no scripts, links, images or CSS imports; SVG namespaces only
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\((?!#)", page)
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) <= {
        "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    assert page.count("<svg") == 4  # deadlines over time, change, cross-sector, paths

    records = json.loads((tmp_path / "r" / "indicators.json").read_text())["records"]
    rows = list(csv.DictReader((tmp_path / "r" / "indicators.csv").open()))
    assert len(rows) == len(records) and rows[0]["indicator"] == records[0]["indicator"]
    decision = next(r for r in records if r["indicator"] == "child-welfare.decision-7wd")
    # 14 of 16 met; the 2 missed are suppressed, and with them the 14 met
    assert (decision["numerator"], decision["denominator"]) == (None, 16)
    assert "missed" in decision["suppressed"]
    assert "child-welfare.decision-7wd everyone: missed — primary: fewer than 5" in page
    family = next(r for r in records if r["indicator"] == "outcome.change.kykyviisari")
    assert family["denominator"] == 16 and family["group"] == "assessor=family"

    everything = b"".join(f.read_bytes() for f in files)
    for client in people:
        assert client.id.encode() not in everything
        for entry in client.entries:
            assert entry.entry_id.encode() not in everything
            assert entry.source_ref.encode() not in everything
