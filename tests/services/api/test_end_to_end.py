"""One person's FHIR and social-care records in through the HTTP ingest gateway, through
the real ingest and timeline services, and out through the query API: the API shows
exactly the timeline the pure pieces predict, under one pseudonym, audited, and nothing
identifying comes back."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import AsyncExitStack
from pathlib import Path

from contracts.hetu import make_hetu
from services.ingest.app import build_app as ingest_app
from services.timeline.app import build_app as timeline_app
from services.timeline.store import open_store
from tests.services.api.support import READER, api, bearer
from tests.services.gateways.http.support import Tokens, auth, gateway, gateway_settings
from tests.support.messages import PERSON_FILES, expected_timeline, person_messages
from tests.support.pipeline import (
    ingest_settings,
    make_topics,
    read_all,
    timeline_settings,
    wait_for,
)

HETU = make_hetu(dt.date(1979, 11, 23), 951, "-")


async def test_http_in_api_out(kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    tokens = Tokens(topics)
    files = {fmt: PERSON_FILES[fmt] for fmt in ("fhir", "social")}
    messages = person_messages(HETU, files)
    expected = expected_timeline(messages, topics)
    assert len(expected.entry_ids) >= 6

    async with gateway(gateway_settings(kafka_bootstrap, topics, tokens)) as client:
        for message in messages:
            fhir = message.fmt == "fhir"
            response = await client.post(
                f"/ingest/{tokens.fhir_source if fhir else tokens.social_source}",
                content=message.payload,
                headers={"content-type": "application/fhir+json" if fhir else
                         "application/json", **auth(tokens.fhir if fhir else tokens.social)})
            assert response.status_code == 202, (message.name, response.text)

    store_url = f"sqlite:///{tmp_path}/timeline.sqlite3"
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(ingest_app(ingest_settings(kafka_bootstrap, topics)))
        await stack.enter_async_context(
            timeline_app(timeline_settings(kafka_bootstrap, topics, store_url)))
        await read_all(kafka_bootstrap, topics.timeline, expected=len(expected.entry_ids))
        store = open_store(store_url)
        await store.open()
        try:
            async def stored() -> bool:
                return await store.count() >= len(expected.entry_ids)
            assert await wait_for(stored, timeout=30)
        finally:
            await store.close()

    async with api(store_url) as client:
        [summary] = (await client.get("/clients", headers=bearer(READER))).json()["clients"]
        pseudonym = summary["client"]
        page = await client.get(f"/clients/{pseudonym}/timeline", headers=bearer(READER),
                                params={"include_history": "true", "limit": 500})
        assert page.status_code == 200
        entries = page.json()["entries"]
        assert {e["entry_id"] for e in entries} == expected.entry_ids
        assert {e["sector"] for e in entries} == {"health", "social"}
        assert [e["sequence"] for e in entries] == list(range(1, len(entries) + 1))
        one = await client.get(f"/entries/{entries[0]['entry_id']}", headers=bearer(READER))
        assert one.json()["client"] == pseudonym
        audit = await client.get("/audit", headers=bearer(READER))
        assert audit.status_code == 403  # an evaluator cannot read the audit log
    assert not re.search(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y]", page.text + one.text)
    assert HETU not in page.text
