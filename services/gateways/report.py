"""The conformance report per source (`silta contracts report`): what each source sent and
what became of it, for its vendor and the platform team. Pure: dead letters and metrics
text in, a report out (the CLI reads the topic and scrapes /metrics).

Two origins, kept apart because they count differently:
- the gateways' /metrics (`silta_mllp_acks_total`, `silta_http_ingest_*`): accepted and
  rejected by code, counted since each gateway started;
- the dead-letter topic: what was kept with its reason, by stage, code and location, for
  the chosen period (`since`). The MLLP gateway's AE are here (stage `mllp-gateway`), and
  what ingest or the timeline could not process.
Policy drops are counted by the timeline service by reason, not by source.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from services.deadletter import DeadLetter
from services.kafka.topics import TopicsFile

_ACCEPTED = {("silta_mllp_acks_total", "AA"), ("silta_http_ingest_accepted_total", "")}


def _samples(texts: Iterable[str]) -> list[tuple[str, dict[str, str], float]]:
    return [(sample.name, sample.labels, sample.value) for text in texts
            for family in text_string_to_metric_families(text) for sample in family.samples]


def build_report(spec: TopicsFile, letters: Sequence[DeadLetter], metrics: Iterable[str],
                 since: dt.datetime | None = None, only: str | None = None) -> dict[str, Any]:
    """The report as data: one entry per source (or only `only`), and the policy drops."""
    sources = {s.id: s for s in spec.sources if only is None or s.id == only}
    by_topic = {s.topic: s.id for s in sources.values()}
    accepted: Counter[str] = Counter()
    rejected: dict[str, Counter[str]] = {s: Counter() for s in sources}
    policy: Counter[str] = Counter()
    for name, labels, value in _samples(metrics):
        source = labels.get("source", "")
        if name == "silta_policy_dropped_records_total":
            policy[labels.get("reason", "")] += int(value)
        elif source not in sources:
            continue
        elif (name, labels.get("code", "")) in _ACCEPTED:
            accepted[source] += int(value)
        elif name == "silta_mllp_acks_total" and labels.get("code") in ("AE", "AR"):
            rejected[source][labels.get("reason", "")] += int(value)
        elif name == "silta_http_ingest_rejected_total":
            rejected[source][labels.get("code", "")] += int(value)
    kept: dict[str, Counter[tuple[str, str, str]]] = {s: Counter() for s in sources}
    floor = since.timestamp() * 1000 if since is not None else None
    for letter in letters:
        owner = by_topic.get(letter.source_topic)
        if owner is None or (floor is not None and letter.timestamp_ms < floor):
            continue
        c = letter.context
        kept[owner][(c.get("stage", ""), c.get("code", ""), c.get("location", ""))] += 1
    return {
        "since": since.isoformat() if since is not None else None,
        "sources": [{
            "source": s.id, "format": s.format, "topic": s.topic,
            "accepted": accepted[s.id],
            "rejected": [{"code": code, "count": n}
                         for code, n in sorted(rejected[s.id].items()) if n],
            "dead_lettered": [{"stage": stage, "code": code, "location": location, "count": n}
                              for (stage, code, location), n in sorted(kept[s.id].items())],
        } for s in sources.values()],
        "policy_held": dict(sorted(policy.items())),
    }


def render(report: dict[str, Any]) -> str:
    """The report as a plain-text table."""
    since = report["since"] or "the start of the dead-letter topic"
    lines = [f"conformance per source (dead letters since {since}; gateway counts since "
             "each gateway started)"]
    for entry in report["sources"]:
        rejected = sum(r["count"] for r in entry["rejected"])
        kept = sum(d["count"] for d in entry["dead_lettered"])
        lines.append(f"\n{entry['source']} ({entry['format']}): accepted {entry['accepted']}, "
                     f"rejected {rejected}, dead-lettered {kept}")
        for r in entry["rejected"]:
            lines.append(f"  rejected      {r['count']:>7}  {r['code']}")
        for d in entry["dead_lettered"]:
            where = d["location"] or "(message)"
            lines.append(f"  dead-lettered {d['count']:>7}  {d['code']} at {where} "
                         f"[{d['stage']}]")
    held = report["policy_held"]
    lines.append("\npolicy-held (all sources): " + (", ".join(
        f"{reason} {n}" for reason, n in held.items()) if held else "none counted"))
    return "\n".join(lines)
