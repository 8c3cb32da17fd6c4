"""`silta export` on bad input: each problem a one-line error naming what and where, exit
code 2, and nothing half-written (a failed run leaves the previous export as it was)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from deploy.local.broker import free_port
from services.api.app import build_app as api_app
from services.errors import SourceError
from services.evaluation.exports import STATE, export
from services.evaluation.readers import ApiReader, ParquetReader, StoreReader, run
from services.timeline.store import open_store
from tests.services.api.support import UNKNOWN, api_settings, entry, seed_entries


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/t.sqlite3"

    async def seed() -> None:
        store = open_store(url)
        await store.open()
        await store.upsert(seed_entries())
        await store.close()
    asyncio.run(seed())
    return url


def silta(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (its error handling lives in `main`)."""
    return subprocess.run([sys.executable, "-m", "services.cli.main", *args], text=True,
                          capture_output=True, timeout=120,
                          env={**os.environ, **{f"SILTA_{k.upper()}": v for k, v in env.items()}})


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("silta: "), result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name]


def test_a_store_that_does_not_exist(tmp_path: Path) -> None:
    result = silta("export", "parquet", "--out", str(tmp_path / "p"),
                   store_url=f"sqlite:///{tmp_path}/missing.sqlite3")
    one_line_error(result, "missing.sqlite3")
    assert not (tmp_path / "p").exists() and leftovers(tmp_path) == []


def test_an_unreachable_broker(tmp_path: Path) -> None:
    result = silta("export", "meds", "--out", str(tmp_path / "m"), "--from", "topic",
                   kafka_bootstrap=f"127.0.0.1:{free_port()}")
    one_line_error(result, "no Kafka broker answers at 127.0.0.1")
    assert leftovers(tmp_path) == []


def test_an_output_folder_holding_something_else(tmp_path: Path, store_url: str) -> None:
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("do not delete")
    one_line_error(silta("export", "parquet", "--out", str(out), store_url=store_url),
                   "holds other files")
    assert (out / "chapter1.tex").read_text() == "do not delete"
    assert silta("export", "parquet", "--out", str(tmp_path / "p"),
                 store_url=store_url).returncode == 0
    one_line_error(silta("export", "meds", "--out", str(tmp_path / "p"), store_url=store_url),
                   "holds a parquet export")


def test_a_wrong_token_is_named(store_url: str) -> None:
    service = api_app(api_settings(store_url))

    async def read() -> None:
        async with service.router.lifespan_context(service):
            reader = ApiReader("http://api", "not-a-token", httpx.ASGITransport(app=service))
            await reader.read(None, lambda entries: None)

    with pytest.raises(SourceError, match="refused the token"):
        asyncio.run(read())


def test_a_corrupted_parquet_file_is_named(tmp_path: Path, store_url: str) -> None:
    out = tmp_path / "p"
    export(StoreReader(store_url), out, "parquet")
    part = next(out.glob("sector=health/*.parquet"))
    part.write_bytes(b"PAR1 this is not parquet")
    with pytest.raises(SourceError, match=part.name):
        run(ParquetReader(out).read(None, lambda entries: None))


def test_a_failed_run_leaves_the_previous_export(tmp_path: Path, store_url: str) -> None:
    out = tmp_path / "p"
    before = export(StoreReader(store_url), out, "parquet")
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    class Broken:
        description = before["source"]

        async def read(self, position: Any, sink: Any) -> Any:
            sink([])
            raise SourceError("the store went away")

    with pytest.raises(SourceError):
        export(Broken(), out, "parquet")
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files
    assert leftovers(tmp_path) == []


def test_follow_keeps_the_export_current(store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "p"
    follower = subprocess.Popen(
        [sys.executable, "-m", "services.cli.main", "export", "parquet", "--out", str(out),
         "--follow", "1"], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "SILTA_STORE_URL": store_url})
    watchdog = threading.Timer(60, follower.kill)  # a follower that never prints fails, not hangs
    watchdog.start()
    try:
        first = follower.stdout.readline() if follower.stdout else ""
        assert "parquet export" in first, first
        before = json.loads((out / STATE).read_text())["current_rows"]

        async def more() -> None:
            store = open_store(store_url)
            await store.open()
            await store.upsert([entry(UNKNOWN, 1, "health", "encounter.started")])
            await store.close()
        asyncio.run(more())
        second = follower.stdout.readline() if follower.stdout else ""
        assert "read 1 new entries" in second, second
        assert json.loads((out / STATE).read_text())["current_rows"] == before + 1
    finally:
        watchdog.cancel()
        follower.terminate()
        follower.wait(30)
