"""The local broker's jars: fetched from Maven Central through the small Maven project in
`kafka/pom.xml` (which pins the version) and kept in a cache folder shared by every run
folder and every process on the machine."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from deploy.local.errors import LocalKafkaError

KAFKA_DIR = Path(__file__).resolve().parent / "kafka"  # the Maven project and broker configs
POM = KAFKA_DIR / "pom.xml"


def kafka_version() -> str:
    """The broker version pinned in the Maven project (its single source of truth)."""
    match = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", POM.read_text())
    if not match:
        raise LocalKafkaError(f"{POM}: no <kafka.version> property")
    return match.group(1)


def cache_root() -> Path:
    if env := os.environ.get("SILTA_CACHE_DIR"):
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "silta"


def which(tool: str, hint: str) -> str:
    """The tool's path, or a LocalKafkaError saying how to install it."""
    path = shutil.which(tool)
    if path is None:
        raise LocalKafkaError(f"`{tool}` is not on PATH; {hint}")
    return path


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_jars(version: str | None = None) -> Path:
    """Return the folder holding the broker's jars, fetching them with Maven if needed."""
    version = version or kafka_version()
    home = cache_root() / f"kafka-{version}"
    libs = home / "libs"
    marker = home / ".complete"
    if marker.exists():
        return libs
    mvn = which("mvn", "install Maven (Debian package `maven`) to fetch the Kafka broker")
    with _file_lock(home.with_suffix(".lock")):
        if marker.exists():  # another process fetched them while we waited
            return libs
        with tempfile.TemporaryDirectory(prefix="silta-kafka-pom-") as work:
            # Run Maven on a copy so it never writes target/ into the source tree.
            shutil.copy(POM, Path(work) / "pom.xml")
            staging = Path(work) / "libs"
            result = subprocess.run(
                [mvn, "-q", "-B", "-f", str(Path(work) / "pom.xml"),
                 "dependency:copy-dependencies", "-DincludeScope=runtime",
                 f"-DoutputDirectory={staging}"],
                capture_output=True, text=True, check=False,
            )
            if result.returncode != 0 or not any(staging.glob("kafka_2.13-*.jar")):
                tail = (result.stdout + result.stderr)[-2000:]
                raise LocalKafkaError(f"mvn could not fetch Kafka {version}:\n{tail}")
            shutil.rmtree(libs, ignore_errors=True)
            libs.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging), libs)
        marker.write_text(version)
    return libs
