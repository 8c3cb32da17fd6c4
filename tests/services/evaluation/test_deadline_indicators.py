"""The deadline indicators on hand-built timelines, each answer worked out here from the
calendar (2025-2026 Finnish holidays written out, not computed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from contracts.indicators import IndicatorRecord
from services.evaluation.indicators import Options, indicators
from services.evaluation.periods import parse_period
from tests.services.evaluation.builders import Client, at, view

DECISION = "child-welfare.decision-7wd"
ASSESSMENT = "child-welfare.assessment-3m"
OLDER = "service-need.assessment-start-7wd-75plus"
END_2026 = dt.date(2027, 1, 1)


def run(tmp: Path, *clients: Client, indicator: str, until: dt.date = END_2026,
        period: str | None = None, by: str | None = None,
        min_cell: int = 1) -> dict[str | None, IndicatorRecord]:
    con, current = view(tmp, *clients)
    options = Options(period=parse_period(period) if period else None, until=until, by=by,
                      min_cell=min_cell)
    return {r.group: r for r in indicators(con, current, options) if r.indicator == indicator}


def counts(record: IndicatorRecord) -> tuple[int | None, int | None, int | None]:
    return record.numerator, record.denominator, record.open


def test_decision_on_day_seven_is_met_and_day_eight_missed(tmp_path: Path) -> None:
    # Received Monday 3.3.2025 (not counted): Tue 4 (1) ... Fri 7 (4), Mon 10 (5),
    # Tue 11 (6), Wed 12.3. (7).
    on_time, late = Client("a"), Client("b")
    on_time.child_notification("2025-03-03")
    on_time.decision("2025-03-12")
    late.child_notification("2025-03-03")
    late.decision("2025-03-13")
    record = run(tmp_path, on_time, late, indicator=DECISION)[None]
    assert counts(record) == (1, 2, 0) and record.value == 0.5


def test_receipt_on_midsummer_eve(tmp_path: Path) -> None:
    # Friday 20.6.2025 is Midsummer Eve: Mon 23 (1), Tue 24 (2), Wed 25 (3), Thu 26 (4),
    # Fri 27 (5), Mon 30 (6), Tue 1.7. (7). The decision's 00:00 Finnish time is
    # 21:00 UTC the day before: it must still count as 1.7.
    on_time, late = Client("a"), Client("b")
    on_time.child_notification("2025-06-20", hour=15)
    on_time.decision("2025-07-01")
    late.child_notification("2025-06-20", hour=15)
    late.decision("2025-07-02")
    assert counts(run(tmp_path, on_time, late, indicator=DECISION)[None]) == (1, 2, 0)


def test_christmas_and_new_year_are_not_working_days(tmp_path: Path) -> None:
    # Received Tue 23.12.2025: Wed 24 Christmas Eve, Thu 25, Fri 26 holidays; Mon 29 (1),
    # Tue 30 (2), Wed 31 (3), Thu 1.1. holiday, Fri 2.1. (4), Mon 5.1. (5), Tue 6.1.
    # Epiphany, Wed 7.1. (6), Thu 8.1.2026 (7).
    on_time, late = Client("a"), Client("b")
    on_time.child_notification("2025-12-23")
    on_time.decision("2026-01-08")
    late.child_notification("2025-12-23")
    late.decision("2026-01-09")
    assert counts(run(tmp_path, on_time, late, indicator=DECISION)[None]) == (1, 2, 0)


def test_a_retracted_decision_leaves_the_case_undecided(tmp_path: Path) -> None:
    client = Client("a")
    client.child_notification("2025-03-03")
    decision = client.decision("2025-03-05")
    client.retract(decision, at("2025-03-06"), "n1")
    assert counts(run(tmp_path, client, indicator=DECISION)[None]) == (0, 1, 0)
    # on 10.3. the due day (12.3.) had not passed: open, neither met nor missed
    record = run(tmp_path, client, indicator=DECISION, until=dt.date(2025, 3, 11))[None]
    assert counts(record) == (0, 0, 1) and record.value is None


def test_an_amended_decision_date_counts_as_amended(tmp_path: Path) -> None:
    late_then_fixed, fixed_to_late = Client("a"), Client("b")
    late_then_fixed.child_notification("2025-03-03")
    first = late_then_fixed.decision("2025-03-14")
    late_then_fixed.amend(first, at("2025-03-11", 0), "n1", task="22")
    fixed_to_late.child_notification("2025-03-03")
    second = fixed_to_late.decision("2025-03-11")
    fixed_to_late.amend(second, at("2025-03-14", 0), "n1", task="22")
    assert counts(run(tmp_path, late_then_fixed, fixed_to_late, indicator=DECISION)[None]) \
        == (1, 2, 0)


def test_a_case_belongs_to_the_half_year_it_opened_in(tmp_path: Path) -> None:
    # Received Tue 30.9.2025 (the last day of 2025H1), due Thu 9.10.; decided 2.10.
    client = Client("a")
    client.child_notification("2025-09-30")
    client.decision("2025-10-02")
    assert counts(run(tmp_path, client, indicator=DECISION, period="2025H1")[None]) \
        == (0, 0, 1)  # at the half-year's end the decision had not come, nor the due day
    assert counts(run(tmp_path, client, indicator=DECISION, period="2025")[None]) == (1, 1, 0)
    assert counts(run(tmp_path, client, indicator=DECISION, period="2025H2")[None]) \
        == (0, 0, 0)


def test_assessment_within_three_months_clamps_to_the_month_end(tmp_path: Path) -> None:
    # Received 30.11.2025: three months later is 28.2.2026 (February has no 30th).
    on_time, late, open_, declined = Client("a"), Client("b"), Client("c"), Client("d")
    for client, done in ((on_time, "2026-02-28"), (late, "2026-03-02")):
        client.child_notification("2025-11-30")
        client.decision("2025-12-05")
        client.assessment("started", "2025-12-08")
        client.assessment("completed", done)
    open_.child_notification("2025-11-30")
    open_.decision("2025-12-05")
    declined.child_notification("2025-11-30")
    declined.decision("2025-12-05", outcome="no-assessment")
    everyone = (on_time, late, open_, declined)
    assert counts(run(tmp_path, *everyone, indicator=ASSESSMENT)[None]) == (1, 3, 0)
    record = run(tmp_path, *everyone, indicator=ASSESSMENT, until=dt.date(2026, 2, 1))[None]
    assert counts(record) == (0, 0, 3)


def test_older_people_by_age_at_the_notice(tmp_path: Path) -> None:
    on_time, late = Client("a", "75-84"), Client("b", "85+")
    turning, young = Client("c", "65-74"), Client("d", "45-54")
    for client, started in ((on_time, "2025-03-12"), (late, "2025-03-13"),
                            (young, "2025-03-20")):
        client.need_notice("2025-03-03")
        client.assessment("started", started, kind="service-need")
    # 74 when the notice came, 75 when the assessment started: not in the population
    turning.need_notice("2025-03-03")
    turning.assessment("started", "2025-03-20", kind="service-need", age_band="75-84")
    by_age = run(tmp_path, on_time, late, turning, young, indicator=OLDER, by="age_band")
    assert counts(by_age[None]) == (1, 2, 0)
    assert counts(by_age["age_band=75-84"]) == (1, 1, 0)
    assert counts(by_age["age_band=85+"]) == (0, 1, 0)
    assert "age_band=65-74" not in by_age


def test_a_second_matter_takes_its_own_assessment(tmp_path: Path) -> None:
    client = Client("a", "85+")
    client.need_notice("2025-03-03", "n1")
    client.need_notice("2025-05-05", "n2")
    client.assessment("started", "2025-05-07", kind="service-need")
    # the first notice had no assessment before the second came: missed; the second met
    assert counts(run(tmp_path, client, indicator=OLDER)[None]) == (1, 2, 0)


@pytest.mark.parametrize("min_cell", [5, 3])
def test_small_counts_are_suppressed_by_default(tmp_path: Path, min_cell: int) -> None:
    clients = []
    for n in range(6):
        client = Client(f"c{n}")
        client.child_notification("2025-03-03")
        client.decision("2025-03-12" if n < 4 else "2025-03-20")
        clients.append(client)
    record = run(tmp_path, *clients, indicator=DECISION, min_cell=min_cell)[None]
    if min_cell == 5:  # 4 met, 2 missed: both under 5, so the share goes too
        assert (record.numerator, record.value) == (None, None)
        assert record.denominator == 6
        assert record.suppressed["numerator"].startswith("primary: fewer than 5")
    else:  # 2 missed is under 3 and recoverable from 6 - 4: the total goes with it
        assert record.suppressed.keys() >= {"missed"}
        assert record.numerator is None or record.denominator is None
