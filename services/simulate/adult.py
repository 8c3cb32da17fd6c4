"""Working-age adult social work with substance abuse and psychiatric care: often opened
by a notice from the emergency department; service-need assessment, client plan, rehab or
housing services, Kykyviisari by the client and the worker; on the health side
intoxication visits, detox and psychiatric stays (ADT A01/A02/A03, DG1 F10.x/F32.x) with
lab results, and psychiatric outpatient visits."""

from __future__ import annotations

import datetime as dt

from services import workdays
from services.simulate import care, codes, health, social
from services.simulate.care import Case
from services.simulate.track import Track


def adult_path(t: Track) -> None:
    case = Case(codes.ADULT_SOCIAL_WORK)
    day0 = t.start_day()
    notifier = codes.NOTIFIER_SELF
    if t.person.client.health and t.chance(0.6):
        health.emergency_visit(t, t.anytime(day0), codes.SUBSTANCE[0])
        notifier = codes.NOTIFIER_HEALTH
    elif t.chance(0.3):
        notifier = codes.NOTIFIER_RELATIVE
    noticed = workdays.add_working_days(day0, 1)
    received = t.office(noticed)
    notice = t.next_id("ilmoitus")
    t.social(received + dt.timedelta(minutes=t.rng.randint(5, 60)),
             social.notification(notice, "social-services-need-notice", notifier, received),
             task=case.task, process="1", note=f"notice of need for social services "
                                                f"(notifier {notifier})")
    opened = t.office(workdays.add_working_days(noticed, t.rng.randint(1, 5)))
    care.open_case(t, case, opened)
    done = _assess(t, case, notice, opened.date())
    if t.person.client.health:
        _health_side(t, day0)
    if done is not None:
        _support(t, case, done)


def _assess(t: Track, case: Case, notice: str, opened: dt.date) -> dt.date | None:
    record = t.next_id("pta")
    started = t.office(workdays.add_working_days(opened, t.rng.randint(1, 8)))
    t.social(started, social.assessment("started", record, "service-need", started,
                                        based_on=notice),
             task=case.task, process="2", case_id=case.case_id,
             note="service-need assessment started")
    done = workdays.next_working_day(started.date() + dt.timedelta(days=t.rng.randint(14, 60)))
    return care.complete_need_assessment(t, case, record, started, done, notice)


def _support(t: Track, case: Case, done: dt.date) -> None:
    baseline = t.rng.uniform(2.0, 5.5)
    record, created = care.make_plan(t, case, done + dt.timedelta(days=t.rng.randint(3, 15)),
                                     baseline)
    kinds = t.rng.sample(codes.ADULT_SERVICES, t.rng.choice((1, 1, 2)))
    last_end = created.date()
    for n, kind in enumerate(kinds):
        granted = care.grant_service(t, case, created.date() + dt.timedelta(
            days=t.rng.randint(0, 10) + 30 * n), kind)
        ends = granted.start.date() + dt.timedelta(days=t.rng.randint(60, 270))
        care.end_service(t, case, granted, ends)
        last_end = max(last_end, ends)
    care.measure_series(t, case, created.date(), last_end, ("self", "worker"), baseline)
    if t.chance(0.5):
        care.revise_plan(t, case, record, created, created.date() + dt.timedelta(days=120),
                         baseline + 1)
    care.close_case(t, case, t.office(last_end + dt.timedelta(days=t.rng.randint(7, 40))))


def _health_side(t: Track, day0: dt.date) -> None:
    day = day0 + dt.timedelta(days=t.rng.randint(5, 40))
    for _ in range(t.rng.randint(1, 3)):
        if t.chance(0.6):
            # Withdrawal (F10.3) on admission; the dependence found during the stay.
            more = [t.rng.choice((codes.SUBSTANCE[1], codes.SUBSTANCE[3]))]
            left = health.inpatient_stay(t, t.anytime(day), health.DETOX, codes.SUBSTANCE[2],
                                         more, t.rng.randint(3, 9), labs=codes.SUBSTANCE_LABS,
                                         abnormal=True)
        else:
            left = health.inpatient_stay(t, t.anytime(day), health.PSYCHIATRY,
                                         t.rng.choice(codes.PSYCHIATRIC),
                                         [t.rng.choice(codes.SUBSTANCE[1:])],
                                         t.rng.randint(5, 25), transfer=health.DETOX
                                         if t.chance(0.3) else None)
        day = left.date() + dt.timedelta(days=t.rng.randint(20, 120))
    if t.chance(0.5):
        health.outpatient_series(t, day0 + dt.timedelta(days=t.rng.randint(20, 90)),
                                 t.rng.randint(3, 6), t.rng.randint(14, 35),
                                 t.rng.choice(codes.PSYCHIATRIC), health.PSYCHIATRY_CLINIC)
    if t.chance(0.25):
        health.emergency_visit(t, t.anytime(day), codes.SUBSTANCE[0])
    if t.chance(0.12):
        health.mistaken_admission(t, t.anytime(day0 + dt.timedelta(days=60)), health.PSYCHIATRY)
