"""TLS for the services' own listeners: HTTPS of the HTTP ingest gateway and the query API
(uvicorn), MLLP over TLS (asyncio). Kafka's client TLS is services/kafka/connection.py.

Each listener has three settings, `SILTA_<PREFIX>_CERTFILE`, `_KEYFILE` (PEM, both or
neither) and `_CLIENT_CAFILE` (optional: when set, every client must present a certificate
issued by that CA). They are checked when the service starts, not when the settings are
read, so that a mistake is one line naming the setting rather than a validation dump.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.errors import ConfigError


@dataclass(frozen=True)
class ServerTls:
    prefix: str  # the settings' environment prefix, e.g. SILTA_HTTP_TLS
    certfile: Path | None = None
    keyfile: Path | None = None
    client_cafile: Path | None = None

    def context(self) -> ssl.SSLContext | None:
        """The server context (None without TLS settings); each file problem is a
        ConfigError naming its setting."""
        cert, key, ca = (f"{self.prefix}_{n}" for n in ("CERTFILE", "KEYFILE", "CLIENT_CAFILE"))
        if (self.certfile is None) != (self.keyfile is None):
            raise ConfigError(f"TLS needs both {cert} and {key}; only "
                              f"{cert if self.certfile else key} is set")
        if self.certfile is None or self.keyfile is None:
            if self.client_cafile is not None:
                raise ConfigError(f"{ca} needs TLS: set {cert} and {key} too")
            return None
        for setting, path in ((cert, self.certfile), (key, self.keyfile),
                              (ca, self.client_cafile)):
            if path is not None and not path.is_file():
                raise ConfigError(f"{setting} {path}: no such file")
        # The standard library's server defaults (TLS 1.2 at least, forward-secret ciphers),
        # the same uvicorn gets from the options below.
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.certfile, self.keyfile)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{cert} {self.certfile} with {key} {self.keyfile}: "
                              f"{_reason(exc)}") from None
        if self.client_cafile is not None:
            try:
                context.load_verify_locations(self.client_cafile)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"{ca} {self.client_cafile}: {_reason(exc)}") from None
            context.verify_mode = ssl.CERT_REQUIRED
        return context

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for `uvicorn.Config`: none without TLS. The files are checked
        here first, so uvicorn never fails on them with a traceback."""
        if self.context() is None:
            return {}
        return {"ssl_certfile": self.certfile, "ssl_keyfile": self.keyfile,
                "ssl_ca_certs": self.client_cafile,
                "ssl_cert_reqs": ssl.CERT_REQUIRED if self.client_cafile else ssl.CERT_NONE}


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)
