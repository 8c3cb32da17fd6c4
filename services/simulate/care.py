"""Social-care steps shared by the paths: a case (client relationship), plans, decisions
and services, and Kykyviisari outcome measures over time, with document corrections
(version 2) and withdrawals (entered-in-error) at realistic rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services import workdays
from services.simulate import social
from services.simulate.codes import ServiceKind
from services.simulate.track import Track

ITEMS = ("mieliala", "arki", "ihmissuhteet", "liikkuminen")


@dataclass
class Case:
    """A client relationship (asiakkuus) in one palvelutehtävä."""

    task: str
    case_id: str | None = None
    opened: dt.datetime | None = None


def open_case(t: Track, case: Case, when: dt.datetime) -> None:
    case.case_id, case.opened = t.next_id("asiakkuus"), when
    t.social(when, social.relationship("opened", when), task=case.task, process="1",
             case_id=case.case_id, note="client relationship opened")


def close_case(t: Track, case: Case, when: dt.datetime) -> None:
    if case.case_id is None or case.opened is None:
        return
    t.social(when, social.relationship("closed", case.opened, when), task=case.task,
             process="4", case_id=case.case_id, note="client relationship closed")


def make_plan(t: Track, case: Case, day: dt.date, baseline: float) -> tuple[str, dt.datetime]:
    when = t.office(day)
    record = t.next_id("suunnitelma")
    target = min(10, round(baseline) + t.rng.randint(1, 3))
    goals = [social.goal("total", target, day + dt.timedelta(days=t.rng.randint(120, 270))),
             social.goal(t.rng.choice(ITEMS), min(10, target + 1)),
             social.goal(t.rng.choice(ITEMS), None, status="proposed")]
    if goals[1]["item"] == goals[2]["item"]:
        goals.pop()
    t.social(when, social.plan("created", record, "active", when, when, goals,
                               "Tavoitteet sovittu yhdessä asiakkaan kanssa."),
             task=case.task, process="3", case_id=case.case_id, note="client plan created")
    return record, when


def revise_plan(t: Track, case: Case, record: str, created: dt.datetime, day: dt.date,
                baseline: float) -> None:
    when = t.office(day)
    goals = [social.goal("total", min(10, round(baseline) + 2))]
    t.social(when, social.plan("updated", record, "active", created, created, goals),
             task=case.task, process="3", case_id=case.case_id, note="client plan revised")


@dataclass(frozen=True)
class Granted:
    record: str
    decision_id: str
    kind: ServiceKind
    start: dt.datetime


def grant_service(t: Track, case: Case, day: dt.date, kind: ServiceKind,
                  based_on: str | None = None, wait_days: tuple[int, int] = (3, 20)) -> Granted:
    """A decision granting `kind`, then the service starting some days later."""
    record = t.next_id("palvelu")
    decision_id = t.next_id(f"PAATOS-{day.year}")
    t.social(t.office(day), social.decision(record, decision_id, day, "granted", kind, based_on,
                                            "Myönnetään palvelu suunnitelman mukaisesti."),
             task=case.task, group="2", process="3", case_id=case.case_id,
             note=f"decision granted: {kind.note}")
    start_day = workdays.next_working_day(day + dt.timedelta(days=t.rng.randint(*wait_days)))
    start = t.office(start_day)
    doc = t.social(start, social.service("started", record, kind, start, None, decision_id),
                   task=case.task, process="4", case_id=case.case_id,
                   note=f"service started: {kind.note}")
    if t.chance(0.06):  # the start time was entered wrongly and fixed a day later
        fixed = start - dt.timedelta(hours=1)
        t.social(start + dt.timedelta(days=1),
                 social.service("started", record, kind, fixed, None, decision_id),
                 task=case.task, process="4", case_id=case.case_id, doc_id=doc, version=2,
                 created=start, note="service start corrected (document version 2)")
    return Granted(record, decision_id, kind, start)


def end_service(t: Track, case: Case, granted: Granted, day: dt.date) -> None:
    end = t.office(workdays.next_working_day(day))
    t.social(end, social.service("ended", granted.record, granted.kind, granted.start, end,
                                 granted.decision_id),
             task=case.task, process="4", case_id=case.case_id,
             note=f"service ended: {granted.kind.note}")


def measure_series(t: Track, case: Case, first: dt.date, until: dt.date,
                   roles: tuple[str, ...], baseline: float) -> None:
    """Kykyviisari by each role every 6-12 weeks; scores drift as the client's course goes."""
    course = t.rng.choices((0.6, 0.0, -0.4), weights=(6, 3, 1))[0]
    level = {role: baseline + t.rng.uniform(-1, 1) for role in roles}
    day, round_no = first, 0
    while day < min(until, t.config.end):
        for role in roles:
            score = max(0.0, min(10.0, level[role] + course * round_no + t.rng.uniform(-.5, .5)))
            _measure(t, case, workdays.next_working_day(day), role, score)
        day += dt.timedelta(weeks=t.rng.randint(6, 12))
        round_no += 1


def _measure(t: Track, case: Case, day: dt.date, role: str, total: float) -> None:
    when = t.office(day)
    record = t.next_id("kv")
    items = t.rng.sample(ITEMS, t.rng.randint(1, 3))
    scores: list[tuple[str, int | float]] = [("total", round(total, 1))]
    scores += [(item, max(0, min(10, round(total + t.rng.uniform(-2, 2))))) for item in items]
    content = social.measure(record, role, when, scores)
    doc = t.social(when, content, task=case.task, process="4", case_id=case.case_id,
                   note=f"Kykyviisari by {role}: total {total:.1f}")
    if t.chance(0.06):  # a score was typed wrong and the document corrected
        fixed = [(scores[0][0], round(min(10.0, total + 1), 1)), *scores[1:]]
        later = when + dt.timedelta(days=t.rng.randint(1, 5))
        t.social(later, social.measure(record, role, when, fixed), task=case.task,
                 process="4", case_id=case.case_id, doc_id=doc, version=2, created=when,
                 note="Kykyviisari corrected (document version 2)")
    elif t.chance(0.025):  # archived for the wrong client: withdrawn
        later = when + dt.timedelta(days=t.rng.randint(1, 10))
        t.social(later, content, task=case.task, process="4", case_id=case.case_id,
                 doc_id=doc, version=2, status="entered-in-error", created=when,
                 note="Kykyviisari withdrawn (entered-in-error)")


def complete_need_assessment(t: Track, case: Case, record: str, started: dt.datetime,
                             done: dt.date, notice: str) -> dt.date | None:
    """Finish a service-need assessment; return the day services can start, or None when
    no need was found (the case closes)."""
    finished = t.office(done)
    need = t.chance(0.9)
    t.social(finished, social.assessment("completed", record, "service-need", started,
                                         finished, notice, need, case.task),
             task=case.task, process="2", case_id=case.case_id, ban=True,
             note="service-need assessment completed")
    if need:
        return done
    close_case(t, case, t.office(done + dt.timedelta(days=t.rng.randint(3, 14))))
    return None
