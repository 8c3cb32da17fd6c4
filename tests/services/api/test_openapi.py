"""The query API's OpenAPI document is complete, and its entry model is the contract's."""

from __future__ import annotations

from contracts.timeline import TimelineEntry
from services.api.app import build_app
from tests.services.api.openapi_checks import problems
from tests.services.api.support import api_settings


def test_every_operation_is_documented() -> None:
    spec = build_app(api_settings("sqlite:///unused")).openapi()
    assert problems(spec, "bearerAuth") == []
    assert set(spec["paths"]) == {"/clients/{pseudonym}/timeline", "/entries/{entry_id}", "/entries",
                                  "/clients", "/audit", "/health", "/ready", "/metrics",
                                  "/ui/session", "/indicators"}
    for path in ("/clients/{pseudonym}/timeline", "/entries/{entry_id}", "/indicators"):
        assert "503" in spec["paths"][path]["get"]["responses"]
        assert "Retry-After" in spec["paths"][path]["get"]["responses"]["503"]["headers"]


def test_entries_are_the_contract_plus_view() -> None:
    spec = build_app(api_settings("sqlite:///unused")).openapi()
    entry = spec["components"]["schemas"]["TimelineEntryView"]
    assert set(entry["properties"]) == {*TimelineEntry.model_fields, "view"}
    assert entry["properties"]["view"]["enum"] == ["current", "superseded", "retracted"]
    assert not any("hetu" in name.lower() or "identity" in name.lower()
                   for name in entry["properties"])
