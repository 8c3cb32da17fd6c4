"""What every Silta OpenAPI document must say, checked the same way for both HTTP services."""

from __future__ import annotations

from typing import Any

UNAUTHENTICATED = {"/health", "/ready", "/metrics"}


def problems(spec: dict[str, Any], scheme: str) -> list[str]:
    """Everything undocumented: summaries, descriptions, a description and a schema for
    every response, the error model for every error status, security where needed."""
    found: list[str] = []
    assert scheme in spec["components"]["securitySchemes"]
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            where = f"{method.upper()} {path}"
            if not op.get("summary") or not op.get("description"):
                found.append(f"{where}: summary or description missing")
            if path not in UNAUTHENTICATED and op.get("security") != [{scheme: []}]:
                found.append(f"{where}: security scheme {scheme} not required")
            for status, response in op["responses"].items():
                if not response.get("description") or \
                        response["description"] == "Successful Response":
                    found.append(f"{where} {status}: no description of its own")
                if not response.get("content"):
                    found.append(f"{where} {status}: no content schema")
                    continue
                schema = next(iter(response["content"].values()))["schema"]
                if status.startswith(("4", "5")) and path not in UNAUTHENTICATED and \
                        schema != {"$ref": "#/components/schemas/ErrorResponse"}:
                    found.append(f"{where} {status}: not the error model")
            if path not in UNAUTHENTICATED and not {"401", "422"} <= set(op["responses"]):
                found.append(f"{where}: 401 or 422 undocumented")
    return found
