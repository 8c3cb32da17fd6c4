"""Document metadata, the client and the security attributes of a social-care record event.

The metadata follows what the Kanta social-welfare client data archive (Kanta-palvelut,
asiakastiedon arkisto) keeps about every document: id, version, status, times, the
palvelutehtävä, asiakirjaryhmä and palveluprosessi codes, the register holder and the
service provider, and the case (asia / asiakkuus) the document belongs to.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from adapters.social.types import (
    Code,
    DocumentId,
    InboundModel,
    Oid,
    RecordId,
    RuleError,
    Timestamp,
)


class Document(InboundModel):
    """Archive metadata of the document whose change this event reports."""

    id: DocumentId = Field(description="the document's id; stays the same across versions")
    version: int = Field(
        ge=1, le=1_000_000,
        description="1 for the first archived version; a higher version corrects version 1 "
                    "and must keep the same `content.kind`, `content.action` and record id")
    status: Literal["final", "entered-in-error"] = Field(
        description="`final`: the document is valid; `entered-in-error`: it was archived "
                    "by mistake and everything it said is withdrawn")
    created: Timestamp = Field(description="when the document was first created")
    modified: Timestamp = Field(
        description="when this version was saved; becomes the event time, so re-sending the "
                    "same version must carry the same value")
    service_task: Code = Field(description="palvelutehtävä, code system 1.2.246.537.6.1221")
    document_group: Code = Field(description="asiakirjaryhmä, code system 1.2.246.537.6.1505")
    service_process: Code = Field(description="palveluprosessi, code system 1.2.246.537.6.1277")
    register_holder: Oid = Field(
        description="OID of the organisation that holds the social-welfare register "
                    "(rekisterinpitäjä) the document belongs to")
    service_provider: Oid = Field(
        description="OID (THL SOTE organisation register) of the organisation that "
                    "provides the service")
    case_id: RecordId | None = Field(
        None, description="id of the case / client relationship (asia, asiakkuus) the "
                          "document belongs to; required for kind client-relationship, where "
                          "it is the relationship's own id")

    @model_validator(mode="after")
    def _times_ordered(self) -> Document:
        if self.modified < self.created:
            raise RuleError("/modified", "a modification time not before `created`")
        return self


class TemporaryId(InboundModel):
    """An organisation-issued temporary client id (for people without a HETU)."""

    system: str = Field(
        pattern=r"^1\.2\.246\.10(\.(0|[1-9][0-9]*)){1,20}$", max_length=128,
        description="OID of the issuing organisation's temporary-id system, under "
                    "1.2.246.10 (without `urn:oid:`)")
    value: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$",
                       description="the temporary id")


class Client(InboundModel):
    """Who the document is about: exactly one of `hetu` or `temporary_id`."""

    hetu: str | None = Field(
        None, max_length=64,
        description="personal identity code DDMMYYCZZZQ; the check character is verified "
                    "and the century sign is kept as sent")
    temporary_id: TemporaryId | None = Field(None, description="a temporary id instead of a HETU")


class DocumentBan(InboundModel):
    """A disclosure ban on one document."""

    scope: Literal["document"]
    document_id: DocumentId | None = Field(
        None, description="the banned document; absent means this document")


class ServiceTaskBan(InboundModel):
    """A disclosure ban on every document of one palvelutehtävä."""

    scope: Literal["service-task"]
    service_task: Code = Field(description="palvelutehtävä code (1.2.246.537.6.1221)")


class RegisterHolderBan(InboundModel):
    """A disclosure ban on every document of one register holder."""

    scope: Literal["register-holder"]
    register_holder: Oid = Field(description="the register holder organisation's OID")


DisclosureBan = Annotated[
    DocumentBan | ServiceTaskBan | RegisterHolderBan, Field(discriminator="scope")]


class Security(InboundModel):
    """Restrictions that travel with the data (Asiakastietolaki 703/2023)."""

    turvakielto: bool = Field(
        description="true when the client has a non-disclosure for personal safety "
                    "(turvakielto) in the population register; required so that it is "
                    "never forgotten by default")
    disclosure_bans: tuple[DisclosureBan, ...] = Field(
        (), max_length=100,
        description="the client's disclosure bans (luovutuskielto) in force; Silta labels "
                    "the document when a ban's scope matches it, its palvelutehtävä or its "
                    "register holder, and ignores bans on other documents")

    def bans(self, document: Document) -> bool:
        """Whether any ban in force covers `document`."""
        for ban in self.disclosure_bans:
            if isinstance(ban, DocumentBan) and ban.document_id in (None, document.id):
                return True
            if isinstance(ban, ServiceTaskBan) and ban.service_task == document.service_task:
                return True
            if (isinstance(ban, RegisterHolderBan)
                    and ban.register_holder == document.register_holder):
                return True
        return False
