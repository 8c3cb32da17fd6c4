"""Reading and checking a request body: media type, size (while reading), well-formed JSON.

Checks only what every body of the source's format must satisfy; translating it is the
ingest service's job (it dead-letters what it cannot translate, keeping the bytes).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request

from adapters.base import MAX_JSON_DEPTH, check_depth
from adapters.errors import TranslationError
from services.observability.http import ApiError

MEDIA_TYPES = {
    "fhir": ("application/fhir+json", "application/json"),
    "social": ("application/json",),
}


def media_type(header: str | None, fmt: str) -> str:
    """The accepted media type named by a Content-Type header, or ApiError 415."""
    accepted = MEDIA_TYPES[fmt]
    kind, *params = (part.strip().lower() for part in (header or "").split(";"))
    charset = next((p.split("=", 1)[1].strip('" ') for p in params if p.startswith("charset=")),
                   "utf-8")
    if kind not in accepted or charset not in ("utf-8", "utf8"):
        raise ApiError(415, "content-type.unsupported",
                       f"send Content-Type {' or '.join(accepted)} (UTF-8) for a {fmt} source",
                       accepted=list(accepted))
    return kind


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "body.too-large", f"the body exceeds the {limit}-byte limit",
                    limit=limit)


class ClientAborted(Exception):
    """The client went away before its body arrived: nobody is left to answer."""


async def read_limited(request: Request, limit: int, timeout: float) -> bytes:
    """The body, refusing with 413 as soon as it is known to exceed `limit` bytes: from the
    Content-Length header before reading, else while streaming (chunked uploads); with 408
    when it has not all arrived within `timeout` seconds (a client trickling its body);
    ClientAborted when the client disconnects first."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                chunks.append(chunk)
    except TimeoutError:
        raise ApiError(408, "body.timeout", f"the body did not arrive within {timeout:g} s",
                       headers={"Connection": "close"}) from None
    except ClientDisconnect:
        raise ClientAborted from None
    return b"".join(chunks)


def _position(body: bytes, offset: int) -> tuple[int, int]:
    line_start = body.rfind(b"\n", 0, offset) + 1
    return body.count(b"\n", 0, offset) + 1, offset - line_start + 1


def parse_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object; ApiError 400 naming line and column when it is not one."""
    if not body.strip():
        raise ApiError(400, "body.empty", "the body is empty")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "recursion" in exc.msg.lower() or "depth" in exc.msg.lower():
            raise _too_deep("") from None
        raise _malformed(body, exc) from None
    if not isinstance(document, dict):
        raise ApiError(400, "json.not-object", "the body must be a JSON object")
    try:  # the adapters' limit, so the gateway never accepts what ingest must refuse
        check_depth(document)
    except TranslationError as error:
        raise _too_deep(error.location) from None
    return document


def _too_deep(location: str) -> ApiError:
    return ApiError(422, "input.too-deep", f"the JSON nests deeper than {MAX_JSON_DEPTH} "
                    "levels", location=location)


def _malformed(body: bytes, exc: orjson.JSONDecodeError) -> ApiError:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as bad:  # orjson reports these at offset 0; find the byte
        line, column = _position(body, bad.start)
        return ApiError(400, "json.malformed", f"the body is not UTF-8 (line {line}, column "
                        f"{column})", line=line, column=column)
    # orjson's messages name the syntax problem only, never the text around it.
    return ApiError(400, "json.malformed", f"the body is not well-formed JSON: {exc.msg} "
                    f"(line {exc.lineno}, column {exc.colno})", line=exc.lineno,
                    column=exc.colno)
