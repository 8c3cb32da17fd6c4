"""The committed AsyncAPI documents are what `faststream docs gen` makes of the apps now."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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
    committed = yaml.safe_load((ASYNCAPI / f"{service}.yaml").read_text())
    # Compared as data: FastStream's channel order follows string hashing, which varies
    # between processes.
    assert yaml.safe_load(out.read_text()) == committed, (
        f"contracts/asyncapi/{service}.yaml is stale; regenerate it (contracts/asyncapi/README.md)")
    addresses = {channel["address"] for channel in committed["channels"].values()}
    assert "silta.deadletter.v1" in addresses
