"""Client pseudonyms and the keyed references made with the same key.

The pseudonym is HMAC-SHA256 of the identity under a secret key, truncated to 128 bits
and hex-encoded; the key version travels next to it so a key rotation is visible. The
same keyed hash makes entry ids and opaque references, so nothing on the timeline can be
reversed by hashing guesses (identity codes are a small space) without the key.

It lives in services/ because the services hold the key (services/settings.py reads it);
adapters translate without it.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any

from contracts import systems

MIN_KEY_BYTES = 32
_BLOCK = 64  # SHA-256's block size in bytes


@dataclass(frozen=True)
class Pseudonymiser:
    key: bytes
    version: str

    def __post_init__(self) -> None:
        if len(self.key) < MIN_KEY_BYTES:
            raise ValueError(f"the pseudonym key needs at least {MIN_KEY_BYTES} bytes")

    @functools.cached_property
    def _pads(self) -> tuple[Any, Any]:
        # HMAC's keyed inner and outer hashes, made once: copying them is a third of
        # the cost of hmac.new per call, and every timeline entry takes several digests.
        key = self.key if len(self.key) <= _BLOCK else hashlib.sha256(self.key).digest()
        key = key.ljust(_BLOCK, b"\0")
        return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
                hashlib.sha256(bytes(b ^ 0x5C for b in key)))

    def _digest(self, *parts: str) -> str:
        """hmac.new(key, parts joined by U+001F, sha256), hex, cut to 128 bits."""
        inner, outer = self._pads
        inner, outer = inner.copy(), outer.copy()
        inner.update("\x1f".join(parts).encode())
        outer.update(inner.digest())
        return outer.hexdigest()[:32]

    def pseudonym(self, system: str, value: str) -> str:
        """The client's pseudonym. A HETU hashes alone, so it does not depend on spelling
        of the system; other (temporary) ids hash with their system."""
        if system == systems.HETU:
            return self._digest("hetu", value)
        return self._digest("id", system, value)

    def opaque(self, kind: str, *parts: str) -> str:
        """A keyed, deterministic reference (entry ids, source references, episodes)."""
        return self._digest(kind, *parts)
