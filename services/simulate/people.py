"""Synthetic clients: test identity codes (individual numbers 900-999 only), invented
names, a profile (child, working-age adult, older person) and security attributes.

Names are drawn from invented surnames (Testinen, Esimerkki, ...) so no output looks like a
real person, and every identity code is in the temporary/test range.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from contracts.hetu import make_hetu
from services.simulate.model import Profile, SimClient, SimConfig

# Profiles cycle so that even a handful of clients covers all three paths.
PROFILE_CYCLE: tuple[Profile, ...] = ("child", "adult", "older", "child", "adult", "child",
                                      "older", "adult")
_AGES: dict[Profile, tuple[int, int]] = {"child": (1, 17), "adult": (19, 64), "older": (76, 96)}
_NEW_SIGNS = {1900: "YXWVU", 2000: "BCDEF"}  # century signs in use since 2023
_HEALTH_WEIGHT: dict[Profile, float] = {"child": 0.7, "adult": 1.2, "older": 1.4}
FAMILY = ("Testinen", "Esimerkki", "Koekäyttäjä", "Mallinen", "Kuvitteellinen", "Simulainen",
          "Harjoitus", "Demonen", "Koestaja", "Näytteinen")
GIVEN = {"M": ("Matti", "Eetu", "Onni", "Veikko", "Juhani", "Aatu", "Väinö", "Mikko"),
         "F": ("Liisa", "Aino", "Helmi", "Maija", "Tiina", "Sanni", "Kerttu", "Elli")}
BAN_SCOPES = ("service-task", "register-holder", "document")


@dataclass(frozen=True)
class Person:
    """A client plus what only the message builders need (names, hospital record number)."""

    client: SimClient
    no: int
    sex: str                 # HL7 administrative sex: M or F
    family: str
    given: str
    mrn: str                 # the hospital's own record number (PID-3, first repetition)
    ban_scope: str | None    # the disclosure ban's scope when the client has one

    @property
    def label(self) -> str:
        return self.client.label

    @property
    def hetu(self) -> str:
        return self.client.hetu

    @property
    def gender(self) -> str:
        return "male" if self.sex == "M" else "female"


def make_people(config: SimConfig) -> list[Person]:
    taken: set[str] = set()
    return [_person(config, no, taken) for no in range(1, config.clients + 1)]


def _person(config: SimConfig, no: int, taken: set[str]) -> Person:
    rng = random.Random(f"{config.seed}:person:{no}")
    profile = PROFILE_CYCLE[(no - 1) % len(PROFILE_CYCLE)]
    low, high = _AGES[profile]
    born = config.start - dt.timedelta(days=rng.randint(low * 365 + 10, high * 365 + 300))
    sex = rng.choice("MF")
    hetu, born = _unique_hetu(rng, born, sex, taken)
    banned = rng.random() < config.disclosure_ban_share
    client = SimClient(
        label=f"c{no:05d}", profile=profile, hetu=hetu, born=born,
        turvakielto=rng.random() < config.turvakielto_share, disclosure_ban=banned,
        health=rng.random() < min(1.0, config.health_share * _HEALTH_WEIGHT[profile]),
    )
    return Person(client, no, sex, rng.choice(FAMILY), rng.choice(GIVEN[sex]),
                  mrn=str(400000 + no), ban_scope=rng.choice(BAN_SCOPES) if banned else None)


def _unique_hetu(rng: random.Random, born: dt.date, sex: str,
                 taken: set[str]) -> tuple[str, dt.date]:
    """A test code (900-999; odd for men, even for women, as in real codes) not yet used."""
    century = born.year // 100 * 100
    sign = rng.choice(_NEW_SIGNS[century]) if century in _NEW_SIGNS and rng.random() < 0.15 \
        else None
    first = 900 + rng.randrange(0, 100, 2) + (1 if sex == "M" else 0)
    while True:
        for step in range(50):
            number = 900 + (first - 900 + 2 * step) % 100
            code = make_hetu(born, number, sign)
            if code not in taken:
                taken.add(code)
                return code, born
        # All 50 numbers of this day and sex are used: the next day, with the plain sign
        # (a new sign might not fit if the day crosses a century).
        born += dt.timedelta(days=1)
        sign = None
