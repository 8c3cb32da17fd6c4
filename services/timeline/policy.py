"""The security-label policy: what may reach the timeline, and in how much detail.

- Identified-only event types (the Patient) never reach it.
- A disclosure ban (luovutuskielto, Asiakastietolaki 703/2023) keeps the record off the
  timeline when `drop_disclosure_banned` is on: the timeline discloses across registers.
  A ban that arrives with a correction withdraws the earlier entry instead (it becomes a
  retraction), so a ban added later also takes the record back off the timeline.
- Turvakielto (non-disclosure for safety) keeps the record but drops where it happened
  (organisation, episode) when `coarsen_turvakielto` is on; the label travels with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import systems
from contracts.events import ContractEvent


@dataclass(frozen=True)
class Decision:
    keep: bool
    reason: str | None = None   # why it was dropped
    coarsen: bool = False
    withdraw: bool = False      # publish a retraction of the corrected entry instead

    @property
    def publishes(self) -> bool:
        """Something reaches the timeline: the entry, or the retraction a ban asks for."""
        return self.keep or self.withdraw


KEEP = Decision(True)


@dataclass(frozen=True)
class Policy:
    drop_disclosure_banned: bool = True
    coarsen_turvakielto: bool = True

    def decide(self, event: ContractEvent) -> Decision:
        if event.spec.restricted:
            return Decision(False, "restricted-type")
        labels = security_labels(event)
        if self.drop_disclosure_banned and systems.LUOVUTUSKIELTO in labels:
            return Decision(False, "disclosure-ban", withdraw=event.spec.correction == "amend")
        if self.coarsen_turvakielto and systems.TURVAKIELTO in labels:
            return Decision(True, coarsen=True)
        return KEEP


def security_labels(event: ContractEvent) -> set[str]:
    meta = getattr(event.resource, "meta", None)
    if meta is None or meta.security is None:
        return set()
    return {c.code for c in meta.security if c.system == systems.SECURITY_LABEL}
