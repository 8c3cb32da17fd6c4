"""What the integrity checks cost in the adapters: the name check (a code holding a word
of a name the message carries) and the JSON depth check, against the same translation
with both switched off, in one process and one run (ratios, since machines are noisy).

    .venv/bin/python -m bench.checks        (writes bench/results/checks.json)

Each sample is translate + serialise every event (what ingest does with each message).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adapters.base as base
import adapters.fhir_r4
import adapters.hl7v2
import adapters.social
from adapters.base import SourceInfo
from bench.timing import environment, per_op_seconds, pin_one_core, write

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SOURCE = SourceInfo("bench", "health", dt.datetime(2025, 11, 3, tzinfo=dt.UTC))
SAMPLES = {
    "hl7v2": ["oru_r01_v251.hl7", "adt_a01_v251.hl7"],
    "fhir": ["bundle-collection.json", "observation.json"],
    "social": ["client-data-recorded.json", "decision-granted.json"],
}
_MODULES = {"hl7v2": adapters.hl7v2, "fhir": sys.modules["adapters.fhir_r4.translate"],
            "social": sys.modules["adapters.social.translate"]}


MODES = {"none": (False, False), "names": (True, False), "both": (True, True)}


@contextmanager
def checks(names: bool, depth: bool) -> Iterator[None]:
    """Switch the checks off by replacing them where the adapters look them up."""
    saved = [(m, m.refuse_names) for m in _MODULES.values()], base.check_depth
    try:
        if not names:
            for module in _MODULES.values():
                module.refuse_names = lambda events, _names, _at: events  # type: ignore[attr-defined]
        if not depth:
            base.check_depth = lambda value, limit=0: None  # type: ignore[assignment]
        yield
    finally:
        for module, original in saved[0]:
            module.refuse_names = original  # type: ignore[attr-defined]
        base.check_depth = saved[1]


def _ingest_work(translate: Callable[[bytes, SourceInfo], Any]) -> Callable[[bytes], Any]:
    return lambda data: [event.value() for event in translate(data, SOURCE)]


def main() -> None:
    core = pin_one_core()
    results: dict[str, Any] = {}
    for fmt, files in SAMPLES.items():
        translate: Callable[[bytes, SourceInfo], Any] = _MODULES[fmt].translate
        for name in files:
            data = (DATA / fmt / name).read_bytes()
            seconds: dict[str, float] = {}
            for _ in range(7):  # modes interleaved, best of each: drift hits all alike
                for mode, (names, depth) in MODES.items():
                    with checks(names, depth):
                        took = per_op_seconds(_ingest_work(translate), [data], rounds=1)
                    seconds[mode] = min(seconds.get(mode, took), took)
            results[name] = {
                "without_checks_us": round(seconds["none"] * 1e6, 1),
                "with_checks_us": round(seconds["both"] * 1e6, 1),
                "name_check_ratio": round(seconds["names"] / seconds["none"], 3),
                "both_checks_ratio": round(seconds["both"] / seconds["none"], 3),
            }
            r = results[name]
            print(f"{name:<28} {r['without_checks_us']:>8.1f} µs without checks, "
                  f"x{r['name_check_ratio']:.2f} with the name check, "
                  f"x{r['both_checks_ratio']:.2f} with both")
    path = write("checks", {"environment": environment() | {"pinned_core": core},
                            "results": results})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
