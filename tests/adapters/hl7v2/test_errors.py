"""Bad input becomes a TranslationError with a code and an HL7 location, and its text
never carries the identity code, the name or other free text of the message."""

from __future__ import annotations

import pytest

from adapters.errors import TranslationError
from adapters.hl7v2 import translate
from tests.adapters.hl7v2.corpus import (
    ADT_SOURCE,
    HETU,
    LAB_SOURCE,
    adt,
    msh,
    obr,
    obx,
    oru,
    pid,
    pv1,
    segment,
)

A01 = adt("A01", pid(), pv1())
BAD_CHECK = HETU[:-1] + ("A" if HETU[-1] != "A" else "B")
LONG_TEXT = "Potilas kertoo " * 400


def _replace(data: bytes, old: str, new: str) -> bytes:
    assert old.encode() in data
    return data.replace(old.encode(), new.encode(), 1)


CASES = {
    "empty": (b"", "input.empty", ""),
    "whitespace": (b" \r\n\r ", "input.empty", ""),
    "binary garbage": (bytes(range(256)) * 3, "hl7.segment.missing", "MSH"),
    "not hl7": (b'{"resourceType": "Patient"}', "hl7.segment.missing", "MSH"),
    "truncated in MSH": (A01[:30], "hl7.field.missing", "MSH-9"),
    "truncated before PID": (A01[:A01.index(b"PID")], "hl7.segment.missing", "PID"),
    "truncated before PV1": (A01[:A01.index(b"PV1")], "hl7.segment.missing", "PV1"),
    "truncated in PV1": (A01[:A01.index(b"8812")], "hl7.field.missing", "PV1-19"),
    "no PID": (adt("A01", pv1()), "hl7.segment.missing", "PID"),
    "PID-3 without a HETU": (adt("A01", segment("PID", {3: "123456^^^HOSP^MR"}), pv1()),
                             "identity.missing", "PID-3"),
    "HETU with another authority": (adt("A01", pid(authority="&1.2.3.4&ISO", kind="MR"), pv1()),
                                    "identity.missing", "PID-3"),
    "invalid HETU check character": (adt("A01", pid(BAD_CHECK), pv1()),
                                     "identity.invalid", "PID-3[2].1"),
    "HETU not a date": (adt("A01", pid("310290-999A"), pv1()), "identity.invalid", "PID-3[2].1"),
    "bad admit date": (adt("A01", pid(), pv1(admit="20251332083000")),
                       "hl7.datetime.invalid", "PV1-44"),
    "admit date not digits": (adt("A01", pid(), pv1(admit="yesterday")),
                              "hl7.datetime.invalid", "PV1-44"),
    "bad offset": (adt("A01", pid(), pv1(admit="202503030830+2500")),
                   "hl7.datetime.invalid", "PV1-44"),
    "bad EVN-2": (adt("A01", pid(), pv1(), evn="2025"), "hl7.datetime.invalid", "EVN-2"),
    "bad MSH-7": (_replace(A01, "20250303083000|", "20250230083000|"),
                  "hl7.datetime.invalid", "MSH-7"),
    "unknown trigger": (_replace(A01, "ADT^A01", "ADT^A05"), "hl7.trigger.unsupported", "MSH-9"),
    "unknown message type": (_replace(A01, "ADT^A01", "SIU^S12"),
                             "hl7.trigger.unsupported", "MSH-9"),
    "no MSH-9": (_replace(A01, "ADT^A01^ADT_A01", ""), "hl7.field.missing", "MSH-9"),
    "old version": (adt("A01", pid(), pv1(), version="2.2"), "hl7.version.unsupported", "MSH-12"),
    "duplicate encoding characters": (_replace(A01, "MSH|^~\\&", "MSH|^^\\&"),
                                      "hl7.encoding.invalid", "MSH-2"),
    "lower-case segment id": (_replace(A01, "PV1|", "pv1|"), "hl7.segment.invalid", "segment 4"),
    "missing PV1-19": (adt("A01", pid(), pv1(visit="")), "hl7.field.missing", "PV1-19"),
    "visit number not an id": (adt("A01", pid(), pv1(visit="88 12")),
                               "hl7.value.invalid", "PV1-19"),
    "no PV1": (adt("A01", pid()), "hl7.segment.missing", "PV1"),
    "unmapped patient class": (adt("A01", pid(), pv1("N")), "hl7.value.unsupported", "PV1-2"),
    "no patient class": (adt("A01", pid(), pv1("")), "hl7.field.missing", "PV1-2"),
    "no admit time": (adt("A01", pid(), pv1(admit="")), "hl7.field.missing", "PV1-44"),
    "A03 without discharge": (adt("A03", pid(), pv1(), evn=""), "hl7.field.missing", "PV1-45"),
    "A02 without control id": (adt("A02", pid(), pv1(), control=""),
                               "hl7.field.missing", "MSH-10"),
    "DG1 in SNOMED": (adt("A01", pid(), pv1(), segment("DG1", {1: "1", 3: "38341003^HT^SCT"})),
                      "hl7.code-system.unsupported", "DG1-3.3"),
    "DG1 without code": (adt("A01", pid(), pv1(), segment("DG1", {1: "1"}),
                             segment("DG1", {1: "2", 3: "I10"})),
                         "hl7.field.missing", "DG1[1]-3"),
    "declared UTF-8, Latin-1 bytes": (
        adt("A01", pid(), pv1()).replace("ä".encode(), "ä".encode("latin-1")),
        "input.encoding.invalid", "MSH-18"),
    "UTF-16 declared": (_replace(A01, "UNICODE UTF-8", "UNICODE UTF-16"),
                        "hl7.charset.unsupported", "MSH-18"),
    "NM not a number": (oru(pid(), obr(), obx(1, "NM", "1751-7^Alb^LN", "38,5")),
                        "hl7.value.invalid", "OBX-5"),
    "second OBX bad time": (oru(pid(), obr(), obx(1, "NM", "A^a^LN", "1"),
                                obx(2, "NM", "B^b^LN", "2", when="20250399")),
                            "hl7.datetime.invalid", "OBX[2]-14"),
    "OBX status X": (oru(pid(), obr(), obx(1, "NM", "A^a^LN", "", status="X")),
                     "hl7.value.unsupported", "OBX-11"),
    "OBX without status": (oru(pid(), obr(), obx(1, "NM", "A^a^LN", "1", status="")),
                           "hl7.field.missing", "OBX-11"),
    "OBX value type ED": (oru(pid(), obr(), obx(1, "ED", "A^a^LN", "x^y")),
                          "hl7.value-type.unsupported", "OBX-2"),
    "OBX before OBR": (oru(pid(), obx(1, "NM", "A^a^LN", "1")), "hl7.segment.missing", "OBX"),
    "ORU without OBX": (oru(pid(), obr()), "hl7.segment.missing", "OBX"),
    "ORU without order number": (oru(pid(), obr("", placer=""), obx(1, "NM", "A^a^LN", "1")),
                                 "hl7.field.missing", "OBR-3"),
    "ORU without a time": (oru(pid(), obr(when=""), obx(1, "NM", "A^a^LN", "1", when="")),
                           "hl7.field.missing", "OBX-14"),
    "ST longer than the profile allows": (oru(pid(), obr(), obx(1, "ST", "A^a^LN", LONG_TEXT)),
                                          "contract.violation", "OBX (FHIR /valueString)"),
    "too large": (A01 + b"NTE|1||" + b"x" * (2 * 1024 * 1024) + b"\r", "input.too-large", ""),
}


@pytest.mark.parametrize(("data", "code", "location"), CASES.values(), ids=CASES.keys())
def test_typed_error(data: bytes, code: str, location: str) -> None:
    source = LAB_SOURCE if b"ORU^R01" in data[:200] else ADT_SOURCE
    with pytest.raises(TranslationError) as caught:
        translate(data, source)
    error = caught.value
    assert (error.code, error.location) == (code, location), str(error)
    text = str(error) + repr(error.as_dict())
    for secret in (HETU, BAD_CHECK, "310290-999A", "Meikäläinen", "Mannerheimintie", "Potilas"):
        assert secret not in text


def test_error_at_a_repeated_segment_names_its_occurrence() -> None:
    data = adt("A01", pid(), pv1(), segment("DG1", {1: "1", 3: "I10"}),
               segment("DG1", {1: "2", 3: "T90^x^ICPC2"}),
               segment("DG1", {1: "3", 3: "X^y^99LOCAL"}))
    with pytest.raises(TranslationError) as caught:
        translate(data, ADT_SOURCE)
    assert caught.value.location == "DG1[3]-3.3"


def test_msh_alone_is_not_a_message() -> None:
    with pytest.raises(TranslationError) as caught:
        translate((msh("ADT^A01") + "\r").encode(), ADT_SOURCE)
    assert (caught.value.code, caught.value.location) == ("hl7.segment.missing", "PID")
