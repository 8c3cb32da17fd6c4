"""Scale-out: the pipeline with 1, 2 and 3 ingest instances in one consumer group.

    .venv/bin/python -m bench.scaleout [--clients 600] [--instances 1 2 3]
                                                  (writes bench/results/scaleout.json)

Each configuration runs on fresh topics (6 partitions per topic) with one timeline
instance, measured in steady state like bench/pipeline.py: wall-clock entries per second
and entries per CPU-second of all service processes together.

On a machine with 2 cores (this one, shared) more instances cannot run faster: a second
and third ingest process compete for the same cores, so what this shows is the cost of
scaling out (more group members, producers and transactions per record: CPU per entry),
not the speed-up, which needs cores (or machines) for the instances to run on. The
consumer group spreads the 18 raw partitions over the instances either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from bench.pipeline import measure_pipeline
from bench.running import broker, stamp
from bench.timing import environment, write
from services.simulate import SimConfig, generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=600)
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    messages = generate(SimConfig(clients=args.clients, seed=3))
    runs = []
    with broker() as kafka, tempfile.TemporaryDirectory(prefix="silta-bench-") as tmp:
        for instances in args.instances:
            runs.append(asyncio.run(measure_pipeline(kafka, messages, Path(tmp),
                                                     ingest_instances=instances)))
    base = runs[0]
    result = {
        "benchmark": "pipeline.scale_out", "measured_at": stamp(),
        "environment": {**environment(), "broker": kafka.note},
        "clients": args.clients, "source_messages": len(messages), "runs": runs,
        "relative_to_first": [{
            "ingest_instances": run["ingest_instances"],
            "wall_throughput": round(run["entries_per_second_wall"]
                                     / base["entries_per_second_wall"], 2),
            "cpu_per_entry": round(base["entries_per_cpu_second"]
                                   / run["entries_per_cpu_second"], 2),
        } for run in runs],
        "note": "2 shared cores: more instances add overhead (CPU per entry), not speed",
    }
    path = write("scaleout", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
