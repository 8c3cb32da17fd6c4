"""The deployment files checked with real tools: `helm` (Go module proxy, installed by
.ci/run), hadolint, check-jsonschema and kubernetes-validate (PyPI, dev extra).

A missing tool skips with the reason; with CI=true it fails the run instead.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
CHART = DEPLOY / "helm" / "silta"
CONTAINERFILE = DEPLOY / "Containerfile"
COMPOSE = DEPLOY / "compose.yaml"
HELM_VERSION = "v4.3.2"  # .ci/run installs this one
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# The chart rendered several ways, so every branch of the templates is validated.
CHART_VARIANTS: dict[str, list[str]] = {
    "defaults": [],
    "plaintext": ["--set", "kafka.securityProtocol=PLAINTEXT", "--set",
                  "serviceMonitor.enabled=false", "--set", "provision.acls=false"],
    "ssl-own-topics": ["--set", "kafka.securityProtocol=SSL", "--set", "kafka.caSecret=",
                       "--set", "services.api.enabled=false", "--set", "topicsConfigMap=my-topics"],
    "mtls": ["--set", "kafka.securityProtocol=SSL",
             "--set", "services.ingest.secretFiles[0].setting=SILTA_KAFKA_SSL_CERTFILE",
             "--set", "services.ingest.secretFiles[0].secret=silta-ingest-tls",
             "--set", "services.ingest.secretFiles[0].key=tls.crt",
             "--set", "services.ingest.secretFiles[1].setting=SILTA_KAFKA_SSL_KEYFILE",
             "--set", "services.ingest.secretFiles[1].secret=silta-ingest-tls",
             "--set", "services.ingest.secretFiles[1].key=tls.key"],
    "edge-tls": [*(arg for n, (setting, key) in enumerate(
        [("CERTFILE", "tls.crt"), ("KEYFILE", "tls.key"), ("CLIENT_CAFILE", "ca.crt")])
        for arg in ("--set", f"services.api.secretFiles[{n + 1}].setting=SILTA_API_TLS_{setting}",
                    "--set", f"services.api.secretFiles[{n + 1}].secret=silta-api-tls",
                    "--set", f"services.api.secretFiles[{n + 1}].key={key}")),
                 "--set", "services.api.secretFiles[0].setting=SILTA_API_TOKENS_FILE",
                 "--set", "services.api.secretFiles[0].secret=silta-api-tokens",
                 "--set", "services.api.secretFiles[0].key=tokens",
                 "--set", "services.mllp.service.type=LoadBalancer"],
}


def tool(name: str) -> str:
    """The path of a validator: the pinned helm, this venv's scripts, then PATH."""
    candidates = [Path.home() / ".cache" / "silta" / f"helm-{HELM_VERSION}" / name,
                  Path(sys.executable).parent / name]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    message = (f"{name} not found (helm: `GOBIN=~/.cache/silta/helm-{HELM_VERSION} go install "
               f"helm.sh/helm/v4/cmd/helm@{HELM_VERSION}`; others: `make install`)")
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def render(*helm_args: str) -> list[dict[str, Any]]:
    done = run(tool("helm"), "template", "silta", str(CHART), "--namespace", "silta",
               *helm_args)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    return {variant: render(*args) for variant, args in CHART_VARIANTS.items()}


def containerfile() -> DockerfileParser:
    # A file object: given a path not named Dockerfile, the parser takes it for a folder.
    return DockerfileParser(fileobj=io.BytesIO(CONTAINERFILE.read_bytes()))


@pytest.fixture(scope="session")
def image_env() -> dict[str, str]:
    """The environment the image's final stage sets (ENV), as the services see it."""
    return dict(containerfile().envs)


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def of_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


def pod_specs(docs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(name, pod spec) of every workload: Deployments and Jobs."""
    return [(doc["metadata"]["name"], doc["spec"]["template"]["spec"])
            for doc in docs if doc["kind"] in ("Deployment", "Job")]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"]]


def secret_source(pod: dict[str, Any], container: dict[str, Any],
                      path: str | None) -> tuple[str, str] | None:
    """(Secret name, key) that the file at `path` comes from, or None."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        if "projected" not in volume or path is None:
            continue
        for source in volume["projected"]["sources"]:
            for item in source["secret"]["items"]:
                if f"{mount['mountPath']}/{item['path']}" == path:
                    return source["secret"]["name"], item["key"]
    return None
