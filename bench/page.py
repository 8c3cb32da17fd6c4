"""The timeline page in headless Chromium: time to first render of one client's swimlane,
of one zoom step, and of "whole timeline", for clients with 50, 500 and 5,000 entries,
against the 50-entry client in the same run (ratios, since machines are noisy); and the
dashboard's time to first render over a store of simulated clients.

    .venv/bin/python -m bench.page [--rounds 3] [--clients 200]   (writes bench/results/page.json)

The query API runs under uvicorn in this process on a seeded SQLite store; Chromium is
Debian's (/usr/bin/chromium), driven by Playwright. First render is from setting the
page's address to the client until the page has drawn it (a long timeline opens on its
latest 500 entries): it includes fetching the timeline in pages of 500 (each read
audited) and drawing. Zoom and whole are one click on "zoom in" or "whole timeline" until
the browser has painted twice (two animation frames).

The dashboard: `--clients` simulated clients (tests/services/api/simulated.py) in the
same store. First render is from opening #dashboard until every chart is drawn: loading
the charting library, the API computing every indicator and the deadline trend (DuckDB,
services/api/figures.py) and drawing. Then, as the baseline, the same figures once the API
keeps them: choosing a grouping computed before (a fetch answered from what the API kept,
and drawing) and opening the dashboard again (drawing only).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import secrets
import statistics
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from bench.timing import environment, write
from contracts.timeline import Code, TimelineEntry
from services.api.app import build_app
from services.api.settings import ApiSettings
from services.timeline.store import open_store

SIZES = (50, 500, 5000)
T0 = dt.datetime(2020, 1, 1, 8, tzinfo=dt.UTC)
ICD10 = "urn:oid:1.2.246.537.6.1"
TASK = Code(system="urn:oid:1.2.246.537.6.1221", code="22")
KINDS = (("health", "encounter.started"), ("health", "diagnosis.recorded"),
         ("health", "encounter.finished"), ("social", "notification.received"),
         ("social", "assessment.started"), ("social", "assessment.completed"))


def client_entries(client: str, count: int) -> list[TimelineEntry]:
    out = []
    for n in range(1, count + 1):
        sector, kind = KINDS[n % len(KINDS)]
        out.append(TimelineEntry(
            entry_id=secrets.token_hex(16), client=client, key_version="k1", sequence=n,
            sector=sector, kind=kind, event_type=f"fi.silta.{sector}.{kind}.v1",
            resource_type="Encounter" if sector == "health" else "Task", status="active",
            occurred_at=T0 + dt.timedelta(hours=7 * n), recorded_at=T0 + dt.timedelta(hours=7 * n),
            codes=[Code(system=ICD10, code="F10.2")],
            service_task=TASK if sector == "social" else None,
            source_ref=f"{client[:16]}{n // len(KINDS):016x}"))
    return out


async def seeded(path: Path, population: int) -> tuple[str, dict[int, str]]:
    from tests.services.api.simulated import simulated_entries

    url = f"sqlite:///{path / 'timeline.sqlite3'}"
    store = open_store(url)
    await store.open()
    clients = {size: f"{size:032x}" for size in SIZES}
    try:
        for size, client in clients.items():
            await store.upsert(client_entries(client, size))
        await store.upsert(simulated_entries(population))
    finally:
        await store.close()
    return url, clients


async def first_render(page: Page, client: str) -> float:
    await page.evaluate("location.hash = '#clients'")
    await page.wait_for_selector("#clients-view:not([hidden])")
    started = await page.evaluate("performance.now()")
    await page.evaluate(f"location.hash = '#client/{client}'")
    # Polled inside the page: Playwright's wait_for_function evaluates a string, which the
    # page's CSP (no unsafe-eval) refuses.
    return float(await page.evaluate(RENDERED, client)) - float(started)


RENDERED = """async (client) => {
  const done = () => document.getElementById("timeline").dataset.drawn === client;
  while (!done()) await new Promise((next) => requestAnimationFrame(next));
  return performance.now();
}"""


DASHBOARD = """async ([hash, choose]) => {
  const view = document.getElementById("dashboard-view");
  const started = performance.now();
  if (hash) location.hash = hash;
  if (choose) {
    const select = document.getElementById("dash-by");
    select.value = choose;
    select.dispatchEvent(new Event("change"));
  }
  while (view.dataset.drawn === undefined || view.hasAttribute("aria-busy") || view.hidden) {
    await new Promise((next) => requestAnimationFrame(next));
  }
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - started;
}"""


async def dashboard(page: Page, rounds: int) -> dict[str, Any]:
    """First render (the API computes), then renders of figures the API or page kept."""
    first = float(await page.evaluate(DASHBOARD, ["#dashboard", None]))
    await page.evaluate(DASHBOARD, [None, "sector"])  # computed once, kept from now on
    cached, reopened = [], []
    for n in range(rounds):
        cached.append(float(await page.evaluate(DASHBOARD, [None, "" if n % 2 == 0 else "sector"])))
        await page.evaluate("location.hash = '#clients'")
        await page.wait_for_selector("#clients-view:not([hidden])")
        reopened.append(float(await page.evaluate(DASHBOARD, ["#dashboard", None])))
    kept = statistics.median(cached)
    return {"first_render_ms": first, "kept_by_api_ms": kept,
            "reopened_ms": statistics.median(reopened),
            "first_render_ratio": round(first / kept, 2),
            "charts": await page.locator("#dashboard-view .chart svg").count()}


CLICK = """async (button) => {
  const started = performance.now();
  document.getElementById(button).click();
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - started;
}"""


async def measure(rounds: int, population: int) -> dict[str, Any]:
    from tests.services.api.support import served

    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as folder:
        url, clients = await seeded(Path(folder), population)
        settings = ApiSettings(store_url=url, log_level="WARNING", api_tokens=json.dumps(
            {token: {"actor": "bench:page", "scopes": ["timeline:read"]}}))
        async with served(build_app(settings)) as base, async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path="/usr/bin/chromium")
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.goto(f"{base}/ui/")
            await page.fill("#token", token)
            await page.click("#login button[type=submit]")
            await page.wait_for_selector("#clients-view:not([hidden])")
            results: dict[str, Any] = {}
            for size, client in clients.items():
                renders, zooms, wholes = [], [], []
                for _ in range(rounds):
                    renders.append(await first_render(page, client))
                    zooms.append(float(await page.evaluate(CLICK, "zoom-in")))
                    wholes.append(float(await page.evaluate(CLICK, "zoom-fit")))
                results[str(size)] = {"first_render_ms": statistics.median(renders),
                                      "zoom_ms": statistics.median(zooms),
                                      "whole_ms": statistics.median(wholes),
                                      "marks_drawn_after_zoom": await page.locator(
                                          "#timeline .vis-point.mark").count()}
            board = await dashboard(page, rounds)
            await browser.close()
    base_size = results[str(SIZES[0])]
    for row in results.values():
        row["first_render_ratio"] = round(row["first_render_ms"] / base_size["first_render_ms"], 2)
        row["zoom_ratio"] = round(row["zoom_ms"] / base_size["zoom_ms"], 2)
        row["whole_ratio"] = round(row["whole_ms"] / base_size["whole_ms"], 2)
    return {"clients": results, "dashboard": board}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=200,
                        help="simulated clients for the dashboard")
    args = parser.parse_args()
    measured = asyncio.run(measure(args.rounds, args.clients))
    results, board = measured["clients"], measured["dashboard"]
    print(f"{'entries':>8} {'first render ms':>16} {'x50':>6} {'zoom ms':>9} {'x50':>6} "
          f"{'whole ms':>9} {'x50':>6}")
    for size, row in results.items():
        print(f"{size:>8} {row['first_render_ms']:>16.0f} {row['first_render_ratio']:>6} "
              f"{row['zoom_ms']:>9.1f} {row['zoom_ratio']:>6} {row['whole_ms']:>9.0f} "
              f"{row['whole_ratio']:>6}")
    print(f"dashboard, {args.clients} simulated clients: first render "
          f"{board['first_render_ms']:.0f} ms (x{board['first_render_ratio']} the figures "
          f"the API kept, {board['kept_by_api_ms']:.0f} ms); opened again "
          f"{board['reopened_ms']:.0f} ms")
    path = write("page", {"environment": environment(), "rounds": args.rounds,
                          "baseline": f"{SIZES[0]} entries", "clients": results,
                          "dashboard": {"simulated_clients": args.clients,
                                        "baseline": "figures the API kept", **board}})
    print(f"written {path}")


if __name__ == "__main__":
    main()
