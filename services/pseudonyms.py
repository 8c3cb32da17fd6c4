"""Client pseudonyms and the keyed references made with the same key.

The pseudonym is HMAC-SHA256 of the identity under a secret key, truncated to 128 bits
and hex-encoded; the key version travels next to it so a key rotation is visible. The
same keyed hash makes entry ids and opaque references, so nothing on the timeline can be
reversed by hashing guesses (identity codes are a small space) without the key.

It lives in services/ because the services hold the key (services/settings.py reads it);
adapters translate without it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from contracts import systems

MIN_KEY_BYTES = 32


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes
    version: str

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_BYTES:
            raise ValueError(f"the pseudonym key needs at least {MIN_KEY_BYTES} bytes")

    def _digest(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]

    def pseudonym(self, system: str, value: str) -> str:
        """The client's pseudonym. A HETU hashes alone, so it does not depend on spelling
        of the system; other (temporary) ids hash with their system."""
        if system == systems.HETU:
            return self._digest("hetu", value)
        return self._digest("id", system, value)

    def opaque(self, kind: str, *parts: str) -> str:
        """A keyed, deterministic reference (entry ids, source references, episodes)."""
        return self._digest(kind, *parts)
