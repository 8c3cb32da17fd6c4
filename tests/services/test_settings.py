"""Settings dumps for the start-up log never hold a secret: secret fields are masked, and
so is the password in any URL (a PostgreSQL store URL is the usual one)."""

from __future__ import annotations

import json

import pytest

from services.timeline.settings import TimelineSettings

KEY = "k" * 40


@pytest.mark.parametrize("password", ["secret", "s3cr@t:x", "p%40ss"])
def test_store_url_password_is_masked(password: str) -> None:
    settings = TimelineSettings(store_url=f"postgresql://silta:{password}@db:5432/silta",
                                pseudonym_key=KEY)
    dumped = json.dumps(settings.redacted())
    assert password not in dumped and KEY not in dumped
    assert settings.redacted()["store_url"] == "postgresql://silta:**********@db:5432/silta"


def test_urls_without_a_password_are_kept() -> None:
    for url in ("sqlite:///var/silta/t.sqlite3", "postgresql://silta@db/silta",
                "postgresql:///silta?host=/run/postgresql"):
        assert TimelineSettings(store_url=url, pseudonym_key=KEY).redacted()["store_url"] == url
