"""Privacy of the HTTP ingest gateway: bodies full of identity codes, sent well-formed,
malformed, oversized, to the wrong place and with `validate=true`, never put a HETU-shaped
string into a response, a log line, or a raw record's key or headers (the value is the
source's bytes, unchanged, by design)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from services.gateways.http.app import build_app
from tests.services.api.support import logs_captured
from tests.services.api.test_privacy import HETU_ANYWHERE, HETUS
from tests.services.gateways.http.support import (
    FHIR_ENCOUNTER,
    SOCIAL_SERVICE,
    Tokens,
    auth,
    gateway_settings,
    running,
)
from tests.support.pipeline import PipelineKafka, make_topics, read_all


async def test_no_identity_code_in_responses_logs_keys_or_headers(
        pipeline_kafka: PipelineKafka, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    """On the secured broker too, as the http-gateway principal (and no password logged)."""
    with logs_captured(capsys, caplog):
        await _probe_everything(pipeline_kafka, tmp_path, capsys, caplog)


async def _probe_everything(kafka: PipelineKafka, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str],
                            caplog: pytest.LogCaptureFixture) -> None:
    topics = await make_topics(kafka.as_("admin"), tmp_path, partitions=1)
    await kafka.grant(topics)
    tokens = Tokens(topics)
    app = build_app(gateway_settings(kafka.as_("http-gateway"), topics, tokens,
                                     log_level="DEBUG", http_max_body_bytes=64 * 1024))
    hetu, other = HETUS[0], HETUS[1]
    bad_check = hetu[:-1] + ("A" if hetu[-1] != "A" else "B")
    encounter = orjson.loads(FHIR_ENCOUNTER)
    encounter["subject"] = {"identifier": {"system": "urn:oid:1.2.246.21", "value": hetu}}
    social = orjson.loads(SOCIAL_SERVICE)
    social["client"] = {"hetu": other}
    fhir, soc = tokens.fhir_source, tokens.social_source
    json_fhir = {"content-type": "application/fhir+json"}
    posts = [
        (f"/ingest/{fhir}", orjson.dumps(encounter), json_fhir, tokens.fhir, 202),
        (f"/ingest/{fhir}", orjson.dumps({"resourceType": "Patient", "id": hetu}), json_fhir,
         tokens.fhir, 202),
        (f"/ingest/{soc}?validate=true", orjson.dumps(social),
         {"content-type": "application/json"}, tokens.social, 202),
        (f"/ingest/{fhir}?validate=true",
         orjson.dumps({**encounter, "subject": {"identifier": {
             "system": "urn:oid:1.2.246.21", "value": bad_check}}}), json_fhir, tokens.fhir, 422),
        (f"/ingest/{fhir}", f'{{"id": "{hetu}", '.encode(), json_fhir, tokens.fhir, 400),
        (f"/ingest/{fhir}", f'["{hetu}"]'.encode(), json_fhir, tokens.fhir, 400),
        (f"/ingest/{fhir}", orjson.dumps({"id": hetu, "pad": "x" * 70_000}), json_fhir,
         tokens.fhir, 413),
        (f"/ingest/{fhir}", orjson.dumps(encounter), {"content-type": "text/plain"},
         tokens.fhir, 415),
        (f"/ingest/{fhir}", orjson.dumps(encounter), json_fhir, hetu + "x" * 8, 401),
        (f"/ingest/{soc}", orjson.dumps(social), {"content-type": "application/json"},
         tokens.fhir, 403),
        (f"/ingest/{hetu}", orjson.dumps(encounter), json_fhir, tokens.fhir, 422),
        (f"/ingest/{hetu.lower()}", orjson.dumps(encounter), json_fhir, tokens.fhir, 404),
        (f"/ingest/{fhir}?{hetu}=1", orjson.dumps(encounter), json_fhir, tokens.fhir, 422),
    ]
    seen: list[str] = []
    async with running(app) as client:
        for path, body, headers, token, status in posts:
            response = await client.post(path, content=body, headers={**headers, **auth(token)})
            assert response.status_code == status, (path, response.text)
            seen += [response.text, str(response.headers)]
        for path in ("/health", "/ready", "/metrics", "/openapi.json"):
            seen.append((await client.get(path)).text)
    operator = kafka.as_("operator")
    records = [*await read_all(operator, topics.raw("fhir"), expected=2, settle=0.5),
               *await read_all(operator, topics.raw("social"), expected=1, settle=0.5)]
    assert len(records) == 3
    assert [HETU_ANYWHERE.search(r.value.decode()) is not None for r in records] == [True] * 3
    seen += [repr(r.key) for r in records] + [repr(r.headers) for r in records]
    logged = capsys.readouterr()
    assert "ingest refused" in logged.err and "ingested" in logged.err
    everything = "\n".join([*seen, logged.out, logged.err, caplog.text])
    assert HETU_ANYWHERE.findall(everything) == []
    assert [p for p in kafka.passwords if p in everything] == []
