"""A single-node Apache Kafka (KRaft) broker on loopback, with no Docker.

The broker's jars come from Maven Central into a cache folder (jars.py). Each broker
instance lives in its own run folder (config, data, log, pid), so tests can run one on a
random port beside a developer's broker on 9092.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from deploy.local.errors import LocalKafkaError
from deploy.local.jars import KAFKA_DIR, cache_root, ensure_jars, kafka_version, which

if TYPE_CHECKING:
    from services.kafka.clients import Kafka

LOG4J_CONFIG = KAFKA_DIR / "log4j2.properties"
SERVER_TEMPLATE = KAFKA_DIR / "server.properties"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


async def probe(bootstrap: Kafka, timeout: float = 5.0) -> int:
    """Send a metadata request; return the number of brokers that answered it."""
    from services.kafka.clients import new_client

    client = new_client(bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(client.bootstrap(), timeout)
        metadata = await asyncio.wait_for(client.fetch_all_metadata(), timeout)
        return len(metadata.brokers())
    finally:
        await client.close()


def probe_sync(bootstrap: Kafka, timeout: float = 5.0) -> int:
    """`probe` for synchronous callers, including ones inside a running event loop."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = asyncio.run(probe(bootstrap, timeout))
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout * 3)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    if "value" not in box:
        raise TimeoutError(f"no metadata answer from {bootstrap} in {timeout}s")
    return int(box["value"])  # type: ignore[call-overload]


@dataclass
class LocalKafka:
    """One broker+controller process. `run_dir` holds its config, data, log and pid."""

    port: int = 9092
    host: str = "127.0.0.1"
    run_dir: Path | None = None
    heap: str = "768m"
    version: str = field(default_factory=kafka_version)

    def __post_init__(self) -> None:
        if self.run_dir is None:
            self.run_dir = cache_root() / "run" / f"kafka-{self.port}"
        self.run_dir = Path(self.run_dir)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connection(self) -> Kafka:
        """How this tool itself reaches the broker (a secured broker overrides it)."""
        return self.bootstrap

    def _server_properties(self, controller_port: int, data_dir: Path) -> str:
        return SERVER_TEMPLATE.read_text().format(
            host=self.host, port=self.port, controller_port=controller_port, data_dir=data_dir)

    def _format_options(self) -> list[str]:
        """Extra `StorageTool format` options (a secured broker adds its SCRAM users)."""
        return []

    @property
    def _dir(self) -> Path:
        assert self.run_dir is not None
        return self.run_dir

    @property
    def log_file(self) -> Path:
        return self._dir / "broker.log"

    @property
    def _pid_file(self) -> Path:
        return self._dir / "kafka.pid"

    def pid(self) -> int | None:
        """The pid of this instance's broker if it is alive, else None."""
        try:
            pid = int(self._pid_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        # Guard against a recycled pid: the process must be our broker on our config.
        if b"kafka.Kafka" in cmdline and str(self._dir).encode() in cmdline:
            return pid
        return None

    def status(self) -> str:
        pid = self.pid()
        if pid is None:
            return f"stopped (no broker of ours on {self.bootstrap})"
        try:
            probe_sync(self.connection, timeout=3)
        except Exception:
            return f"starting or unhealthy: pid {pid} on {self.bootstrap} does not answer yet"
        return f"running: Apache Kafka {self.version}, pid {pid}, {self.bootstrap}, {self._dir}"

    def up(self, timeout: float = 90.0) -> float:
        """Start the broker (fetching jars if needed); return seconds until it answered."""
        started = time.monotonic()
        if self.pid() is not None:
            probe_sync(self.connection, timeout=timeout)
            return time.monotonic() - started
        if _port_in_use(self.host, self.port):
            raise LocalKafkaError(
                f"{self.bootstrap} is already in use by another process; pick another port "
                "(--port or SILTA_KAFKA_PORT) or point SILTA_KAFKA_BOOTSTRAP at that broker"
            )
        java = self._java()
        process = self._spawn(java, self._configure(java))
        self._await_answer(process, started + timeout, timeout)
        return time.monotonic() - started

    def _java(self) -> list[str]:
        """`java` with the class path and logging config every broker tool runs with."""
        java = which("java", "install a Java 17+ runtime to run the local Kafka broker")
        libs = ensure_jars(self.version)
        return [java, "-cp", f"{libs}/*", f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"]

    def _configure(self, java: list[str]) -> Path:
        """Write the broker's config and, on first start, format its storage; the config."""
        data_dir = self._dir / "data"
        self._dir.mkdir(parents=True, exist_ok=True)
        props = self._dir / "server.properties"
        props.write_text(self._server_properties(free_port(self.host), data_dir))
        if not (data_dir / "meta.properties").exists():
            shutil.rmtree(data_dir, ignore_errors=True)
            fmt = subprocess.run(
                [*java, "kafka.tools.StorageTool", "format", "--standalone",
                 "--ignore-formatted", f"--cluster-id={_cluster_id()}", "-c", str(props),
                 *self._format_options()],
                capture_output=True, text=True, check=False,
            )
            if fmt.returncode != 0:
                raise LocalKafkaError(f"formatting KRaft storage failed:\n{fmt.stderr[-2000:]}")
        return props

    def _spawn(self, java: list[str], props: Path) -> subprocess.Popen[bytes]:
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [*java, f"-Xmx{self.heap}", "-Xms256m", "-XX:+ExitOnOutOfMemoryError",
                 "-Djava.awt.headless=true", "kafka.Kafka", str(props)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._pid_file.write_text(str(process.pid))
        return process

    def _await_answer(self, process: subprocess.Popen[bytes], deadline: float,
                      timeout: float) -> None:
        """Return once the broker answers a metadata request; stop it and raise when it
        exits or stays silent past `deadline` (monotonic time)."""
        while True:
            if process.poll() is not None:
                raise LocalKafkaError(
                    f"the broker exited with code {process.returncode}; last log lines:\n"
                    + self.log_tail()
                )
            try:
                # A TCP check first keeps aiokafka from logging refused connections.
                if not _port_in_use(self.host, self.port):
                    raise ConnectionRefusedError
                probe_sync(self.connection, timeout=2)
                return
            except Exception:
                if time.monotonic() > deadline:
                    self.down()
                    raise LocalKafkaError(
                        f"the broker did not answer on {self.bootstrap} within {timeout:.0f}s; "
                        f"log: {self.log_file}"
                    ) from None
                time.sleep(0.3)

    def down(self, keep_data: bool = False, timeout: float = 30.0) -> bool:
        """Stop the broker by its pid and clean up; return whether one was running."""
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while self.pid() is not None and time.monotonic() < deadline:
                _reap(pid)
                time.sleep(0.2)
            if self.pid() is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                _reap(pid)
        if keep_data:
            self._pid_file.unlink(missing_ok=True)
        else:
            shutil.rmtree(self._dir, ignore_errors=True)
        return pid is not None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _cluster_id() -> str:
    # KRaft wants a base64url-encoded 16-byte UUID without padding. It may start with "-",
    # which is why it is passed as --cluster-id=<id>.
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
