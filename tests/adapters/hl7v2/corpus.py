"""Build ER7 messages for tests: segments from {field number: value}, so positions are
never miscounted, and a generator of valid ADT/ORU messages for property tests.

Every identity code here is synthetic (individual number 900-999, contracts.hetu.make_hetu).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from adapters.base import SourceInfo
from contracts.hetu import make_hetu

DATA = Path(__file__).resolve().parents[2] / "data" / "hl7v2"
RECEIVED = dt.datetime(2025, 11, 3, 10, 0, tzinfo=dt.UTC)
ADT_SOURCE = SourceInfo("hospital-adt", "health", RECEIVED)
LAB_SOURCE = SourceInfo("hospital-lab", "health", RECEIVED)

HETU = make_hetu(dt.date(1990, 1, 10), 999)             # 100190-999P
HETU_Y = make_hetu(dt.date(1990, 1, 10), 999, "Y")      # 100190Y999P, another person
HETU_2000 = make_hetu(dt.date(2012, 6, 30), 912, "A")   # 300612A912P
HOSPITAL = "1.2.246.10.1234567.10.0"
VISITS = "1.2.246.10.1234567.10.0.1"
WARD = "1.2.246.10.1234567.10.7"


def segment(name: str, fields: dict[int, str], sep: str = "|") -> str:
    last = max(fields, default=0)
    return sep.join([name] + [fields.get(n, "") for n in range(1, last + 1)])


def msh(kind: str, *, version: str = "2.5.1", control: str = "MSG0001",
        charset: str = "UNICODE UTF-8", facility: str = f"POTILAS^{HOSPITAL}^ISO",
        sent: str = "20250303083000") -> str:
    # MSH-1 is the separator itself, so field n of MSH is item n-1 after "MSH".
    fields = {2: "^~\\&", 3: "POTILAS", 4: facility, 5: "SILTA", 6: "SILTA", 7: sent,
              9: kind, 10: control, 11: "P", 12: version}
    if charset:
        fields[17] = "FIN"
        fields[18] = charset
    return "MSH|" + "|".join(fields.get(n, "") for n in range(2, max(fields) + 1))


def pid(hetu: str = HETU, *, authority: str = "&1.2.246.21&ISO", kind: str = "NNFIN") -> str:
    return segment("PID", {1: "1", 3: f"123456^^^HOSP^MR~{hetu}^^^{authority}^{kind}",
                           5: "Meikäläinen^Matti", 7: "19900110", 8: "M",
                           11: "Mannerheimintie 1^^Helsinki^^00100"})


def pv1(patient_class: str = "I", visit: str = "8812", *, admit: str = "20250303083000",
        discharge: str = "", location: str = f"OSASTO1^101^1^&{WARD}&ISO",
        extra: dict[int, str] | None = None) -> str:
    fields = {1: "1", 2: patient_class, 3: location, 10: "MED",
              19: f"{visit}^^^&{VISITS}&ISO^VN", 44: admit, 45: discharge}
    fields.update(extra or {})
    return segment("PV1", fields)


def adt(trigger: str, *segments: str, version: str = "2.5.1", control: str = "MSG0001",
        evn: str = "20250303083100", sep: str = "\r") -> bytes:
    head = [msh(f"ADT^{trigger}^ADT_A01", version=version, control=control),
            segment("EVN", {1: trigger, 2: evn})]
    return (sep.join(head + list(segments)) + sep).encode()


def obx(set_id: int, value_type: str, code: str, value: str, *, unit: str = "",
        status: str = "F", when: str = "20250304071500", sub_id: str = "",
        flags: str = "") -> str:
    return segment("OBX", {1: str(set_id), 2: value_type, 3: code, 4: sub_id, 5: value,
                           6: unit, 8: flags, 11: status, 14: when})


def obr(filler: str = "F5521", *, placer: str = "P5521", when: str = "20250304071500",
        reported: str = "20250304090000") -> str:
    return segment("OBR", {1: "1", 2: placer, 3: filler, 4: "LAB^Laboratorio^L",
                           7: when, 22: reported, 25: "F"})


def oru(*segments: str, version: str = "2.5.1", control: str = "LAB0001",
        sent: str = "20250304090500", sep: str = "\r") -> bytes:
    head = [msh("ORU^R01^ORU_R01", version=version, control=control, sent=sent)]
    return (sep.join(head + list(segments)) + sep).encode()


def golden_inputs() -> list[Path]:
    return sorted(DATA.glob("*.hl7"))


def source_for(path: Path) -> SourceInfo:
    return LAB_SOURCE if path.name.startswith("oru") else ADT_SOURCE
