"""The structured content of a social-care record event, one model per `kind`.

Every kind names the action that happened (`action`) and, except client-relationship
(whose id is the document's `case_id`), the id of the record at the source it concerns
(`record_id`). Events about the same record share that id: a service's `started` and
`ended` documents, or a decision on it, all carry the service's record id.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from adapters.social.types import (
    Code,
    Coded,
    DocumentId,
    FreeText,
    InboundModel,
    Period,
    RecordId,
    RuleError,
    Slug,
    Timestamp,
)


def _int32(value: int | float) -> int | float:
    # FHIR integers are 32-bit; a larger integer is an error, not silently a decimal.
    if isinstance(value, int) and not -(2**31) <= value < 2**31:
        raise ValueError("an integer from -2147483648 to 2147483647")
    return value


Score = Annotated[int | float, Field(allow_inf_nan=False), AfterValidator(_int32),
                  Field(description="an integer (32-bit) or a decimal number")]
SUMMARY = Field(None, description="free text for the source's own use; never copied into events")


class ClientRelationship(InboundModel):
    """A client relationship (asiakkuus) in the document's palvelutehtävä opened or closed."""

    kind: Literal["client-relationship"]
    action: Literal["opened", "closed"]
    period: Period = Field(description="start when opened; start and end when closed")

    @model_validator(mode="after")
    def _closed_has_end(self) -> ClientRelationship:
        if self.action == "closed" and self.period.end is None:
            raise RuleError("/period/end", "an end time when the relationship is closed")
        return self


class Notification(InboundModel):
    """A child-welfare notification, a notice of a need for social services or a referral."""

    kind: Literal["notification"]
    action: Literal["received"]
    record_id: RecordId
    notification_kind: Literal[
        "child-welfare-notification", "social-services-need-notice", "referral"] = Field(
        description="lastensuojeluilmoitus, ilmoitus sosiaalihuollon tarpeesta, or a referral")
    notifier: Code = Field(description="who notified: palvelutarpeen ilmoittaja, code system "
                                       "1.2.246.537.6.1243")
    received_at: Timestamp = Field(description="when the matter came in (deadlines count from it)")
    summary: FreeText | None = SUMMARY


class Finding(InboundModel):
    """One coded finding of an assessment."""

    code: Coded = Field(description="what was assessed")
    value: Coded | None = Field(None, description="the coded result, if any")


class Assessment(InboundModel):
    """A service-need assessment (palvelutarpeen arviointi) or a child-welfare assessment."""

    kind: Literal["assessment"]
    action: Literal["started", "completed"]
    record_id: RecordId
    assessment_kind: Literal["service-need", "child-welfare"]
    period: Period = Field(description="start when started; start and end when completed")
    based_on: RecordId | None = Field(
        None, description="record id of the notification that led to the assessment")
    findings: tuple[Finding, ...] = Field(
        (), max_length=100, description="coded findings; only when completed")
    summary: FreeText | None = SUMMARY

    @model_validator(mode="after")
    def _completion(self) -> Assessment:
        if self.action == "completed" and self.period.end is None:
            raise RuleError("/period/end", "an end time when the assessment is completed")
        if self.action == "started" and self.findings:
            raise RuleError("/findings", "no findings until the assessment is completed")
        return self


class Goal(InboundModel):
    """A goal of a client plan, measured with an outcome instrument."""

    instrument: Slug = Field(description="the outcome instrument, e.g. kykyviisari")
    item: Slug = Field(description="the instrument's item, e.g. total")
    target: Score | None = Field(None, description="the target score")
    due_date: dt.date | None = Field(None, description="when the target should be reached")
    status: Literal["proposed", "accepted", "active", "completed", "cancelled"] = Field(
        "active", description="the goal's lifecycle status")
    description: FreeText | None = SUMMARY


class ClientPlan(InboundModel):
    """A client plan (asiakassuunnitelma) made or revised."""

    kind: Literal["client-plan"]
    action: Literal["created", "updated"]
    record_id: RecordId
    status: Literal["draft", "active", "on-hold", "completed", "revoked"] = Field(
        description="a new plan is draft or active")
    created_at: Timestamp = Field(description="when the plan was first made (same in revisions)")
    period: Period | None = Field(None, description="the time the plan covers")
    goals: tuple[Goal, ...] = Field((), max_length=50)
    summary: FreeText | None = SUMMARY

    @model_validator(mode="after")
    def _new_plan_status(self) -> ClientPlan:
        if self.action == "created" and self.status not in ("draft", "active"):
            raise RuleError("/status", "draft or active for a new plan")
        return self


class DecidedService(InboundModel):
    """The service a decision is about."""

    palvelumuoto: Code = Field(description="palvelumuoto code, code system 1.2.246.537.6.125")
    service_kind: Slug | None = Field(None, description="Silta service-kind code, e.g. "
                                                        "open-care-support")


class Decision(InboundModel):
    """A decision (päätös) on the matter or service `record_id`."""

    kind: Literal["decision"]
    action: Literal["made"]
    record_id: RecordId = Field(description="the matter decided on, e.g. the service's record id")
    decision_id: DocumentId = Field(description="the decision's id (päätöksen tunniste)")
    decision_date: dt.date = Field(description="the date of the decision (Europe/Helsinki)")
    outcome: Literal["granted", "partially-granted", "denied", "assessment-started",
                     "no-assessment"]
    service: DecidedService | None = Field(None, description="the service decided on")
    based_on: RecordId | None = Field(
        None, description="record id of the notification or application decided on")
    summary: FreeText | None = SUMMARY


class Service(InboundModel):
    """A granted social service began or ended for the client."""

    kind: Literal["service"]
    action: Literal["started", "ended"]
    record_id: RecordId
    palvelumuoto: Code = Field(description="palvelumuoto code, code system 1.2.246.537.6.125")
    service_kind: Slug | None = Field(None, description="Silta service-kind code")
    period: Period = Field(description="start when started; start and end when ended")
    decision_id: DocumentId | None = Field(None, description="the decision granting the service")

    @model_validator(mode="after")
    def _ended_has_end(self) -> Service:
        if self.action == "ended" and self.period.end is None:
            raise RuleError("/period/end", "an end time when the service has ended")
        return self


# Known instruments and their score range; others are accepted without a range check.
SCORE_RANGES: dict[str, tuple[float, float]] = {"kykyviisari": (0, 10)}


class ItemScore(InboundModel):
    item: Slug = Field(description="the instrument's item, e.g. total or a question number")
    score: Score


class OutcomeMeasure(InboundModel):
    """Scores of an outcome instrument (e.g. Kykyviisari 0-10), one event per item."""

    kind: Literal["outcome-measure"]
    action: Literal["recorded"]
    record_id: RecordId = Field(
        description="the measurement's id; item events get `<record_id>.<item>`, which must "
                    "stay within 64 characters")
    instrument: Slug = Field(description="e.g. kykyviisari (scores 0-10)")
    assessor_role: Literal["self", "family", "worker", "professional"]
    assessed_at: Timestamp
    items: tuple[ItemScore, ...] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _items(self) -> OutcomeMeasure:
        low, high = SCORE_RANGES.get(self.instrument, (float("-inf"), float("inf")))
        seen: set[str] = set()
        for i, entry in enumerate(self.items):
            if entry.item in seen:
                raise RuleError(f"/items/{i}/item", "items that are unique within a measurement")
            seen.add(entry.item)
            if len(self.record_id) + 1 + len(entry.item) > 64:
                raise RuleError(f"/items/{i}/item", "record_id + '.' + item within 64 characters")
            if not low <= entry.score <= high:
                raise RuleError(f"/items/{i}/score", f"a {self.instrument} score from "
                                                     f"{low:g} to {high:g}")
        return self


class Name(InboundModel):
    family: str = Field(min_length=1, max_length=256)
    given: tuple[Annotated[str, Field(min_length=1, max_length=256)], ...] = Field(
        (), max_length=10)


class PostalAddress(InboundModel):
    lines: tuple[Annotated[str, Field(min_length=1, max_length=256)], ...] = Field(
        (), max_length=4)
    postal_code: str | None = Field(None, max_length=16)
    city: str | None = Field(None, max_length=128)
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")

    @model_validator(mode="after")
    def _not_empty(self) -> PostalAddress:
        if not (self.lines or self.postal_code or self.city or self.country):
            raise RuleError("", "an address with at least one member")
        return self


class ClientData(InboundModel):
    """Who the client is (identified data: travels on restricted topics only)."""

    kind: Literal["client-data"]
    action: Literal["recorded"]
    record_id: RecordId = Field(description="the client's record id at the source (not the HETU)")
    name: Name | None = None
    address: PostalAddress | None = None
    birth_date: dt.date | None = None
    gender: Literal["male", "female", "other", "unknown"] | None = None


Content = Annotated[
    ClientRelationship | Notification | Assessment | ClientPlan | Decision | Service
    | OutcomeMeasure | ClientData,
    Field(discriminator="kind"),
]
KINDS = ("client-relationship", "notification", "assessment", "client-plan", "decision",
         "service", "outcome-measure", "client-data")
