"""The CloudEvents envelope in Kafka headers: round trip and precise header errors."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.envelope import Envelope, envelope_failures, envelope_from_headers
from contracts.errors import ContractError

GOOD = Envelope(id="8812:encounter.started", source="urn:silta:source:hospital-adt",
                type="fi.silta.health.encounter.started.v1",
                time=dt.datetime(2025, 3, 3, 8, 30, tzinfo=dt.UTC),
                subject="Encounter/8812", corrects=None)


def test_headers_round_trip_and_are_utf8_text() -> None:
    headers = GOOD.to_headers()
    assert all(isinstance(v, bytes) for _, v in headers)
    assert {k for k, _ in headers} >= {"ce_id", "ce_source", "ce_type", "ce_specversion",
                                       "ce_time", "content-type"}
    assert envelope_from_headers(headers) == GOOD


def test_every_problem_names_its_header() -> None:
    headers = dict(GOOD.to_headers())
    headers["ce_type"] = b"encounter-started"
    headers["ce_time"] = b"yesterday"
    del headers["ce_source"]
    problems = envelope_failures(headers)
    assert isinstance(problems, list)
    assert sorted(p.pointer for p in problems) == [
        "/headers/ce_source", "/headers/ce_time", "/headers/ce_type"]


def test_undecodable_header_bytes_are_a_contract_error() -> None:
    headers = dict(GOOD.to_headers())
    headers["ce_id"] = b"\xff\xfe"
    with pytest.raises(ContractError, match="/headers/ce_id"):
        envelope_from_headers(headers)


def test_time_needs_a_zone_offset() -> None:
    headers = dict(GOOD.to_headers())
    headers["ce_time"] = b"2025-03-03T08:30:00"
    with pytest.raises(ContractError, match="zone offset"):
        envelope_from_headers(headers)
