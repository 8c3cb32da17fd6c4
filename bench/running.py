"""Running and measuring Silta's services as processes on a broker, for the pipeline
benchmarks (pipeline.py, latency.py, scaleout.py).

Steady state: every measurement starts after a warm-up (the services started, joined
their groups, loaded their state, compiled their decoders and published the warm-up
traffic's entries, which the store also holds) and ends when the store holds the last
expected entry. CPU is read from /proc for each process at both ends, so start-up
(imports, connecting, group joins, state loading) falls outside the window, and so does
the benchmark's own producing and reading.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.local.isolated import PipelineTopics, produce
from services.pseudonyms import Pseudonymiser
from services.simulate.model import SimMessage
from services.timeline.preview import preview


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuWindow:
    """CPU seconds each named process spends between `start` and `stop`."""

    pids: dict[str, int]
    _started: dict[str, float] = field(default_factory=dict)
    _wall: float = 0.0

    def start(self) -> None:
        self._started = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._wall = time.monotonic()

    def stop(self) -> tuple[dict[str, float], float]:
        """(CPU seconds per process, wall seconds) since `start`."""
        wall = time.monotonic() - self._wall
        return {name: cpu_seconds(pid) - self._started[name]
                for name, pid in self.pids.items()}, wall


@dataclass(frozen=True)
class Broker:
    bootstrap: str
    note: str
    pid: int | None  # None for an external broker (its CPU is not measured)


@contextlib.contextmanager
def broker() -> Iterator[Broker]:
    """SILTA_KAFKA_BOOTSTRAP, or a throwaway local broker whose CPU can be measured."""
    from deploy.local.broker import LocalKafka, free_port

    if bootstrap := os.environ.get("SILTA_KAFKA_BOOTSTRAP"):
        yield Broker(bootstrap, "external (SILTA_KAFKA_BOOTSTRAP)", None)
        return
    local = LocalKafka(port=free_port(), run_dir=Path(tempfile.mkdtemp(prefix="silta-bench-")))
    seconds = local.up()
    try:
        yield Broker(local.bootstrap, f"local Apache Kafka {local.version} "
                                      f"(ready in {seconds:.1f}s)", local.pid())
    finally:
        local.down()


def entries_of(messages: Sequence[SimMessage], key: bytes) -> int:
    """How many timeline entries `messages` become (re-sends count once)."""
    return len(preview(((m.fmt, m.source_id, m.payload) for m in messages),
                       Pseudonymiser(key, "k1")).entry_ids)


def warm_up_split(messages: list[SimMessage], share: float = 0.05,
                  at_least: int = 1000) -> tuple[list[SimMessage], list[SimMessage]]:
    cut = max(at_least, int(len(messages) * share))
    return messages[:cut], messages[cut:]


async def produce_raw(bootstrap: str, topics: PipelineTopics,
                      messages: Sequence[SimMessage]) -> None:
    """Each message onto its format's raw topic, keyed as the simulator says."""
    for fmt in ("hl7v2", "fhir", "social"):
        await produce(bootstrap, topics.raw(fmt),
                      [(m.key, m.payload) for m in messages if m.fmt == fmt])


def store_count(path: Path) -> int:
    if not path.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        try:
            return int(db.execute("SELECT COUNT(*) FROM timeline_entries").fetchone()[0])
        except sqlite3.OperationalError:  # not migrated yet
            return 0


async def until_stored(path: Path, count: int, timeout: float = 900.0) -> int:
    """Wait until the store at `path` holds `count` entries; returns what it holds."""
    deadline = time.monotonic() + timeout
    held = store_count(path)
    while held < count and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        held = await asyncio.to_thread(store_count, path)
    return held


class Child:
    """A Python module run as a child process with its output in a log file."""

    def __init__(self, module: str, args: Sequence[str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", module, *args],
                                            stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def stamp() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
