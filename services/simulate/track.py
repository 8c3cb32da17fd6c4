"""One client's stream of source messages while a path is being written: ids, times,
security attributes, and the statutory deadlines the path planned."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from services import workdays
from services.simulate import codes, social
from services.simulate.fhir import dumps
from services.simulate.model import Deadline, SimConfig
from services.simulate.people import Person

Json = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """A valid message before the stream is ordered and faults are added."""

    at: dt.datetime
    fmt: str
    key: str
    payload: bytes
    note: str
    client: str


class Track:
    def __init__(self, config: SimConfig, person: Person) -> None:
        self.config = config
        self.person = person
        # One generator per client: a client's path does not change when others are added.
        self.rng = random.Random(f"{config.seed}:path:{person.no}")
        self.drafts: list[Draft] = []
        self.deadlines: list[Deadline] = []
        self._counters: dict[str, int] = {}
        self._banned_document: str | None = None

    # --- ids and times ------------------------------------------------------------------

    def next_id(self, prefix: str) -> str:
        n = self._counters[prefix] = self._counters.get(prefix, 0) + 1
        return f"{prefix}-{self.person.no:05d}-{n}"

    def start_day(self, spread: float = 0.55) -> dt.date:
        """The day the client's path begins, within the first `spread` of the span."""
        return self.config.start + dt.timedelta(
            days=self.rng.randint(0, max(0, int(self.config.days * spread))))

    def office(self, day: dt.date, earliest: int = 8, latest: int = 15) -> dt.datetime:
        return workdays.local(day, self.rng.randint(earliest, latest),
                              self.rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)))

    def anytime(self, day: dt.date) -> dt.datetime:
        return workdays.local(day, self.rng.randint(0, 23), self.rng.randint(0, 59))

    def latency(self, moment: dt.datetime) -> dt.datetime:
        """When the source sends a record made at `moment`."""
        return moment + dt.timedelta(seconds=self.rng.randint(5, 900))

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    # --- emitting -----------------------------------------------------------------------

    def emit(self, fmt: str, at: dt.datetime, key: str, payload: bytes, note: str) -> None:
        self.drafts.append(Draft(at, fmt, key, payload, f"{self.person.label} {note}",
                                 self.person.label))

    def fhir(self, at: dt.datetime, key: str, resource: Json, note: str) -> None:
        self.emit("fhir", self.latency(at), key, dumps(resource), note)

    def social(self, when: dt.datetime, content: Json, *, task: str, process: str,
               note: str, group: str = "1", case_id: str | None = None,
               doc_id: str | None = None, version: int = 1, status: str = "final",
               created: dt.datetime | None = None, ban: bool = False) -> str:
        """Archive one document version made at `when`; returns its document id."""
        doc_id = doc_id or self.document_id()
        doc = social.Doc(doc_id, created or when, task, group, process, case_id, version,
                         status, modified=when)
        if ban and self.person.ban_scope == "document" and self._banned_document is None:
            self._banned_document = doc_id
        payload = social.record_event(self.person, doc, content, self._bans(doc_id, task))
        self.emit("social", self.latency(when), doc_id, payload, note)
        return doc_id

    def document_id(self) -> str:
        n = self._counters["doc"] = self._counters.get("doc", 0) + 1
        return f"{codes.DOCUMENT_ARC}.{self.person.no}.{n}"

    def _bans(self, doc_id: str, task: str) -> list[Json]:
        """The client's disclosure bans in force, as the CIS sends them with every document."""
        scope = self.person.ban_scope
        if scope == "service-task":
            return [{"scope": "service-task", "service_task": task}]
        if scope == "register-holder":
            return [{"scope": "register-holder",
                     "register_holder": codes.SOCIAL_REGISTER_HOLDER}]
        if scope == "document" and self._banned_document is not None:
            if self._banned_document == doc_id:
                return [{"scope": "document"}]
            return [{"scope": "document", "document_id": self._banned_document}]
        return []

    # --- deadlines ----------------------------------------------------------------------

    def deadline(self, kind: str, opened: dt.date, due: dt.date, done: dt.date,
                 opening: str, step: str) -> None:
        """Record a planned deadline, opened by document `opening` and met or missed by
        document `step`; `done` after the span is not seen by anyone."""
        end = self.config.end
        seen = done < end
        unseen = None if due >= end else False
        self.deadlines.append(Deadline(self.person.label, kind, opened, due,
                                       done if seen else None,
                                       (done <= due) if seen else unseen, opening, step, unseen))
