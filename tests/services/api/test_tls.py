"""The query API over HTTPS under uvicorn, as `silta serve api` runs it with
SILTA_API_TLS_*; real httpx clients, certificates made by trustme at test time."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.api.app import build_app
from services.errors import ConfigError
from services.local.processes import ServiceProcess
from tests.services.api.support import CLIENT_A, READER, api_settings, bearer, seeded_store_url
from tests.support.tls import make_pki, served_tls


async def test_https_with_the_right_ca(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    settings = api_settings(await seeded_store_url(request, tmp_path, "sqlite"),
                            api_tls_certfile=pki.server_cert, api_tls_keyfile=pki.server_key)
    async with served_tls(build_app(settings), settings.tls) as port:
        async with httpx.AsyncClient(verify=pki.client_context()) as client:
            page = await client.get(f"https://localhost:{port}/clients/{CLIENT_A}/timeline",
                                    headers=bearer(READER))
            assert page.status_code == 200 and page.json()["entries"]
        with pytest.raises(httpx.TransportError):  # plain HTTP to the TLS port
            async with httpx.AsyncClient() as plain:
                await plain.get(f"http://127.0.0.1:{port}/health")
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            async with httpx.AsyncClient() as untrusting:  # the system CAs only
                await untrusting.get(f"https://localhost:{port}/health")


async def test_client_certificates_required(request: pytest.FixtureRequest,
                                            tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    settings = api_settings(await seeded_store_url(request, tmp_path, "sqlite"),
                            api_tls_certfile=pki.server_cert, api_tls_keyfile=pki.server_key,
                            api_tls_client_cafile=pki.ca_file)
    async with served_tls(build_app(settings), settings.tls) as port:
        url = f"https://localhost:{port}/clients/{CLIENT_A}/timeline"
        async with httpx.AsyncClient(verify=pki.client_context(pki.client)) as client:
            page = await client.get(url, headers=bearer(READER))
            assert page.status_code == 200 and page.json()["entries"]
        for identity in (None, pki.stranger):  # no certificate; one from another CA
            with pytest.raises(httpx.TransportError):
                async with httpx.AsyncClient(verify=pki.client_context(identity)) as refused:
                    await refused.get(url, headers=bearer(READER))


def test_incomplete_tls_settings_name_the_setting(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    url = f"sqlite:///{tmp_path}/timeline.sqlite3"
    with pytest.raises(ConfigError, match="SILTA_API_TLS_KEYFILE; only SILTA_API_TLS_CERTFILE"):
        api_settings(url, api_tls_certfile=pki.server_cert).tls.uvicorn_options()
    with pytest.raises(ConfigError, match=r"^SILTA_API_TLS_CLIENT_CAFILE \S*missing.pem: no "):
        api_settings(url, api_tls_certfile=pki.server_cert, api_tls_keyfile=pki.server_key,
                     api_tls_client_cafile=tmp_path / "missing.pem").tls.uvicorn_options()
    with pytest.raises(ConfigError, match=r"SILTA_API_TLS_CERTFILE .* SILTA_API_TLS_KEYFILE"):
        api_settings(url, api_tls_certfile=pki.server_key,  # swapped: not a certificate
                     api_tls_keyfile=pki.server_cert).tls.uvicorn_options()


async def test_silta_serve_api_over_https(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The wiring in `silta serve`: the settings from the environment reach uvicorn."""
    pki = make_pki(tmp_path / "pki")
    settings = api_settings(await seeded_store_url(request, tmp_path, "sqlite"),
                            api_tls_certfile=pki.server_cert, api_tls_keyfile=pki.server_key)
    service = ServiceProcess("api", settings, tmp_path, "api").start()
    try:
        async with httpx.AsyncClient(verify=pki.client_context()) as client:
            for _ in range(300):
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"https://localhost:{service.port}/ready")).is_success:
                        break
                assert service.alive, service.log()
                await asyncio.sleep(0.1)
            else:
                pytest.fail(f"no HTTPS answer from `silta serve api`:\n{service.log()}")
    finally:
        service.stop()


def test_silta_serve_says_which_setting_is_missing(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    env = {**os.environ, "SILTA_API_TLS_CERTFILE": str(pki.server_cert),
           "SILTA_STORE_URL": f"sqlite:///{tmp_path}/timeline.sqlite3"}
    done = subprocess.run([sys.executable, "-m", "services.cli.main", "serve", "api"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("silta: TLS needs both SILTA_API_TLS_CERTFILE and "
                           "SILTA_API_TLS_KEYFILE; only SILTA_API_TLS_CERTFILE is set\n")
