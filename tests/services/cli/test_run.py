"""The README's first command, `silta run --demo`, end to end on the test broker."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from deploy.local.broker import free_port
from services.errors import ConfigError
from services.local.stack import StackConfig, serve, start_stack, wait_started
from tests.support.tls import Pki, make_pki

pytestmark = pytest.mark.kafka


@pytest.mark.slow
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
    api_url = f"http://127.0.0.1:{env['SILTA_API_PORT']}"
    assert f"the outcome indicators as a dashboard: {api_url}/ui/#dashboard" in out
    assert not re.search(r"\d{6}[-+A-FU-Y]9\d\d[0-9A-Y]", out + done.stderr), "identity code"
    assert "Traceback" not in done.stderr


TLS_EDGES = ("API", "HTTP")


def _stack_env(monkeypatch: pytest.MonkeyPatch, pki: Pki) -> dict[str, int]:
    ports = {name: free_port() for name in ("API_PORT", "API_OPS_PORT", "HTTP_INGEST_PORT",
                                            "MLLP_PORT", "MLLP_HTTP_PORT", "INGEST_HTTP_PORT",
                                            "TIMELINE_HTTP_PORT")}
    for name, port in ports.items():
        monkeypatch.setenv(f"SILTA_{name}", str(port))
    for edge in TLS_EDGES:
        monkeypatch.setenv(f"SILTA_{edge}_TLS_CERTFILE", str(pki.server_cert))
        monkeypatch.setenv(f"SILTA_{edge}_TLS_KEYFILE", str(pki.server_key))
    return ports


async def test_run_serves_the_tls_its_settings_ask_for(
        kafka_bootstrap: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pki = make_pki(tmp_path / "pki")
    ports = _stack_env(monkeypatch, pki)
    config = StackConfig(state_dir=tmp_path / "state")
    with pytest.raises(ConfigError, match=r"SILTA_HTTP_TLS_\*, SILTA_API_TLS_\* set TLS"):
        await start_stack(kafka_bootstrap, False, config, lambda _: None, demo=True)
    stack = await start_stack(kafka_bootstrap, False, config, lambda _: None)
    serving = asyncio.ensure_future(serve(stack))
    try:
        await wait_started(stack)
        assert stack.api_url == f"https://127.0.0.1:{ports['API_PORT']}"
        assert stack.endpoints["api"] == f"http://127.0.0.1:{ports['API_OPS_PORT']}"
        async with httpx.AsyncClient(verify=pki.client_context()) as client:
            for url in (stack.api_url, stack.http_url):
                assert (await client.get(f"{url}/health")).status_code == 200, url
            assert (await client.get(f"{stack.endpoints['api']}/health")).status_code == 200
            with pytest.raises(httpx.TransportError):
                await client.get(f"http://127.0.0.1:{ports['API_PORT']}/health")
    finally:
        stack.stop()
        await serving
