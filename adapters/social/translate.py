"""Social-care record event bytes → contract events.

Ids follow adapters/base.py: the first event of a record is `<record id>:<kind>`; a later
document version becomes `record.amended` with id `<record id>:<kind>:v<version>`
correcting it; a withdrawn document becomes `record.entered-in-error` with id
`<record id>:<kind>:retracted`. Everything derives from the message, so a re-sent
document version yields identical events.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from adapters.base import SourceInfo, build_event, check_size, refuse_deep, refuse_names
from adapters.errors import TranslationError
from adapters.identity import validate_hetu
from adapters.social.content import ClientData, Content
from adapters.social.document import Client
from adapters.social.event import RecordEvent
from adapters.social.mapping import MAPPERS, Context, Draft
from adapters.social.problems import from_validation_error
from contracts import systems
from contracts.catalogue import BY_TYPE
from contracts.events import ContractEvent

ADAPTER_VERSION = "social-record-event/1"
AMENDED = "fi.silta.common.record.amended.v1"
RETRACTED = "fi.silta.common.record.entered-in-error.v1"
PATIENT = "fi.silta.common.patient.identified.v1"


def translate(data: bytes, source: SourceInfo) -> list[ContractEvent]:
    check_size(data)
    # Deep nesting is refused before pydantic's recursive validation; pydantic reports
    # malformed JSON itself (it parses differently at the edges: big integers).
    refuse_deep(data)
    try:
        event = RecordEvent.model_validate_json(data)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    ctx = Context(event.document, client_reference(event.client), _meta(event))
    drafts = MAPPERS[type(event.content)](event.content, ctx)
    return refuse_names([_emit(draft, event, source) for draft in drafts], _names(event.content),
                        "/content/name")


def _names(content: Content) -> list[str]:
    if not isinstance(content, ClientData) or content.name is None:
        return []
    return [content.name.family, *content.name.given]


def client_reference(client: Client) -> dict[str, Any]:
    """The client as a logical reference; the HETU's check character is verified."""
    if client.hetu is not None and client.temporary_id is not None:
        raise TranslationError("identity.invalid", "/client",
                               "expected exactly one of hetu or temporary_id, found both")
    if client.hetu is not None:
        validate_hetu(client.hetu, "/client/hetu")
        identifier = {"system": systems.HETU, "value": client.hetu}
    elif client.temporary_id is not None:
        identifier = {"system": f"urn:oid:{client.temporary_id.system}",
                      "value": client.temporary_id.value}
    else:
        raise TranslationError("identity.missing", "/client",
                               "expected hetu or temporary_id, found neither")
    return {"identifier": identifier, "type": "Patient"}


def _meta(event: RecordEvent) -> dict[str, Any]:
    doc = event.document
    security = [{"system": systems.SOCIAL_WELFARE_REGISTER, "code": doc.register_holder}]
    if event.security.turvakielto:
        security.append({"system": systems.SECURITY_LABEL, "code": systems.TURVAKIELTO})
    if event.security.bans(doc):
        security.append({"system": systems.SECURITY_LABEL, "code": systems.LUOVUTUSKIELTO})
    return {
        "versionId": str(doc.version), "lastUpdated": doc.modified, "security": security,
        "tag": [{"system": systems.PALVELUTEHTAVA, "code": doc.service_task},
                {"system": systems.ASIAKIRJARYHMA, "code": doc.document_group},
                {"system": systems.PALVELUPROSESSI, "code": doc.service_process}],
    }


def _emit(draft: Draft, event: RecordEvent, source: SourceInfo) -> ContractEvent:
    doc = event.document
    original = f"{draft.record_id}:{BY_TYPE[draft.event_type].kind}"
    # "content" without a slash: a contract failure's pointer is in the FHIR resource.
    common: dict[str, Any] = {"subject": f"{draft.resource['resourceType']}/{draft.record_id}",
                              "time": doc.modified, "location": "content"}
    if doc.status == "entered-in-error":
        if draft.event_type == PATIENT:
            raise TranslationError(
                "social.correction.unsupported", "/document/status",
                "client data cannot be entered in error: the contracts have no retraction "
                "for patient.identified; send a corrected version instead")
        retracted = draft.resource | {"status": "entered-in-error"}
        return build_event(RETRACTED, retracted, source, id=f"{original}:retracted",
                           corrects=original, **common)
    if doc.version == 1:
        return build_event(draft.event_type, draft.resource, source, id=original, **common)
    if draft.event_type == PATIENT:  # not correctable: a newer identification replaces it
        return build_event(PATIENT, draft.resource, source, id=f"{original}:v{doc.version}",
                           **common)
    # The corrected resource must still satisfy its own event's profile.
    build_event(draft.event_type, draft.resource, source, id=original, **common)
    return build_event(AMENDED, draft.resource, source, id=f"{original}:v{doc.version}",
                       corrects=original, **common)
