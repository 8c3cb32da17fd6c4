"""Schemathesis against the HTTP ingest gateway's OpenAPI document, with the real broker
and each source's valid token: no 5xx, every response conforms to the schema, malformed
and unauthenticated requests are refused as documented."""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi

from services.gateways.http.app import build_app
from services.gateways.http.settings import HttpIngestSettings
from services.kafka.topics import apply_topics, load_topics
from services.settings import SiltaSettings
from tests.services.api.support import Deferred

# The OpenAPI document names the sources (an enum), so the per-run source ids and the
# topics file exist when the module is imported; the topics are created by the fixture.
_DIR = Path(tempfile.mkdtemp(prefix="silta-http-schema-"))
_SUFFIX = uuid.uuid4().hex[:8]
TOPICS_FILE = _DIR / "topics.yaml"
TOPICS_FILE.write_text(yaml.safe_dump({
    "version": 1, "raw": {"partitions": 1},
    "sources": [{"id": f"{fmt}-{_SUFFIX}", "sector": sector, "format": fmt}
                for fmt, sector in (("fhir", "health"), ("social", "social"),
                                    ("hl7v2", "health"))],
    "topics": {},
}))
TOKENS = {f"fhir-{_SUFFIX}": secrets.token_hex(16), f"social-{_SUFFIX}": secrets.token_hex(16)}


def _settings(bootstrap: str) -> HttpIngestSettings:
    return HttpIngestSettings(kafka_bootstrap=bootstrap, topics_file=TOPICS_FILE,
                              http_tokens=TOKENS, http_kafka_timeout_s=10.0, log_json=True)


APP = Deferred(build_app(_settings("127.0.0.1:1")))
schema = schemathesis.openapi.from_dict(APP.schema_source.openapi())
schema.app = APP
# Which media type and which body a source takes depends on the source's format, which an
# OpenAPI path parameter cannot tie to its value: for a well-formed request, 415 (JSON sent
# as application/fhir+json to a social source) and 422 (validate=true, and the adapter
# refuses the drawn object) are documented answers, not rejected valid data.
schema.config.checks.positive_data_acceptance.expected_statuses = [
    *schema.config.checks.positive_data_acceptance.expected_statuses, "415", "422"]


@pytest.fixture(scope="module", autouse=True)
async def live_gateway(kafka_bootstrap: str) -> Iterator[None]:
    report = await apply_topics(kafka_bootstrap, load_topics(SiltaSettings(topics_file=TOPICS_FILE)))
    assert report.ok, report.lines()
    APP.target = build_app(_settings(kafka_bootstrap))
    yield
    shutil.rmtree(_DIR, ignore_errors=True)


def _wait_until_ready(timeout: float = 60.0) -> None:
    """Schemathesis starts the app's lifespan at a test's first request and ends it with
    the test; a request sent before the producer has connected gets a (correct) 503 that
    the not-a-server-error check would count. So each test first waits, through the same
    client (the same lifespan), until the gateway says it is ready."""
    deadline = time.monotonic() + timeout
    with asgi.get_client(APP) as client:
        while (answer := client.get("/ready")).status_code != 200:
            assert time.monotonic() < deadline, f"the gateway never became ready: {answer.text}"
            time.sleep(0.25)


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_gateway_conforms_to_its_schema(case: schemathesis.Case) -> None:
    _wait_until_ready()
    source = (case.path_parameters or {}).get("source")
    token = TOKENS.get(source, TOKENS[f"fhir-{_SUFFIX}"]) if isinstance(source, str) else \
        TOKENS[f"fhir-{_SUFFIX}"]
    # /ready answers a documented 503 while the producer (re)connects; that is its job.
    excluded = [not_a_server_error] if case.path == "/ready" else []
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                           excluded_checks=excluded)
