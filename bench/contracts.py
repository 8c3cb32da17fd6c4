"""Validation cost per message: our lean profiles vs. fhir.resources R4B, same messages.

    python -m bench.contracts        (writes bench/results/contracts.json)

Both sides validate the same JSON bytes into models. Ours also checks the envelope and the
profile rules, so the comparison is conservative. Target: ours >= 20x faster, with the
same verdicts on the example corpus.
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir.resources.R4B import get_fhir_model_class

from bench.timing import environment, per_op_seconds, pin_one_core, write
from contracts.catalogue import BY_TYPE
from contracts.events import ContractViolation, parse_event

EXAMPLES = Path(__file__).resolve().parents[1] / "contracts" / "examples" / "v1"


def corpus() -> list[tuple[dict[str, str], bytes, str]]:
    messages = []
    for path in sorted(EXAMPLES.glob("*.json")):
        message = json.loads(path.read_text())
        value = json.dumps(message["value"]).encode()
        messages.append((message["headers"], value, message["value"]["resourceType"]))
    return messages


def ours_value(item: tuple[dict[str, str], bytes, str]) -> object:
    return BY_TYPE[item[0]["ce_type"]].adapter.validate_json(item[1])


def ours_message(item: tuple[dict[str, str], bytes, str]) -> object:
    return parse_event(item[0], item[1])


def oracle(item: tuple[dict[str, str], bytes, str]) -> object:
    return get_fhir_model_class(item[2]).model_validate_json(item[1])


def verdicts(items: list[tuple[dict[str, str], bytes, str]]) -> tuple[int, int]:
    agree = 0
    for item in items:
        try:
            ours_message(item)
            ours_ok = True
        except ContractViolation:
            ours_ok = False
        try:
            oracle(item)
            theirs_ok = True
        except Exception:
            theirs_ok = False
        agree += ours_ok == theirs_ok
    return agree, len(items)


def main() -> None:
    core = pin_one_core()
    items = corpus()
    agree, total = verdicts(items)
    ours_v = per_op_seconds(ours_value, items)
    ours_m = per_op_seconds(ours_message, items)
    theirs = per_op_seconds(oracle, items)
    result = {
        "benchmark": "contracts.validate",
        "environment": {**environment(), "pinned_core": core},
        "messages": total,
        "same_verdicts": f"{agree}/{total}",
        "us_per_message": {
            "silta_value_only": round(ours_v * 1e6, 2),
            "silta_envelope_and_value": round(ours_m * 1e6, 2),
            "fhir_resources_r4b": round(theirs * 1e6, 2),
        },
        "messages_per_second_per_core": {
            "silta_envelope_and_value": round(1 / ours_m),
            "fhir_resources_r4b": round(1 / theirs),
        },
        "speedup_vs_fhir_resources": {
            "value_only": round(theirs / ours_v, 1),
            "envelope_and_value": round(theirs / ours_m, 1),
        },
        "target_speedup": 20,
    }
    path = write("contracts", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
