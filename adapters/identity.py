"""The client's identity as adapters read it: a personal identity code checked, or a
typed TranslationError that never contains the code. (Pseudonyms are made later, by the
services that hold the key: services/pseudonyms.py.)"""

from __future__ import annotations

from adapters.errors import TranslationError
from contracts.errors import ContractError
from contracts.hetu import Hetu, parse_hetu


def validate_hetu(code: str, location: str) -> Hetu:
    """A HETU or a TranslationError at `location`; the error never contains the code."""
    try:
        return parse_hetu(code)
    except ContractError as exc:
        raise TranslationError(
            "identity.invalid", location, f"personal identity code: expected {exc.expected}, "
            f"found {exc.found}") from None
