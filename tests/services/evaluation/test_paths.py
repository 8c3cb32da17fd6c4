"""Service paths on hand-built timelines: variants (repeats collapsed, measurements not
steps), the directly-follows graph with median days, time to the first service, and rare
variants and edges kept unnamed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from contracts.indicators import IndicatorRecord
from services.evaluation.indicators import Options, indicators
from tests.services.evaluation.builders import SILTA, Client, at, view


def path(client: Client, emergency: bool, service_day: str | None) -> None:
    if emergency:
        client.emergency_visit("2025-02-28")
        client.emergency_visit("2025-03-01")  # the same activity again: one step
    client.child_notification("2025-03-03")
    client.decision("2025-03-10")
    client.measure("2025-03-11", "self", 4)   # not a step
    if service_day:
        client.add("service.started", at(service_day), "s1", task="22",
                   codes=((SILTA + "service-kind", "open-care-support"),))


def run(tmp: Path, *clients: Client, min_cell: int) -> list[IndicatorRecord]:
    con, current = view(tmp, *clients)
    options = Options(until=dt.date(2026, 1, 1), min_cell=min_cell)
    return [r for r in indicators(con, current, options) if r.indicator.startswith("paths.")]


def test_variants_edges_and_time_to_service(tmp_path: Path) -> None:
    clients = [Client(f"c{n}") for n in range(5)]
    path(clients[0], True, "2025-03-20")    # first contact 28.2., service 20.3.: 20 days
    path(clients[1], True, "2025-03-13")    # 13 days
    path(clients[2], False, "2025-03-13")   # 3.3. -> 13.3.: 10 days
    path(clients[3], False, None)
    path(clients[4], False, None)
    out = run(tmp_path, *clients, min_cell=1)
    variants = {r.group: r.numerator for r in out if r.indicator == "paths.variant"}
    assert variants == {
        None: 5, "variant=(other variants)": 0,
        "variant=notification.received > decision.made": 2,
        "variant=health:EMER > notification.received > decision.made > service:open-care-support": 2,
        "variant=notification.received > decision.made > service:open-care-support": 1}
    edges = {r.group: (r.numerator, r.value) for r in out if r.indicator == "paths.follows"}
    assert edges["from=notification.received,to=decision.made"] == (5, 7.0)
    assert edges["from=health:EMER,to=notification.received"] == (2, 3.0)
    assert edges["from=decision.made,to=service:open-care-support"] == (3, 3.0)
    assert len(edges) == 3
    to_service = next(r for r in out if r.indicator == "paths.first-contact-to-service")
    assert (to_service.numerator, to_service.denominator, to_service.value) == (3, 5, 13.0)


def test_rare_variants_and_edges_are_not_named(tmp_path: Path) -> None:
    clients = [Client(f"c{n}") for n in range(7)]
    for n, client in enumerate(clients):
        path(client, n == 0, None)          # one client's path differs
    out = run(tmp_path, *clients, min_cell=5)
    groups = {r.group for r in out}
    assert "variant=notification.received > decision.made" in groups
    assert not any(g and "EMER" in g for g in groups)
    other = next(r for r in out if r.group == "variant=(other variants)")
    assert other.numerator is None and "numerator" in other.suppressed
