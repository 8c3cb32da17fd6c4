"""Per-source bearer tokens: a token is valid for exactly one source.

Only SHA-256 digests are kept; a presented token is compared with every digest in
constant time (hmac.compare_digest, no early exit).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence

from fastapi.security import HTTPBearer
from pydantic import SecretStr

from services.errors import ConfigError
from services.observability.http import ApiError, unauthorized

REALM = "silta-ingest"

bearer = HTTPBearer(
    auto_error=False, scheme_name="sourceToken",
    description="`Authorization: Bearer <token>`; each source system has its own token, "
                "valid only for `/ingest/<that source>`.",
)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class SourceTokens:
    def __init__(self, tokens: Mapping[str, SecretStr], known_sources: Sequence[str]) -> None:
        unknown = sorted(set(tokens) - set(known_sources))
        if unknown:
            raise ConfigError(f"SILTA_HTTP_TOKENS names unknown sources: {', '.join(unknown)}; "
                              f"known: {', '.join(known_sources)}")
        self._digests = {source: _digest(token.get_secret_value())
                         for source, token in tokens.items()}
        if len(set(self._digests.values())) != len(self._digests):
            raise ConfigError("SILTA_HTTP_TOKENS gives two sources the same token; each source "
                              "needs its own")

    def sources(self) -> set[str]:
        return set(self._digests)

    def owner(self, presented: str | None) -> str:
        """The source whose token `presented` is; ApiError 401 when it is nobody's.

        Checked before the source named in the path is even looked up, so that without a
        valid token every request gets the same 401 and source names cannot be probed."""
        if presented is None:
            raise unauthorized(REALM, "auth.missing", "send `Authorization: Bearer <token>`")
        digest = _digest(presented)
        owner = None
        for candidate, known in self._digests.items():
            if hmac.compare_digest(known, digest):
                owner = candidate
        if owner is None:
            raise unauthorized(REALM, "auth.invalid", "the bearer token is not valid")
        return owner


def wrong_source() -> ApiError:
    return ApiError(403, "auth.wrong-source", "the token belongs to another source system")
