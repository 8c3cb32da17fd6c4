"""The HTTP ingest gateway's OpenAPI document is complete."""

from __future__ import annotations

from services.gateways.http.app import build_app
from services.gateways.http.settings import HttpIngestSettings
from tests.services.api.openapi_checks import problems


def test_every_operation_is_documented() -> None:
    app = build_app(HttpIngestSettings(http_tokens={"hospital-fhir": "f" * 32}))
    spec = app.openapi()
    assert problems(spec, "sourceToken") == []
    ingest = spec["paths"]["/ingest/{source}"]["post"]
    assert set(ingest["responses"]) == {"202", "400", "401", "403", "404", "408", "413", "415",
                                        "422", "503"}
    assert ingest["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/IngestAccepted"}
    assert "Retry-After" in ingest["responses"]["503"]["headers"]
    assert set(ingest["requestBody"]["content"]) == {"application/fhir+json",
                                                     "application/json"}
    # the default topics file: the FHIR and social sources, not the HL7 v2 one
    source = next(p for p in ingest["parameters"] if p["name"] == "source")
    assert source["schema"]["enum"] == ["hospital-fhir", "social-cis"]
