"""Settings of the timeline service (env prefix SILTA_)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from services.kafka.stage import DEFAULT_MAX_BATCH, StageSettings
from services.settings import PseudonymSettings, SiltaSettings
from services.timeline.policy import Policy


class TimelineSettings(SiltaSettings, PseudonymSettings):
    timeline_group_id: str = "silta-timeline"
    timeline_transactional_prefix: str = "silta-timeline"
    timeline_max_batch: int = Field(DEFAULT_MAX_BATCH, ge=1, le=10_000)
    timeline_state_dir: Path = Field(
        Path(".silta/timeline-state"),
        description="local disk for each partition's checkpointed state (one SQLite file per "
        "partition); losing it costs a rebuild from the timeline topic, nothing else")
    store_url: str = Field("sqlite:///.silta/timeline.sqlite3",
                           description="sqlite:///path or postgresql://user:pass@host/db")
    store_group_id: str = "silta-timeline-store"
    store_max_batch: int = Field(5000, ge=1, le=20_000,
                                 description="timeline entries written to the store per commit")
    store_max_wait_ms: int = Field(
        500, ge=0, le=10_000, description="how long the broker may hold a fetch of the store's "
        "consumer to fill it (1 MiB): bigger store commits for a little more store lag")
    policy_drop_disclosure_banned: bool = Field(
        True, description="keep records under a disclosure ban (luovutuskielto) off the timeline")
    policy_coarsen_turvakielto: bool = Field(
        True, description="drop organisation and episode of records under turvakielto")
    timeline_trust_writers: bool = Field(
        True, description="read events ingest wrote, and entries this service wrote, under "
        "this contract version by their shape only, without checking their patterns and "
        "validators again (their writers did; deploy/acls.yaml lets no one else write "
        "those topics). Every entry is still checked before it is published. Turn off "
        "where the topics' ACLs are not enforced")
    timeline_http_port: int = Field(8082, description="/health, /ready and /metrics")

    @property
    def stage(self) -> StageSettings:
        return StageSettings("timeline", self.timeline_group_id,
                             self.timeline_transactional_prefix, self.timeline_max_batch)

    def policy(self) -> Policy:
        return Policy(self.policy_drop_disclosure_banned, self.policy_coarsen_turvakielto)
