"""Child-welfare path (Lastensuojelulaki 26-27 §): notification → decision on starting the
assessment (7 working days; some late) → client relationship → assessment (3 months; some
over) → client plan → service granted, started, ended → Kykyviisari by the child, the
family and the worker; on the health side emergency visits and child-psychiatry
outpatient series."""

from __future__ import annotations

import datetime as dt

from services import workdays
from services.simulate import care, codes, health, social
from services.simulate.care import Case
from services.simulate.track import Track

LATE_DECISION = 0.3
LATE_ASSESSMENT = 0.3


def child_path(t: Track) -> None:
    case = Case(codes.CHILD_WELFARE)
    day0 = t.start_day()
    notifier = _notifier(t, day0)
    received = t.office(day0, 7, 16) if workdays.is_working_day(day0) else t.anytime(day0)
    if notifier == codes.NOTIFIER_HEALTH and t.person.client.health:
        health.emergency_visit(t, received - dt.timedelta(hours=t.rng.randint(6, 40)),
                               t.rng.choice(codes.CHILD_EMERGENCY), health.CHILD_EMERGENCY)
    notification, opening = _notify(t, case, day0, received, notifier)
    decided = _decide(t, case, day0, notification, opening)
    if decided is None:
        return
    care.open_case(t, case, t.office(decided, 12, 15))
    done = _assess(t, case, day0, decided, notification, opening)
    if t.person.client.health:
        _health_side(t, decided)
    if done is None:
        return
    _support(t, case, done, _age(t, day0))


def _age(t: Track, day: dt.date) -> int:
    return (day - t.person.client.born).days // 365


def _notifier(t: Track, day: dt.date) -> str:
    if not workdays.is_working_day(day) or t.chance(0.15):
        return codes.NOTIFIER_POLICE
    return t.rng.choice((codes.NOTIFIER_SCHOOL, codes.NOTIFIER_SCHOOL, codes.NOTIFIER_HEALTH,
                         codes.NOTIFIER_RELATIVE))


def _notify(t: Track, case: Case, day0: dt.date, received: dt.datetime,
            notifier: str) -> tuple[str, str]:
    """The notification: its record id and its document's."""
    archived = received + dt.timedelta(minutes=t.rng.randint(10, 120))
    if t.chance(0.3):
        t.social(archived - dt.timedelta(minutes=2),
                 social.client_data(t.next_id("asiakas"), t.person), task=case.task,
                 process="1", note="client data recorded")
    record = t.next_id("lsilmoitus")
    summary = t.rng.choice((None, "Huoli lapsen jaksamisesta ja koulunkäynnistä.",
                            f"{t.person.given} on ollut poissa koulusta useita viikkoja."))
    document = t.social(archived, social.notification(record, "child-welfare-notification",
                                                      notifier, received, summary),
                        task=case.task, process="1", note=f"child-welfare notification "
                                                           f"(notifier {notifier}) received {day0}")
    return record, document


def _decide(t: Track, case: Case, day0: dt.date, notification: str,
            opening: str) -> dt.date | None:
    """The decision on starting the assessment; None when no assessment follows."""
    used = t.rng.randint(8, 16) if t.chance(LATE_DECISION) else t.rng.randint(1, 7)
    decided = workdays.add_working_days(day0, used)
    start = not t.chance(0.1)
    outcome = "assessment-started" if start else "no-assessment"
    document = t.social(t.office(decided, 8, 11),
                        social.decision(notification, t.next_id(f"PAATOS-{decided.year}"),
                                        decided, outcome),
                        task=case.task, group="2", process="1",
                        note=f"decision {outcome} after {used} working days")
    t.deadline("cw-decision-7wd", day0, workdays.add_working_days(day0, 7), decided,
               opening, document)
    return decided if start else None


def _assess(t: Track, case: Case, day0: dt.date, decided: dt.date,
            notification: str, opening: str) -> dt.date | None:
    """The child-welfare assessment; returns its completion day when support is needed."""
    record = t.next_id("lsselvitys")
    started = t.office(workdays.add_working_days(decided, t.rng.randint(1, 3)))
    t.social(started, social.assessment("started", record, "child-welfare", started,
                                        based_on=notification),
             task=case.task, process="2", case_id=case.case_id, note="assessment started")
    due = workdays.add_months(day0, 3)
    if t.chance(LATE_ASSESSMENT):
        done = workdays.next_working_day(due + dt.timedelta(days=t.rng.randint(7, 45)))
    else:
        earliest = started.date() + dt.timedelta(days=14)
        latest = max(earliest, due - dt.timedelta(days=3))
        done = workdays.previous_working_day(
            earliest + dt.timedelta(days=t.rng.randint(0, (latest - earliest).days)))
        done = max(done, started.date())
    finished = t.office(done)
    need = t.chance(0.85)
    document = t.social(finished, social.assessment("completed", record, "child-welfare",
                                                    started, finished, notification, need,
                                                    case.task),
                        task=case.task, process="2", case_id=case.case_id, ban=True,
                        note=f"assessment completed {(done - day0).days} days after the "
                             "notification")
    t.deadline("cw-assessment-3m", day0, due, done, opening, document)
    if need:
        return done
    care.close_case(t, case, t.office(done + dt.timedelta(days=t.rng.randint(3, 10))))
    return None


def _support(t: Track, case: Case, done: dt.date, age: int) -> None:
    baseline = t.rng.uniform(2.5, 6.0)
    record, created = care.make_plan(t, case, done + dt.timedelta(days=t.rng.randint(5, 20)),
                                     baseline)
    granted = care.grant_service(t, case, created.date() + dt.timedelta(
        days=t.rng.randint(0, 10)), t.rng.choice(codes.CHILD_SERVICES))
    ends = granted.start.date() + dt.timedelta(days=t.rng.randint(120, 300))
    roles = ("self", "family", "worker") if age >= 12 else ("family", "worker")
    care.measure_series(t, case, granted.start.date(), ends, roles, baseline)
    revision = created.date() + dt.timedelta(days=t.rng.randint(150, 200))
    if revision < ends:
        care.revise_plan(t, case, record, created, revision, baseline + 1)
    care.end_service(t, case, granted, ends)
    care.close_case(t, case, t.office(ends + dt.timedelta(days=t.rng.randint(7, 30))))


def _health_side(t: Track, decided: dt.date) -> None:
    if t.chance(0.4):
        when = t.anytime(decided + dt.timedelta(days=t.rng.randint(10, 150)))
        health.emergency_visit(t, when, t.rng.choice(codes.CHILD_EMERGENCY),
                               health.CHILD_EMERGENCY)
    if t.chance(0.55):
        health.outpatient_series(t, decided + dt.timedelta(days=t.rng.randint(14, 60)),
                                 t.rng.randint(3, 8), t.rng.randint(14, 28),
                                 t.rng.choice(codes.CHILD_PSYCHIATRY),
                                 health.CHILD_PSYCHIATRY_CLINIC)
    if t.chance(0.05):
        health.mistaken_admission(t, t.anytime(decided + dt.timedelta(days=30)),
                                  health.CHILD_EMERGENCY)
