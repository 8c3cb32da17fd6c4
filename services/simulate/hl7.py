"""HL7 v2 ER7 messages as a hospital system sends them: ADT A01/A02/A03/A04/A08/A11 and
ORU^R01, in the shapes adapters/hl7v2 accepts (PID-3 HETU repetition assigned by
1.2.246.21 and typed NNFIN, PV1-19 visit number, EVN-2 recorded time, PV1-44/45 period).

Most messages are HL7 2.5.1 in UTF-8; an older interface sends 2.3 in ISO-8859-1 so both
character sets travel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.simulate import codes
from services.simulate.codes import Dx, Lab
from services.simulate.people import Person

_ESCAPES = {"\\": "\\E\\", "|": "\\F\\", "^": "\\S\\", "~": "\\R\\", "&": "\\T\\"}


@dataclass(frozen=True)
class Interface:
    """How one sending interface encodes: HL7 version, character set, offsets on times."""

    version: str = "2.5.1"
    latin1: bool = False
    offsets: bool = False


MODERN = Interface()
LEGACY = Interface(version="2.3", latin1=True)


@dataclass
class Visit:
    """One hospital visit or stay (the record PV1-19 names)."""

    number: str
    patient_class: str          # E emergency, I inpatient, O outpatient
    ward: str
    unit: int                   # last arc of the unit's OID under the hospital
    service: str                # PV1-10 hospital service (table 0069)
    admitted: dt.datetime
    discharged: dt.datetime | None = None
    admit_source: str = ""
    disposition: str = ""
    prior: tuple[str, int] | None = None   # (ward, unit) before a transfer


def _ts(moment: dt.datetime | None, iface: Interface) -> str:
    if moment is None:
        return ""
    return moment.strftime("%Y%m%d%H%M%S%z" if iface.offsets else "%Y%m%d%H%M%S")


def _text(value: str) -> str:
    return "".join(_ESCAPES.get(ch, ch) for ch in value)


def _segment(name: str, fields: dict[int, str]) -> str:
    width = max(fields) if fields else 0
    return "|".join([name, *(fields.get(n, "") for n in range(1, width + 1))])


def _encode(segments: list[str], iface: Interface) -> bytes:
    text = "\r".join(segments) + "\r"
    return text.encode("iso8859-1" if iface.latin1 else "utf-8")


def _msh(message_type: str, control_id: str, sent: dt.datetime, iface: Interface) -> str:
    charset = "8859/1" if iface.latin1 else "UNICODE UTF-8"
    fields = ["MSH", "^~\\&", "POTILAS", f"POTILAS^{codes.HOSPITAL}^ISO", "SILTA", "SILTA",
              _ts(sent, iface), "", message_type, control_id, "P", iface.version,
              "", "", "", "", "FIN", charset]
    return "|".join(fields)


def _pid(person: Person) -> str:
    ids = f"{person.mrn}^^^HOSP^MR~{person.hetu}^^^&1.2.246.21&ISO^NNFIN"
    born = person.client.born.strftime("%Y%m%d")
    return _segment("PID", {1: "1", 3: ids, 5: f"{_text(person.family)}^{_text(person.given)}",
                            7: born, 8: person.sex})


def _location(ward: str, unit: int) -> str:
    return f"{ward}^^^&{codes.HOSPITAL}.{unit}&ISO"


def _pv1(visit: Visit, iface: Interface, transfer: bool, discharged: bool) -> str:
    fields = {1: "1", 2: visit.patient_class, 3: _location(visit.ward, visit.unit),
              10: visit.service, 14: visit.admit_source,
              19: f"{visit.number}^^^&{codes.VISIT_AUTHORITY}&ISO^VN",
              44: _ts(visit.admitted, iface)}
    if transfer and visit.prior is not None:
        fields[6] = _location(*visit.prior)
    if discharged:
        fields[36] = visit.disposition
        fields[45] = _ts(visit.discharged, iface)
    return _segment("PV1", fields)


def _dg1(index: int, dx: Dx, kind: str, recorded: dt.datetime, iface: Interface) -> str:
    return _segment("DG1", {1: str(index), 3: f"{dx.code}^{_text(dx.text)}^I10",
                            5: _ts(recorded, iface), 6: kind})


def adt(trigger: str, person: Person, visit: Visit, control_id: str, recorded: dt.datetime,
        diagnoses: tuple[tuple[Dx, str], ...] = (), iface: Interface = MODERN) -> bytes:
    """ADT^<trigger>; `recorded` is EVN-2 (the event time) and MSH-7; `diagnoses` are
    (diagnosis, DG1-6 type: W working, F final)."""
    structure = "ADT_A03" if trigger == "A03" else "ADT_A01"
    segments = [
        _msh(f"ADT^{trigger}^{structure}", control_id, recorded, iface),
        _segment("EVN", {1: trigger, 2: _ts(recorded, iface)}),
        _pid(person),
    ]
    if person.client.turvakielto:
        segments.append(_segment("PD1", {12: "Y"}))
    segments.append(_pv1(visit, iface, trigger == "A02", trigger in ("A03", "A08")
                         and visit.discharged is not None))
    segments += [_dg1(i, dx, kind, recorded, iface)
                 for i, (dx, kind) in enumerate(diagnoses, 1)]
    return _encode(segments, iface)


@dataclass(frozen=True)
class Result:
    lab: Lab
    value: float
    status: str = "F"           # OBX-11: F final, C corrected

    @property
    def flag(self) -> str:
        return "H" if self.value > self.lab.high else "L" if self.value < self.lab.low else "N"


def oru(person: Person, placer: str, filler: str, collected: dt.datetime,
        reported: dt.datetime, results: list[Result], control_id: str,
        visit: Visit | None = None, iface: Interface = MODERN) -> bytes:
    """ORU^R01 with one order (OBR) and one OBX per result."""
    segments = [_msh("ORU^R01^ORU_R01", control_id, reported, iface), _pid(person)]
    if person.client.turvakielto:
        segments.append(_segment("PD1", {12: "Y"}))
    if visit is not None:
        segments.append(_pv1(visit, iface, False, False))
    segments.append(_segment("ORC", {1: "RE", 2: placer, 3: filler}))
    segments.append(_segment("OBR", {1: "1", 2: placer, 3: filler, 4: "LAB^Laboratorio^L",
                                     7: _ts(collected, iface), 22: _ts(reported, iface),
                                     25: "F"}))
    for i, result in enumerate(results, 1):
        lab = result.lab
        value = f"{result.value:.{lab.decimals}f}"
        segments.append(_segment("OBX", {
            1: str(i), 2: "NM", 3: f"{lab.loinc}^{_text(lab.name)}^LN", 5: value,
            6: f"{lab.unit}^{lab.unit}^UCUM", 7: f"{lab.low:g}-{lab.high:g}", 8: result.flag,
            11: result.status, 14: _ts(collected, iface)}))
    return _encode(segments, iface)
