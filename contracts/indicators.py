"""IndicatorRecord: one published, suppressed aggregate (`silta.indicators.v1`, `silta
evaluate indicators --json`, the report's CSV and JSON). Anonymous by construction: counts
of individuals after the suppression step, never a pseudonym, entry id or date of a client.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

INDICATOR_RECORD_TYPE = "fi.silta.indicators.record.v1"


class IndicatorRecord(BaseModel):
    """One published indicator value for a period and group, after suppression."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indicator: str = Field(pattern=r"^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$",
                           description="stable id, e.g. child-welfare.decision-7wd")
    period: str | None = Field(None, pattern=r"^\d{4}(H[12]|-\d{2})?$",
                               description="2025, 2025H1 (1.4.-30.9.), 2025H2 (1.10.-31.3.) "
                               "or 2025-03; null: the whole timeline as of its position")
    group: str | None = Field(None, max_length=256,
                              description="`key=value[,key=value]`; null: everyone")
    numerator: int | None = Field(None, ge=0, description="null when suppressed")
    denominator: int | None = Field(None, ge=0, description="null when suppressed")
    value: float | None = Field(None, allow_inf_nan=False,
                                description="a share (numerator/denominator) or, for "
                                "outcome.change, the mean change; null when suppressed")
    open: int | None = Field(None, ge=0, description="deadline not yet reached at the "
                             "period's end (deadline indicators only)")
    suppressed: dict[str, str] = Field(default_factory=dict,
                                       description="field -> why it is withheld")
    detail: dict[str, float | int | None] = Field(
        default_factory=dict, description="indicator-specific extras: median change, "
        "the distribution of change (suppressed cells null)")
