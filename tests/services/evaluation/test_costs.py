"""Unit costs: the shipped table loads, a user's table with a bad row names the row and
column, and the estimates on a hand-built timeline are worked out here."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.costs import DEFAULT_TABLE, UnitCostError, load
from services.evaluation.indicators import Options, indicators
from services.evaluation.periods import parse_period
from tests.services.cli.test_export import one_line_error, silta
from tests.services.evaluation.builders import ACT, SILTA, Client, at, view

HEADER = "item,activity,unit,cost_eur,year,source,assumption\n"
GOOD = "doctor,encounter:AMB,visit,125,2024,national averages,\n"


def test_the_shipped_table_has_the_2024_national_averages() -> None:
    rows = {r.item: r for r in load()}
    assert rows["primary-care-doctor-visit"].cost_eur == 125
    assert rows["institutional-care-disabled-people"].cost_eur == 656
    assert all(r.year == 2024 and r.source for r in rows.values())
    # where the mapping to the timeline is ours, the row says so
    assert rows["home-care-visit"].assumption and rows["primary-care-doctor-visit"].assumption


@pytest.mark.parametrize(("row", "where"), [
    ("nurse,,visit,-5,2024,x,\n", "row 3, column cost_eur"),
    ("nurse,,hour,51,2024,x,\n", "row 3, column unit"),
    ("nurse,,visit,51,,x,\n", "row 3, column year"),
    ("nurse,,visit,51,24,x,\n", "row 3, column year"),
    ("nurse,,visit,lots,2024,x,\n", "row 3, column cost_eur"),
    ("nurse,,visit,51,2024,,\n", "row 3, column source"),
    ("doctor,,visit,51,2024,x,\n", "row 3, column item"),
    ("nurse,encounter:AMB,visit,51,2024,x,\n", "row 3, column activity"),
    ("nurse,,visit,51,2024,x,,extra\n", "row 3"),
])
def test_a_bad_row_names_row_and_column(tmp_path: Path, row: str, where: str) -> None:
    table = tmp_path / "mine.csv"
    table.write_text(HEADER + GOOD + row)
    with pytest.raises(UnitCostError, match=where):
        load(table)


def test_a_missing_column(tmp_path: Path) -> None:
    table = tmp_path / "mine.csv"
    table.write_text("item,unit,cost_eur\nnurse,visit,51\n")
    with pytest.raises(UnitCostError, match=r"missing column.*activity.*year.*source"):
        load(table)


def test_costs_per_client_and_episode(tmp_path: Path) -> None:
    a, b = Client("a"), Client("b")
    a.relationship("opened", "2025-03-01")
    a.add("encounter.finished", at("2025-03-05"), "v1", sector="health", codes=((ACT, "AMB"),))
    a.add("encounter.started", at("2025-03-09"), "v2", sector="health", codes=((ACT, "AMB"),))
    a.add("encounter.finished", at("2025-03-09"), "v2", sector="health", codes=((ACT, "AMB"),))
    a.add("encounter.finished", at("2025-03-10"), "v3", sector="health", codes=((ACT, "EMER"),))
    a.relationship("closed", "2025-03-07")  # the 9.3. visit is after the episode
    home = ((SILTA + "service-kind", "home-care"),)
    b.add("service.started", at("2025-12-22"), "s1", codes=home)
    b.add("service.ended", at("2026-01-05"), "s1", codes=home)
    table = tmp_path / "costs.csv"
    table.write_text(HEADER + GOOD + "home,service:home-care,day,30,2024,x,one a day\n")
    con, current = view(tmp_path, a, b)
    options = Options(period=parse_period("2025"), until=dt.date(2027, 1, 1), min_cell=1,
                      unit_costs=table)
    out = {r.indicator: r for r in indicators(con, current, options)
           if r.indicator.startswith("costs.")}
    client = out["costs.client"]
    # a: two AMB visits (EMER is not priced) 250; b: 22.-31.12. in 2025, 10 days, 300
    assert (client.numerator, client.denominator, client.value) == (2, 2, 275.0)
    assert client.detail["total_eur"] == 550 and client.detail["clients:home"] == 1
    episode = out["costs.episode"]
    assert (episode.numerator, episode.value) == (1, 125.0)  # only the 5.3. visit


def test_the_cli_names_a_bad_table(tmp_path: Path) -> None:
    table = tmp_path / "mine.csv"
    table.write_text(HEADER + GOOD + "nurse,,hour,51,2024,x,\n")
    result = silta("evaluate", "indicators", "--store", f"sqlite:///{DEFAULT_TABLE}",
                   "--unit-costs", str(table))
    one_line_error(result, "mine.csv row 3, column unit")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_random_tables_load_or_fail_with_the_typed_error(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "random.csv"
        table.write_text(HEADER + text, encoding="utf-8", errors="surrogateescape")
        try:
            rows = load(table)
        except UnitCostError as error:
            assert "random.csv" in str(error)
        else:
            assert all(r.cost_eur >= 0 and r.unit in {"visit", "day"} for r in rows)
