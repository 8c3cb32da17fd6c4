"""Every translator from the registry yields at least one event or a TranslationError, so
ingest never accepts bytes that silently become nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import _never_empty

SOURCE = SourceInfo("s", "health", dt.datetime(2026, 1, 1, tzinfo=dt.UTC))


def test_a_translation_with_no_events_is_a_typed_error() -> None:
    with pytest.raises(TranslationError) as refused:
        _never_empty(lambda data, source: [])(b"{}", SOURCE)
    assert refused.value.code == "input.no-events"

