"""Reading MSH and building ACKs, checked with python-hl7 (an HL7 parser nobody here wrote)."""

from __future__ import annotations

import datetime as dt

import hl7
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.hl7v2.er7 import Encoding
from services.gateways.mllp.ack import AckCode, AckIdentity, build_ack, escape
from services.gateways.mllp.errors import MessageRejected, StoreUnavailable
from services.gateways.mllp.header import inspect, read_header
from tests.services.gateways.mllp.support import adt, golden

NOW = dt.datetime(2025, 3, 3, 8, 30, tzinfo=dt.UTC)
GOLDEN = ["adt_a01_v251", "adt_a02_v251", "adt_a03_v28", "adt_a04_v23", "adt_a01_latin1",
          "adt_a01_custom_encoding", "oru_r01_v23", "oru_r01_v251"]


def parse(ack: bytes) -> hl7.Message:
    return hl7.parse(ack.decode("iso8859-1"))


@pytest.mark.parametrize("name", GOLDEN)
def test_aa_mirrors_the_received_header(name: str) -> None:
    data = golden(name)
    received = hl7.parse(data.decode("utf-8" if name != "adt_a01_latin1" else "iso8859-1"))
    inspection = inspect(data)
    assert inspection.rejection is None and inspection.header is not None
    ack = parse(build_ack(inspection.header, AckCode.AA, now=NOW))
    msh, src = ack.segment("MSH"), received.segment("MSH")
    assert str(msh(1)) == str(src(1)) and str(msh(2)) == str(src(2))
    assert (str(msh(3)), str(msh(4))) == (str(src(5)), str(src(6)))
    assert (str(msh(5)), str(msh(6))) == (str(src(3)), str(src(4)))
    assert str(msh(9)(1)(1)) == "ACK" and str(msh(9)(1)(2)) == str(src(9)(1)(2))
    assert str(msh(10)) and str(msh(10)) != str(src(10))
    assert str(msh(12)) == str(src(12))
    assert str(ack.segment("MSA")(1)) == "AA"
    assert str(ack.segment("MSA")(2)) == str(src(10))
    assert len(ack) == 2  # no ERR on AA


def test_echoed_fields_keep_the_senders_bytes() -> None:
    data = golden("adt_a01_latin1").replace(b"|POTILAS|", "|POTILÄS|".encode("iso8859-1"), 1)
    ack = build_ack(read_header(data), AckCode.AA, now=NOW)
    assert "|POTILÄS|".encode("iso8859-1") in ack
    assert b"|8859/1\r" in ack  # MSH-18 as received: the ACK is in the sender's character set


def test_msh18_position_and_message_type_by_version() -> None:
    v23 = build_ack(read_header(adt("C1", version="2.3", charset="")), AckCode.AA, now=NOW)
    assert v23.split(b"\r")[0].split(b"|")[8] == b"ACK^A01"  # no structure before 2.4
    v25 = parse(build_ack(read_header(adt("C1")), AckCode.AA, now=NOW))
    assert str(v25.segment("MSH")(9)) == "ACK^A01^ACK"
    assert str(v25.segment("MSH")(18)) == "UNICODE UTF-8"


def test_ae_carries_the_reason_in_msa3_and_err() -> None:
    refusal = MessageRejected("mllp.frame.too-large", "", "the message has 9 bytes; the limit is 8")
    ack = parse(build_ack(read_header(adt("C42")), AckCode.AE, refusal, now=NOW))
    assert str(ack.segment("MSA")(1)) == "AE" and str(ack.segment("MSA")(2)) == "C42"
    assert "the limit is 8" in str(ack.segment("MSA")(3))
    err = ack.segment("ERR")
    assert str(err(3)(1)(1)) == "207" and str(err(3)(1)(3)) == "HL70357"
    assert str(err(4)) == "E" and str(err(5)) == "mllp.frame.too-large"
    assert "the limit is 8" in str(err(7))


def test_ar_for_kafka() -> None:
    refusal = StoreUnavailable("kafka.timeout", "", "Kafka did not confirm; send it again")
    ack = parse(build_ack(read_header(adt("C7")), AckCode.AR, refusal, now=NOW))
    assert str(ack.segment("MSA")(1)) == "AR" and str(ack.segment("ERR")(5)) == "kafka.timeout"


def test_err_location_and_the_layout_before_25() -> None:
    refusal = MessageRejected("input.encoding.invalid", "MSH-18", "bytes at offset 3", "102")
    v23 = parse(build_ack(read_header(adt("C1", version="2.3")), AckCode.AE, refusal, now=NOW))
    assert str(v23.segment("ERR")(1)) == "MSH^1^18^102&Data type error&HL70357"
    v251 = parse(build_ack(read_header(adt("C1")), AckCode.AE, refusal, now=NOW))
    assert str(v251.segment("ERR")(2)) == "MSH^1^18"


def test_msa3_is_left_out_from_27_where_it_was_withdrawn() -> None:
    refusal = MessageRejected("mllp.frame.too-large", "", "too large")
    ack = parse(build_ack(read_header(adt("C1", version="2.8")), AckCode.AE, refusal, now=NOW))
    assert len(ack.segment("MSA")) == 3  # MSA, MSA-1, MSA-2
    assert "too large" in str(ack.segment("ERR")(7))


def test_reason_is_escaped_in_the_received_encoding_characters() -> None:
    header = read_header(golden("adt_a01_custom_encoding"))  # MSH#$%!*
    reason = "odd | ^ & ~ \\ # $ % ! * characters"
    ack = build_ack(header, AckCode.AE, MessageRejected("x.y", "", reason), now=NOW)
    message = hl7.parse(ack.decode("iso8859-1"))
    assert message.unescape(str(message.segment("ERR")(7))) == f"x.y: {reason}"
    assert str(message.segment("MSA")(2)) == "MSG0008"


def test_no_header_gives_a_default_ack() -> None:
    inspection = inspect(b"\x00\x01 not hl7 at all")
    assert inspection.header is None and inspection.rejection is not None
    ack = parse(build_ack(None, AckCode.AE, inspection.rejection, AckIdentity("GW", "HOSP")))
    assert str(ack.segment("MSH")(3)) == "GW" and str(ack.segment("MSH")(4)) == "HOSP"
    assert str(ack.segment("MSA")(2)) == ""
    assert str(ack.segment("ERR")(5)) == "hl7.segment.missing"


@pytest.mark.parametrize(("payload", "code", "location"), [
    (b"", "mllp.frame.empty", ""),
    (b" \r\n\t", "mllp.frame.empty", ""),
    (b"PID|1||x\r", "hl7.segment.missing", "MSH"),
    (b"MSH", "hl7.segment.missing", "MSH"),
    (b"MSH|^~^&|A|B|C|D|||ADT^A01|X|P|2.5\r", "hl7.encoding.invalid", "MSH-2"),
    (b"MSH|^~|A|B|C|D|||ADT^A01|X|P|2.5\r", "hl7.encoding.invalid", "MSH-2"),
    (b"MSHa^~\\&a\r", "hl7.encoding.invalid", "MSH-2"),
])
def test_not_hl7(payload: bytes, code: str, location: str) -> None:
    rejection = inspect(payload).rejection
    assert rejection is not None and (rejection.code, rejection.location) == (code, location)


def test_undecodable_per_msh18_keeps_the_header_for_the_ack() -> None:
    data = adt("C9") + "PID|2||Äö\r".encode("iso8859-1")  # Latin-1 bytes in a UTF-8 message
    inspection = inspect(data)
    assert inspection.header is not None and inspection.header.control_id == "C9"
    assert inspection.rejection is not None
    assert inspection.rejection.code == "input.encoding.invalid"
    assert inspection.rejection.location == "MSH-18"


def test_unsupported_charset() -> None:
    rejection = inspect(adt("C9", charset="UNICODE UTF-16")).rejection
    assert rejection is not None and rejection.code == "hl7.charset.unsupported"


def test_translation_problems_are_not_the_gateways() -> None:
    bad_hetu = adt("C10", hetu="010180-9001")  # wrong check character
    assert inspect(bad_hetu).rejection is None
    assert inspect(adt("C11") + b"this is not a segment\r").rejection is None
    assert inspect(adt("C12", trigger="Z99")).rejection is None


def test_bom_and_leading_newlines_are_tolerated() -> None:
    assert inspect(b"\xef\xbb\xbf\r\n" + adt("C13")).rejection is None


_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


@given(reason=_text)
def test_escape_round_trips_through_python_hl7(reason: str) -> None:
    enc = Encoding()
    message = hl7.parse(f"MSH|^~\\&|A|B\rERR|{escape(reason, enc)}|end\r")
    assert message.unescape(str(message.segment("ERR")(1))) == reason
