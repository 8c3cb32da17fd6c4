"""Properties: whatever bytes arrive, translate returns valid contract events or raises a
TranslationError, never anything else; errors never carry identity codes or free text;
valid messages always translate."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from adapters.errors import TranslationError
from adapters.hl7v2 import translate
from contracts.events import ContractEvent, parse_event
from contracts.hetu import make_hetu
from tests.adapters.hl7v2.corpus import (
    ADT_SOURCE,
    LAB_SOURCE,
    adt,
    golden_inputs,
    obr,
    obx,
    oru,
    pid,
    pv1,
    segment,
)

SEEDS = [p.read_bytes() for p in golden_inputs()]
HETU_SHAPE = re.compile(rb"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]")
FREE_TEXT = ("Meikäläinen", "Matti", "Mannerheimintie", "Potilas", "Virtanen", "Liisa",
             "hemolysoitunut")
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def check(data: bytes) -> list[ContractEvent]:
    """The property itself: events that re-validate, or a clean TranslationError."""
    source = LAB_SOURCE if b"ORU" in data[:120] else ADT_SOURCE
    try:
        events = translate(data, source)
    except TranslationError as exc:
        text = f"{exc} {exc.as_dict()}"
        for code in {m.decode("latin-1") for m in HETU_SHAPE.findall(data)}:
            assert code not in text
        for word in FREE_TEXT:
            assert word not in text
        return []
    for event in events:
        again = parse_event(event.headers(), event.value())
        assert again.headers() == event.headers()  # (either may be the mirror)
    return events


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    check(data)


@SETTINGS
@given(st.sampled_from(SEEDS), st.data())
def test_truncated_messages(seed: bytes, data: st.DataObject) -> None:
    check(seed[:data.draw(st.integers(0, len(seed)))])


@SETTINGS
@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 2000), st.binary(max_size=8),
                                                   st.integers(0, 8)), min_size=1, max_size=6))
def test_byte_mutations(seed: bytes, edits: list[tuple[int, bytes, int]]) -> None:
    data = bytearray(seed)
    for position, insert, delete in edits:
        at = position % (len(data) + 1)
        data[at:at + delete] = insert
    check(bytes(data))


FIELD_TEXT = st.text(st.sampled_from("0123456789AZaz.-+ |^~\\&äYN\x00\t"), max_size=24)


@SETTINGS
@given(st.sampled_from(SEEDS), st.data())
def test_field_mutations(seed: bytes, data: st.DataObject) -> None:
    """Replace whole fields with hostile values, so the mapping code, not only the
    tokenizer, sees bad input."""
    lines = seed.replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r")
    lines = [line for line in lines if line]
    sep = lines[0][3:4]
    for _ in range(data.draw(st.integers(1, 4))):
        row = data.draw(st.integers(0, len(lines) - 1))
        fields = lines[row].split(sep)
        column = data.draw(st.integers(1, max(1, len(fields) + 2)))
        fields += [b""] * (column + 1 - len(fields))
        fields[column] = data.draw(FIELD_TEXT).encode()
        lines[row] = sep.join(fields)
    check(b"\r".join(lines))


@SETTINGS
@given(st.sampled_from(SEEDS), st.data())
def test_segment_shuffles(seed: bytes, data: st.DataObject) -> None:
    lines = seed.replace(b"\r\n", b"\r").replace(b"\n", b"\r").split(b"\r")
    check(b"\r".join(data.draw(st.permutations(lines))))


# --- valid messages always translate ---------------------------------------------------------

def hl7_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")


MOMENTS = st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2035, 1, 1))
HETUS = st.builds(lambda born, n: make_hetu(born, n),
                  st.dates(dt.date(1900, 1, 1), dt.date(2025, 1, 1)), st.integers(900, 999))
VISITS = st.text(st.sampled_from("0123456789ABC-."), min_size=1, max_size=20)
ICD = st.from_regex(r"[A-Z][0-9]{2}(\.[0-9])?", fullmatch=True)


@SETTINGS
@given(st.sampled_from(["A01", "A02", "A03", "A04", "A08", "A11", "A13"]),
       st.sampled_from("EIOPRB"), HETUS, VISITS, MOMENTS, st.lists(ICD, max_size=3),
       st.booleans())
def test_valid_adt_translates(trigger: str, patient_class: str, hetu: str, visit: str,
                              admitted: dt.datetime, codes: list[str], protected: bool) -> None:
    discharged = hl7_time(admitted + dt.timedelta(days=2)) if trigger == "A03" else ""
    dg1 = [segment("DG1", {1: str(i), 3: f"{c}^^I10"}) for i, c in enumerate(codes, 1)]
    data = adt(trigger, pid(hetu), segment("PD1", {12: "Y" if protected else "N"}),
               pv1(patient_class, visit, admit=hl7_time(admitted), discharge=discharged), *dg1)
    events = check(data)
    expected = 1 if trigger in ("A11", "A13") else 1 + len(set(codes))
    assert len({e.envelope.id for e in events}) == expected


OBSERVATIONS = st.one_of(
    st.tuples(st.just("NM"), st.decimals(-1e6, 1e6, places=3).map(lambda d: format(d, "f"))),
    st.tuples(st.just("ST"), st.text(st.characters(codec="utf-8", exclude_characters="\r\n"),
                                     max_size=40)),
    st.tuples(st.just("CWE"), st.just("POS^Positiivinen^L")),
)


@SETTINGS
@given(HETUS, st.lists(st.tuples(OBSERVATIONS, st.sampled_from("FPCDWRISU")), min_size=1,
                       max_size=6), MOMENTS)
def test_valid_oru_translates(hetu: str, results: list, taken: dt.datetime) -> None:
    escaped = []
    for n, ((value_type, value), status) in enumerate(results, start=1):
        if value_type == "ST":
            value = (value.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\")
                     .replace("&", "\\T\\").replace("~", "\\R\\"))
        assume(value_type != "NM" or value not in ("NaN", "Infinity", "-Infinity", "sNaN"))
        escaped.append(obx(n, value_type, f"C{n}^c^LN", value, status=status,
                           when=hl7_time(taken)))
    events = check(oru(pid(hetu), obr(), *escaped))
    assert len(events) == len(results)
