"""A small ER7 tokenizer: segments, fields, repetitions, components, subcomponents, escapes.

Why not python-hl7 (the reference)? `bench/hl7v2.py` measures it at 280-490 µs per
5-segment ADT on this machine, which alone caps one core near 2,000-3,500 messages/s before
any mapping or validation; this tokenizer reads the same message in ~11 µs (see the table in
adapters/hl7v2/__init__.py). It is held to python-hl7 by
a differential test (tests/adapters/hl7v2/test_er7_differential.py) on the golden corpus,
generated messages and hypothesis-built ones.

Segments are split on `\\r`, with `\\n` and `\\r\\n` tolerated; fields are split eagerly,
everything below lazily, and only the leaves the mapping reads are unescaped. Field numbers
follow HL7: `MSH-1` is the field separator and `MSH-2` the encoding characters, so
`segment.raw(n)` is field n for every segment.

Where unescaping deliberately differs from python-hl7 (tests pin each difference):
- `\\H\\`, `\\N\\` (highlighting) and `.fi .nf .in .ti .sk` formatting become nothing, not
  python-hl7's placeholders; `.br`, `.ce` and `.sp<n>` become `\\n` line breaks;
- `\\X..\\` hex bytes are decoded in the message's character set (python-hl7 maps each byte
  to a code point, which breaks UTF-8 pairs);
- an escape character without a closing one is kept as a literal character;
- the HL7 null `""` reads as empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.errors import TranslationError

_SEGMENT_NAME = re.compile(r"[A-Z][A-Z0-9]{2}\Z")
_FORMATTING_TO_NEWLINE = (".br", ".ce", ".sp")


@dataclass(frozen=True, slots=True)
class Encoding:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"
    truncation: str = ""


class Segment:
    """One segment: `raw(n)` is field n as sent; `get(...)` is an unescaped leaf."""

    __slots__ = ("_message", "fields", "name", "occurrence")

    def __init__(self, fields: list[str], message: Message, occurrence: int) -> None:
        self.fields = fields
        self.name = fields[0]
        self.occurrence = occurrence  # 1-based among segments of the same name
        self._message = message

    def raw(self, n: int) -> str:
        return self.fields[n] if n < len(self.fields) else ""

    def repetitions(self, n: int) -> list[str]:
        raw = self.raw(n)
        if not raw:
            return []
        if self.name == "MSH" and n <= 2:
            return [raw]
        return raw.split(self._message.encoding.repetition)

    def components(self, n: int, rep: int = 1) -> list[str]:
        """Unescaped first subcomponents of every component of repetition `rep` of field n."""
        reps = self.repetitions(n)
        if len(reps) < rep:
            return []
        return components_of(reps[rep - 1], self._message)

    def get(self, n: int, comp: int = 1, sub: int = 1, rep: int = 1) -> str:
        reps = self.repetitions(n)
        if len(reps) < rep:
            return ""
        if self.name == "MSH" and n <= 2:
            return reps[0]
        enc = self._message.encoding
        comps = reps[rep - 1].split(enc.component)
        if len(comps) < comp:
            return ""
        subs = comps[comp - 1].split(enc.subcomponent)
        return self._message.unescape(subs[sub - 1]) if len(subs) >= sub else ""

    def location(self, n: int | None = None) -> str:
        """`PID-3`, or `OBX[2]-5` for segments that repeat in the message."""
        repeated = len(self._message.by_name.get(self.name, ())) > 1
        where = f"{self.name}[{self.occurrence}]" if repeated else self.name
        return where if n is None else f"{where}-{n}"


def components_of(repetition: str, message: Message) -> list[str]:
    enc = message.encoding
    return [message.unescape(c.split(enc.subcomponent, 1)[0])
            for c in repetition.split(enc.component)]


class Message:
    __slots__ = ("by_name", "codec", "encoding", "segments")

    def __init__(self, encoding: Encoding, codec: str) -> None:
        self.encoding = encoding
        self.codec = codec
        self.segments: list[Segment] = []
        self.by_name: dict[str, list[Segment]] = {}

    def first(self, name: str) -> Segment | None:
        found = self.by_name.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[Segment]:
        return self.by_name.get(name, [])

    def unescape(self, text: str) -> str:
        if text == '""':
            return ""
        if self.encoding.escape not in text:
            return text
        return _unescape(text, self.encoding, self.codec)

    def tree(self) -> list[list[list[list[list[str]]]]]:
        """Every segment split to subcomponents, not unescaped (for the differential test)."""
        enc = self.encoding
        out = []
        for seg in self.segments:
            fields = [[[[seg.name]]]]
            for n, raw in enumerate(seg.fields[1:], start=1):
                if seg.name == "MSH" and n <= 2:
                    fields.append([[[raw]]])
                    continue
                fields.append([[c.split(enc.subcomponent) for c in r.split(enc.component)]
                               for r in raw.split(enc.repetition)])
            out.append(fields)
        return out


def parse(text: str, codec: str = "utf-8") -> Message:
    """Tokenize ER7 text; raise TranslationError for a missing MSH or a malformed segment."""
    lines = text.strip().replace("\r\n", "\r").replace("\n", "\r").split("\r")
    first = lines[0]
    if not first.startswith("MSH") or len(first) < 4:
        raise TranslationError("hl7.segment.missing", "MSH",
                               "an HL7 v2 message starts with an MSH segment")
    encoding = _encoding(first)
    message = Message(encoding, codec)
    sep = encoding.field
    end = first.find(sep, 4)
    msh_fields = ["MSH", sep, first[4:end] if end >= 0 else first[4:]]
    if end >= 0 and first[end + 1:]:
        msh_fields += first[end + 1:].split(sep)
    _add(message, msh_fields)
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split(sep)
        if not _SEGMENT_NAME.match(fields[0]):
            raise TranslationError("hl7.segment.invalid", f"segment {number}",
                                   "a segment starts with a three-character id like PID")
        _add(message, fields)
    return message


def _add(message: Message, fields: list[str]) -> None:
    same = message.by_name.setdefault(fields[0], [])
    segment = Segment(fields, message, len(same) + 1)
    same.append(segment)
    message.segments.append(segment)


def _encoding(msh: str) -> Encoding:
    sep = msh[3]
    end = msh.find(sep, 4)
    chars = msh[4:end] if end >= 0 else msh[4:]
    defaults = Encoding()
    enc = Encoding(
        field=sep,
        component=chars[0:1] or defaults.component,
        repetition=chars[1:2] or defaults.repetition,
        escape=chars[2:3] or defaults.escape,
        subcomponent=chars[3:4] or defaults.subcomponent,
        truncation=chars[4:5],
    )
    used = [enc.field, enc.component, enc.repetition, enc.escape, enc.subcomponent]
    if enc.truncation:
        used.append(enc.truncation)
    if len(set(used)) != len(used) or any(c.isalnum() or c.isspace() for c in used):
        raise TranslationError("hl7.encoding.invalid", "MSH-2",
                               "MSH-1 and MSH-2 need distinct separator characters that are "
                               "neither letters, digits nor whitespace")
    return enc


def _unescape(text: str, enc: Encoding, codec: str) -> str:
    out: list[str] = []
    i = 0
    esc = enc.escape
    while True:
        start = text.find(esc, i)
        if start < 0:
            out.append(text[i:])
            break
        end = text.find(esc, start + 1)
        if end < 0:  # unterminated: keep the rest literally
            out.append(text[i:])
            break
        out.append(text[i:start])
        out.append(_sequence(text[start + 1:end], enc, codec))
        i = end + 1
    return "".join(out)


def _sequence(name: str, enc: Encoding, codec: str) -> str:
    simple = {"F": enc.field, "S": enc.component, "T": enc.subcomponent, "R": enc.repetition,
              "E": enc.escape, "P": enc.truncation}
    if name in simple:
        return simple[name]
    if name.startswith("X"):
        try:
            return bytes.fromhex(name[1:]).decode(codec, "replace")
        except ValueError:
            return ""
    if name.startswith(_FORMATTING_TO_NEWLINE):
        count = name[3:]
        return "\n" * (int(count) if count.isdigit() and int(count) < 100 else 1)
    return ""  # highlighting, other formatting, charset switches: dropped
