"""Bearer tokens with scopes.

Only SHA-256 digests of the tokens are kept after start-up; a presented token is hashed
and compared with every digest in constant time, so neither a memory dump nor response
timing gives a token away.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.api.settings import TokenGrant
from services.logging import get_logger
from services.observability.http import ApiError, unauthorized

REALM = "silta-timeline"

bearer = HTTPBearer(
    auto_error=False, scheme_name="bearerAuth",
    description="`Authorization: Bearer <token>`. Tokens are issued per actor with scopes: "
                "`timeline:read` (timelines, entries, clients) and `audit:read` (audit log).",
)


@dataclass(frozen=True)
class Principal:
    actor: str
    scopes: frozenset[str]


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class Authenticator:
    def __init__(self, grants: Mapping[str, TokenGrant]) -> None:
        self._known = [(_digest(token), Principal(grant.actor, frozenset(grant.scopes)))
                       for token, grant in grants.items()]

    def authenticate(self, token: str) -> Principal | None:
        digest = _digest(token)
        found = None
        for known, principal in self._known:  # no early exit: constant work per request
            if hmac.compare_digest(known, digest):
                found = principal
        return found


AuditDenied = Callable[[Principal, str, str], Awaitable[None]]
# What `requires` makes: a FastAPI dependency answering with the authorised caller.
Requirement = Callable[..., Awaitable[Principal]]


def requires(scope: str, authenticator: Authenticator,
             on_denied: AuditDenied) -> Requirement:
    """A dependency that yields the caller, or answers 401 (who?) / 403 (not allowed)."""
    log = get_logger(service="api")

    async def dependency(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        route = getattr(request.scope.get("route"), "path", "unmatched")
        if credentials is None:
            log.info("unauthenticated request", route=route)
            raise unauthorized(REALM, "auth.missing",
                               "send `Authorization: Bearer <token>`")
        principal = authenticator.authenticate(credentials.credentials)
        if principal is None:
            log.warning("invalid token", route=route)
            raise unauthorized(REALM, "auth.invalid", "the bearer token is not valid")
        if scope not in principal.scopes:
            await on_denied(principal, scope, f"{request.method} {route}")
            raise ApiError(403, "auth.scope", f"the token does not grant the `{scope}` scope")
        return principal

    return dependency
