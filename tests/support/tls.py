"""Certificates made at test time (trustme) and apps served over HTTPS by uvicorn, with the
options `silta serve` passes (`settings.tls.uvicorn_options()`)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trustme

from services.tls import ServerTls
from tests.support.serving import serving


@dataclass(frozen=True)
class Pki:
    """A CA, a server certificate for localhost from it, and a client certificate from it
    (its own CA too, for a client the server must not trust)."""

    ca: trustme.CA
    ca_file: Path
    server_cert: Path
    server_key: Path
    client: trustme.LeafCert
    stranger: trustme.LeafCert

    def client_context(self, identity: trustme.LeafCert | None = None) -> ssl.SSLContext:
        """A client that trusts the CA and, given `identity`, presents that certificate."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        if identity is not None:
            identity.configure_cert(context)
        return context


def make_pki(directory: Path) -> Pki:
    ca = trustme.CA()
    server = ca.issue_cert("localhost", "127.0.0.1")
    directory.mkdir(parents=True, exist_ok=True)
    ca_file, cert, key = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca.cert_pem.write_to_path(str(ca_file))
    server.cert_chain_pems[0].write_to_path(str(cert))
    for extra in server.cert_chain_pems[1:]:
        extra.write_to_path(str(cert), append=True)
    server.private_key_pem.write_to_path(str(key))
    return Pki(ca, ca_file, cert, key, ca.issue_cert("sender.example"),
               trustme.CA().issue_cert("sender.example"))


@asynccontextmanager
async def served_tls(app: Any, tls: ServerTls) -> AsyncIterator[int]:
    """`app` under uvicorn on a loopback port with `tls`; yields the port."""
    async with serving(app, http=getattr(app.state, "http_protocol", "auto"),
                       **tls.uvicorn_options()) as port:
        yield port
