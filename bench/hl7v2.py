"""HL7 v2 parsing and translation cost per message, implementations side by side.

    .venv/bin/python -m bench.hl7v2        (writes bench/results/hl7v2.json)

Parsing: python-hl7 `hl7.parse` (the reference), hl7apy `parse_message`, a naive split and
Silta's ER7 tokenizer (lazy, as the adapter uses it, and fully split like python-hl7), on
the same 5-segment ADT^A01 and on an ORU^R01 with 8 OBX. End to end: `translate()` (decode,
tokenize, map, build and validate contract events) in messages/s and events/s on one core,
and python-hl7's parse added to it as the floor of an adapter built on python-hl7.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import hl7

from adapters.base import SourceInfo
from adapters.hl7v2 import er7, translate
from bench.timing import environment, per_op_seconds, pin_one_core, write

SOURCE = SourceInfo("hospital-adt", "health", dt.datetime(2025, 11, 3, tzinfo=dt.UTC))
_ADT_SEGMENTS = [
    "MSH|^~\\&|POTILAS|POTILAS^1.2.246.10.1234567.10.0^ISO|SILTA|SILTA|20250303083000||"
    "ADT^A01^ADT_A01|MSG0001|P|2.5.1|||||FIN|UNICODE UTF-8",
    "EVN|A01|20250303083100",
    "PID|1||123456^^^HOSP^MR~100190-999P^^^&1.2.246.21&ISO^NNFIN||Meikäläinen^Matti||19900110|M",
    "PD1||||||||||||Y",
    "PV1|1|I|OSASTO1^101^1^&1.2.246.10.1234567.10.7&ISO|||||||MED|||||||||"
    "8812^^^&1.2.246.10.1234567.10.0.1&ISO^VN" + "|" * 25 + "20250303083000",
]
ADT = "\r".join(_ADT_SEGMENTS) + "\r"
ADT_DG1 = ADT + "DG1|1||F10.2^Alkoholiriippuvuus^I10||20250303091000|W\rDG1|2||I10^^I10|||F\r"
_OBX = ("OBX|{n}|NM|{code}^Tutkimus {n}^LN||{value}|mmol/L^mmol/L^UCUM|3-6|N|||F|||"
        "20250304071500")
ORU = "\r".join([
    _ADT_SEGMENTS[0].replace("ADT^A01^ADT_A01", "ORU^R01^ORU_R01"),
    _ADT_SEGMENTS[2],
    "OBR|1|P5521|F5521|LAB^Laboratorio^L|||20250304071500|||||||||||||||20250304090000|||F",
    *(_OBX.format(n=n, code=f"{1000 + n}-{n}", value=f"{n}.{n}") for n in range(1, 9)),
]) + "\r"


def _parse_cases() -> dict[str, Callable[[str], Any]]:
    cases: dict[str, Callable[[str], Any]] = {
        "naive_split": lambda text: [s.split("|") for s in text.split("\r")],
        "er7_lazy": er7.parse,
        "er7_full_tree": lambda text: er7.parse(text).tree(),
        "python_hl7": hl7.parse,
    }
    try:  # hl7apy is not a project dependency; compare when it happens to be installed
        from hl7apy.parser import parse_message
    except ImportError:
        return cases
    cases["hl7apy"] = lambda text: parse_message(text, find_groups=False)
    return cases


def measure_parsing() -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for label, text in (("adt_5_segments", ADT), ("oru_8_obx", ORU)):
        row = {}
        for name, parse in _parse_cases().items():
            slow = name == "hl7apy"
            seconds = per_op_seconds(parse, [text], rounds=3 if slow else 5,
                                     min_time=0.1 if slow else 0.2)
            row[name] = seconds * 1e6
        out[label] = row
    return out


def _end_to_end(data: bytes, with_python_hl7: bool) -> dict[str, float]:
    events = len(translate(data, SOURCE))
    text = data.decode()
    if with_python_hl7:
        def run(item: bytes) -> None:
            hl7.parse(text)
            translate(item, SOURCE)
    else:
        def run(item: bytes) -> None:
            translate(item, SOURCE)
    seconds = per_op_seconds(run, [data])
    return {"us_per_message": seconds * 1e6, "messages_per_s": 1 / seconds,
            "events_per_message": events, "events_per_s": events / seconds}


def measure_end_to_end() -> dict[str, dict[str, float]]:
    out = {}
    for label, text in (("adt_a01", ADT), ("adt_a01_2_dg1", ADT_DG1), ("oru_r01_8_obx", ORU)):
        data = text.encode()
        out[f"{label}:translate"] = _end_to_end(data, with_python_hl7=False)
        out[f"{label}:python_hl7_parse_plus_translate"] = _end_to_end(data, with_python_hl7=True)
    return out


def main() -> None:
    core = pin_one_core()
    parsing = measure_parsing()
    ratios = {label: {name: us / row["er7_lazy"] for name, us in row.items()}
              for label, row in parsing.items()}
    end_to_end = measure_end_to_end()
    env = environment() | {"pinned_core": core}
    write("hl7v2", {"environment": env, "parse_us": parsing, "parse_ratio_vs_er7_lazy": ratios,
                    "end_to_end": end_to_end})
    for label, row in parsing.items():
        print(f"parse {label}:")
        for name, us in row.items():
            print(f"  {name:16s} {us:10.1f} µs   x{ratios[label][name]:8.1f} vs er7_lazy")
    print("end to end, one core:")
    for label, row in end_to_end.items():
        print(f"  {label:50s} {row['us_per_message']:8.1f} µs  {row['messages_per_s']:8.0f} msg/s"
              f"  {row['events_per_s']:8.0f} events/s")


if __name__ == "__main__":
    main()
