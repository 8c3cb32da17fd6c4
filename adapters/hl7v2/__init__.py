"""HL7 v2 (2.3-2.8) ER7 to contract events: ADT A01/A02/A03/A04/A08/A11/A13 and ORU^R01.

Input is one ER7 message without MLLP framing; segments end in `\\r` (`\\n` and `\\r\\n` are
tolerated). Mappings follow the HL7 V2-to-FHIR IG (see adt.py, oru.py and context.py for
the tables and the event id scheme); character sets in charset.py.

Parser decision, from `.venv/bin/python -m bench.hl7v2` (bench/results/hl7v2.json; one
pinned core, same run, numbers vary ±20 % between runs on this shared machine):

| parse, 5-segment ADT | µs | vs er7 |
|---|---|---|
| naive split | ~2 | 0.2x |
| er7.py (lazy, as used) | ~11 | 1x |
| python-hl7 `hl7.parse` | 280-490 | ~25-30x |
| hl7apy `parse_message` | ~6,200 | ~560x |

End to end, `translate()` runs ~10,000-12,500 ADT^A01 messages/s and ~22,000 ORU events/s
(8 OBX per message) per core; adding python-hl7's parse in front drops that to ~2,000-2,500
ADT messages/s and ~970 ORU messages/s (~7,700 events/s), i.e. parsing would be 70-80 % of
the cost. The budget is thousands of events/s per core with headroom for the consumer,
so er7.py is a small tokenizer, differential-tested against python-hl7 (splitting and
unescaping) on the golden corpus, generated messages and hypothesis input; python-hl7
stays the test oracle.

Module layout: charset (bytes to text), er7 (tokenizer, escapes), values (HL7 data types),
context (MSH, PID-3, PD1, security labels, event building), adt, oru.
"""

from __future__ import annotations

from collections.abc import Callable

from adapters.base import SourceInfo, check_size, refuse_names
from adapters.errors import TranslationError
from adapters.hl7v2 import charset, er7
from adapters.hl7v2.adt import TRIGGERS, translate_adt
from adapters.hl7v2.context import Header, read_header
from adapters.hl7v2.er7 import Message
from adapters.hl7v2.oru import translate_oru
from contracts.events import ContractEvent

ADAPTER_VERSION = "hl7v2/1"

_Handler = Callable[[Message, SourceInfo, Header], list[ContractEvent]]
_HANDLERS: dict[tuple[str, str], _Handler] = {
    **{("ADT", trigger): translate_adt for trigger in TRIGGERS},
    ("ORU", "R01"): translate_oru,
}


def translate(data: bytes, source: SourceInfo) -> list[ContractEvent]:
    """One ER7 message to contract events, or a TranslationError saying where and why."""
    check_size(data)
    decoded = charset.decode(data)
    message = er7.parse(decoded.text, decoded.codec)
    header = read_header(message)
    handler = _HANDLERS.get((header.message_code, header.trigger))
    if handler is None:
        raise TranslationError("hl7.trigger.unsupported", "MSH-9",
                               "a message type Silta translates: ADT^A01, A02, A03, A04, A08, "
                               "A11, A13 or ORU^R01")
    return refuse_names(handler(message, source, header), _names(message), "PID-5, PID-6, NK1-2")


def _names(message: Message) -> list[str]:
    """Every name the message carries: the client's (PID-5), the mother's maiden name
    (PID-6) and next of kin (NK1-2), each repetition, every component."""
    fields = [(segment, n) for segment in message.all("PID") for n in (5, 6)]
    fields += [(segment, 2) for segment in message.all("NK1")]
    return [component for segment, n in fields for repetition in segment.repetitions(n)
            for component in er7.components_of(repetition, message)]


__all__ = ["ADAPTER_VERSION", "translate"]
