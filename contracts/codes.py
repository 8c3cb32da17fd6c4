"""Codes are codes: the shape each code system allows, and identifiers that never pass.

Codes cross to the pseudonymised timeline as they are, so a sender who puts a personal
identity code or a name into a code field would publish it. Every code is checked against
its system's shape (known systems by their real shape, unknown ones by a conservative
pattern) and against the identity-code shape, whatever the system; units against the UCUM
grammar with the common atoms. A failure says which rule failed, never the value.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from contracts import systems
from contracts.hetu import IDENTITY_CODE_SHAPE

_NUMERIC = r"^[0-9]{1,8}$"
_SILTA = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
_HL7_TABLE = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
SHAPES: dict[str, tuple[str, re.Pattern[str]]] = {
    systems.ICD10_FI: ("ICD-10: a letter, two digits, optional dot and subdivision",
                       re.compile(r"^[A-Z][0-9]{2}(\.?[0-9A-Z]{1,4})?[+*#&]?$")),
    systems.ICPC2: ("ICPC-2: a chapter letter (or '-') and two digits",
                    re.compile(r"^[A-Z-][0-9]{2}$")),
    systems.THL_PROCEDURE: ("THL procedure code: 2-3 letters then 1-3 letters or digits",
                            re.compile(r"^[A-Z]{2,3}[0-9A-Z]{1,3}$")),
    systems.SPAT: ("SPAT: 'SPAT' and four digits", re.compile(r"^SPAT[0-9]{4}$")),
    systems.LOINC: ("LOINC: digits, a dash and a check digit", re.compile(r"^[0-9]{1,5}-[0-9]$")),
    systems.V3_ACT_CODE: ("v3 ActCode: capital letters", re.compile(r"^[A-Z_]{1,16}$")),
    **{system: ("a numeric THL classification code", re.compile(_NUMERIC)) for system in (
        systems.PALVELUTEHTAVA, systems.PALVELUMUOTO, systems.YHTEYSTAPA, systems.MUNICIPALITY,
        systems.ASIAKIRJARYHMA, systems.PALVELUPROSESSI, systems.ILMOITTAJA)},
}
_SILTA_SHAPE = ("a Silta code: lower-case words joined by '-'", re.compile(_SILTA))
_HL7_SHAPE = ("an HL7 table code: letters, digits, '_', '.', '-'", re.compile(_HL7_TABLE))
# Systems nobody here knows: no spaces, nothing but a code's characters, short.
_UNKNOWN_SHAPE = ("a code of an unknown system: up to 40 letters, digits, '.', '-', '_', ':'",
                  re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,39}$"))
_SYSTEM_SHAPE = re.compile(r"^(urn:oid:[0-2](\.[0-9]+)+|https?://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%-]+)*"
                           r"|urn:[a-z0-9][a-z0-9-]*:[A-Za-z0-9._:-]+)$")

# UCUM (https://ucum.org/ucum): terms of components joined by '.' and '/', each a prefixed
# atom with an optional exponent, a factor (10*3), or an annotation {…}. Atoms from the
# common units of clinical chemistry and care; anything else is not a unit we pass on.
_ATOMS = ("m|g|L|l|s|min|h|d|wk|mo|a|mol|eq|U|kat|Cel|K|Pa|bar|%|osm|cal|J|W|V|A|Ohm|Hz|N|"
          "t|sr|rad|deg|b|B|dB|Bq|Ci|Gy|Sv|R|st|ar|u|kcal|"
          r"\[IU\]|\[iU\]|\[pH\]|\[ppm\]|\[ppb\]|\[ppth\]|\[degF\]|\[lb_av\]|\[oz_av\]|\[in_i\]|"
          r"\[ft_i\]|\[drp\]|\[arb'U\]|\[HPF\]|\[LPF\]|\[beth'U\]|\[mi_i\]|mm\[Hg\]|cm\[H2O\]")
_PREFIX = "(?:da|[YZEPTGMkhdcmunpfazy])?"
_COMPONENT = (rf"(?:{_PREFIX}(?:{_ATOMS})(?:[+-]?[0-9]+)?(?:\{{[A-Za-z0-9_.'-]{{1,24}}\}})?"
              rf"|\{{[A-Za-z0-9_.'-]{{1,24}}\}}|[0-9]+(?:\*[+-]?[0-9]+)?)")
UCUM_UNIT = re.compile(rf"^/?{_COMPONENT}(?:[./]{_COMPONENT})*$")


class CodeProblem(ValueError):
    """Why a code, system or unit may not pass; `code` is the dead-letter reason code."""

    def __init__(self, code: str, rule: str, location: str = "") -> None:
        super().__init__(rule)
        self.code = code
        self.rule = rule
        self.location = location

    def at(self, location: str) -> CodeProblem:
        return CodeProblem(self.code, self.rule, location)


def check_code(system: str, code: str, names: Iterable[str] = ()) -> None:
    """Raise CodeProblem unless `code` has the shape its `system` allows."""
    if names := tuple(names):
        for text in (system, code):
            check_identifiers(text, names)
    if (problem := _code_problem(system, code)) is not None:
        raise CodeProblem(*problem)


def check_unit(unit: str, names: Iterable[str] = ()) -> None:
    check_identifiers(unit, names)
    if not UCUM_UNIT.match(unit):
        raise CodeProblem("code.unit-shape", "expected a UCUM unit (e.g. mmol/L, 10*9/L, %)")


@functools.lru_cache(maxsize=16384)
def _code_problem(system: str, code: str) -> tuple[str, str] | None:
    # Codes repeat in nearly every entry; the verdict on a pair is worth remembering.
    for text in (system, code):
        if IDENTITY_CODE_SHAPE.search(text):
            return "privacy.identifier-in-code", "a value shaped like an identity code"
    if not _SYSTEM_SHAPE.match(system):
        return "code.system-shape", "a code system is an OID URN or an http(s) URL"
    rule, shape = shape_of(system)
    if not shape.match(code):
        return "code.shape", f"expected {rule}"
    return None


def shape_of(system: str) -> tuple[str, re.Pattern[str]]:
    if (known := SHAPES.get(system)) is not None:
        return known
    if system.startswith(f"{systems.SILTA_CANONICAL}/CodeSystem/"):
        return _SILTA_SHAPE
    if system.startswith("http://terminology.hl7.org/CodeSystem/"):
        return _HL7_SHAPE
    return _UNKNOWN_SHAPE


def name_words(text: str) -> set[str]:
    """The words of a name or code, case-folded; one-letter words (initials) are left out."""
    return {w for w in _WORD.findall(text.casefold()) if len(w) >= 2}


# Whole words, not substrings: a family name "Koti" must not refuse the code "kotihoito".
_WORD = re.compile(r"[^\W\d_]+")


def check_identifiers(text: str, names: Iterable[str] = ()) -> None:
    """Raise CodeProblem when `text` looks like an identity code or holds a word of a name."""
    if IDENTITY_CODE_SHAPE.search(text):
        raise CodeProblem("privacy.identifier-in-code", "a value shaped like an identity code")
    names = tuple(names)
    if not names:
        return
    words = name_words(text)
    if words and any(words & name_words(name) for name in names):
        raise CodeProblem("privacy.identifier-in-code", "a name the record carries")
