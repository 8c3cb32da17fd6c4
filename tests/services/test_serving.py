"""`silta serve` as a container runs it: the HTTP gateway's own port speaking TLS with
client certificates required, and beside it a plain-HTTP operations port that a kubelet or
Prometheus (which hold no client certificate) can reach, serving nothing but /health,
/ready and /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from deploy.local.broker import free_port
from services.local.processes import ServiceProcess
from tests.services.gateways.http.support import FHIR_ENCOUNTER, Tokens, auth, gateway_settings
from tests.support.pipeline import make_topics, read_all
from tests.support.tls import make_pki


async def test_tls_with_client_certificates_and_a_plain_operations_port(
        kafka_bootstrap: str, tmp_path: Path) -> None:
    topics = await make_topics(kafka_bootstrap, tmp_path, partitions=1)
    tokens, pki, ops = Tokens(topics), make_pki(tmp_path / "pki"), free_port()
    settings = gateway_settings(kafka_bootstrap, topics, tokens, http_tls_certfile=pki.server_cert,
                                http_tls_keyfile=pki.server_key, http_tls_client_cafile=pki.ca_file,
                                http_ingest_ops_port=ops)
    with ServiceProcess("http-ingest", settings, tmp_path, "http-ingest") as service:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{ops}", timeout=5) as probe:
            await _until_ready(probe, service)
            assert (await probe.get("/health")).json() == {"status": "ok"}
            data = f"/ingest/{tokens.fhir_source}"
            assert (await probe.post(data, content=FHIR_ENCOUNTER,
                                     headers=auth(tokens.fhir))).status_code == 404
            assert (await probe.get("/docs")).status_code == 404
            url = f"https://localhost:{service.port}{data}"
            post = {"content": FHIR_ENCOUNTER,
                    "headers": {"content-type": "application/fhir+json", **auth(tokens.fhir)}}
            async with httpx.AsyncClient(verify=pki.client_context(pki.client)) as sender:
                assert (await sender.post(url, **post)).status_code == 202
            with pytest.raises(httpx.TransportError):  # what a kubelet could do on this port
                async with httpx.AsyncClient(verify=False) as kubelet:
                    await kubelet.get(f"https://localhost:{service.port}/health")
            metrics = (await probe.get("/metrics")).text
    assert 'silta_http_requests_total{method="POST",route="/ingest/{source}",' in metrics
    [record] = await read_all(kafka_bootstrap, topics.raw("fhir"), expected=1, settle=0.5)
    assert record.value == FHIR_ENCOUNTER


async def _until_ready(client: httpx.AsyncClient, service: ServiceProcess) -> None:
    for _ in range(300):
        with contextlib.suppress(httpx.TransportError):
            if (await client.get("/ready")).status_code == 200:
                return
        assert service.alive, service.log()
        await asyncio.sleep(0.1)
    pytest.fail(f"not ready on the operations port:\n{service.log()}")


def test_an_operations_port_in_use_stops_the_service(tmp_path: Path) -> None:
    """Both servers stop together and `silta serve` exits 1: never a service without probes."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {**os.environ, "SILTA_API_OPS_PORT": str(taken.getsockname()[1]),
               "SILTA_STORE_URL": f"sqlite:///{tmp_path}/timeline.sqlite3"}
        done = subprocess.run([sys.executable, "-m", "services.cli.main", "serve", "api",
                               "--port", str(free_port())],
                              env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "address already in use" in done.stderr.lower()
