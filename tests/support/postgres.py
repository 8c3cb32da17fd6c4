"""A real PostgreSQL for tests: SILTA_TEST_POSTGRES_URL, or a throwaway cluster started
from the Debian server binaries (`apt-get install postgresql`) on a free port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from deploy.local.broker import free_port


@dataclass
class Postgres:
    url: str
    description: str
    stop: Callable[[], None]


def _as_postgres_user(command: list[str]) -> list[str]:
    # initdb refuses to run as root; the Debian package creates a `postgres` user.
    if os.geteuid() == 0:
        pwd.getpwnam("postgres")
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def acquire_postgres() -> Postgres:
    if url := os.environ.get("SILTA_TEST_POSTGRES_URL"):
        return Postgres(url, "external PostgreSQL from SILTA_TEST_POSTGRES_URL", lambda: None)
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not binaries:
        raise RuntimeError("no PostgreSQL server binaries (apt-get install postgresql) and no "
                           "SILTA_TEST_POSTGRES_URL")
    bin_dir = binaries[-1]
    root = tempfile.mkdtemp(prefix="silta-test-pg-")
    data, sockets = os.path.join(root, "data"), os.path.join(root, "run")
    os.makedirs(sockets)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(_as_postgres_user([f"{bin_dir}/initdb", "-D", data, "-A", "trust", "-U",
                                      "silta", "--no-sync"]), check=True, capture_output=True)
    subprocess.run(_as_postgres_user([
        f"{bin_dir}/pg_ctl", "-D", data, "-w", "-l", os.path.join(root, "log"), "-o",
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off", "start",
    ]), check=True, capture_output=True)

    def stop() -> None:
        subprocess.run(_as_postgres_user([f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate",
                                          "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)

    version = os.path.basename(os.path.dirname(bin_dir))
    return Postgres(f"postgresql://silta@127.0.0.1:{port}/postgres",
                    f"PostgreSQL {version} (throwaway cluster) on port {port}", stop)
