"""Statutory deadlines in the simulated traffic, recomputed from the messages alone with
the `holidays` Finland calendar: some are met and some missed, exactly as planned."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import holidays
from dateutil.relativedelta import relativedelta

from services.simulate import SimConfig, Simulation, build, summarise
from services.workdays import (
    add_months,
    add_working_days,
    is_working_day,
    working_days_between,
)

FINLAND = holidays.country_holidays("FI", years=range(2023, 2028))


def _used(opened: dt.date, done: dt.date) -> int:
    """Working days from `opened` (not counted) to `done`: no weekends, no holidays."""
    days, current = 0, opened
    while current < done:
        current += dt.timedelta(days=1)
        days += current.weekday() < 5 and current not in FINLAND
    return days


def _day(value: str) -> dt.date:
    return dt.datetime.fromisoformat(value).date()  # the local (Helsinki) date


def _contents(sim: Simulation) -> list[tuple[str, dict[str, Any]]]:
    return [(m.client, json.loads(m.payload)["content"]) for m in sim.messages
            if m.kind == "valid" and m.fmt == "social"
            and json.loads(m.payload)["document"]["version"] == 1]


def _notifications(sim: Simulation, kind: str) -> dict[str, tuple[str, dt.date]]:
    return {c["record_id"]: (client, _day(c["received_at"])) for client, c in _contents(sim)
            if c["kind"] == "notification" and c["notification_kind"] == kind}


def test_child_welfare_decision_within_seven_working_days(default_sim: Simulation) -> None:
    notes = _notifications(default_sim, "child-welfare-notification")
    seen = set()
    for _, c in _contents(default_sim):
        if c["kind"] == "decision" and c["record_id"] in notes:
            who, received = notes[c["record_id"]]
            decided = dt.date.fromisoformat(c["decision_date"])
            seen.add((who, received, decided, _used(received, decided) <= 7))
    assert {met for *_, met in seen} == {True, False}
    planned = {(d.client, d.opened, d.done, d.met) for d in default_sim.deadlines
               if d.kind == "cw-decision-7wd" and d.done is not None}
    assert seen == planned


def test_child_welfare_assessment_within_three_months(default_sim: Simulation) -> None:
    notes = _notifications(default_sim, "child-welfare-notification")
    seen = set()
    for _, c in _contents(default_sim):
        if c["kind"] == "assessment" and c["action"] == "completed" \
                and c["assessment_kind"] == "child-welfare":
            who, received = notes[c["based_on"]]
            done = _day(c["period"]["end"])
            seen.add((who, received, done, done <= received + relativedelta(months=3)))
    assert {met for *_, met in seen} == {True, False}
    planned = {(d.client, d.opened, d.done, d.met) for d in default_sim.deadlines
               if d.kind == "cw-assessment-3m" and d.done is not None}
    assert seen == planned


def test_older_people_assessment_started_by_seventh_working_day(
        default_sim: Simulation) -> None:
    notes = _notifications(default_sim, "social-services-need-notice")
    older = {c.label for c in default_sim.clients if c.profile == "older"}
    seen = set()
    for _, c in _contents(default_sim):
        if c["kind"] == "assessment" and c["action"] == "started" and c["based_on"] in notes:
            who, received = notes[c["based_on"]]
            if who in older:
                started = _day(c["period"]["start"])
                seen.add((who, received, started, _used(received, started) <= 7))
    assert {met for *_, met in seen} == {True, False}
    planned = {(d.client, d.opened, d.done, d.met) for d in default_sim.deadlines
               if d.kind == "older-assessment-7wd" and d.done is not None}
    assert seen == planned


def test_working_days_skip_weekends_and_finnish_holidays() -> None:
    # Easter 2025: Good Friday 18.4, Easter Monday 21.4.
    assert add_working_days(dt.date(2025, 4, 17), 1) == dt.date(2025, 4, 22)
    # Midsummer Eve 20.6.2025 (a Friday) counts as a holiday.
    assert add_working_days(dt.date(2025, 6, 19), 1) == dt.date(2025, 6, 23)
    # Received on Christmas Eve eve: 24-26.12 and the weekend are skipped.
    assert add_working_days(dt.date(2025, 12, 23), 1) == dt.date(2025, 12, 29)
    # The receipt day is not counted; Saturday and Sunday are not working days.
    assert add_working_days(dt.date(2025, 3, 7), 7) == dt.date(2025, 3, 18)
    assert working_days_between(dt.date(2025, 3, 7), dt.date(2025, 3, 18)) == 7
    assert not is_working_day(dt.date(2025, 12, 6))  # Independence Day
    assert all(working_days_between(d, add_working_days(d, 7)) == 7
               for d in (dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range(400)))


def test_months_end_on_the_same_day_or_the_last_one() -> None:
    assert add_months(dt.date(2025, 1, 15), 3) == dt.date(2025, 4, 15)
    assert add_months(dt.date(2025, 11, 30), 3) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2023, 11, 30), 3) == dt.date(2024, 2, 29)
    assert all(add_months(d, 3) == d + relativedelta(months=3)
               for d in (dt.date(2024, 1, 1) + dt.timedelta(days=n) for n in range(800)))


def _kept(sim: Simulation) -> set[str]:
    """The social documents that reach the timeline, found the way its policy finds them:
    by translating each one and asking the policy, apart from the simulator's own plan."""
    from services.simulate.summary import translate
    from services.timeline.policy import Policy

    return {m.key.decode() for m in sim.messages if m.kind == "valid" and m.fmt == "social"
            and all(Policy().decide(e).keep for e in translate(m))}


def test_the_visible_truth_is_what_the_policy_lets_through() -> None:
    sim = build(SimConfig(clients=48, seed=2, days=130, disclosure_ban_share=0.3))
    summary = summarise(sim.messages, sim.deadlines)
    kept = _kept(sim)
    expected: dict[str, dict[str, int]] = {}
    for d in sim.deadlines:
        if d.opening not in kept:
            continue  # the case never shows
        if d.step in kept and d.done is not None:
            state = "met" if d.done <= d.due else "missed"
        else:  # the step never shows: open until the due day passes
            state = "missed" if d.due < sim.config.end else "open"
        counts = expected.setdefault(d.kind, {"met": 0, "missed": 0, "open": 0})
        counts[state] += 1
    assert summary.deadlines_visible == dict(sorted(expected.items()))
    assert summary.deadlines_visible != summary.deadlines
    assert summary.as_dict()["deadlines_visible"] == summary.deadlines_visible


def test_without_bans_everything_is_visible() -> None:
    sim = build(SimConfig(clients=40, seed=11, disclosure_ban_share=0))
    summary = summarise(sim.messages, sim.deadlines)
    assert summary.deadlines_visible == summary.deadlines
