"""Codes are codes: real codes pass, identity codes and names never do, whatever system."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import systems
from contracts.codes import CodeProblem, check_code, check_identifiers, check_unit
from contracts.hetu import CENTURY, make_hetu

REAL = [(systems.ICD10_FI, "F32.1"), (systems.ICD10_FI, "I10"), (systems.LOINC, "718-7"),
        (systems.PALVELUTEHTAVA, "22"), (systems.PALVELUMUOTO, "211"),
        (systems.V3_ACT_CODE, "EMER"), (systems.ICPC2, "K86"), (systems.SPAT, "SPAT1003"),
        (f"{systems.SILTA_CANONICAL}/CodeSystem/service-kind", "home-care"),
        ("http://terminology.hl7.org/CodeSystem/v2-0069", "MED"),
        ("http://example.org/vendor-label", "X1")]
UNITS = ["mmol/L", "umol/L", "g/L", "10*9/L", "%", "mm[Hg]", "/min", "kg/m2", "{score}"]
YEARS = {"+": 1850, "-": 1950, "A": 2005}


@pytest.mark.parametrize(("system", "code"), REAL)
def test_real_codes_pass(system: str, code: str) -> None:
    check_code(system, code)


@pytest.mark.parametrize("unit", UNITS)
def test_real_units_pass(unit: str) -> None:
    check_unit(unit)


@pytest.mark.parametrize(("system", "code"), [
    (systems.ICD10_FI, "Virtanen"), (systems.LOINC, "718"), (systems.PALVELUTEHTAVA, "A1"),
    ("not a uri", "X1"), ("http://example.org/x", "two words")])
def test_wrong_shapes_fail(system: str, code: str) -> None:
    with pytest.raises(CodeProblem) as problem:
        check_code(system, code)
    assert problem.value.code in {"code.shape", "code.system-shape"}


hetus = st.builds(
    lambda sign, day, number: make_hetu(
        dt.date(YEARS.get(sign, 1960 if CENTURY[sign] == 1900 else 2010), 1, 1)
        + dt.timedelta(days=day), number, sign),
    st.sampled_from(sorted(CENTURY)), st.integers(0, 3000), st.integers(2, 999))


@given(hetus, st.sampled_from([s for s, _ in REAL]), st.text(max_size=4),
       st.text(max_size=4), st.booleans())
def test_an_identity_code_never_passes_in_any_system(hetu: str, system: str, before: str,
                                                     after: str, lower: bool) -> None:
    planted = before + (hetu.lower() if lower else hetu) + after
    with pytest.raises(CodeProblem) as problem:
        check_code(system, planted)
    assert problem.value.code == "privacy.identifier-in-code"
    assert hetu not in str(problem.value)
    with pytest.raises(CodeProblem):
        check_unit(planted)


@given(st.sampled_from(["Virtanen", "Tiina", "Meikäläinen"]), st.sampled_from(REAL))
def test_a_name_the_record_carries_never_passes(name: str, real: tuple[str, str]) -> None:
    with pytest.raises(CodeProblem) as problem:
        check_code(real[0], name, names=[name])
    assert problem.value.code == "privacy.identifier-in-code"
    assert name not in str(problem.value)


@pytest.mark.parametrize(("code", "names", "refused"), [
    ("MEIKÄLÄINEN-1", ["Meikäläinen"], True),      # case and surrounding text do not hide it
    ("Virtanen_Tiina", ["Tiina Maria"], True),       # any word of a multi-word name
    ("kotihoito", ["Koti"], False),                  # whole words only: a code is not a name
    ("1751-7", ["A"], False),                        # initials are not names
])
def test_names_are_matched_as_whole_words(code: str, names: list[str], refused: bool) -> None:
    system = "http://example.org/CodeSystem/local"
    if refused:
        with pytest.raises(CodeProblem):
            check_identifiers(code, names)
    else:
        check_identifiers(code, names)
        check_code(system, code, names=names)
