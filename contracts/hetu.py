"""The Finnish personal identity code (henkilötunnus, HETU): `DDMMYYCZZZQ`.

Errors never contain the code itself: they say which part is wrong and why.
The century sign is part of the identity (`100190-999P` and `100190Y999P` are different
people), so nothing here normalises it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

from contracts.errors import ContractError

CHECK_CHARACTERS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY = {
    "+": 1800,
    "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
    "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000,
}
_SHAPE = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])$")
PATTERN = r"^\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]$"
# What must never pass as data or be echoed: any century sign, any check character (valid
# or not), anywhere in a text, either case. A value that merely looks like one counts.
IDENTITY_CODE_SHAPE = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Z]", re.IGNORECASE)


def redact_identity_codes(text: str) -> str:
    return IDENTITY_CODE_SHAPE.sub("<identity code>", text)


@dataclass(frozen=True)
class Hetu:
    birth_date: dt.date
    individual_number: int

    @property
    def temporary(self) -> bool:
        """900–999 are temporary or test identities."""
        return self.individual_number >= 900


def check_character(code: str) -> str:
    return CHECK_CHARACTERS[int(code[0:6] + code[7:10]) % 31]


def parse_hetu(code: str, pointer: str = "") -> Hetu:
    """Validate `code`; raise ContractError (without the code) when it is not a valid HETU."""
    if isinstance(code, str) and pointer == "":
        return _parse_cached(code)
    return _parse(code, pointer)


@functools.lru_cache(maxsize=65536)
def _parse_cached(code: str) -> Hetu:
    # A client appears in many events; validating their code once per process is enough.
    return _parse(code, "")


def _parse(code: str, pointer: str) -> Hetu:
    if not isinstance(code, str):
        raise ContractError(pointer, "a personal identity code string", type(code).__name__)
    match = _SHAPE.match(code)
    if match is None:
        raise ContractError(
            pointer, "a personal identity code shaped DDMMYYCZZZQ (11 characters)",
            f"a {len(code)}-character value that does not have that shape",
        )
    day, month, year, sign, individual, check = match.groups()
    try:
        born = dt.date(CENTURY[sign] + int(year), int(month), int(day))
    except ValueError:
        raise ContractError(pointer, "a personal identity code with a real birth date",
                            "a date part that is not a calendar date") from None
    number = int(individual)
    if number < 2:
        raise ContractError(pointer, "an individual number from 002 to 999",
                            f"individual number {individual}")
    if check != check_character(code):
        raise ContractError(pointer, "a check character matching int(DDMMYYZZZ) mod 31",
                            "a check character that does not match")
    return Hetu(born, number)


def is_valid_hetu(code: str) -> bool:
    try:
        parse_hetu(code)
    except ContractError:
        return False
    return True


def make_hetu(born: dt.date, individual_number: int, sign: str | None = None) -> str:
    """Build a valid code (for tests and the simulator; use 900–999 for synthetic people)."""
    if sign is None:
        sign = {1800: "+", 1900: "-", 2000: "A"}[born.year // 100 * 100]
    if CENTURY[sign] != born.year // 100 * 100:
        raise ValueError(f"century sign {sign!r} does not fit year {born.year}")
    body = f"{born:%d%m}{born.year % 100:02d}{sign}{individual_number:03d}"
    return body + check_character(body + "0")
