"""Export speed and memory: N synthesised timeline entries (no pipeline) exported to
Parquet and to MEDS, each export in its own process so peak RSS is its own.

    .venv/bin/python -m bench.export [--counts 100000 1000000]   (writes bench/results/export.json)

Reported per count and format: entries/s and peak RSS (ru_maxrss of the child). Streaming
means peak RSS stays roughly flat from 10^5 to 10^6 entries; the ratio says so. The
baseline in the same run is writing the staged log alone (pyarrow, no fold, no DuckDB).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.timing import environment, write

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def synthesise(count: int) -> Iterator[list[Any]]:
    """Entries of count // 20 clients, with amendments and retractions, in batches."""
    from contracts.timeline import Code, TimelineEntry, Value

    batch: list[Any] = []
    for n in range(count):
        client, sequence = f"{n // 20:032x}", n % 20 + 1
        status = "amended" if sequence % 7 == 0 else "retracted" if sequence % 11 == 0 \
            else "active"
        corrects = f"{n - 1:032x}" if status != "active" else None
        batch.append(TimelineEntry(
            entry_id=f"{n:032x}", client=client, key_version="k1", sequence=sequence,
            sector="health" if n % 3 else "social", kind="observation.recorded",
            event_type="fi.silta.health.observation.recorded.v1", resource_type="Observation",
            status=status, corrects=corrects, occurred_at=T0 + dt.timedelta(minutes=n),
            recorded_at=T0, codes=[Code(system="http://loinc.org", code="1751-7")],
            value=Value(number=n % 50, unit="g/L"), source_ref=f"{n:032x}", age_band="75-84"))
        if len(batch) == 10_000:
            yield batch
            batch = []
    if batch:
        yield batch


class Synthetic:
    def __init__(self, count: int) -> None:
        self.count = count
        self.description = f"synthetic {count}"

    async def read(self, position: Any, sink: Any) -> Any:
        for batch in synthesise(self.count):
            sink(batch)
        return self.count


def child(fmt: str, count: int) -> None:
    """One measurement, in this process: prints seconds and peak RSS as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        if fmt == "log-only":
            import pyarrow.parquet as pq

            from services.evaluation.table import SCHEMA, to_batch
            with pq.ParquetWriter(Path(tmp) / "log.parquet", SCHEMA) as writer:
                for batch in synthesise(count):
                    writer.write_batch(to_batch(batch))
        else:
            from services.evaluation.exports import export
            export(Synthetic(count), Path(tmp) / "out", fmt)
        seconds = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": rss_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    results: dict[str, Any] = {}
    for count in args.counts:
        for fmt in ("log-only", "parquet", "meds"):
            done = subprocess.run([sys.executable, "-m", "bench.export", "--child", fmt,
                                   str(count)], capture_output=True, text=True)
            if done.returncode != 0:
                raise SystemExit(f"{fmt} at {count} entries failed:\n{done.stderr[-3000:]}")
            measured = json.loads(done.stdout.strip().splitlines()[-1])
            measured["entries_per_second"] = round(count / measured["seconds"])
            results[f"{fmt}:{count}"] = measured
            print(f"{fmt:>9} {count:>9} entries: {measured['entries_per_second']:>7} entries/s, "
                  f"peak RSS {measured['peak_rss_mb']:.0f} MB", flush=True)
    low, high = min(args.counts), max(args.counts)
    ratios = {fmt: round(results[f"{fmt}:{high}"]["peak_rss_mb"]
                         / results[f"{fmt}:{low}"]["peak_rss_mb"], 2)
              for fmt in ("log-only", "parquet", "meds")}
    print(f"peak RSS x{high // low} entries: {ratios}")
    path = write("export", {"environment": environment(), "results": results,
                            f"peak_rss_ratio_{high}_vs_{low}": ratios})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
