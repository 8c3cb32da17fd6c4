"""`POST /ingest/{source}`: check, then write the body unchanged to the source's raw topic.

Checks, in order: a valid token (401, before anything else, so that source names cannot
be probed), the source exists and takes HTTP (404), the token is the source's (403),
Content-Type (415), size while reading (413) and the body within its deadline (408),
well-formed JSON object (400), and with `validate=true` the source's adapter (422). 202
only once Kafka acknowledged the record with acks=all; 503 with Retry-After when it did
not in time. A client that disconnects mid-body is a client abort (counted, logged at
INFO, answered 499 to nobody), not a server error.
"""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.

import asyncio
import datetime as dt
import time
from dataclasses import dataclass
from typing import Annotated, Any

from aiokafka.structs import RecordMetadata
from fastapi import APIRouter, Path, Query, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from adapters.base import SourceInfo
from adapters.errors import TranslationError
from adapters.registry import translator
from services.errors import BrokerUnavailable
from services.gateways.errors import RecordTooLarge
from services.gateways.http.auth import SourceTokens, bearer, wrong_source
from services.gateways.http.body import ClientAborted, media_type, parse_object, read_limited
from services.gateways.http.metrics import IngestMetrics
from services.gateways.http.models import IngestAccepted, request_body
from services.gateways.http.records import record_id
from services.gateways.http.settings import HttpIngestSettings
from services.gateways.producer import RawProducer, confirmed
from services.gateways.raw import RawRecord, raw_record
from services.kafka.topics import SourceSpec, TopicsFile
from services.logging import get_logger
from services.observability.http import ApiError, error_responses, reject_unknown_query

HTTP_FORMATS = ("fhir", "social")
# nginx's convention for "the client closed the request": what the request metrics count
# instead of a 500 when a client hangs up mid-body.
CLIENT_CLOSED_REQUEST = 499

DESCRIPTION = """Writes the body, byte for byte, to the source's raw topic
`silta.raw.<sector>.<source>.v1`, keyed by the record id the body names (FHIR
`<resourceType>/<id>`, social `document.id`; else the ce_id), with headers `ce_id`,
`ce_source`, `ce_type` (`fi.silta.raw.<format>.received.v1`), `ce_specversion`, `ce_time`
and `content-type`. The ingest service translates it later; a body it cannot translate
is kept on the dead-letter topic with the reason.

**202 means durable**: Kafka acknowledged the record on all in-sync replicas. On 503 the
record may or may not have been written: send the same body again (it gets the same
`ce_id`, and downstream processing is idempotent).

`validate=true` also runs the source's adapter before writing and answers 422 with the
translation error (`code`, `location` as a JSON pointer, `message`) without writing
anything, so a vendor gets immediate feedback; it costs the translation time on every
request. HL7 v2 sources are not accepted over HTTP (use the MLLP gateway)."""


RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Durably written to the raw topic."},
    **error_responses(400, 401, 403, 404, 408, 413, 415, 422, 503,
                      s400="Empty body, malformed JSON (with line and column) or not a JSON "
                      "object.",
                      s401="No valid bearer token; checked before the source.",
                      s404="Unknown source, or one not accepted over HTTP.",
                      s408="The body did not arrive in time.",
                      s422="`validate=true`: the adapter's translation error; or invalid query "
                      "parameters.",
                      s503="Kafka is unavailable or did not acknowledge in time; retry after "
                      "`Retry-After` seconds.")}


@dataclass(frozen=True)
class Gateway:
    settings: HttpIngestSettings
    sources: dict[str, SourceSpec]  # the sources this gateway accepts
    spec: TopicsFile
    tokens: SourceTokens
    producer: RawProducer
    metrics: IngestMetrics


def http_sources(spec: TopicsFile, only: list[str] | None) -> dict[str, SourceSpec]:
    chosen = [spec.source(s) for s in only] if only else spec.sources
    return {s.id: s for s in chosen if s.format in HTTP_FORMATS}


def ingest_router(gw: Gateway) -> APIRouter:
    router = APIRouter(tags=["ingest"])
    Source = Annotated[str, Path(
        pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="source id from deploy/topics.yaml",
        json_schema_extra={"enum": sorted(gw.sources)} if gw.sources else None)]

    @router.post(
        "/ingest/{source}", status_code=202, response_model=IngestAccepted,
        summary="Submit one source record", description=DESCRIPTION,
        openapi_extra={"requestBody": request_body()}, responses=RESPONSES,
    )
    async def ingest(
        request: Request,
        source: Source,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
        validate: Annotated[bool, Query(description="run the source's adapter first; 422 "
                                        "with its error instead of writing")] = False,
    ) -> IngestAccepted | Response:
        return await _counted(gw, request, source, credentials, validate)

    return router


async def _counted(gw: Gateway, request: Request, source: str,
                   credentials: HTTPAuthorizationCredentials | None,
                   validate: bool) -> IngestAccepted | Response:
    """`_ingest`, with its outcome counted and logged: accepted, refused, or aborted."""
    log = get_logger(service="http-ingest")
    label = source if any(s.id == source for s in gw.spec.sources) else "unknown"
    try:
        accepted = await _ingest(gw, request, source, credentials, validate)
    except ApiError as error:
        gw.metrics.rejected.labels(label, error.code).inc()
        log.info("ingest refused", source=label, status=error.status, code=error.code)
        raise
    except ClientAborted:
        gw.metrics.rejected.labels(label, "client.aborted").inc()
        log.info("client aborted the request mid-body", source=label)
        return Response(status_code=CLIENT_CLOSED_REQUEST)
    gw.metrics.accepted.labels(source).inc()
    log.info("ingested", source=source, ce_id=accepted.ce_id, topic=accepted.topic,
             partition=accepted.partition, offset=accepted.offset,
             validated=accepted.validated)
    return accepted


async def _ingest(gw: Gateway, request: Request, source_id: str,
                  credentials: HTTPAuthorizationCredentials | None,
                  validate: bool) -> IngestAccepted:
    owner = gw.tokens.owner(credentials.credentials if credentials else None)
    source = _http_source(gw, source_id)
    if owner != source_id:
        raise wrong_source()
    await reject_unknown_query(request)
    media = media_type(request.headers.get("content-type"), source.format)
    body = await read_limited(request, gw.settings.http_max_body_bytes,
                              gw.settings.http_body_timeout_s)
    document = parse_object(body)
    received = dt.datetime.now(dt.UTC)
    validated = await _validate(source, body, received) if validate else False
    record = raw_record(source, body, media, received, record_id(source.format, document))
    started = time.perf_counter()
    try:
        metadata = await _stored(gw, record)
    except BrokerUnavailable as exc:
        raise ApiError(503, "kafka.unavailable", f"{exc}; retry later",
                       headers={"Retry-After": str(gw.settings.http_retry_after_s)}) from exc
    except RecordTooLarge as exc:
        raise ApiError(413, "record.too-large", "Kafka refused the record as larger than the "
                       "raw topic accepts (max.message.bytes)") from exc
    gw.metrics.kafka_seconds.observe(time.perf_counter() - started)
    gw.metrics.accepted_bytes.labels(source_id).inc(len(body))
    return IngestAccepted(ce_id=record.ce_id, topic=metadata.topic, partition=metadata.partition,
                          offset=metadata.offset, validated=validated)


async def _stored(gw: Gateway, record: RawRecord) -> RecordMetadata:
    """Where Kafka stored the record with acks=all; BrokerUnavailable when it did not in
    `http_kafka_timeout_s`."""
    try:
        async with asyncio.timeout(gw.settings.http_kafka_timeout_s):
            return await confirmed(await gw.producer.send(record))
    except TimeoutError as exc:
        raise BrokerUnavailable("Kafka did not acknowledge the record in time") from exc


def _http_source(gw: Gateway, source_id: str) -> SourceSpec:
    source = gw.sources.get(source_id)
    if source is not None:
        return source
    known = next((s for s in gw.spec.sources if s.id == source_id), None)
    if known is not None and known.format not in HTTP_FORMATS:
        raise ApiError(404, "source.not-http", f"source {source_id} sends {known.format}, which "
                       "this gateway does not accept; use the MLLP gateway")
    if known is not None:
        raise ApiError(404, "source.not-enabled", f"source {source_id} is not enabled on this "
                       "gateway (SILTA_HTTP_SOURCES)")
    raise ApiError(404, "source.unknown", "no such source; see deploy/topics.yaml")


async def _validate(source: SourceSpec, body: bytes, received: dt.datetime) -> bool:
    """True when the adapter translates the body; ApiError 422 with its error when not."""
    translate = translator(source.format)
    info = SourceInfo(source.id, source.sector, received)
    try:
        await run_in_threadpool(translate, body, info)
    except TranslationError as error:
        # Adapter messages never repeat identity codes or free text (adapters/errors.py).
        raise ApiError(422, error.code, error.message, location=error.location) from None
    except Exception as error:
        # An adapter bug is ours, not the vendor's: keep the record (ingest dead-letters it
        # as adapter.crash) and say it was not validated.
        get_logger(service="http-ingest").error("adapter crashed while validating",
                                                source=source.id, error=type(error).__name__)
        return False
    return True
