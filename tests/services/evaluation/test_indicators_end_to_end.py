"""The deadline indicators equal the simulator's truth: simulated traffic (re-sends on, no
malformed share, disclosure bans on) through the real ingest and timeline services on the
real broker into a SQLite store, then the indicators over the store. The simulator plans
every deadline and knows whether it was met; Silta sees only the events.

The timeline's policy keeps documents under a disclosure ban off the timeline, so the
indicators must equal the simulator's visible truth (`deadlines_visible`): cases opened
by a banned document are not there, and a step taken in a banned document never came.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.evaluation import Timeline
from services.evaluation.indicators import Options, indicators
from services.ingest.app import build_app as ingest_app
from services.simulate import SimConfig, Simulation, build, summarise
from services.simulate.summary import translate
from services.timeline.app import build_app as timeline_app
from services.timeline.policy import Policy
from tests.services.test_pipeline import running, send, store_count
from tests.support.messages import expected_timeline, from_simulation
from tests.support.pipeline import ingest_settings, make_topics, timeline_settings

pytestmark = pytest.mark.kafka
INDICATOR = {"cw-decision-7wd": "child-welfare.decision-7wd",
             "cw-assessment-3m": "child-welfare.assessment-3m",
             "older-assessment-7wd": "service-need.assessment-start-7wd-75plus"}


async def test_deadline_indicators_equal_the_simulators_truth(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path)
    sources = {fmt: topics.source_id(fmt) for fmt in ("hl7v2", "fhir", "social")}
    # 130 days: some three-month assessments are still open when the span ends
    config = SimConfig(clients=48, seed=2, days=130, malformed_share=0,
                       duplicate_share=0.08, disclosure_ban_share=0.25, sources=sources)
    sim = build(config)
    summary = summarise(sim.messages, sim.deadlines)
    truth = summary.deadlines_visible
    assert all(truth[k]["met"] and truth[k]["missed"] for k in INDICATOR), truth
    assert truth["cw-assessment-3m"]["open"] > 0
    # the bans matter here: whole cases are off the timeline, and a step of a visible
    # case is too (that case counts as open or missed, not met)
    planned = summary.deadlines
    assert all(sum(truth[k].values()) < sum(planned[k].values()) for k in INDICATOR)
    banned = _banned_documents(sim)
    assert any(d.opening not in banned and d.step in banned and d.met for d in sim.deadlines)
    messages = from_simulation(list(sim.messages))
    expected = expected_timeline(messages, topics)
    store_url = f"sqlite:///{tmp_path}/timeline.sqlite3"
    await send(kafka_bootstrap, topics, messages)
    async with running(ingest_app(ingest_settings(kafka_bootstrap, topics)),
                       timeline_app(timeline_settings(kafka_bootstrap, topics, store_url))):
        stored = await store_count(store_url, len(expected.entry_ids))
    assert stored == len(expected.entry_ids)

    timeline = Timeline.from_store(store_url)
    records = indicators(timeline.con, timeline.current(),
                         Options(until=config.end, min_cell=1))
    found = {r.indicator: r for r in records if r.group is None}
    for kind, counts in truth.items():
        record = found[INDICATOR[kind]]
        assert record.numerator is not None and record.denominator is not None
        assert {"met": record.numerator, "missed": record.denominator - record.numerator,
                "open": record.open} == counts, kind


def _banned_documents(sim: Simulation) -> set[str]:
    """The social documents the timeline's policy keeps off it."""
    return {m.key.decode() for m in sim.messages if m.kind == "valid" and m.fmt == "social"
            and any(Policy().decide(e).reason == "disclosure-ban" for e in translate(m))}
