"""MSH-18 character sets: declared sets are honoured, no declaration means UTF-8 with an
ISO-8859-1 fall-back, and a broken UTF-8 promise is an error."""

from __future__ import annotations

import pytest

from adapters.errors import TranslationError
from adapters.hl7v2 import charset, translate
from tests.adapters.hl7v2.corpus import ADT_SOURCE, DATA, msh, pid, pv1, segment

DG1 = segment("DG1", {1: "1", 3: "I50.9^Sydämen vajaatoiminta^I10"})


def message(charset_name: str, encoding: str) -> bytes:
    lines = [msh("ADT^A01", charset=charset_name), segment("EVN", {2: "20250303083100"}),
             pid(), pv1(), DG1]
    return ("\r".join(lines) + "\r").encode(encoding)


def display(data: bytes) -> str:
    return translate(data, ADT_SOURCE)[1].to_message()["value"]["code"]["coding"][0]["display"]


@pytest.mark.parametrize(("declared", "encoding"), [
    ("UNICODE UTF-8", "utf-8"), ("8859/1", "latin-1"), ("8859/15", "iso8859-15"),
    ("", "utf-8"), ("", "latin-1"), ("ASCII", "latin-1"), ("ASCII", "utf-8"),
])
def test_finnish_letters_survive(declared: str, encoding: str) -> None:
    assert display(message(declared, encoding)) == "Sydämen vajaatoiminta"


def test_declared_latin1_is_taken_at_its_word() -> None:
    # UTF-8 bytes declared as 8859/1 decode as Latin-1: the declaration wins.
    assert display(message("8859/1", "utf-8")) == "SydÃ¤men vajaatoiminta"


def test_golden_latin1_file_is_not_utf8() -> None:
    data = (DATA / "adt_a01_latin1.hl7").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert charset.decode(data).codec == charset.LATIN1


def test_byte_order_mark_is_skipped() -> None:
    assert display(b"\xef\xbb\xbf" + message("UNICODE UTF-8", "utf-8")) == "Sydämen vajaatoiminta"


def test_first_repetition_of_msh_18_counts() -> None:
    data = message("8859/1~UNICODE UTF-8", "latin-1")
    assert charset.declared_charset(data) == "8859/1"
    assert display(data) == "Sydämen vajaatoiminta"


def test_broken_utf8_promise_is_an_error_with_an_offset_only() -> None:
    with pytest.raises(TranslationError) as caught:
        translate(message("UNICODE UTF-8", "latin-1"), ADT_SOURCE)
    assert (caught.value.code, caught.value.location) == ("input.encoding.invalid", "MSH-18")
    assert "offset" in caught.value.message
