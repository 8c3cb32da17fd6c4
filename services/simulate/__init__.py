"""`silta simulate` as a library: realistic, deterministic source traffic for synthetic
clients across social and health care, in all three source formats.

    from services.simulate import SimConfig, generate, summarise
    messages = generate(SimConfig(clients=20, seed=3))
    print("\\n".join(summarise(messages).lines()))

`build(config)` also returns the clients and the statutory deadlines the paths planned
(ground truth for indicator tests). Pure: no I/O, no clock; the file and Kafka writers are
in `services.simulate.sinks`.
"""

from __future__ import annotations

from services.simulate.generator import build, generate
from services.simulate.model import (
    DEFAULT_SOURCES,
    Deadline,
    SimClient,
    SimConfig,
    SimConfigError,
    SimMessage,
    Simulation,
)
from services.simulate.summary import Summary, summarise, translate

__all__ = ["DEFAULT_SOURCES", "Deadline", "SimClient", "SimConfig", "SimConfigError",
           "SimMessage", "Simulation", "Summary", "build", "generate", "summarise",
           "translate"]
