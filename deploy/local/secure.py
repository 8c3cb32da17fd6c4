"""The local broker secured as a production cluster is: TLS with SASL/SCRAM on the client
listener, a second listener for mutual TLS (a client certificate required), the
StandardAuthorizer, and one SCRAM user and one client certificate per principal.

The CA, the broker's certificate and the principals' client certificates (CN = the
principal's name) are made when the broker is first started (trustme) and live in its run
folder with the generated passwords; nothing here is ever committed.
SCRAM users are written into the KRaft metadata when the storage is formatted
(`StorageTool format --add-scram`), so they exist before the broker first answers; the
passwords pass on that command line once, acceptable for a loopback broker only.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import SecretStr

from deploy.local.broker import LocalKafka, free_port
from deploy.local.errors import LocalKafkaError
from deploy.local.jars import KAFKA_DIR
from services.kafka.connection import KafkaConnection, SaslMechanism

SECURE_TEMPLATE = KAFKA_DIR / "server-secure.properties"
MECHANISM: SaslMechanism = "SCRAM-SHA-512"
SUPERUSER = "broker"  # the broker's own user, also what `up --secure` applies ACLs as


@dataclass
class SecureLocalKafka(LocalKafka):
    """A `LocalKafka` whose client listener is SASL_SSL. `principals` get SCRAM users."""

    principals: tuple[str, ...] = ()

    @property
    def tls_dir(self) -> Path:
        return self._dir / "tls"

    @property
    def cafile(self) -> Path:
        return self.tls_dir / "ca.pem"

    @property
    def connection(self) -> KafkaConnection:
        return self.client(SUPERUSER)

    @property
    def mtls_bootstrap(self) -> str:
        """The mutual-TLS listener: the port is chosen once per run folder."""
        path = self.tls_dir / "mtls-port"
        if not path.exists():
            self.tls_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(str(free_port(self.host)))
        return f"{self.host}:{path.read_text().strip()}"

    def mtls_client(self, principal: str) -> KafkaConnection:
        """How `principal` connects with its client certificate instead of a password."""
        cert, key = self._client_files(principal)
        if not cert.exists():
            raise LocalKafkaError(f"no client certificate for {principal!r} on this broker")
        return KafkaConnection(self.mtls_bootstrap, "SSL", ssl_cafile=self.cafile,
                               ssl_certfile=cert, ssl_keyfile=key)

    def _client_files(self, principal: str) -> tuple[Path, Path]:
        return self.tls_dir / f"{principal}.pem", self.tls_dir / f"{principal}.key"

    def client(self, principal: str, password: str | None = None) -> KafkaConnection:
        """How `principal` connects (with its own password unless one is given)."""
        known = self._passwords()
        if principal not in known and password is None:
            raise LocalKafkaError(f"no SCRAM user {principal!r} on this broker")
        return KafkaConnection(
            self.bootstrap, "SASL_SSL", MECHANISM, principal,
            SecretStr(password if password is not None else known[principal]), self.cafile)

    def client_env(self, principal: str, cafile: Path) -> dict[str, str]:
        """`principal`'s SASL/SCRAM client settings as Silta environment variables."""
        return _as_env(replace(self.client(principal), ssl_cafile=cafile))

    def write_client_files(self, out: Path) -> list[Path]:
        """`out/ca.pem`, and per principal `out/<principal>.env` (SASL/SCRAM) and
        `out/<principal>.mtls.env` with its certificate and key beside it (mutual TLS).
        Passwords and keys are owner-only."""
        out.mkdir(parents=True, exist_ok=True)
        cafile = out / "ca.pem"
        cafile.write_bytes(self.cafile.read_bytes())
        written = [cafile]
        for principal in self.principals:
            written += self._write_principal_files(out, principal, cafile.resolve())
        return written

    def _write_principal_files(self, out: Path, principal: str, cafile: Path) -> list[Path]:
        cert, key = out / f"{principal}.pem", out / f"{principal}.key"
        issued_cert, issued_key = self._client_files(principal)
        cert.write_bytes(issued_cert.read_bytes())
        _write_private(key, issued_key.read_text())
        mtls = replace(self.mtls_client(principal), ssl_cafile=cafile,
                       ssl_certfile=cert.resolve(), ssl_keyfile=key.resolve())
        envs = {out / f"{principal}.env": self.client_env(principal, cafile),
                out / f"{principal}.mtls.env": _as_env(mtls)}
        for path, env in envs.items():
            _write_private(path, "".join(f"{name}={value}\n" for name, value in env.items()))
        return [*envs, cert, key]

    def _server_properties(self, controller_port: int, data_dir: Path) -> str:
        self._make_certificates()
        secure = SECURE_TEMPLATE.read_text().format(
            host=self.host, port=self.port, controller_port=controller_port,
            mtls_port=self.mtls_bootstrap.rpartition(":")[2],
            mechanism=MECHANISM, mechanism_lower=MECHANISM.lower(), superuser=SUPERUSER,
            superuser_password=self._passwords()[SUPERUSER], tls_dir=self.tls_dir)
        return super()._server_properties(controller_port, data_dir) + "\n" + secure

    def _format_options(self) -> list[str]:
        return [option for name, password in self._passwords().items()
                for option in ("--add-scram", f"{MECHANISM}=[name={name},password={password}]")]

    def _passwords(self) -> dict[str, str]:
        """Each user's password, made once per run folder: a restart with kept data finds
        the same ones the storage was formatted with."""
        path = self._dir / "credentials.json"
        if path.exists():
            known: dict[str, str] = json.loads(path.read_text())
            if missing := set(self.principals) - set(known):
                raise LocalKafkaError(
                    f"{self._dir} was formatted without users {sorted(missing)}; stop the broker "
                    "without --keep-data to start afresh")
            return known
        # token_urlsafe never yields ',' or '=', which --add-scram's syntax would split on.
        made = {name: secrets.token_urlsafe(24) for name in (SUPERUSER, *self.principals)}
        self._dir.mkdir(parents=True, exist_ok=True)
        _write_private(path, json.dumps(made))
        return made

    def _make_certificates(self) -> None:
        if self.cafile.exists():
            return
        try:
            import trustme
            from cryptography.hazmat.primitives import serialization
        except ImportError as exc:
            raise LocalKafkaError("the secured broker needs trustme: "
                                  "pip install 'sote-silta[secure-broker]'") from exc
        ca = trustme.CA(organization_name="Silta local test CA")
        cert = ca.issue_cert(self.host, "localhost")
        # Kafka's PEM keystore takes PKCS#8 keys only; trustme writes the traditional form.
        key = serialization.load_pem_private_key(cert.private_key_pem.bytes(), None)
        pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
        self.tls_dir.mkdir(parents=True, exist_ok=True)
        self.cafile.write_bytes(ca.cert_pem.bytes())
        _write_private(self.tls_dir / "broker.pem",
                       pkcs8.decode() + "".join(p.bytes().decode() for p in cert.cert_chain_pems))
        for principal in self.principals:
            client = ca.issue_cert(f"{principal}.clients.silta.test", common_name=principal)
            cert_file, key_file = self._client_files(principal)
            client.cert_chain_pems[0].write_to_path(str(cert_file))
            _write_private(key_file, client.private_key_pem.bytes().decode())


def local_broker(port: int, run_dir: Path | None) -> LocalKafka:
    """The broker in that run folder, secured if it was started with `--secure`."""
    plain = LocalKafka(port=port, run_dir=run_dir)
    if (plain._dir / "credentials.json").exists():
        return SecureLocalKafka(port=port, run_dir=run_dir)
    return plain


def _as_env(conn: KafkaConnection) -> dict[str, str]:
    """The connection as Silta environment variables, secrets in clear: the settings that
    differ from the defaults."""
    defaults = KafkaConnection("").as_settings()
    return {f"SILTA_{name.upper()}": (value.get_secret_value() if isinstance(value, SecretStr)
                                      else str(value))
            for name, value in conn.as_settings().items() if value != defaults[name]}


def _write_private(path: Path, text: str) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)
