"""The gateway's response model and the request body as documented in OpenAPI.

The body is not parsed into a model here (it is forwarded byte for byte); its schemas
document what each source format expects. The authoritative definitions are
adapters/fhir_r4/README.md and adapters/social/README.md with
adapters/social/schema/record-event.v1.json.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from contracts.timeline import HEX32


class IngestAccepted(BaseModel):
    """The record is durably in Kafka (acknowledged by all in-sync replicas)."""

    ce_id: str = Field(pattern=HEX32, description="the record's id: sha256 of source id and "
                       "body, so re-sending the same body gives the same id")
    topic: str = Field(description="the raw topic, silta.raw.<sector>.<source>.v1")
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    validated: bool = Field(description="true when `validate=true` ran the source's adapter "
                            "and it translated the body; false when not asked, or when the "
                            "adapter failed in a way that is Silta's bug (the record is kept, "
                            "and ingest dead-letters it)")


# The gateway checks that the body is a JSON object and nothing more (translation is the
# ingest service's job), so that is the schema; the formats are described and linked.
BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "FHIR sources: a FHIR R4 resource, or a Bundle of type collection, "
                   "transaction or message (adapters/fhir_r4/README.md). Social sources: a "
                   "social-care record event v1 (adapters/social/README.md, JSON Schema "
                   "adapters/social/schema/record-event.v1.json).",
}

FHIR_EXAMPLE: dict[str, Any] = {
    "resourceType": "Encounter", "id": "visit-8812", "status": "in-progress",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    "subject": {"identifier": {"system": "urn:oid:1.2.246.21", "value": "<HETU>"}},
    "period": {"start": "2025-03-01T08:00:00+02:00"},
}

SOCIAL_EXAMPLE: dict[str, Any] = {
    "format_version": 1,
    "document": {"id": "1.2.246.10.7654321.10.2025.1001", "version": 1, "status": "final",
                 "created": "2025-02-10T10:05:00+02:00",
                 "modified": "2025-02-10T10:05:00+02:00", "service_task": "22",
                 "document_group": "1", "service_process": "4",
                 "register_holder": "1.2.246.10.7654321.10.0",
                 "service_provider": "1.2.246.10.1234567.10.0", "case_id": "asiakkuus-301"},
    "client": {"hetu": "<HETU>"},
    "security": {"turvakielto": False},
    "content": {"kind": "client-relationship", "action": "opened",
                "period": {"start": "2025-02-10T10:00:00+02:00"}},
}


def request_body() -> dict[str, Any]:
    fhir = {"summary": "FHIR R4 Encounter", "value": FHIR_EXAMPLE}
    social = {"summary": "Social-care record event", "value": SOCIAL_EXAMPLE}
    return {
        "required": True,
        "description": "The record exactly as the source system has it: UTF-8 JSON, one "
                       "object, at most the configured size (default 2 MiB). FHIR sources: "
                       "`application/fhir+json` or `application/json`; social sources: "
                       "`application/json`.",
        "content": {
            "application/fhir+json": {"schema": BODY_SCHEMA, "examples": {"fhir": fhir}},
            "application/json": {"schema": BODY_SCHEMA,
                                 "examples": {"fhir": fhir, "social": social}},
        },
    }
