"""Throughput of the FHIR R4 adapter, per core: events per second from `translate()`.

    .venv/bin/python -m bench.fhir_r4        (writes bench/results/fhir_r4.json)

Inputs are the golden inputs in tests/data/fhir/: every single-resource case, and a
20-entry collection Bundle (one Patient, 19 records referring to it by literal reference,
so reference resolution is measured too). For context, the same run times orjson.loads of
the inputs and fhir.resources R4B validation of the events' values (the test oracle,
which the adapter keeps out of its hot path; raw inputs are not all strict FHIR).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import orjson
from fhir.resources.R4B import get_fhir_model_class

from adapters.base import SourceInfo
from adapters.fhir_r4 import ADAPTER_VERSION, translate
from bench.timing import environment, per_op_seconds, pin_one_core, write

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "fhir"
SOURCE = SourceInfo("bench-fhir", "health", dt.datetime(2025, 11, 3, 12, tzinfo=dt.UTC))


def single_resources() -> list[bytes]:
    return [p.read_bytes() for p in sorted(DATA.glob("*.json")) if not p.stem.startswith("bundle")]


def bundle_of_20() -> bytes:
    """A Patient and 19 records of every kind, each with its own id, all about that Patient."""
    patient = json.loads((DATA / "patient.json").read_text())
    records = [json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))
               if not p.stem.startswith(("bundle", "patient"))]
    entries: list[dict[str, Any]] = [{"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000000",
                                      "resource": patient}]
    for index in range(19):
        record = copy.deepcopy(records[index % len(records)])
        record["id"] = f"rec-{index}"
        key = {"EpisodeOfCare": "patient", "Task": "for"}.get(record["resourceType"], "subject")
        record[key] = {"reference": "Patient/p-1"}
        entries.append({"resource": record})
    return orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def oracle(data: bytes) -> object:
    value = orjson.loads(data)
    return get_fhir_model_class(value["resourceType"]).model_validate(value)


def main() -> None:
    core = pin_one_core()
    singles, bundle = single_resources(), bundle_of_20()
    bundle_events = len(translate(bundle, SOURCE))
    single_s = per_op_seconds(lambda d: translate(d, SOURCE), singles)
    bundle_s = per_op_seconds(lambda d: translate(d, SOURCE), [bundle])
    loads_s = per_op_seconds(orjson.loads, singles)
    values = [event.value() for data in singles for event in translate(data, SOURCE)]
    oracle_s = per_op_seconds(oracle, values, rounds=3)
    results = {
        "benchmark": "fhir_r4", "adapter_version": ADAPTER_VERSION,
        "environment": {**environment(), "pinned_core": core},
        "single_resource": {"inputs": len(singles), "us_per_message": single_s * 1e6,
                            "events_per_s_per_core": 1 / single_s},
        "bundle_20_entries": {"events_per_message": bundle_events,
                              "us_per_message": bundle_s * 1e6,
                              "events_per_s_per_core": bundle_events / bundle_s},
        "context": {"orjson_loads_us": loads_s * 1e6,
                    "fhir_resources_R4B_validate_us": oracle_s * 1e6,
                    "translate_vs_oracle_speedup": oracle_s / single_s},
    }
    path = write("fhir_r4", results)
    print(f"single resource: {single_s * 1e6:8.1f} us/message  {1 / single_s:8.0f} events/s/core")
    print(f"20-entry bundle: {bundle_s * 1e6:8.1f} us/message  "
          f"{bundle_events / bundle_s:8.0f} events/s/core ({bundle_events} events)")
    print(f"context: orjson.loads {loads_s * 1e6:.1f} us, fhir.resources R4B validate "
          f"{oracle_s * 1e6:.1f} us ({oracle_s / single_s:.1f}x translate)")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
