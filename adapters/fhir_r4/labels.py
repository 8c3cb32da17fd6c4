"""Security labels: keep the ones Silta understands, translate the common foreign ones.

Kept as they are: Silta's own label system and the register codings (patient register,
social-welfare register). Recognised and mapped to Silta's TURVAKIELTO: the HL7 Finland
base-profile label TURVAKIELTO, and HL7 v3 Confidentiality R (restricted) and V (very
restricted), because over-labelling only hides data while under-labelling may expose a
person in danger. Every other coding is dropped (minimisation).
"""

from __future__ import annotations

from typing import Any

from contracts import systems

FI_BASE_SECURITY_LABEL = "https://hl7.fi/fhir/finnish-base-profiles/CodeSystem/fi-base-security-label-cs"
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
_KEPT = frozenset({systems.SECURITY_LABEL, *systems.REGISTER_SYSTEMS})
TURVAKIELTO_CODING = {"system": systems.SECURITY_LABEL, "code": systems.TURVAKIELTO}


def _mapped(coding: Any) -> dict[str, Any] | None:
    if not isinstance(coding, dict):
        return coding  # not a coding at all: the contract reports it at its pointer
    system, code = coding.get("system"), coding.get("code")
    if isinstance(system, str) and system in _KEPT:
        return coding
    if system == FI_BASE_SECURITY_LABEL and isinstance(code, str) and \
            code.upper() == systems.TURVAKIELTO:
        return dict(TURVAKIELTO_CODING)
    if system == V3_CONFIDENTIALITY and code in ("R", "V"):
        return dict(TURVAKIELTO_CODING)
    return None


def security_labels(codings: Any) -> Any:
    """The kept and mapped labels, duplicates removed; None when nothing is left."""
    if not isinstance(codings, list):
        return codings
    out: list[Any] = []
    for coding in codings:
        mapped = _mapped(coding)
        if mapped is not None and mapped not in out:
            out.append(mapped)
    return out or None


def has_turvakielto(codings: Any) -> bool:
    labels = security_labels(codings)
    return isinstance(labels, list) and TURVAKIELTO_CODING in [
        {"system": c.get("system"), "code": c.get("code")} for c in labels if isinstance(c, dict)]


def add_turvakielto(resource: dict[str, Any]) -> None:
    meta = resource.setdefault("meta", {})
    if not isinstance(meta, dict):
        return
    labels = meta.get("security")
    labels = labels if isinstance(labels, list) else []
    if not any(isinstance(c, dict) and c.get("system") == systems.SECURITY_LABEL
               and c.get("code") == systems.TURVAKIELTO for c in labels):
        meta["security"] = [*labels, dict(TURVAKIELTO_CODING)]
