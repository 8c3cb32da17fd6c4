"""Measure change by assessor and cross-sector use, on hand-built timelines with the
answers worked out here."""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

import pytest

from contracts.indicators import IndicatorRecord
from contracts.timeline import Value
from services.evaluation.indicators import Options, indicators
from services.evaluation.periods import parse_period
from tests.services.evaluation.builders import Client, at, view

UNTIL = dt.date(2026, 1, 1)


def run(tmp: Path, *clients: Client, prefix: str, period: str | None = None,
        min_cell: int = 1, by: str | None = None) -> dict[tuple[str, str | None], IndicatorRecord]:
    con, current = view(tmp, *clients)
    options = Options(period=parse_period(period) if period else None, until=UNTIL,
                      min_cell=min_cell, by=by)
    return {(r.indicator, r.group): r for r in indicators(con, current, options)
            if r.indicator.startswith(prefix)}


def test_change_from_first_to_last_measurement_per_assessor(tmp_path: Path) -> None:
    a, b, c = Client("a"), Client("b"), Client("c")
    a.measure("2025-02-01", "self", 3)
    a.measure("2025-04-01", "self", 4.5)     # a middle measurement does not count
    a.measure("2025-06-01", "self", 6)       # self: +3
    a.measure("2025-02-01", "worker", 4)
    a.measure("2025-06-01", "worker", 3.5)   # worker: -0.5
    b.measure("2025-03-01", "self", 5)
    b.measure("2025-05-01", "self", 5)       # self: 0
    b.measure("2025-03-01", "worker", 2)     # one measurement: not counted
    c.measure("2025-01-10", "self", 2, episode="first")
    c.measure("2025-03-10", "self", 3, episode="first")    # self: +1
    c.measure("2025-08-10", "self", 7, episode="second")
    c.measure("2025-10-10", "self", 6.5, episode="second")  # self: -0.5, its own episode
    c.measure("2025-02-01", "self", 9, item="liikkuminen")  # an item, not the total
    out = run(tmp_path, a, b, c, prefix="outcome.change")
    self_ = out[("outcome.change.kykyviisari", "assessor=self")]
    assert (self_.numerator, self_.denominator) == (2, 4)  # +3 and +1 improved of 4
    assert self_.value == statistics.mean([3, 0, 1, -0.5])
    assert self_.detail == {"median": 0.5, "worse by 1 or more": 0, "worse by under 1": 1,
                            "no change": 1, "better by under 1": 0, "better by 1 or more": 2}
    worker = out[("outcome.change.kykyviisari", "assessor=worker")]
    assert (worker.numerator, worker.denominator, worker.value) == (0, 1, -0.5)
    assert ("outcome.change.kykyviisari", "assessor=family") not in out


def test_an_amended_score_replaces_the_original(tmp_path: Path) -> None:
    a = Client("a")
    a.measure("2025-02-01", "family", 3)
    last = a.measure("2025-06-01", "family", 4)
    a.amend(last, at("2025-06-01", 13), "m1", value=None)  # amended away the value
    b = Client("b")
    b.measure("2025-02-01", "family", 3)
    wrong = b.measure("2025-06-01", "family", 8)
    b.amend(wrong, at("2025-06-01", 13), f"m{len(b.entries) - 1}", value=Value(number=2),
            episode="case1", codes=(("https://silta.fi/fhir/CodeSystem/outcome-instrument",
                                     "kykyviisari-total"),
                                    ("https://silta.fi/fhir/CodeSystem/assessor-role",
                                     "family")))
    family = run(tmp_path, a, b, prefix="outcome.change")[
        ("outcome.change.kykyviisari", "assessor=family")]
    # a: the amended last has no score, one measurement left; b: 3 -> 2 (not 8)
    assert (family.numerator, family.denominator, family.value) == (0, 1, -1)


def test_small_measure_groups_are_suppressed(tmp_path: Path) -> None:
    clients = []
    for n in range(7):
        client = Client(f"c{n}")
        client.measure("2025-02-01", "self", 3)
        client.measure("2025-06-01", "self", 5 if n < 5 else 3)
        clients.append(client)
    record = run(tmp_path, *clients, prefix="outcome.change", min_cell=5)[
        ("outcome.change.kykyviisari", "assessor=self")]
    assert record.denominator == 7 and record.value is not None
    assert record.detail["no change"] is None and "no change" in record.suppressed
    assert record.detail["better by 1 or more"] is None  # else 7 - 5 gives it away


def test_cross_sector_events_during_and_before_the_episode(tmp_path: Path) -> None:
    a, b, c, d = Client("a"), Client("b"), Client("c"), Client("d")
    for client in (a, b, c, d):
        client.relationship("opened", "2025-03-01")
    a.diagnosis("2025-04-01", "F10.2")        # during: substance use, and psychiatric
    a.emergency_visit("2024-06-01")           # 9 months before
    b.diagnosis("2024-01-15", "F32.1")        # 13+ months before: neither
    b.relationship("closed", "2025-05-01")
    b.diagnosis("2025-06-01", "F32.1")        # after the episode closed: not during
    c.diagnosis("2025-02-01", "F41.1")        # one month before: psychiatric before
    c.emergency_visit("2025-09-01")           # during (still open)
    d.diagnosis("2025-04-01", "G40.9")        # not an F diagnosis
    out = run(tmp_path, a, b, c, d, prefix="cross-sector")

    def share(name: str) -> tuple[int | None, int | None]:
        record = out[(f"cross-sector.{name}", None)]
        return record.numerator, record.denominator

    assert share("psychiatric") == (1, 4) and share("psychiatric.before-12m") == (1, 4)
    assert share("substance-use") == (1, 4) and share("substance-use.before-12m") == (0, 4)
    assert share("emergency") == (1, 4) and share("emergency.before-12m") == (1, 4)


def test_cross_sector_counts_episodes_running_in_the_period(tmp_path: Path) -> None:
    early, late = Client("a"), Client("b")
    early.relationship("opened", "2024-05-01")
    early.relationship("closed", "2024-12-01")
    late.relationship("opened", "2025-02-01")
    late.emergency_visit("2025-02-10")
    out = run(tmp_path, early, late, prefix="cross-sector.emergency", period="2025")
    assert (out[("cross-sector.emergency", None)].numerator,
            out[("cross-sector.emergency", None)].denominator) == (1, 1)


def test_measure_change_by_group(tmp_path: Path) -> None:
    # The group is the one at an episode's first measurement in the period.
    young, older, moved = Client("a", "13-17"), Client("b", "18-24"), Client("c", "13-17")
    young.measure("2025-02-01", "self", 3)
    young.measure("2025-06-01", "self", 5)      # +2
    older.measure("2025-02-01", "self", 6)
    older.measure("2025-06-01", "self", 5)      # -1
    moved.measure("2025-02-01", "self", 4)
    moved.add("outcome-measure.recorded", at("2025-06-01", 13), "m9", episode="case1",
              value=Value(number=4.5), age_band="18-24",
              codes=(("https://silta.fi/fhir/CodeSystem/outcome-instrument", "kykyviisari-total"),
                     ("https://silta.fi/fhir/CodeSystem/assessor-role", "self")))  # +0.5
    out = run(tmp_path, young, older, moved, prefix="outcome.change", by="age_band")
    key = "outcome.change.kykyviisari"
    teen = out[(key, "assessor=self,age_band=13-17")]
    assert (teen.numerator, teen.denominator, teen.value) == (2, 2, 1.25)
    adult = out[(key, "assessor=self,age_band=18-24")]
    assert (adult.numerator, adult.denominator, adult.value) == (0, 1, -1)
    everyone = out[(key, "assessor=self")]
    assert (everyone.numerator, everyone.denominator) == (2, 3)
    assert everyone.value == pytest.approx((2 - 1 + 0.5) / 3)
    assert everyone.detail["median"] == 0.5
