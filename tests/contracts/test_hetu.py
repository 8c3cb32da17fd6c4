"""HETU rules: shape, real date, century signs (including the 2023 ones), check character."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import ContractError
from contracts.hetu import CENTURY, is_valid_hetu, make_hetu, parse_hetu


@pytest.mark.parametrize("code", ["131052-308T", "100190-999P", "100190Y999P", "010101A123N",
                                  "010101B123N", "010101F123N", "010150+902E", "290200A902D"])
def test_valid_codes(code: str) -> None:
    assert is_valid_hetu(code)


@pytest.mark.parametrize(("code", "why"), [
    ("131052-308U", "check character"),
    ("310290-123X", "calendar date"),      # 31 Feb
    ("290201A902D", "calendar date"),      # 2001 is not a leap year
    ("010101-0002", "individual number"),  # 000
    ("010101-001M", "individual number"),  # 001
    ("131052G308T", "shape"),              # G is not a century sign
    ("131052-308", "shape"),
    ("131052-308t", "shape"),
    (" 131052-308T", "shape"),
])
def test_invalid_codes_say_why_without_echoing_the_code(code: str, why: str) -> None:
    with pytest.raises(ContractError) as info:
        parse_hetu(code)
    text = str(info.value)
    assert why in text
    assert code.strip() not in text


def test_century_sign_is_part_of_the_identity_and_kept() -> None:
    born = dt.date(1990, 1, 10)
    dash, y = make_hetu(born, 999, "-"), make_hetu(born, 999, "Y")
    assert dash != y and dash[:6] == y[:6] and dash[-1] == y[-1]
    assert parse_hetu(dash).birth_date == parse_hetu(y).birth_date == born


def test_2023_signs_map_to_their_century() -> None:
    assert {s for s, c in CENTURY.items() if c == 1900} == {"-", "Y", "X", "W", "V", "U"}
    assert {s for s, c in CENTURY.items() if c == 2000} == {"A", "B", "C", "D", "E", "F"}


@given(born=st.dates(dt.date(1800, 1, 1), dt.date(2099, 12, 31)),
       number=st.integers(2, 999), data=st.data())
def test_generated_codes_round_trip(born: dt.date, number: int, data: st.DataObject) -> None:
    signs = [s for s, c in CENTURY.items() if c == born.year // 100 * 100]
    code = make_hetu(born, number, data.draw(st.sampled_from(signs)))
    parsed = parse_hetu(code)
    assert (parsed.birth_date, parsed.individual_number) == (born, number)
    assert parsed.temporary == (number >= 900)


@given(st.text(max_size=20))
def test_arbitrary_text_is_valid_or_a_contract_error(text: str) -> None:
    with contextlib.suppress(ContractError):
        parse_hetu(text)
