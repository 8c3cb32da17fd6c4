"""Older people's services (75+, Sosiaalihuoltolaki 36 §): a hospital stay (A01, A02
transfer, A03) ends in a notice of need for services; the service-need assessment must
start by the 7th working day (some start late); home care or service housing follows, with
Kykyviisari by the client, a relative and the worker, and sometimes a readmission."""

from __future__ import annotations

import datetime as dt

from services import workdays
from services.simulate import care, codes, health, social
from services.simulate.care import Case
from services.simulate.track import Track

LATE_START = 0.3


def older_path(t: Track) -> None:
    case = Case(codes.OLDER_PEOPLE)
    day0 = t.start_day()
    notifier = codes.NOTIFIER_RELATIVE
    noticed = workdays.next_working_day(day0)
    if t.person.client.health:
        left = _stay(t, t.anytime(day0))
        notifier = codes.NOTIFIER_HEALTH
        noticed = workdays.previous_working_day(left.date() - dt.timedelta(
            days=t.rng.randint(0, 2)))
        noticed = workdays.next_working_day(max(noticed, day0))
    received = t.office(noticed, 9, 14)
    notice = t.next_id("ilmoitus")
    opening = t.social(received + dt.timedelta(minutes=t.rng.randint(5, 90)),
                       social.notification(notice, "social-services-need-notice", notifier,
                                           received),
                       task=case.task, process="1",
                       note=f"notice of need for services (notifier {notifier}) received "
                            f"{noticed}")
    done = _assess(t, case, noticed, notice, opening)
    if done is not None:
        _services(t, case, done)
    if t.person.client.health:
        _later_health(t, day0)


def _stay(t: Track, when: dt.datetime) -> dt.datetime:
    admit = t.rng.choice(codes.OLDER_ADMISSION)
    ward = health.SURGERY if admit.code.startswith("S") else health.INTERNAL
    transfer = health.GERIATRIC if t.chance(0.5) else None
    more = t.rng.sample(codes.OLDER_CHRONIC, t.rng.randint(1, 2))
    return health.inpatient_stay(t, when, ward, admit, more, t.rng.randint(3, 14), transfer,
                                 codes.OLDER_LABS, abnormal=t.chance(0.7))


def _assess(t: Track, case: Case, noticed: dt.date, notice: str,
            opening: str) -> dt.date | None:
    used = t.rng.randint(8, 20) if t.chance(LATE_START) else t.rng.randint(1, 7)
    start_day = workdays.add_working_days(noticed, used)
    care.open_case(t, case, t.office(start_day, 8, 9))
    record = t.next_id("pta")
    started = t.office(start_day, 10, 15)
    document = t.social(started, social.assessment("started", record, "service-need",
                                                   started, based_on=notice),
                        task=case.task, process="2", case_id=case.case_id,
                        note=f"service-need assessment started after {used} working days")
    t.deadline("older-assessment-7wd", noticed, workdays.add_working_days(noticed, 7),
               start_day, opening, document)
    done = workdays.next_working_day(start_day + dt.timedelta(days=t.rng.randint(7, 40)))
    return care.complete_need_assessment(t, case, record, started, done, notice)


def _services(t: Track, case: Case, done: dt.date) -> None:
    baseline = t.rng.uniform(3.0, 6.5)
    granted = care.grant_service(t, case, done + dt.timedelta(days=t.rng.randint(1, 10)),
                                 t.rng.choice(codes.OLDER_SERVICES[:2]), wait_days=(1, 10))
    record, created = care.make_plan(t, case, granted.start.date() + dt.timedelta(
        days=t.rng.randint(7, 21)), baseline)
    until = granted.start.date() + dt.timedelta(days=t.rng.randint(150, 330))
    care.measure_series(t, case, created.date(), until, ("self", "family", "worker"),
                        baseline)
    if t.chance(0.3):  # home care no longer enough: 24-hour service housing
        moved = granted.start.date() + dt.timedelta(days=t.rng.randint(90, 200))
        care.end_service(t, case, granted, moved)
        care.grant_service(t, case, moved - dt.timedelta(days=10), codes.OLDER_SERVICES[2],
                           wait_days=(10, 14))
        care.revise_plan(t, case, record, created, moved + dt.timedelta(days=14), baseline)


def _later_health(t: Track, day0: dt.date) -> None:
    if t.chance(0.35):
        _stay(t, t.anytime(day0 + dt.timedelta(days=t.rng.randint(60, 200))))
    if t.chance(0.25):
        health.emergency_visit(t, t.anytime(day0 + dt.timedelta(days=t.rng.randint(30, 250))),
                               t.rng.choice(codes.OLDER_ADMISSION))
    if t.chance(0.12):
        health.mistaken_admission(t, t.anytime(day0 + dt.timedelta(days=40)), health.INTERNAL)
