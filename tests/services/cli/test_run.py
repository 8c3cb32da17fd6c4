"""The README's first command, `silta run --demo`, end to end on the test broker."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from deploy.local.broker import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_demo_prints_one_clients_unified_timeline(kafka_bootstrap: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SILTA_")}
    env.update({
        "SILTA_KAFKA_BOOTSTRAP": kafka_bootstrap, "SILTA_CACHE_DIR": str(tmp_path),
        "SILTA_API_PORT": str(free_port()), "SILTA_HTTP_INGEST_PORT": str(free_port()),
        "SILTA_MLLP_PORT": str(free_port()), "SILTA_MLLP_HTTP_PORT": str(free_port()),
        "SILTA_INGEST_HTTP_PORT": str(free_port()), "SILTA_TIMELINE_HTTP_PORT": str(free_port()),
    })
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "run", "--demo", "--exit-after-demo",
         "--clients", "8"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = done.stdout
    assert "[4/4] client" in out and "one pseudonym" in out
    rows = [line for line in out.splitlines() if re.match(r"^  \d{4}-\d\d-\d\d \d\d:\d\d ", line)]
    assert {line.split()[2] for line in rows} == {"health", "social"}
    assert "token:" in out and "first unified timeline" in out
    assert not re.search(r"\d{6}[-+A-FU-Y]9\d\d[0-9A-Y]", out + done.stderr), "identity code"
    assert "Traceback" not in done.stderr
