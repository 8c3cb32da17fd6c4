"""Raw records name their type the way the contracts name every Silta type."""

from __future__ import annotations

import datetime as dt
import re
from typing import get_args

import pytest

from contracts.envelope import ENVELOPE_TYPE_PATTERN
from services.gateways.raw import raw_record
from services.kafka.topics import SourceFormat, SourceSpec


@pytest.mark.parametrize("fmt", get_args(SourceFormat))
def test_the_raw_type_of_every_source_format_fits_the_envelope_type_pattern(fmt: str) -> None:
    source = SourceSpec(id="demo", sector="health", format=fmt)  # type: ignore[arg-type]
    record = raw_record(source, b"x", "text/plain", dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    ce_type = dict(record.headers)["ce_type"].decode()
    assert ce_type == f"fi.silta.raw.{fmt}.received.v1"
    assert re.fullmatch(ENVELOPE_TYPE_PATTERN, ce_type)
