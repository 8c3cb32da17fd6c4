"""The root of Silta's error tree and the contract errors."""

from __future__ import annotations


class SiltaError(Exception):
    """Root of every error Silta raises on purpose."""


class ContractError(SiltaError, ValueError):
    """A message does not conform to a contract.

    `pointer` is a JSON pointer into the message value (or `/headers/<name>` for the
    envelope); `expected` and `found` are short human phrases.
    """

    def __init__(self, pointer: str, expected: str, found: str) -> None:
        self.pointer = pointer
        self.expected = expected
        self.found = found
        super().__init__(f"{pointer or '/'}: expected {expected}, found {found}")
