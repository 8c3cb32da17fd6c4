"""Health-care episodes of a client, sent by the hospital over HL7 v2 (hospital-adt) or
FHIR R4 (hospital-fhir): emergency visits, inpatient stays with lab results, outpatient
series, and admissions registered by mistake. Corrections happen at realistic rates
(A08 amendments, corrected results, FHIR versions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services import workdays
from services.simulate import fhir, hl7
from services.simulate.codes import Dx, Lab
from services.simulate.hl7 import LEGACY, MODERN, Result, Visit
from services.simulate.track import Track

HL7_SHARE = 0.55  # the rest of the hospital's traffic comes over its FHIR interface


@dataclass(frozen=True)
class Ward:
    code: str
    unit: int            # last arc of the unit's OID
    service: str         # HL7 table 0069 hospital service


EMERGENCY = Ward("PAIV", 7, "MED")
CHILD_EMERGENCY = Ward("LPAIV", 8, "PED")
PSYCHIATRY = Ward("PSY2", 21, "PSY")
DETOX = Ward("PAIH1", 22, "PSY")
CHILD_PSYCHIATRY_CLINIC = Ward("LPSYPOLI", 31, "PSY")
PSYCHIATRY_CLINIC = Ward("PSYPOLI", 32, "PSY")
INTERNAL = Ward("SIS3", 11, "MED")
SURGERY = Ward("KIR2", 12, "SUR")
GERIATRIC = Ward("GER1", 13, "GER")


def _hours(t: Track, low: float, high: float) -> dt.timedelta:
    return dt.timedelta(minutes=t.rng.randint(int(low * 60), int(high * 60)))


def _uses_hl7(t: Track) -> bool:
    return t.chance(HL7_SHARE)


# --- emergency visits -----------------------------------------------------------------


def emergency_visit(t: Track, when: dt.datetime, dx: Dx, ward: Ward = EMERGENCY) -> None:
    left = when + _hours(t, 2, 9)
    if _uses_hl7(t):
        visit = Visit(t.next_id("K"), "E", ward.code, ward.unit, ward.service, when,
                      admit_source="7", disposition="01")
        _adt(t, "A04", visit, when, (), "emergency visit registered (ADT A04)")
        visit.discharged = left
        _adt(t, "A03", visit, left, ((dx, "F"),), f"emergency visit ended, {dx.code} (ADT A03)")
        return
    record = fhir.FhirVisit(t.next_id("kaynti"), "E", when, left, reason=dx)
    if t.chance(0.5):
        t.fhir(when, record.id, fhir.encounter(t.person, record, "arrived", 1, when),
               "emergency visit arrived (FHIR Encounter)")
    _fhir_close(t, record, 2, left, [dx], "emergency visit ended")


# --- inpatient stays ------------------------------------------------------------------


def inpatient_stay(t: Track, when: dt.datetime, ward: Ward, admit_dx: Dx,
                   more_dx: Sequence[Dx], days: int, transfer: Ward | None = None,
                   labs: Sequence[Lab] = (), abnormal: bool = False) -> dt.datetime:
    """A stay of `days` nights; returns the discharge time."""
    left = workdays.local(when.date() + dt.timedelta(days=days), t.rng.randint(10, 15),
                          t.rng.choice((0, 15, 30, 45)))
    if _uses_hl7(t):
        _hl7_stay(t, when, left, ward, admit_dx, more_dx, transfer, labs, abnormal)
    else:
        _fhir_stay(t, when, left, admit_dx, more_dx, labs, abnormal)
    return left


def _hl7_stay(t: Track, when: dt.datetime, left: dt.datetime, ward: Ward, admit_dx: Dx,
              more_dx: Sequence[Dx], transfer: Ward | None, labs: Sequence[Lab],
              abnormal: bool) -> None:
    visit = Visit(t.next_id("K"), "I", ward.code, ward.unit, ward.service, when,
                  admit_source="7" if t.chance(0.6) else "1", disposition="01")
    _adt(t, "A01", visit, when, ((admit_dx, "W"),), f"admitted to {ward.code}, {admit_dx.code} "
                                                   "(ADT A01)")
    if labs:
        _hl7_labs(t, visit, when + _hours(t, 1, 5), labs, abnormal)
    if t.chance(0.2):
        _adt(t, "A08", visit, when + _hours(t, 2, 20), (), "admission amended (ADT A08)")
    if transfer is not None and left - when > dt.timedelta(days=2):
        visit.prior = (visit.ward, visit.unit)
        visit.ward, visit.unit = transfer.code, transfer.unit
        moved = when + (left - when) / 2
        _adt(t, "A02", visit, moved, (), f"transferred to {transfer.code} (ADT A02)")
    if labs and left - when > dt.timedelta(days=3):
        _hl7_labs(t, visit, left - _hours(t, 20, 30), labs, abnormal=False)
    visit.discharged = left
    extra = tuple((dx, "F") for dx in more_dx)
    _adt(t, "A03", visit, left, extra, "discharged (ADT A03)")


def _adt(t: Track, trigger: str, visit: Visit, when: dt.datetime,
         diagnoses: tuple[tuple[Dx, str], ...], note: str) -> None:
    payload = hl7.adt(trigger, t.person, visit, t.next_id("ADT"), when, diagnoses, MODERN)
    t.emit("hl7v2", t.latency(when), visit.number, payload, note)


def _values(t: Track, labs: Sequence[Lab], abnormal: bool) -> list[tuple[Lab, float]]:
    out = []
    for lab in labs:
        span = lab.high - lab.low
        low, high = (lab.high, lab.high + 2 * span) if abnormal and t.chance(0.7) else (
            lab.low + 0.1 * span, lab.high - 0.1 * span)
        out.append((lab, round(t.rng.uniform(low, high), lab.decimals)))
    return out


def _corrected(lab: Lab, value: float) -> float:
    """A re-measured or re-typed value: visibly different from the first one."""
    return round(value + max(1.0, (lab.high - lab.low) / 10), lab.decimals)


def _hl7_labs(t: Track, visit: Visit | None, taken: dt.datetime, labs: Sequence[Lab],
              abnormal: bool) -> None:
    order = t.next_id("LAB")
    placer, filler = f"P{order[4:]}", f"F{order[4:]}"
    reported = taken + _hours(t, 1, 3)
    results = [Result(lab, value) for lab, value in _values(t, labs, abnormal)]
    # The lab system is older than the ADT interface: a share comes as 2.3 in ISO-8859-1.
    iface = LEGACY if t.chance(0.25) else MODERN
    key = visit.number if visit is not None else filler
    payload = hl7.oru(t.person, placer, filler, taken, reported, results, t.next_id("ORU"),
                      visit, iface)
    t.emit("hl7v2", t.latency(reported), key, payload, f"{len(results)} lab results (ORU R01)")
    if t.chance(0.15):
        fixed = results[0]
        corrected = Result(fixed.lab, _corrected(fixed.lab, fixed.value), "C")
        later = reported + _hours(t, 1, 6)
        payload = hl7.oru(t.person, placer, filler, taken, later, [corrected],
                          t.next_id("ORU"), visit, iface)
        t.emit("hl7v2", t.latency(later), key, payload, "lab result corrected (ORU R01, C)")


def _fhir_stay(t: Track, when: dt.datetime, left: dt.datetime, admit_dx: Dx,
               more_dx: Sequence[Dx], labs: Sequence[Lab], abnormal: bool) -> None:
    visit = fhir.FhirVisit(t.next_id("kaynti"), "I", when, reason=admit_dx)
    version = 1
    opening = [fhir.encounter(t.person, visit, "in-progress", version, when),
               fhir.condition(t.person, f"dg-{visit.id}-{admit_dx.code}", admit_dx, visit.id,
                              when)]
    _fhir_send(t, when, visit.id, opening, "admitted (FHIR Encounter in-progress + Condition)")
    if labs:
        _fhir_labs(t, visit.id, when + _hours(t, 1, 5), labs, abnormal)
    if t.chance(0.15):
        version += 1
        later = when + _hours(t, 2, 20)
        visit.admitted = when - dt.timedelta(minutes=30)  # the admit time was corrected
        t.fhir(later, visit.id, fhir.encounter(t.person, visit, "in-progress", version, later),
               f"admission amended (FHIR Encounter version {version})")
    visit.discharged = left
    _fhir_close(t, visit, version + 1, left, list(more_dx), "discharged")


def _fhir_close(t: Track, visit: fhir.FhirVisit, version: int, left: dt.datetime,
                diagnoses: list[Dx], note: str) -> None:
    resources = [fhir.encounter(t.person, visit, "finished", version, left)]
    resources += [fhir.condition(t.person, f"dg-{visit.id}-{dx.code}", dx, visit.id, left)
                  for dx in diagnoses]
    codes = ", ".join(dx.code for dx in diagnoses)
    _fhir_send(t, left, visit.id, resources, f"{note}{', ' + codes if codes else ''} "
                                             "(FHIR Encounter finished)")


def _fhir_send(t: Track, when: dt.datetime, key: str, resources: list[fhir.Json],
               note: str) -> None:
    """One resource alone, or several in a transaction (with the Patient), a collection
    or a message Bundle: FHIR servers send all of these."""
    if len(resources) == 1 and t.chance(0.6):
        t.fhir(when, key, resources[0], note)
        return
    kind = t.rng.choice(("transaction", "collection", "message"))
    if kind != "message" and t.chance(0.5):
        registered = workdays.local(t.config.start - dt.timedelta(days=30 + t.person.no % 300),
                                    9)
        resources = [fhir.patient(t.person, registered), *resources]
    body = fhir.bundle(kind, resources, t.next_id("bundle"), when, t.rng)
    fhir.refer_to_patient(kind, body)
    t.fhir(when, key, body, f"{note} in a {kind} Bundle")


def _fhir_labs(t: Track, visit_id: str | None, taken: dt.datetime, labs: Sequence[Lab],
               abnormal: bool) -> None:
    order = t.next_id("lab")
    values = _values(t, labs, abnormal)
    records = [fhir.observation(t.person, f"{order}-{lab.loinc}", lab, value, taken, visit_id)
               for lab, value in values]
    key = visit_id or records[0]["id"]
    _fhir_send(t, taken + _hours(t, 1, 3), key, records, f"{len(records)} lab results")
    if t.chance(0.15):
        lab, value = values[0]
        when = taken + _hours(t, 4, 10)
        status, what = ("entered-in-error", "withdrawn") if t.chance(0.4) else (
            "corrected", "corrected")
        record = fhir.observation(t.person, f"{order}-{lab.loinc}", lab,
                                  _corrected(lab, value), taken, visit_id, status, 2, when)
        t.fhir(when, key, record, f"lab result {what} (FHIR Observation {status})")


# --- outpatient series and mistakes ---------------------------------------------------


def outpatient_series(t: Track, first: dt.date, count: int, every_days: int, dx: Dx,
                      ward: Ward) -> None:
    hl7_clinic = _uses_hl7(t)  # a clinic sends all its visits over one interface
    for n in range(count):
        day = workdays.next_working_day(first + dt.timedelta(days=n * every_days))
        start = t.office(day, 8, 15)
        end = start + dt.timedelta(minutes=t.rng.choice((45, 60, 90)))
        diagnoses = [dx] if n == 0 else []
        if hl7_clinic:
            visit = Visit(t.next_id("K"), "O", ward.code, ward.unit, ward.service, start)
            _adt(t, "A04", visit, start, (), f"outpatient visit {n + 1} registered (ADT A04)")
            visit.discharged = end
            _adt(t, "A03", visit, end, tuple((d, "F") for d in diagnoses),
                 f"outpatient visit {n + 1} ended (ADT A03)")
            continue
        visit_f = fhir.FhirVisit(t.next_id("kaynti"), "O", start, end, reason=dx)
        if t.chance(0.5):
            t.fhir(start, visit_f.id, fhir.encounter(t.person, visit_f, "arrived", 1, start),
                   f"outpatient visit {n + 1} arrived (FHIR Encounter)")
        _fhir_close(t, visit_f, 2, end, diagnoses, f"outpatient visit {n + 1} ended")


def mistaken_admission(t: Track, when: dt.datetime, ward: Ward) -> None:
    """An admission registered for the wrong person or by mistake, then withdrawn."""
    undone = when + _hours(t, 0.3, 3)
    if _uses_hl7(t):
        visit = Visit(t.next_id("K"), "I", ward.code, ward.unit, ward.service, when)
        _adt(t, "A01", visit, when, (), "admission registered by mistake (ADT A01)")
        _adt(t, "A11", visit, undone, (), "admission cancelled (ADT A11)")
        return
    visit_f = fhir.FhirVisit(t.next_id("kaynti"), "I", when)
    t.fhir(when, visit_f.id, fhir.encounter(t.person, visit_f, "in-progress", 1, when),
           "admission registered by mistake (FHIR Encounter)")
    t.fhir(undone, visit_f.id, fhir.encounter(t.person, visit_f, "entered-in-error", 2, undone),
           "admission withdrawn (FHIR Encounter entered-in-error)")
