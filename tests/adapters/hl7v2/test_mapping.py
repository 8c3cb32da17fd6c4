"""Mapping rules one at a time: PID-3 choice, PV1-2 classes, DG1 systems, OBX value types,
labels, versions, line endings and time zones."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.hl7v2 import translate
from contracts import systems
from tests.adapters.hl7v2.corpus import (
    ADT_SOURCE,
    HETU,
    HETU_Y,
    HOSPITAL,
    LAB_SOURCE,
    adt,
    obr,
    obx,
    oru,
    pid,
    pv1,
    segment,
)


def values(data: bytes, source: Any = ADT_SOURCE) -> list[dict[str, Any]]:
    return [e.to_message()["value"] for e in translate(data, source)]


def one_observation(*segments: str) -> dict[str, Any]:
    [value] = values(oru(pid(), obr(), *segments), LAB_SOURCE)
    return value


@pytest.mark.parametrize(("pid_segment", "expected"), [
    (pid(), HETU),
    (pid(HETU_Y), HETU_Y),                                    # century sign kept as sent
    (pid(authority="1.2.246.21", kind=""), HETU),             # OID in HD-1 only
    (pid(authority="&urn:oid:1.2.246.21&URI", kind=""), HETU),
    (pid(authority="", kind="NNFIN"), HETU),                  # identifier type only
    (segment("PID", {3: f"{HETU}^^^&1.2.246.21&ISO^NNFIN~999^^^HOSP^MR"}), HETU),
])
def test_pid3_picks_the_hetu_repetition(pid_segment: str, expected: str) -> None:
    [encounter] = values(adt("A01", pid_segment, pv1()))
    assert encounter["subject"] == {
        "identifier": {"system": systems.HETU, "value": expected}, "type": "Patient"}


@pytest.mark.parametrize(("patient_class", "code"), [
    ("E", "EMER"), ("I", "IMP"), ("O", "AMB"), ("P", "PRENC"), ("R", "AMB"), ("B", "IMP"),
    ("i", "IMP"),
])
def test_pv1_2_to_encounter_class(patient_class: str, code: str) -> None:
    [encounter] = values(adt("A01", pid(), pv1(patient_class)))
    assert encounter["class"]["code"] == code
    assert encounter["class"]["system"] == systems.V3_ACT_CODE


@pytest.mark.parametrize(("coding_system", "expected"), [
    ("", systems.ICD10_FI), ("I10", systems.ICD10_FI), ("ICD10", systems.ICD10_FI),
    ("1.2.246.537.6.1", systems.ICD10_FI), ("ICPC2", systems.ICPC2), ("ICPC-2", systems.ICPC2),
    ("1.2.246.537.6.31", systems.ICPC2), ("urn:oid:1.2.246.537.6.31", systems.ICPC2),
])
def test_dg1_coding_system(coding_system: str, expected: str) -> None:
    data = adt("A01", pid(), pv1(), segment("DG1", {1: "1", 3: f"T90^Diabetes^{coding_system}"}))
    condition = values(data)[1]
    assert condition["code"]["coding"][0]["system"] == expected


def test_same_diagnosis_in_a01_and_a03_is_the_same_record() -> None:
    dg1 = segment("DG1", {1: "1", 3: "I10^Verenpainetauti^I10", 6: "F"})
    admitted = translate(adt("A01", pid(), pv1(), dg1), ADT_SOURCE)[1]
    moved_dg1 = segment("DG1", {1: "2", 3: "I10^Verenpainetauti^I10", 6: "F"})
    discharged = translate(adt("A03", pid(), pv1(discharge="20250307140000"),
                               segment("DG1", {1: "1", 3: "J18.9^^I10"}), moved_dg1,
                               control="MSG0009"), ADT_SOURCE)[2]
    assert admitted.envelope.id == discharged.envelope.id == "8812-dg-I10:diagnosis.recorded"


@pytest.mark.parametrize(("flag", "labels"), [("Y", [systems.TURVAKIELTO]), ("N", []), ("", [])])
def test_pd1_12_protection_indicator(flag: str, labels: list[str]) -> None:
    [encounter] = values(adt("A01", pid(), segment("PD1", {12: flag}), pv1()))
    found = [c["code"] for c in encounter["meta"]["security"]
             if c["system"] == systems.SECURITY_LABEL]
    assert found == labels


def test_msh_4_oid_is_register_holder_and_service_provider() -> None:
    [encounter] = values(adt("A01", pid(), pv1()))
    assert {"system": systems.PATIENT_REGISTER, "code": HOSPITAL} in encounter["meta"]["security"]
    assert encounter["serviceProvider"]["identifier"] == {
        "system": systems.SOTE_ORGANISATION, "value": HOSPITAL}


def test_msh_4_oid_in_hd_1_and_no_oid_at_all() -> None:
    a01 = adt("A01", pid(), pv1())
    in_namespace = a01.replace(f"POTILAS^{HOSPITAL}^ISO".encode(), HOSPITAL.encode())
    assert values(in_namespace)[0]["serviceProvider"]["identifier"]["value"] == HOSPITAL
    [plain] = values(a01.replace(f"POTILAS^{HOSPITAL}^ISO".encode(), b"POTILAS"))
    assert "serviceProvider" not in plain and "meta" not in plain
    assert plain["location"][0]["location"]["identifier"]["system"].startswith("urn:oid:")


@pytest.mark.parametrize("version", ["2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.8"])
def test_versions_translate_alike(version: str) -> None:
    base = values(adt("A01", pid(), pv1(), segment("DG1", {1: "1", 3: "I10"})))
    assert values(adt("A01", pid(), pv1(), segment("DG1", {1: "1", 3: "I10"}),
                      version=version)) == base


def test_truncation_character_of_v27() -> None:
    data = adt("A01", pid(), pv1(), version="2.7").replace(b"MSH|^~\\&|", b"MSH|^~\\&#|")
    assert values(data) == values(adt("A01", pid(), pv1()))


@pytest.mark.parametrize("sep", ["\n", "\r\n", "\r\r"])
def test_line_endings_are_tolerated(sep: str) -> None:
    assert values(adt("A01", pid(), pv1(), sep=sep)) == values(adt("A01", pid(), pv1()))


@pytest.mark.parametrize(("stamp", "expected"), [
    ("20250303083000", "2025-03-03T08:30:00+02:00"),           # winter: EET
    ("20250715083000", "2025-07-15T08:30:00+03:00"),           # summer: EEST
    ("202507150830", "2025-07-15T08:30:00+03:00"),
    ("20250715", "2025-07-15T00:00:00+03:00"),
    ("20250303083000+0000", "2025-03-03T08:30:00Z"),
    ("20250303083000.25-0500", "2025-03-03T08:30:00.250000-05:00"),
    ("20250303083000^S", "2025-03-03T08:30:00+02:00"),         # v2.3 TS with precision
])
def test_times_carry_an_offset(stamp: str, expected: str) -> None:
    [encounter] = values(adt("A01", pid(), pv1(admit=stamp)))
    assert encounter["period"]["start"] == expected


def test_hl7_null_reads_as_empty() -> None:
    [encounter] = values(adt("A08", pid(), pv1(discharge='""')))
    assert encounter["status"] == "in-progress" and "end" not in encounter["period"]


def test_numeric_without_unit_system() -> None:
    value = one_observation(obx(1, "NM", "A^a^LN", "-0.5", unit="kpl"))
    assert value["valueQuantity"] == {"value": -0.5, "unit": "kpl"}


def test_structured_numeric_range_stays_text() -> None:
    value = one_observation(obx(1, "SN", "A^a^LN", "^1^-^3"))
    assert value["valueString"] == "1-3"


def test_coded_value_with_alternate_coding() -> None:
    value = one_observation(obx(1, "CWE", "A^a^LN", "POS^Positiivinen^L^10828004^Positive^SCT"))
    codings = value["valueCodeableConcept"]["coding"]
    assert [c["system"] for c in codings] == [
        "urn:silta:source:hospital-lab:value-code:L", "http://snomed.info/sct"]


def test_text_repetitions_and_escapes() -> None:
    value = one_observation(obx(1, "TX", "A^a^LN", "rivi 1 \\F\\ \\S\\~rivi 2 \\XC3A4\\"))
    assert value["valueString"] == "rivi 1 | ^\nrivi 2 ä"


@pytest.mark.parametrize(("value_type", "raw", "expected"), [
    ("DT", "20250304", "2025-03-04"), ("DTM", "20250304101500", "2025-03-04T10:15:00+02:00"),
])
def test_date_values_become_text(value_type: str, raw: str, expected: str) -> None:
    assert one_observation(obx(1, value_type, "A^a^LN", raw))["valueString"] == expected


def test_observation_time_falls_back_to_obr_7() -> None:
    value = one_observation(obx(1, "NM", "A^a^LN", "1", when=""))
    assert value["effectiveDateTime"] == "2025-03-04T07:15:00+02:00"


def test_correction_names_the_original_observation() -> None:
    original = translate(oru(pid(), obr(), obx(1, "NM", "A^a^LN", "1")), LAB_SOURCE)[0]
    corrected = translate(oru(pid(), obr(), obx(3, "NM", "A^a^LN", "2", status="C"),
                              control="LAB0009"), LAB_SOURCE)[0]
    deleted = translate(oru(pid(), obr(), obx(2, "NM", "A^a^LN", "", status="D"),
                            control="LAB0010"), LAB_SOURCE)[0]
    assert corrected.envelope.corrects == deleted.envelope.corrects == original.envelope.id
    assert deleted.envelope.id == f"{original.envelope.id}:retracted"
    assert corrected.envelope.id == "F5521-A:record.amended:LAB0009"


def test_observation_links_to_the_visit_when_pv1_is_present() -> None:
    [value] = values(oru(pid(), pv1(), obr(), obx(1, "NM", "A^a^LN", "1")), LAB_SOURCE)
    assert value["encounter"] == {"reference": "Encounter/8812"}


def test_nte_free_text_is_not_carried() -> None:
    data = oru(pid(), obr(), obx(1, "NM", "A^a^LN", "1"), segment("NTE", {3: "Salaisuus"}))
    assert b"Salaisuus" not in translate(data, LAB_SOURCE)[0].value()



def test_registry_finds_the_adapter() -> None:
    from adapters.registry import adapter_version, translator

    assert translator("hl7v2").__wrapped__ is translate  # type: ignore[attr-defined]
    assert adapter_version("hl7v2") == "hl7v2/1"
