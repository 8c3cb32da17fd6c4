"""The committed AsyncAPI documents are what `faststream docs gen` makes of the apps now."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ASYNCAPI = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi"


@pytest.mark.parametrize("service", ["ingest", "timeline"])
def test_asyncapi_document_matches_the_app(service: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILTA_")}
    env["SILTA_PSEUDONYM_KEY"] = "documentation-only-key-not-a-secret-000"
    out = tmp_path / f"{service}.yaml"
    faststream = Path(sys.executable).with_name("faststream")
    subprocess.run([str(faststream), "docs", "gen", "--yaml", "--factory",
                    f"services.{service}.app:build_app", "--out", str(out)],
                   env=env, check=True, capture_output=True, timeout=120)
    committed = (ASYNCAPI / f"{service}.yaml").read_text()
    assert out.read_text() == committed, (
        f"contracts/asyncapi/{service}.yaml is stale; regenerate it (contracts/asyncapi/README.md)")
    assert "silta.timeline.v1" in committed or service == "ingest"
