"""Conformance checking for vendors: messages in, precise failures out.

A message is a JSON object `{"headers": {...}, "value": {...}}`: the Kafka headers as
strings and the FHIR JSON value. A file holds one message, or NDJSON with one per line.
Every failure says where (file and line), the JSON pointer inside the message, what the
contract expected and what it found.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from contracts.errors import ContractError
from contracts.events import ContractViolation, parse_event

MAX_MESSAGE_BYTES = 8 * 1024 * 1024
SUFFIXES = (".json", ".ndjson", ".jsonl")


class UnusableInput(ContractError):
    """The input cannot be read as messages at all (missing, not text, empty)."""

    def __init__(self, where: str, why: str) -> None:
        super().__init__("", "readable UTF-8 JSON or NDJSON", why)
        self.args = (f"{where}: {why}",)


@dataclass(frozen=True)
class Failure:
    location: str   # file[:line]
    pointer: str    # JSON pointer inside the message
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.location}: {self.pointer or '/'}: expected {self.expected}, found {self.found}"

    def as_dict(self) -> dict[str, str]:
        return {"location": self.location, "pointer": self.pointer,
                "expected": self.expected, "found": self.found}


@dataclass
class Report:
    messages: int = 0
    failed_messages: int = 0
    failures: list[Failure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.messages > 0 and not self.failures

    def summary(self) -> str:
        conform = self.messages - self.failed_messages
        noun = "message" if self.messages == 1 else "messages"
        if not self.failures:
            return f"{self.messages} {noun}: all conform"
        return (f"{self.messages} {noun}: {conform} conform, {self.failed_messages} do not "
                f"({len(self.failures)} failure{'s' if len(self.failures) != 1 else ''})")


def check_message(message: Any, location: str) -> list[Failure]:
    """Every failure of one decoded JSON message."""
    if not isinstance(message, dict):
        return [Failure(location, "", 'an object {"headers": {...}, "value": {...}}',
                        _kind(message))]
    failures = [
        Failure(location, f"/{name}", "no such member (a message has headers and value)", "it")
        for name in message if name not in {"headers", "value"}
    ]
    headers, value = message.get("headers"), message.get("value")
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        failures.append(Failure(location, "/headers", "an object of string header values",
                                _kind(headers)))
        return failures
    if not isinstance(value, dict):
        failures.append(Failure(location, "/value", "a FHIR resource object", _kind(value)))
        return failures
    try:
        parse_event(headers, value)
    except ContractViolation as exc:
        failures += [_failure(location, f) for f in exc.failures]
    return failures


def _failure(location: str, error: ContractError) -> Failure:
    pointer = error.pointer if error.pointer.startswith("/headers") else "/value" + error.pointer
    return Failure(location, pointer, error.expected, error.found)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def check_bytes(data: bytes, name: str) -> Iterator[tuple[int, list[Failure]]]:
    """Yield (message count, failures) per message found in `data`."""
    if not data.strip():
        raise UnusableInput(name, "empty input")
    if b"\x00" in data[:8192]:
        raise UnusableInput(name, "binary data (NUL bytes), not JSON text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnusableInput(name, f"not UTF-8 text (byte {exc.start})") from None
    stripped = text.lstrip()
    if stripped.startswith("{") and _single_document(text):
        yield 1, _check_document(text, name)
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield 1, _check_document(line, f"{name}:{number}")


def _single_document(text: str) -> bool:
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        # Not one document: NDJSON if every non-blank line is its own object, else treat the
        # whole text as one (broken) message so the error points into it.
        lines = [line for line in text.splitlines() if line.strip()]
        return len(lines) <= 1 or not all(line.lstrip().startswith("{") for line in lines)
    return True


def _check_document(text: str, location: str) -> list[Failure]:
    if len(text) > MAX_MESSAGE_BYTES:
        return [Failure(location, "", f"a message under {MAX_MESSAGE_BYTES} bytes",
                        f"{len(text)} bytes")]
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return [Failure(location, "", "well-formed JSON",
                        f"{exc.msg} at line {exc.lineno} column {exc.colno}")]
    return check_message(message, location)


def check_path(path: Path) -> Report:
    """Check a file or every *.json / *.ndjson file below a folder."""
    if not path.exists():
        raise UnusableInput(str(path), "no such file or folder")
    files = (sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
             if path.is_dir() else [path])
    if not files:
        raise UnusableInput(str(path), f"no {', '.join(SUFFIXES)} files in this folder")
    report = Report()
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise UnusableInput(str(file), exc.strerror or "unreadable") from None
        _collect(report, data, str(file))
    return report


def check_stream(data: bytes, name: str = "<stdin>") -> Report:
    report = Report()
    _collect(report, data, name)
    return report


def _collect(report: Report, data: bytes, name: str) -> None:
    for count, failures in check_bytes(data, name):
        report.messages += count
        if failures:
            report.failed_messages += 1
            report.failures += failures
