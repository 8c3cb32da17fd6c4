"""ORU^R01: one event per OBX.

Record id: `<order>-<OBX-3 code>[-<OBX-4 sub-id>]`, with the order number from OBR-3
(filler) or else OBR-2 (placer). OBX-1 is a per-message set id, so it cannot name the same
result in the original and in its correction; order + code + sub-id can.

| OBX-11 | event | ce_id | ce_corrects |
|---|---|---|---|
| F, P, R, S, I, U | observation.recorded | `R:observation.recorded` | |
| C, A | record.amended | `R:record.amended:<MSH-10>` | `R:observation.recorded` |
| D, W | record.entered-in-error | `R:observation.recorded:retracted` | `R:observation.recorded` |

(R is the record id above.)

X (cannot be obtained) and N (not asked) carry no result and are refused as unsupported
rather than dropped silently. NTE comments are never read: free text stays out.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.hl7v2.context import Context, Header, make_context
from adapters.hl7v2.er7 import Message, Segment
from adapters.hl7v2.values import (
    code_system,
    coding,
    fhir_time,
    is_fhir_id,
    parse_nm,
    parse_ts,
    safe_id,
)
from contracts import systems
from contracts.events import ContractEvent

_STATUS = {
    "F": "final", "U": "final", "P": "preliminary", "R": "preliminary", "S": "preliminary",
    "I": "registered", "C": "corrected", "A": "amended",
    "D": "entered-in-error", "W": "entered-in-error",
}
_CODED = ("CE", "CWE", "CNE", "CF", "CV")
_TEXT = ("ST", "TX", "FT")
_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v2-0078"


def translate_oru(message: Message, source: SourceInfo, header: Header) -> list[ContractEvent]:
    ctx = make_context(message, source, header, None)
    encounter = _encounter_reference(message)
    events: list[ContractEvent] = []
    order: Context | None = None
    obr: Segment | None = None
    for segment in message.segments:
        if segment.name == "OBR":
            obr = segment
            reported = parse_ts(obr.get(22), obr.location(22))
            order = dataclasses.replace(ctx, recorded_at=reported or ctx.recorded_at)
        elif segment.name == "OBX":
            if obr is None or order is None:
                raise TranslationError("hl7.segment.missing", segment.location(),
                                       "an OBR segment before the first OBX")
            events.append(_observation(order, obr, segment, encounter))
    if not events:
        raise TranslationError("hl7.segment.missing", "OBX",
                               "at least one OBX segment with a result")
    return events


def _encounter_reference(message: Message) -> dict[str, str] | None:
    pv1 = message.first("PV1")
    visit = pv1.get(19).strip() if pv1 is not None else ""
    return {"reference": f"Encounter/{visit}"} if visit and is_fhir_id(visit) else None


def _observation(ctx: Context, obr: Segment, obx: Segment,
                 encounter: dict[str, str] | None) -> ContractEvent:
    status = _status(obx)
    record = _record_id(obr, obx)
    resource: dict[str, Any] = {"resourceType": "Observation", "id": record}
    if ctx.meta:
        resource["meta"] = ctx.meta
    resource["status"] = status
    resource["code"] = _concept(ctx, obx, 3, "observation-code")
    resource["subject"] = ctx.client
    if encounter:
        resource["encounter"] = encounter
    effective = parse_ts(obx.get(14), obx.location(14)) or parse_ts(obr.get(7), obr.location(7))
    if effective is None:
        raise TranslationError("hl7.field.missing", obx.location(14),
                               "an observation time (OBX-14 or OBR-7)")
    resource["effectiveDateTime"] = fhir_time(effective)
    issued = parse_ts(obr.get(22), obr.location(22))
    if issued:
        resource["issued"] = fhir_time(issued)
    resource.update(_value(ctx, obx))
    interpretation = [{"coding": [{"system": _INTERPRETATION, "code": flag}]}
                      for flag in (f.strip() for f in obx.repetitions(8)) if flag]
    if interpretation:
        resource["interpretation"] = interpretation
    return _emit(ctx, obx, resource, record, status)


def _emit(ctx: Context, obx: Segment, resource: dict[str, Any], record: str,
          status: str) -> ContractEvent:
    original = f"{record}:observation.recorded"
    subject = f"Observation/{record}"
    where = obx.location()
    if status in ("corrected", "amended"):
        return ctx.emit("fi.silta.common.record.amended.v1", resource, subject=subject,
                        id=f"{record}:record.amended:{ctx.control_id()}", corrects=original,
                        location=where)
    if status == "entered-in-error":
        return ctx.emit("fi.silta.common.record.entered-in-error.v1", resource,
                        subject=subject, id=f"{original}:retracted", corrects=original,
                        location=where)
    return ctx.emit("fi.silta.health.observation.recorded.v1", resource, id=original,
                    subject=subject, location=where)


def _status(obx: Segment) -> str:
    code = obx.get(11).strip().upper()
    if not code:
        raise TranslationError("hl7.field.missing", obx.location(11), "a result status")
    if code not in _STATUS:
        raise TranslationError("hl7.value.unsupported", obx.location(11),
                               "a result status F, P, R, S, I, U, C, A, D or W")
    return _STATUS[code]


def _record_id(obr: Segment, obx: Segment) -> str:
    order = obr.get(3).strip() or obr.get(2).strip()
    if not order:
        raise TranslationError("hl7.field.missing", obr.location(3),
                               "a filler (OBR-3) or placer (OBR-2) order number")
    code = obx.get(3).strip()
    if not code:
        raise TranslationError("hl7.field.missing", obx.location(3), "an observation code")
    sub_id = obx.get(4).strip()
    return safe_id(f"{order}-{code}" + (f"-{sub_id}" if sub_id else ""))


def _concept(ctx: Context, segment: Segment, field: int, kind: str,
             rep: int = 1) -> dict[str, Any]:
    """CE/CWE: the primary coding and, when given, the alternate one (components 4-6)."""
    parts = segment.components(field, rep) + [""] * 6
    default = ctx.local_system(kind)
    codings = [coding(parts[0], parts[1], code_system(parts[2], default, default))]
    if parts[3].strip():
        codings.append(coding(parts[3], parts[4], code_system(parts[5], default, default)))
    return {"coding": codings}


def _value(ctx: Context, obx: Segment) -> dict[str, Any]:
    reps = [r for r in obx.repetitions(5) if r.strip()]
    value_type = obx.get(2).strip().upper()
    where = obx.location(5)
    if not reps:
        return {}
    if value_type == "NM":
        return {"valueQuantity": _quantity(obx, parse_nm(obx.get(5), where))}
    if value_type == "SN":
        return _structured_numeric(obx, where)
    if value_type in _CODED:
        return {"valueCodeableConcept": _concept(ctx, obx, 5, "value-code")}
    if value_type in _TEXT:
        # ST may go to the restricted events topic; the timeline drops valueString.
        return {"valueString": "\n".join(ctx.message.unescape(r) for r in reps)}
    if value_type in ("DT", "DTM", "TS"):
        moment = parse_ts(obx.get(5), where)
        text = fhir_time(moment) or ""
        return {"valueString": text[:10] if value_type == "DT" else text}
    if not value_type:
        raise TranslationError("hl7.field.missing", obx.location(2), "a value type for OBX-5")
    raise TranslationError("hl7.value-type.unsupported", obx.location(2),
                           "a value type NM, SN, CE, CWE, CNE, ST, TX, FT, DT, DTM or TS")


def _structured_numeric(obx: Segment, where: str) -> dict[str, Any]:
    """SN `comparator^num1^separator^num2`: a plain number becomes a Quantity; ranges,
    ratios and comparisons (`<5`, `1:128`) stay a string, as the lean Quantity has no
    comparator."""
    comparator, num1, separator, num2 = (obx.components(5) + [""] * 4)[:4]
    if comparator.strip() in ("", "=") and not separator.strip() and not num2.strip():
        return {"valueQuantity": _quantity(obx, parse_nm(num1, where))}
    for number in (num1, num2):
        if number.strip():
            parse_nm(number, where)
    return {"valueString": f"{comparator.strip()}{num1.strip()}{separator.strip()}{num2.strip()}"}


def _quantity(obx: Segment, number: float) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": number}
    code, text, system = (obx.components(6) + [""] * 3)[:3]
    if text.strip() or code.strip():
        quantity["unit"] = (text.strip() or code.strip())[:64]
    if code.strip() and system.strip().upper() in ("UCUM", systems.UCUM.upper()):
        quantity["system"] = systems.UCUM
        quantity["code"] = code.strip()
    return quantity

