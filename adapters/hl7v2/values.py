"""HL7 v2 data types to FHIR values: TS/DTM, HD, CE/CWE, NM and safe ids.

Error messages here say what shape was expected and never echo the value: a date field
that was mistyped may well hold an identity code or a name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any
from zoneinfo import ZoneInfo

from adapters.errors import TranslationError
from contracts import systems

HELSINKI = ZoneInfo("Europe/Helsinki")
_TS = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?([+-]\d{4})?\Z")
_OID = re.compile(r"[0-2](\.(0|[1-9][0-9]*))+\Z")
_NM = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)\Z")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9\-.]")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}\Z")
_TS_SHAPE = "a date-time YYYYMMDD[HH[MM[SS[.S]]]][+/-ZZZZ] between 1800 and 2200"

# HL7 table 0396 names and common variants, to FHIR system URIs.
_CODE_SYSTEMS = {
    "LN": systems.LOINC, "LOINC": systems.LOINC,
    "SCT": "http://snomed.info/sct", "SNOMED": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
    "UCUM": systems.UCUM,
    "I10": systems.ICD10_FI, "ICD10": systems.ICD10_FI, "ICD-10": systems.ICD10_FI,
    "I10FI": systems.ICD10_FI, "ICD10FI": systems.ICD10_FI,
    "ICPC2": systems.ICPC2, "ICPC-2": systems.ICPC2, "ICPC": systems.ICPC2,
}


def parse_ts(value: str, location: str) -> dt.datetime | None:
    """An aware datetime; a local time without offset is Europe/Helsinki. Empty: None."""
    value = value.strip()
    if not value:
        return None
    match = _TS.match(value)
    if match is None:
        raise TranslationError("hl7.datetime.invalid", location,
                               f"expected {_TS_SHAPE}, found a {len(value)}-character value "
                               "that is not one")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    try:
        tz: dt.tzinfo = HELSINKI if offset is None else _offset(offset)
        moment = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0),
            int(second or 0), int((fraction or "0").ljust(6, "0")), tzinfo=tz)
    except ValueError:
        raise TranslationError("hl7.datetime.invalid", location,
                               f"expected {_TS_SHAPE}, found a value that is not a calendar "
                               "date-time") from None
    if not 1800 <= moment.year <= 2200:
        raise TranslationError("hl7.datetime.invalid", location, f"expected {_TS_SHAPE}")
    return moment


def _offset(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[3:5])
    if hours > 14 or minutes > 59:
        raise ValueError("offset out of range")
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def fhir_time(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def oid(value: str) -> str | None:
    """`value` as a bare OID, accepting the `urn:oid:` form."""
    value = value.strip()
    if value.startswith("urn:oid:"):
        value = value[8:]
    return value if _OID.match(value) else None


def hd_oid(namespace: str, universal_id: str, id_type: str = "") -> str | None:
    """The OID of an HD (hierarchic designator): HD-2 when typed ISO or OID-shaped, else HD-1.

    Finnish senders put the organisation OID either in HD-2 (with HD-3 `ISO`) or, in
    older interfaces, straight into HD-1; both are accepted.
    """
    del id_type  # an OID-shaped HD-2 is an OID whatever HD-3 says
    return oid(universal_id) or oid(namespace)


def code_system(name: str, default: str, local_prefix: str) -> str:
    """A FHIR system URI for a coding-system name (CE-3/CWE-3)."""
    name = name.strip()
    if not name:
        return default
    known = _CODE_SYSTEMS.get(name.upper())
    if known:
        return known
    as_oid = oid(name)
    if as_oid:
        return f"urn:oid:{as_oid}"
    if ":" in name and " " not in name:
        return name
    return f"{local_prefix}:{safe_id(name)}"


def coding(code: str, display: str, system: str) -> dict[str, Any]:
    out: dict[str, Any] = {"system": system, "code": code.strip()}
    if display.strip():
        out["display"] = display.strip()
    return out


def parse_nm(value: str, location: str) -> float:
    value = value.strip()
    if not _NM.match(value):
        raise TranslationError("hl7.value.invalid", location,
                               "expected a number (HL7 NM: digits, an optional sign and "
                               "decimal point)")
    return float(value)


def safe_id(text: str) -> str:
    """A FHIR id (`[A-Za-z0-9-.]{1,64}`) derived deterministically from `text`."""
    cleaned = _UNSAFE_ID.sub("-", text.strip())
    if _FHIR_ID.match(cleaned):
        return cleaned
    return "h-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def is_fhir_id(text: str) -> bool:
    return bool(_FHIR_ID.match(text))
