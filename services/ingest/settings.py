"""Settings of the ingest service (env prefix SILTA_)."""

from __future__ import annotations

from pydantic import Field

from services.kafka.stage import DEFAULT_MAX_BATCH, StageSettings
from services.settings import PseudonymSettings, SiltaSettings


class IngestSettings(SiltaSettings, PseudonymSettings):
    ingest_group_id: str = "silta-ingest"
    ingest_transactional_prefix: str = "silta-ingest"
    ingest_max_batch: int = Field(DEFAULT_MAX_BATCH, ge=1, le=10_000)
    ingest_sources: list[str] | None = Field(
        None, description="source ids to consume; default: every source in the topics file")
    ingest_http_port: int = Field(8081, description="/health, /ready and /metrics")

    @property
    def stage(self) -> StageSettings:
        return StageSettings("ingest", self.ingest_group_id, self.ingest_transactional_prefix,
                             self.ingest_max_batch)
