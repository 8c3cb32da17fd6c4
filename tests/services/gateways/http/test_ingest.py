"""The HTTP ingest gateway against the real broker: 202 only with the record durably on the
raw topic, byte for byte with the documented key and headers; every refusal writes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.services.gateways.http.support import (
    FHIR_BUNDLE,
    FHIR_ENCOUNTER,
    SOCIAL_SERVICE,
    Tokens,
    auth,
    gateway,
    gateway_settings,
)
from tests.support.pipeline import PipelineTopics, make_topics, read_all

Client = httpx.AsyncClient
FHIR = {"content-type": "application/fhir+json"}
JSON = {"content-type": "application/json"}


@pytest.fixture
async def topics(kafka_bootstrap: str, tmp_path: Path) -> PipelineTopics:
    return await make_topics(kafka_bootstrap, tmp_path, partitions=2)


@pytest.fixture
def tokens(topics: PipelineTopics) -> Tokens:
    return Tokens(topics)


@pytest.fixture
async def client(kafka_bootstrap: str, topics: PipelineTopics,
                 tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    async with gateway(gateway_settings(kafka_bootstrap, topics, tokens)) as c:
        yield c


def expected_ce_id(source: str, body: bytes) -> str:
    return hashlib.sha256(source.encode() + b"\x1f" + body).hexdigest()[:32]


async def test_fhir_record_is_on_the_raw_topic_byte_for_byte(
        client: Client, kafka_bootstrap: str, topics: PipelineTopics, tokens: Tokens) -> None:
    body = b"  " + FHIR_ENCOUNTER + b"\n\n"  # odd whitespace must survive untouched
    before = dt.datetime.now(dt.UTC)
    response = await client.post(f"/ingest/{tokens.fhir_source}", content=body,
                                 headers={**FHIR, **auth(tokens.fhir)})
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["ce_id"] == expected_ce_id(tokens.fhir_source, body)
    assert answer["topic"] == topics.raw("fhir") and answer["validated"] is False

    [record] = await read_all(kafka_bootstrap, topics.raw("fhir"), expected=1, settle=0.5)
    assert record.value == body
    assert record.key == b"Encounter/visit-8812"
    assert (record.partition, record.offset) == (answer["partition"], answer["offset"])
    headers = {name: value.decode() for name, value in record.headers}
    assert headers == {
        "ce_id": answer["ce_id"], "ce_source": f"urn:silta:source:{tokens.fhir_source}",
        "ce_type": "fi.silta.raw.fhir.received.v1", "ce_specversion": "1.0",
        "ce_time": headers["ce_time"], "content-type": "application/fhir+json",
    }
    received = dt.datetime.fromisoformat(headers["ce_time"])
    assert headers["ce_time"].endswith("Z") and before <= received + dt.timedelta(seconds=1)
    assert received <= dt.datetime.now(dt.UTC)


async def test_social_record_is_keyed_by_document_id(
        client: Client, kafka_bootstrap: str, topics: PipelineTopics, tokens: Tokens) -> None:
    response = await client.post(f"/ingest/{tokens.social_source}", content=SOCIAL_SERVICE,
                                 headers={"content-type": "application/json; charset=utf-8",
                                          **auth(tokens.social)})
    assert response.status_code == 202, response.text
    [record] = await read_all(kafka_bootstrap, topics.raw("social"), expected=1, settle=0.5)
    document_id = orjson.loads(SOCIAL_SERVICE)["document"]["id"]
    assert record.value == SOCIAL_SERVICE and record.key == document_id.encode()
    headers = dict(record.headers)
    assert headers["ce_type"] == b"fi.silta.raw.social.received.v1"
    assert headers["content-type"] == b"application/json"


async def test_resent_body_gets_the_same_ce_id_and_unsafe_keys_fall_back_to_it(
        client: Client, kafka_bootstrap: str, topics: PipelineTopics, tokens: Tokens) -> None:
    bundle = orjson.loads(FHIR_BUNDLE)
    bundle.pop("id", None)
    no_id = orjson.dumps(bundle)
    patient_named_by_hetu = orjson.dumps({"resourceType": "Patient", "id": "010190-999P"})
    ids = []
    for body in (no_id, no_id, patient_named_by_hetu):
        response = await client.post(f"/ingest/{tokens.fhir_source}", content=body,
                                     headers={**JSON, **auth(tokens.fhir)})
        assert response.status_code == 202, response.text
        ids.append(response.json()["ce_id"])
    assert ids[0] == ids[1] != ids[2]
    records = await read_all(kafka_bootstrap, topics.raw("fhir"), expected=3, settle=0.5)
    assert sorted(r.key for r in records) == sorted(i.encode() for i in ids)


async def test_authentication_per_source(client: Client, kafka_bootstrap: str,
                                         topics: PipelineTopics, tokens: Tokens) -> None:
    path = f"/ingest/{tokens.fhir_source}"
    cases = [
        ({}, 401, "auth.missing"),
        ({"Authorization": "Basic Zm9vOmJhcg=="}, 401, "auth.missing"),
        (auth("not-a-valid-token-at-all"), 401, "auth.invalid"),
        (auth(tokens.social), 403, "auth.wrong-source"),
    ]
    for headers, status, code in cases:
        response = await client.post(path, content=FHIR_ENCOUNTER, headers={**FHIR, **headers})
        assert response.status_code == status, (headers, response.text)
        assert response.json()["error"]["code"] == code
        if status == 401:
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert await read_all(kafka_bootstrap, topics.raw("fhir"), timeout=1.5) == []


async def test_sources_not_accepted_over_http(client: Client, tokens: Tokens) -> None:
    for source, code in ((tokens.hl7_source, "source.not-http"), ("nope", "source.unknown")):
        response = await client.post(f"/ingest/{source}", content=b"MSH|^~\\&|",
                                     headers={**JSON, **auth(tokens.fhir)})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == code
    response = await client.post("/ingest/NOT_A_SOURCE", content=b"{}",
                                 headers={**JSON, **auth(tokens.fhir)})
    assert response.status_code == 422


@pytest.mark.parametrize(("source", "content_type"), [
    ("fhir", "text/plain"), ("fhir", None), ("fhir", "application/xml"),
    ("fhir", "application/json; charset=latin-1"), ("social", "application/fhir+json"),
])
async def test_content_type_is_checked(client: Client, tokens: Tokens, source: str,
                                       content_type: str | None) -> None:
    source_id, token = ((tokens.fhir_source, tokens.fhir) if source == "fhir"
                        else (tokens.social_source, tokens.social))
    headers = auth(token) | ({"content-type": content_type} if content_type else {})
    response = await client.post(f"/ingest/{source_id}", content=FHIR_ENCOUNTER, headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["error"]["code"] == "content-type.unsupported"


async def test_size_limit_is_enforced_while_reading(kafka_bootstrap: str,
                                                    topics: PipelineTopics,
                                                    tokens: Tokens) -> None:
    settings = gateway_settings(kafka_bootstrap, topics, tokens, http_max_body_bytes=4096)
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(1000):  # 1 MB if anyone read it all
            pulled += 1
            yield b" " * 1000

    async with gateway(settings) as client:
        path = f"/ingest/{tokens.fhir_source}"
        declared = await client.post(path, content=b"{" + b" " * 5000 + b"}",
                                     headers={**FHIR, **auth(tokens.fhir)})
        assert declared.status_code == 413
        assert declared.json()["error"] == {"code": "body.too-large", "limit": 4096,
                                            "message": "the body exceeds the 4096-byte limit"}
        streamed = await client.post(path, content=chunks(), headers={**FHIR, **auth(tokens.fhir)})
        assert streamed.status_code == 413
        assert pulled <= 6, f"read {pulled} chunks after the limit was known to be exceeded"
        fits = await client.post(path, content=b'{"resourceType":"X"}',
                                 headers={**FHIR, **auth(tokens.fhir)})
        assert fits.status_code == 202
    assert len(await read_all(kafka_bootstrap, topics.raw("fhir"), expected=1, settle=0.5)) == 1


@pytest.mark.parametrize(("body", "code", "line", "column"), [
    (b'{\n  "resourceType": "Encounter",\n  "status": tru\n}', "json.malformed", 3, 13),
    (b'{"resourceType": "Encounter"', "json.malformed", 1, 29),
    (b'{\n"a": "\xff"}', "json.malformed", 2, 7),
    (b"", "body.empty", None, None),
    (b"  \n ", "body.empty", None, None),
    (b'[{"resourceType": "Encounter"}]', "json.not-object", None, None),
])
async def test_body_must_be_a_well_formed_json_object(client: Client, tokens: Tokens, body: bytes,
                                                      code: str, line: int | None,
                                                      column: int | None) -> None:
    response = await client.post(f"/ingest/{tokens.fhir_source}", content=body,
                                 headers={**FHIR, **auth(tokens.fhir)})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert (error.get("line"), error.get("column")) == (line, column)
    assert b"Encounter" not in response.content  # the body is never echoed


async def test_validate_reports_translation_errors_and_writes_nothing(
        client: Client, kafka_bootstrap: str, topics: PipelineTopics, tokens: Tokens) -> None:
    encounter = orjson.loads(FHIR_ENCOUNTER)
    del encounter["subject"]
    path = f"/ingest/{tokens.fhir_source}?validate=true"
    response = await client.post(path, content=orjson.dumps(encounter),
                                 headers={**FHIR, **auth(tokens.fhir)})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "identity.missing" and error["location"] == "/subject"
    assert await read_all(kafka_bootstrap, topics.raw("fhir"), timeout=1.5) == []

    response = await client.post(path, content=FHIR_ENCOUNTER,
                                 headers={**FHIR, **auth(tokens.fhir)})
    assert response.status_code == 202 and response.json()["validated"] is True
    social = await client.post(f"/ingest/{tokens.social_source}?validate=true",
                               content=SOCIAL_SERVICE, headers={**JSON, **auth(tokens.social)})
    assert social.status_code == 202 and social.json()["validated"] is True


async def test_operations_endpoints(client: Client, topics: PipelineTopics, tokens: Tokens) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    await client.post(f"/ingest/{tokens.fhir_source}", content=FHIR_ENCOUNTER,
                      headers={**FHIR, **auth(tokens.fhir)})
    await client.post(f"/ingest/{tokens.fhir_source}", content=b"{", headers={
        **FHIR, **auth(tokens.fhir)})
    metrics = (await client.get("/metrics")).text
    route = 'route="/ingest/{source}"'
    assert f'silta_http_requests_total{{method="POST",{route},service="http-ingest",' \
           f'status="202"}} 1.0' in metrics
    assert f'silta_http_ingest_accepted_total{{source="{tokens.fhir_source}"}} 1.0' in metrics
    assert (f'silta_http_ingest_rejected_total{{code="json.malformed",'
            f'source="{tokens.fhir_source}"}} 1.0') in metrics
    assert "silta_http_ingest_kafka_ack_seconds_count 1.0" in metrics


async def test_kafka_down_gives_503_with_retry_after(topics: PipelineTopics,
                                                     tokens: Tokens) -> None:
    from deploy.local.broker import free_port

    settings = gateway_settings(f"127.0.0.1:{free_port()}", topics, tokens,
                                http_kafka_timeout_s=1.0, http_retry_after_s=7)
    async with gateway(settings) as client:
        response = await client.post(f"/ingest/{tokens.fhir_source}", content=FHIR_ENCOUNTER,
                                     headers={**FHIR, **auth(tokens.fhir)})
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "7"
        assert response.json()["error"]["code"] == "kafka.unavailable"
        assert (await client.get("/health")).status_code == 200
        ready = await client.get("/ready")
        assert ready.status_code == 503
        [reason] = ready.json()["reasons"]
        assert reason.startswith("kafka: not connected: no Kafka broker answers at "
                                 f"{settings.kafka_bootstrap} (SILTA_KAFKA_BOOTSTRAP")


async def test_kafka_not_acknowledging_in_time_gives_503(kafka_bootstrap: str, tmp_path: Path,
                                                         topics: PipelineTopics,
                                                         tokens: Tokens) -> None:
    # A source whose raw topic was never provisioned: the producer waits for metadata that
    # never comes, which is how an unreachable partition leader looks to a client.
    import yaml

    data = yaml.safe_load(topics.topics_file.read_text())
    data["sources"].append({"id": f"missing-{topics.suffix}", "sector": "health",
                            "format": "fhir"})
    path = tmp_path / "with-missing.yaml"
    path.write_text(yaml.safe_dump(data))
    token = "t" * 32
    settings = gateway_settings(kafka_bootstrap, topics, tokens, topics_file=path,
                                http_kafka_timeout_s=1.0,
                                http_tokens={f"missing-{topics.suffix}": token})
    async with gateway(settings) as client:
        response = await client.post(f"/ingest/missing-{topics.suffix}", content=FHIR_ENCOUNTER,
                                     headers={**FHIR, **auth(token)})
        assert response.status_code == 503, response.text
        assert "retry-after" in response.headers
        ready = (await client.get("/ready")).json()
        assert ready["reasons"] == [f"kafka: topic silta.raw.health.missing-{topics.suffix}.v1 "
                                    f"does not exist on {kafka_bootstrap} (run `silta topics "
                                    "apply`)"]


async def test_record_larger_than_the_topic_takes_is_413_not_503(
        client: Client, kafka_bootstrap: str, topics: PipelineTopics, tokens: Tokens) -> None:
    # The per-test topics keep the broker's default max.message.bytes (about 1 MiB), under
    # the gateway's 2 MiB body limit: Kafka itself refuses the record.
    body = orjson.dumps({"resourceType": "Binary", "data": "A" * 1_500_000})
    response = await client.post(f"/ingest/{tokens.fhir_source}", content=body,
                                 headers={**FHIR, **auth(tokens.fhir)})
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "record.too-large"
    assert await read_all(kafka_bootstrap, topics.raw("fhir"), timeout=1.5) == []
