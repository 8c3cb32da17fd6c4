"""One simulation shared by the module's tests (generation is deterministic, so sharing it
cannot couple the tests)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.simulate import SimConfig, Simulation, build


@pytest.fixture(scope="session")
def default_sim() -> Simulation:
    return build(SimConfig(clients=40, seed=11))


@pytest.fixture(scope="session")
def faulty_sim() -> Simulation:
    """Many faults, another start and span: every mutation kind of every format shows up."""
    return build(SimConfig(clients=30, seed=5, start=dt.date(2024, 11, 18), days=240,
                           malformed_share=0.25, duplicate_share=0.15))
