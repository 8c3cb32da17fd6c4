"""Every Silta service in one process on embedded defaults: what `silta run` starts.

A local Kafka broker (unless SILTA_KAFKA_BOOTSTRAP names one), the topics, ingest,
timeline with its SQLite store, the MLLP and HTTP gateways and the query API, each served
by uvicorn in one event loop (services/serving.py), with the TLS and operations-port
settings of the environment as `silta serve` honours them. A development pseudonym key
and bearer tokens are made up when none are configured, and said so in the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy.local.broker import LocalKafka, cache_root
from services.api.app import build_app as api_app
from services.api.settings import ApiSettings
from services.errors import ConfigError
from services.gateways.http.app import build_app as http_app
from services.gateways.http.settings import HttpIngestSettings
from services.gateways.mllp.app import build_app as mllp_app
from services.gateways.mllp.settings import MllpSettings
from services.ingest.app import build_app as ingest_app
from services.ingest.settings import IngestSettings
from services.kafka.topics import TopicsFile, apply_topics, load_topics
from services.serving import Server, serve_all, service_servers
from services.settings import SiltaSettings
from services.timeline.app import build_app as timeline_app
from services.timeline.settings import TimelineSettings
from services.tls import ServerTls

Say = Callable[[str], None]


@dataclass
class StackConfig:
    state_dir: Path = field(default_factory=lambda: cache_root() / "run" / "silta")
    kafka_port: int = 9092
    host: str = "127.0.0.1"


@dataclass
class Stack:
    """The running services; `endpoints` says where each one answers."""

    bootstrap: str
    spec: TopicsFile
    api_url: str
    api_token: str
    http_url: str
    http_tokens: dict[str, str]
    mllp_port: int
    store_url: str
    endpoints: dict[str, str]
    tls: list[str] = field(default_factory=list)  # the settings prefixes of edges with TLS
    servers: list[Server] = field(default_factory=list)

    def stop(self) -> None:
        for server in self.servers:
            server.should_exit = True


def dev_key(state_dir: Path, say: Say) -> str:
    if os.environ.get("SILTA_PSEUDONYM_KEY") or os.environ.get("SILTA_PSEUDONYM_KEY_FILE"):
        return os.environ.get("SILTA_PSEUDONYM_KEY") or Path(
            os.environ["SILTA_PSEUDONYM_KEY_FILE"]).read_text().strip()
    path = state_dir / "pseudonym.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    say(f"      pseudonym key: a development key in {path} (set SILTA_PSEUDONYM_KEY for real use)")
    return path.read_text().strip()


@contextlib.contextmanager
def local_broker(config: StackConfig, say: Say) -> Iterator[tuple[str, bool]]:
    """(bootstrap, fresh): SILTA_KAFKA_BOOTSTRAP, or a local broker started (and stopped) here."""
    if bootstrap := os.environ.get("SILTA_KAFKA_BOOTSTRAP"):
        say(f"[1/4] Kafka at {bootstrap} (SILTA_KAFKA_BOOTSTRAP)")
        yield bootstrap, False
        return
    broker = LocalKafka(port=config.kafka_port)
    ours = broker.pid() is None
    say(f"[1/4] Apache Kafka {broker.version} on {broker.bootstrap}"
        + (" (already running)" if not ours else " (local, KRaft; first run fetches it "
           "from Maven Central)"))
    seconds = broker.up()
    if ours:
        say(f"      ready in {seconds:.1f}s")
    try:
        yield broker.bootstrap, ours
    finally:
        if ours:
            broker.down()


@dataclass(frozen=True)
class _ServiceSettings:
    """Every service's settings as `silta run` makes them, with the tokens it made up."""

    ingest: IngestSettings
    timeline: TimelineSettings
    mllp: MllpSettings
    http: HttpIngestSettings
    api: ApiSettings
    store_url: str
    api_token: str
    http_tokens: dict[str, str]

    def edge_tls(self) -> dict[str, ServerTls]:
        """The edges whose settings ask for TLS, by service name; loading each checks its
        files, so a wrong one is one line naming the setting."""
        edges = (("http-ingest", self.http), ("api", self.api), ("mllp", self.mllp))
        return {name: edge.tls for name, edge in edges if edge.tls.context() is not None}


async def start_stack(bootstrap: str, fresh: bool, config: StackConfig, say: Say,
                      demo: bool = False) -> Stack:
    """Provision topics, then build every service and its servers (`serve` runs them).
    With `demo`, TLS settings are refused: the demo's senders speak plain HTTP and MLLP."""
    spec = load_topics(SiltaSettings())
    if fresh:  # a new broker has an empty log, so the store must start empty too
        _forget_state(config.state_dir)
    made = _service_settings(bootstrap, config.state_dir, dev_key(config.state_dir, say), spec)
    tls = made.edge_tls()
    if demo and tls:
        raise ConfigError(f"--demo feeds the gateways in plain HTTP and MLLP, but "
                          f"{', '.join(t.prefix + '_*' for t in tls.values())} set TLS: unset "
                          "them, or run `silta run` without --demo")
    report = await apply_topics(bootstrap, spec)
    created = sum(c.action == "created" for c in report.changes)
    say(f"[2/4] topics: {len(report.changes)} checked, {created} created")
    return _stack(bootstrap, spec, made, tls, config.host)


def _forget_state(state: Path) -> None:
    for stale in state.glob("timeline.sqlite3*"):
        stale.unlink()
    shutil.rmtree(state / "timeline-state", ignore_errors=True)


def _service_settings(bootstrap: str, state: Path, key: str, spec: TopicsFile) -> _ServiceSettings:
    # The demo's output is the point; service logs say only what needs attention.
    common: dict[str, Any] = {"kafka_bootstrap": bootstrap,
                              "log_level": os.environ.get("SILTA_LOG_LEVEL", "WARNING")}
    store_url = TimelineSettings(pseudonym_key=key).store_url if {
        "SILTA_STORE_URL", "SILTA_STORE_URL_FILE"} & set(os.environ) else \
        f"sqlite:///{state / 'timeline.sqlite3'}"
    api_token = secrets.token_urlsafe(24)
    http_tokens = {s.id: secrets.token_urlsafe(24) for s in spec.sources if s.format != "hl7v2"}
    return _ServiceSettings(
        ingest=IngestSettings(**common, pseudonym_key=key),
        timeline=TimelineSettings(**common, pseudonym_key=key, store_url=store_url,
                                  timeline_state_dir=state / "timeline-state"),
        mllp=MllpSettings(**common),
        http=HttpIngestSettings(**common, http_tokens=http_tokens),
        api=ApiSettings(**common, store_url=store_url, api_tokens=_api_tokens(api_token)),
        store_url=store_url, api_token=api_token, http_tokens=http_tokens)


def _stack(bootstrap: str, spec: TopicsFile, made: _ServiceSettings, tls: dict[str, ServerTls],
           host: str) -> Stack:
    """Each service's app and servers, and where each one answers."""
    ingest, timeline, mllp, http, api = made.ingest, made.timeline, made.mllp, made.http, made.api
    apps: dict[str, tuple[Any, int, int | None]] = {
        "ingest": (ingest_app(ingest), ingest.ingest_http_port, None),
        "timeline": (timeline_app(timeline), timeline.timeline_http_port, None),
        "mllp": (mllp_app(mllp), mllp.mllp_http_port, None),
        "http-ingest": (http_app(http), http.http_ingest_port, http.http_ingest_ops_port),
        "api": (api_app(api), api.api_port, api.api_ops_port),
    }
    servers = [server for name, (app, port, ops_port) in apps.items()
               for server in service_servers(app, host, port,
                                             tls[name].uvicorn_options() if name in tls else {},
                                             ops_port)]
    # MLLP's TLS is on its MLLP port; an operations port is plain HTTP.
    scheme = {name: "https" if name in tls and name != "mllp" else "http" for name in apps}
    return Stack(
        bootstrap=bootstrap, spec=spec, api_url=f"{scheme['api']}://{host}:{api.api_port}",
        api_token=made.api_token, http_url=f"{scheme['http-ingest']}://{host}:"
        f"{http.http_ingest_port}", http_tokens=made.http_tokens, mllp_port=mllp.mllp_port,
        store_url=made.store_url, tls=sorted(t.prefix for t in tls.values()),
        endpoints={name: f"http://{host}:{ops}" if ops else
                   f"{scheme[name]}://{host}:{port}" for name, (_, port, ops) in apps.items()},
        servers=servers,
    )


def _api_tokens(token: str) -> str:
    import json

    return json.dumps({token: {"actor": "evaluator:local-demo",
                               "scopes": ["timeline:read", "audit:read"]}})


async def serve(stack: Stack, until: asyncio.Future[None] | None = None) -> None:
    """Run every server until SIGINT/SIGTERM (or `until` resolves), then stop them all."""
    await serve_all(stack.servers, until)


async def wait_started(stack: Stack, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not all(server.started for server in stack.servers):
        # Every server is told to exit when one ends: a port taken, a lifespan that failed.
        if any(server.should_exit for server in stack.servers) or loop.time() > deadline:
            stack.stop()
            raise RuntimeError("a service did not start (is a port in use?); see the log above")
        await asyncio.sleep(0.1)
