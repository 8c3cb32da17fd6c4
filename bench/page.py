"""The timeline page in headless Chromium: time to first render of one client's swimlane,
of one zoom step, and of "whole timeline", for clients with 50, 500 and 5,000 entries,
against the 50-entry client in the same run (ratios, since machines are noisy).

    .venv/bin/python -m bench.page [--rounds 3]        (writes bench/results/page.json)

The query API runs under uvicorn in this process on a seeded SQLite store; Chromium is
Debian's (/usr/bin/chromium), driven by Playwright. First render is from setting the
page's address to the client until the page has drawn it (a long timeline opens on its
latest 500 entries): it includes fetching the timeline in pages of 500 (each read
audited) and drawing. Zoom and whole are one click on "zoom in" or "whole timeline" until
the browser has painted twice (two animation frames).
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


async def seeded(path: Path) -> tuple[str, dict[int, str]]:
    url = f"sqlite:///{path / 'timeline.sqlite3'}"
    store = open_store(url)
    await store.open()
    clients = {size: f"{size:032x}" for size in SIZES}
    try:
        for size, client in clients.items():
            await store.upsert(client_entries(client, size))
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


CLICK = """async (button) => {
  const started = performance.now();
  document.getElementById(button).click();
  await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  return performance.now() - started;
}"""


async def measure(rounds: int) -> dict[str, Any]:
    from tests.services.api.support import served

    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as folder:
        url, clients = await seeded(Path(folder))
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
            await browser.close()
    base_size = results[str(SIZES[0])]
    for row in results.values():
        row["first_render_ratio"] = round(row["first_render_ms"] / base_size["first_render_ms"], 2)
        row["zoom_ratio"] = round(row["zoom_ms"] / base_size["zoom_ms"], 2)
        row["whole_ratio"] = round(row["whole_ms"] / base_size["whole_ms"], 2)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(measure(args.rounds))
    print(f"{'entries':>8} {'first render ms':>16} {'x50':>6} {'zoom ms':>9} {'x50':>6} "
          f"{'whole ms':>9} {'x50':>6}")
    for size, row in results.items():
        print(f"{size:>8} {row['first_render_ms']:>16.0f} {row['first_render_ratio']:>6} "
              f"{row['zoom_ms']:>9.1f} {row['zoom_ratio']:>6} {row['whole_ms']:>9.0f} "
              f"{row['whole_ratio']:>6}")
    path = write("page", {"environment": environment(), "rounds": args.rounds,
                          "baseline": f"{SIZES[0]} entries", "clients": results})
    print(f"written {path}")


if __name__ == "__main__":
    main()
