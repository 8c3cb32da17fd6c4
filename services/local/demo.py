"""`silta run --demo`: simulated traffic through the real gateways, then one client's
unified timeline read back through the query API.

HL7 v2 goes over MLLP with python-hl7's client (a sender nobody here wrote); FHIR and
social-care records go to the HTTP gateway. The expected timeline is computed up front
(services/timeline/preview.py), so progress is measured against a known total.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import zoneinfo
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from hl7.client import MLLPClient

from contracts import systems
from services.local.stack import Stack
from services.pseudonyms import Pseudonymiser
from services.simulate import SimConfig, SimMessage, generate
from services.timeline.preview import preview
from services.timeline.store import open_store

Say = Callable[[str], None]
HELSINKI = zoneinfo.ZoneInfo("Europe/Helsinki")
SHOWN = 30
SHORT_SYSTEMS = {
    systems.ICD10_FI: "ICD-10", systems.ICPC2: "ICPC-2", systems.LOINC: "LOINC",
    systems.THL_PROCEDURE: "THL", systems.PALVELUTEHTAVA: "palvelutehtävä",
    systems.PALVELUMUOTO: "palvelumuoto", systems.V3_ACT_CODE: "class",
    systems.OUTCOME_INSTRUMENT: "instrument", systems.ASSESSOR_ROLE: "by",
    systems.NOTIFICATION_KIND: "", systems.ASSESSMENT_KIND: "", systems.SERVICE_KIND: "",
    systems.DECISION_OUTCOME: "", systems.SPAT: "SPAT", systems.UCUM: "",
}


@dataclass
class Sent:
    total: int
    done: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)


def _send_mllp(stack: Stack, messages: list[SimMessage], sent: Sent) -> None:
    with MLLPClient("127.0.0.1", stack.mllp_port) as client:
        for message in messages:
            ack = client.send_message(message.payload)
            sent.outcomes["MLLP " + ("AA" if b"MSA|AA" in ack else "AE/AR")] += 1
            sent.done += 1


async def _send_http(stack: Stack, messages: list[SimMessage], sent: Sent) -> None:
    async with httpx.AsyncClient(base_url=stack.http_url, timeout=30) as client:
        for message in messages:
            response = await client.post(
                f"/ingest/{message.source_id}", content=message.payload,
                headers={"Authorization": f"Bearer {stack.http_tokens[message.source_id]}",
                         "Content-Type": "application/json"})
            sent.outcomes[f"HTTP {response.status_code}"] += 1
            sent.done += 1


async def feed(stack: Stack, clients: int, seed: int, say: Say, key: str) -> tuple[int, Sent]:
    """Send the simulated traffic; return the number of timeline entries to expect."""
    messages = generate(SimConfig(clients=clients, seed=seed))
    expected = preview(((m.fmt, m.source_id, m.payload) for m in messages),
                       Pseudonymiser(key.encode(), "k1"))
    by_format = Counter(m.fmt for m in messages)
    say(f"[3/4] demo traffic: {len(messages)} messages for {clients} synthetic clients "
        f"(HL7 v2 over MLLP {by_format['hl7v2']}, FHIR {by_format['fhir']} and social-care "
        f"{by_format['social']} over HTTP), including re-sends and malformed ones")
    sent = Sent(len(messages))
    await asyncio.gather(
        asyncio.to_thread(_send_mllp, stack, [m for m in messages if m.fmt == "hl7v2"], sent),
        _send_http(stack, [m for m in messages if m.fmt == "fhir"], sent),
        _send_http(stack, [m for m in messages if m.fmt == "social"], sent),
        _progress(stack, sent, len(expected.entry_ids), say),
    )
    say(f"      gateway answers: {', '.join(f'{k} x{v}' for k, v in sorted(sent.outcomes.items()))}")
    rejected = sum(v for k, v in sent.outcomes.items() if k.startswith("HTTP 4"))
    say(f"      {expected.failed} malformed messages: {rejected} refused by the HTTP gateway, "
        f"{expected.failed - rejected} kept on the dead-letter topic (`silta deadletter list`); "
        f"{expected.dropped} records stayed off the timeline by the security-label policy")
    return len(expected.entry_ids), sent


async def _progress(stack: Stack, sent: Sent, expected: int, say: Say) -> None:
    store = open_store(stack.store_url)
    await store.open()
    try:
        started, last = time.monotonic(), -1
        while True:
            count = await store.count()
            if count != last:
                say(f"      sent {sent.done}/{sent.total} · timeline entries {count}/{expected}")
                last = count
            if count >= expected and sent.done >= sent.total:
                return
            if time.monotonic() - started > 300:
                say("      timed out waiting for the timeline; showing what arrived")
                return
            await asyncio.sleep(1.0)
    finally:
        await store.close()


async def show_timeline(stack: Stack, say: Say) -> str:
    """Pick a client with both sectors and print their timeline as the API returns it."""
    headers = {"Authorization": f"Bearer {stack.api_token}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=30) as api:
        clients = (await api.get("/clients", params={"limit": 200})).raise_for_status().json()
        rows = clients.get("clients", clients) if isinstance(clients, dict) else clients
        both = [c for c in rows if c["health"] and c["social"]] or rows
        # A path that fits on a screen shows the joined timeline best.
        chosen = min(both, key=lambda c: (abs(c["health"] + c["social"] - SHOWN), c["client"]))
        entries: list[dict[str, Any]] = []
        params: dict[str, Any] = {"limit": 500}
        while True:
            page = (await api.get(f"/clients/{chosen['client']}/timeline", params=params)
                    ).raise_for_status().json()
            entries += page["entries"]
            if not page.get("next_cursor"):
                break
            params["cursor"] = page["next_cursor"]
    say(f"[4/4] client {chosen['client']} — {chosen['health']} health and "
        f"{chosen['social']} social entries, one pseudonym:")
    for line in _table(entries):
        say(line)
    say(f"\n      the same timeline as a page: {page_url(stack.api_url, chosen['client'])}\n"
        f"      the outcome indicators as a dashboard: {stack.api_url}/ui/#dashboard\n"
        "      log in with the query API token printed under `endpoints` below (it stays in "
        "the browser tab's memory, never in the address)")
    return str(chosen["client"])


def page_url(api_url: str, client: str) -> str:
    """The timeline page for one client; the pseudonym goes in the fragment, which the
    browser never sends to a server."""
    return f"{api_url}/ui/#client/{client}"


def _table(entries: list[dict[str, Any]]) -> list[str]:
    lines = [f"  {'when (Helsinki)':<17} {'sector':<7} {'kind':<27} {'status':<9} what",
             f"  {'-' * 17} {'-' * 7} {'-' * 27} {'-' * 9} {'-' * 40}"]
    for e in sorted(entries, key=lambda e: (e["occurred_at"], e["sequence"])):
        when = dt.datetime.fromisoformat(e["occurred_at"]).astimezone(HELSINKI)
        lines.append(f"  {when:%Y-%m-%d %H:%M} {e['sector']:<7} {e['kind']:<27} "
                     f"{e['status']:<9} {_what(e)}")
    return lines


def _what(entry: dict[str, Any]) -> str:
    codes = [c for c in entry.get("codes", []) if not c["system"].endswith("-category")]
    parts = [_code(c) for c in codes[:3]]
    value = entry.get("value") or {}
    if value.get("number") is not None:
        parts.append(f"= {value['number']:g} {value.get('unit') or ''}".rstrip())
    elif value.get("code"):
        parts.append(f"= {value['code']['code']}")
    return ", ".join(p for p in parts if p)[:70]


def _code(code: dict[str, str]) -> str:
    label = SHORT_SYSTEMS.get(code["system"], code["system"].rsplit("/", 1)[-1])
    return f"{label} {code['code']}".strip()
