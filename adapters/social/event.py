"""The social-care record event, version 1: what a client information system
(asiakastietojärjestelmä) sends when a document is archived, corrected or withdrawn."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, model_validator

from adapters.social.content import ClientRelationship, Content
from adapters.social.document import Client, Document, Security
from adapters.social.types import InboundModel, RuleError

SCHEMA_ID = "https://silta.fi/schemas/social/record-event.v1.json"


class RecordEvent(InboundModel):
    """A social-care record event: one archived document version and what it records."""

    model_config = ConfigDict(
        title="Silta social-care record event, version 1",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema",
                           "$id": SCHEMA_ID},
    )

    format_version: Literal[1] = Field(description="the version of this format: 1")
    document: Document
    client: Client
    security: Security
    content: Content = Field(description="what the document records, by `kind`")

    @model_validator(mode="after")
    def _relationship_has_case(self) -> RecordEvent:
        if isinstance(self.content, ClientRelationship) and self.document.case_id is None:
            raise RuleError("/document/case_id",
                            "the client relationship's id in case_id for kind client-relationship")
        return self


def json_schema() -> dict[str, Any]:
    """The JSON Schema committed as adapters/social/schema/record-event.v1.json."""
    return RecordEvent.model_json_schema()
