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


HELP = ((SILTA + "service-kind", "open-care-support"),)
PRICES = ("item,activity,unit,cost_eur,year,source,assumption\n"
          "emergency,encounter:EMER,visit,100,2024,test,\n"
          "support,service:open-care-support,day,10,2024,test,\n")


def grouped(tmp: Path, min_cell: int) -> dict[tuple[str, str | None], IndicatorRecord]:
    """Three 13-17-year-olds: two emergency visits (28.2., 1.3.), a notification (3.3.),
    the decision (10.3.) and ten days of support (20.-29.3.): 2 * 100 + 10 * 10 = 300 €.
    Four 7-12-year-olds: a notification and the decision, nothing priced."""
    clients = []
    for n in range(7):
        client = Client(f"c{n}", age_band="13-17" if n < 3 else "7-12")
        path(client, n < 3, "2025-03-20" if n < 3 else None)
        if n < 3:
            client.add("service.ended", at("2025-03-29"), "s1", task="22", codes=HELP)
        clients.append(client)
    prices = tmp / "prices.csv"
    prices.write_text(PRICES)
    con, current = view(tmp, *clients)
    options = Options(until=dt.date(2026, 1, 1), min_cell=min_cell, by="age_band",
                      unit_costs=prices)
    return {(r.indicator, r.group): r for r in indicators(con, current, options)
            if r.indicator.startswith(("paths.", "costs."))}


A = "variant=health:EMER > notification.received > decision.made > service:open-care-support"
B = "variant=notification.received > decision.made"


def test_paths_and_their_costs_by_group(tmp_path: Path) -> None:
    out = grouped(tmp_path, min_cell=1)

    def share(group: str | None) -> tuple[int | None, int | None]:
        record = out[("paths.variant", group)]
        return record.numerator, record.denominator

    assert share(A) == (3, 7) and share(B) == (4, 7)
    assert share(f"{A},age_band=13-17") == (3, 3) and share(f"{A},age_band=7-12") == (0, 4)
    assert share(f"{B},age_band=7-12") == (4, 4)
    assert out[("paths.variant", "age_band=7-12")].numerator == 4  # clients with a path
    cost = out[("costs.variant", A)]
    assert (cost.numerator, cost.value, cost.detail["total_eur"]) == (3, 300.0, 900.0)
    assert out[("costs.variant", B)].value == 0.0
    assert out[("costs.variant", f"{A},age_band=13-17")].value == 300.0
    to_service = out[("paths.first-contact-to-service", "age_band=13-17")]
    assert (to_service.numerator, to_service.denominator, to_service.value) == (3, 3, 20.0)
    none = out[("paths.first-contact-to-service", "age_band=7-12")]
    assert (none.numerator, none.denominator, none.value) == (0, 4, None)
    edge = "from=notification.received,to=decision.made"
    assert {g: (r.numerator, r.value) for (i, g), r in out.items()
            if i == "paths.follows" and g and g.startswith(edge)} == {
        edge: (7, 7.0), f"{edge},age_band=13-17": (3, 7.0), f"{edge},age_band=7-12": (4, 7.0)}
    client = out[("costs.client", None)]
    assert (client.numerator, client.denominator, client.value) == (3, 7, 300.0)
    assert out[("costs.client", "age_band=7-12")].numerator == 0


def test_a_variants_cost_goes_with_its_count(tmp_path: Path) -> None:
    # Both variants are under 5 clients: neither is named, and the groups' counts of the
    # other variants (3 and 4) are withheld, with their costs.
    out = grouped(tmp_path, min_cell=5)
    assert not any(g and g.startswith((A, B)) for _, g in out)
    other = "variant=(other variants)"
    for group in ("age_band=13-17", "age_band=7-12"):
        share = out[("paths.variant", f"{other},{group}")]
        cost = out[("costs.variant", f"{other},{group}")]
        assert share.numerator is None and cost.numerator is None and cost.value is None
        assert "numerator" in share.suppressed and "numerator" in cost.suppressed
    assert out[("paths.variant", other)].numerator == 7
