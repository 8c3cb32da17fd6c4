"""Bytes to text, honouring MSH-18 (HL7 table 0211).

MSH-18 is read from the raw bytes before decoding: the MSH segment's separators and the
table 0211 names are ASCII, so every ASCII-compatible character set can be sniffed the same
way. Choices, and why:

- no MSH-18, or `ASCII`: try UTF-8 first, then ISO-8859-1. UTF-8 is strict, so Latin-1 text
  with ä/ö almost never decodes as UTF-8 by accident, and Latin-1 accepts every byte, so the
  fall-back cannot fail. `ASCII` is treated like an absent MSH-18 because senders that
  declare it still send 8-bit Finnish letters; refusing them would only fill the dead letters.
- `8859/n` (and `ISO IR100` etc.): decoded exactly as declared.
- `UNICODE UTF-8` (and the deprecated bare `UNICODE`): strict UTF-8; invalid bytes are an error,
  because a sender that promises UTF-8 and breaks it has a bug worth seeing.
- UTF-16/UTF-32 and the multi-byte Asian sets are refused as unsupported.

The codec name travels with the message so `\\X..\\` hex escapes decode in the same set.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.errors import TranslationError

UTF8 = "utf-8"
LATIN1 = "iso8859-1"
_BOM = b"\xef\xbb\xbf"
_DECLARED = {
    "UNICODE UTF-8": UTF8, "UNICODE": UTF8, "UTF-8": UTF8, "ISO IR192": UTF8,
    "ISO IR100": LATIN1, "ISO IR101": "iso8859-2", "ISO IR148": "iso8859-9",
    **{f"8859/{n}": f"iso8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 15)},
}
_LENIENT = {"", "ASCII", "ISO IR6"}


@dataclass(frozen=True)
class Decoded:
    text: str
    codec: str


def decode(data: bytes) -> Decoded:
    """Decode an ER7 message according to its MSH-18 (see the module docstring)."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    declared = declared_charset(data)
    if declared in _LENIENT:
        try:
            return Decoded(data.decode(UTF8), UTF8)
        except UnicodeDecodeError:
            return Decoded(data.decode(LATIN1), LATIN1)
    codec = _DECLARED.get(declared)
    if codec is None:
        raise TranslationError("hl7.charset.unsupported", "MSH-18",
                               "the declared character set is not supported; use UNICODE UTF-8 "
                               "or 8859/1")
    try:
        return Decoded(data.decode(codec), codec)
    except UnicodeDecodeError as exc:
        raise TranslationError("input.encoding.invalid", "MSH-18",
                               f"bytes at offset {exc.start} are not valid {codec}") from None


def declared_charset(data: bytes) -> str:
    """The first repetition of MSH-18, upper-cased; empty when absent or unreadable."""
    start = data.find(b"MSH")
    if start < 0 or len(data) < start + 8 or data[:start].strip():
        return ""
    end = min((i for i in (data.find(b"\r", start), data.find(b"\n", start)) if i >= 0),
              default=len(data))
    segment = data[start:end]
    if len(segment) < 4:  # "MSH" alone: no field separator, so no MSH-18
        return ""
    parts = segment.split(segment[3:4])
    if len(parts) < 18:
        return ""
    repetition = parts[1][1:2] or b"~"
    component = parts[1][0:1] or b"^"
    value = parts[17].split(repetition)[0].split(component)[0]
    return value.decode("ascii", "replace").strip().upper()

