"""What the gateway writes is what ingest consumes: a message sent over MLLP becomes
contract events. A store-and-forward source (`mllp_ack_after=storage`) gets AA for a
message with a translation problem too, and ingest dead-letters it."""

from __future__ import annotations

from services.gateways.mllp import MllpSettings
from services.ingest.app import build_app as ingest_app
from tests.services.gateways.mllp.conftest import StartGateway
from tests.services.gateways.mllp.support import MllpClient, adt, golden
from tests.support.pipeline import PipelineTopics, ingest_settings, read_all


async def test_store_and_forward_records_are_translated_or_dead_lettered_by_ingest(
        start_gateway: StartGateway, settings: MllpSettings, topics: PipelineTopics,
        kafka_bootstrap: str) -> None:
    gateway = await start_gateway(settings.model_copy(update={"mllp_ack_after": "storage"}))
    good, bad = golden("adt_a01_v251"), adt("BADHETU9", hetu="010180-9001")
    client = await MllpClient.connect(gateway.port)
    assert (await client.request(good)).code == "AA"
    assert (await client.request(bad)).code == "AA"
    await client.close()
    async with ingest_app(ingest_settings(kafka_bootstrap, topics)):
        events = await read_all(kafka_bootstrap, topics.events, expected=3, settle=1.0)
        letters = await read_all(kafka_bootstrap, topics.deadletter, expected=1, settle=0.5)
    assert {dict(e.headers)["ce_source"] for e in events} == {
        f"urn:silta:source:{topics.source_id('hl7v2')}".encode()}
    assert len(events) == 3  # encounter.started + 2 diagnoses
    assert [letter.value for letter in letters] == [bad]
    assert dict(letters[0].headers)["silta-dl-code"].startswith(b"identity")
    assert dict(letters[0].headers)["silta-dl-stage"] == b"ingest"
