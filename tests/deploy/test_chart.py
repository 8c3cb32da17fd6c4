"""The Helm chart: rendered by a real `helm template`, every manifest validated against the
Kubernetes JSON schemas (kubernetes-validate, strict: unknown fields are errors), and the
properties a platform team relies on checked in the rendered output."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, get_args

import kubernetes_validate
import pytest

from services.cli import serve
from services.cli.serve import Service
from services.kafka.connection import SaslMechanism, SecurityProtocol
from services.settings import PseudonymSettings
from tests.deploy.conftest import (
    CHART,
    CHART_VARIANTS,
    containers,
    of_kind,
    pod_specs,
    render,
    run,
    secret_source,
    tool,
)

# The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest schemas.
K8S_VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]
SERVICES = {"ingest", "timeline", "mllp", "http-ingest", "api"}
DATA_PORTS = {"http-ingest": {"http": 8080}, "api": {"http": 8080}, "mllp": {"mllp": 2575}}
SECRETS_DIR = "/var/run/secrets/silta"


def test_helm_lint_is_clean() -> None:
    done = run(tool("helm"), "lint", "--strict", str(CHART))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("variant", CHART_VARIANTS)
def test_every_manifest_is_schema_valid(rendered: dict[str, list[dict[str, Any]]],
                                        variant: str, version: str) -> None:
    docs = rendered[variant]
    for doc in docs:
        if doc["kind"] == "ServiceMonitor":
            continue  # a CRD: no schema ships offline; test_service_monitor_* checks it
        kubernetes_validate.validate(doc, version, strict=True)
    assert {doc["kind"] for doc in docs} >= {"Deployment", "Service", "PodDisruptionBudget"}


def _wrong_type(deployment: dict[str, Any]) -> None:
    deployment["spec"]["replicas"] = "two"


def _unknown_field(deployment: dict[str, Any]) -> None:
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"


def _missing_required(deployment: dict[str, Any]) -> None:
    del deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["port"]


@pytest.mark.parametrize("break_it", [_wrong_type, _unknown_field, _missing_required])
def test_the_validator_rejects_a_broken_deployment(
        rendered: dict[str, list[dict[str, Any]]], break_it: Callable[[dict[str, Any]], None]) -> None:
    deployment = copy.deepcopy(of_kind(rendered["defaults"], "Deployment")[0])
    kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)
    break_it(deployment)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


def test_one_deployment_per_service_probed_on_health_and_ready(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    deployments = of_kind(rendered["defaults"], "Deployment")
    assert sorted(d["spec"]["template"]["spec"]["containers"][0]["args"][0]
                  for d in deployments) == sorted(SERVICES)
    for deployment in deployments:
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        service = container["args"][0]
        assert ports == {"ops": 9090, **DATA_PORTS.get(service, {})}, service
        assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "ops"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "ops"}
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["limits"]["memory"]


def test_the_probed_ports_are_the_ones_the_image_serves(image_env: dict[str, str]) -> None:
    """9090 is every service's plain-HTTP operations port in the image, 8080 the HTTP
    gateway's and the API's own (services/cli/serve.py reads these settings)."""
    for service in SERVICES:
        *_, port_field = serve._SERVICES[Service(service)]
        operations = serve._EDGES.get(Service(service), port_field)
        assert image_env[f"SILTA_{operations.upper()}"] == "9090", service
        if service in DATA_PORTS and service != "mllp":
            assert image_env[f"SILTA_{port_field.upper()}"] == "8080", service


def test_tls_at_the_edge_leaves_the_probes_on_the_operations_port(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    """Client certificates required on the API's port: a kubelet holds none, so its probes
    must not go there; a LoadBalancer for MLLP senders exposes MLLP only."""
    docs = rendered["edge-tls"]
    api = _pod(docs, "api")
    (container,) = api["containers"]
    env = _env(container)
    assert secret_source(api, container, env["SILTA_API_TLS_CLIENT_CAFILE"]) == (
        "silta-api-tls", "ca.crt")
    assert container["readinessProbe"]["httpGet"]["port"] == "ops"
    assert "scheme" not in container["readinessProbe"]["httpGet"]  # plain HTTP
    services = {s["metadata"]["name"]: s["spec"] for s in of_kind(docs, "Service")}
    assert services["silta-mllp"]["type"] == "LoadBalancer"
    assert [p["name"] for p in services["silta-mllp"]["ports"]] == ["mllp"]
    assert {spec["type"] for name, spec in services.items() if name.endswith("-ops")} == {
        "ClusterIP"}


def test_every_deployment_has_a_disruption_budget_over_its_own_pods(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["defaults"]
    budgets = [b["spec"]["selector"]["matchLabels"] for b in of_kind(docs, "PodDisruptionBudget")]
    for deployment in of_kind(docs, "Deployment"):
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert budgets.count(selector) == 1, deployment["metadata"]["name"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


@pytest.mark.parametrize("variant", CHART_VARIANTS)
def test_pods_run_as_non_root_on_a_read_only_root(rendered: dict[str, list[dict[str, Any]]],
                                                  variant: str) -> None:
    for name, pod in pod_specs(rendered[variant]):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in containers(pod):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, (name, container["name"])
            assert context["allowPrivilegeEscalation"] is False, (name, container["name"])
            assert context["capabilities"]["drop"] == ["ALL"], (name, container["name"])


def test_writable_paths_are_volumes_and_the_timeline_state_dir_is_one(
        rendered: dict[str, list[dict[str, Any]]], image_env: dict[str, str]) -> None:
    for name, pod in pod_specs(rendered["defaults"]):
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        for container in containers(pod):
            for mount in container["volumeMounts"]:
                if not mount.get("readOnly"):
                    assert "emptyDir" in volumes[mount["name"]], (name, mount)
    timeline = _pod(rendered["defaults"], "timeline")
    (container,) = timeline["containers"]
    state_dir = PurePosixPath(_env(container).get("SILTA_TIMELINE_STATE_DIR")
                              or image_env["SILTA_TIMELINE_STATE_DIR"])
    writable = [PurePosixPath(m["mountPath"]) for m in container["volumeMounts"]
                if not m.get("readOnly")]
    assert any(state_dir.is_relative_to(path) for path in writable), (state_dir, writable)


def test_secrets_come_from_kubernetes_secrets_never_from_values(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["defaults"]
    assert not of_kind(docs, "Secret"), "the chart must only name Secrets, never hold one"
    for name, pod in pod_specs(docs):
        for container in containers(pod):
            env = _env(container)
            for setting in env:
                assert not setting.endswith(("_PASSWORD", "_KEY", "_TOKENS", "_URL")) or \
                    _from_secret(container, setting), (name, setting)
            for setting, path in env.items():
                if setting.endswith("_FILE"):
                    assert secret_source(pod, container, path), (name, setting, path)
    ingest = _pod(docs, "ingest")["containers"][0]
    assert _env(ingest)["SILTA_KAFKA_SASL_USERNAME"] == "ingest"
    assert secret_source(_pod(docs, "ingest"), ingest, f"{SECRETS_DIR}/kafka-password") == (
        "silta-kafka-credentials", "ingest")
    timeline = _pod(docs, "timeline")
    assert secret_source(timeline, timeline["containers"][0], f"{SECRETS_DIR}/pseudonym-key") == (
        "silta-pseudonym-key", "key")
    assert "SILTA_PSEUDONYM_KEY_FILE" not in _env(_pod(docs, "api")["containers"][0])
    assert "SILTA_KAFKA_BOOTSTRAP" not in _env(_pod(docs, "api")["containers"][0])


def test_plaintext_kafka_mounts_no_kafka_secret(rendered: dict[str, list[dict[str, Any]]]) -> None:
    for name, pod in pod_specs(rendered["plaintext"]):
        for container in containers(pod):
            assert not any(s.startswith(("SILTA_KAFKA_SASL", "SILTA_KAFKA_SSL"))
                           for s in _env(container)), name
        items = [item["path"] for source in _projected(pod) for item in source["secret"]["items"]]
        assert not any(path.startswith("kafka-") for path in items), name


def test_service_monitor_scrapes_metrics_of_every_service(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    docs = rendered["defaults"]
    (monitor,) = of_kind(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    selector = monitor["spec"]["selector"]["matchLabels"]
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    selected = [s for s in of_kind(docs, "Service")
                if selector.items() <= s["metadata"]["labels"].items()]
    assert len(selected) == len(SERVICES)
    for service in selected:
        port = {p["name"]: p for p in service["spec"]["ports"]}[endpoint["port"]]
        assert port["targetPort"] == "ops"
        assert service["spec"]["type"] == "ClusterIP"
    assert not of_kind(rendered["plaintext"], "ServiceMonitor")


def test_provisioning_is_a_hook_job_topics_then_acls_as_the_operator(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    (job,) = of_kind(rendered["defaults"], "Job")
    hooks = job["metadata"]["annotations"]["helm.sh/hook"].split(",")
    assert set(hooks) == {"pre-install", "pre-upgrade"}
    pod = job["spec"]["template"]["spec"]
    assert [c["command"] for c in containers(pod)] == [
        ["silta", "topics", "apply"], ["silta", "acls", "apply"]]
    assert {_env(c)["SILTA_KAFKA_SASL_USERNAME"] for c in containers(pod)} == {"operator"}
    (job,) = of_kind(rendered["plaintext"], "Job")
    assert [c["command"] for c in containers(job["spec"]["template"]["spec"])] == [
        ["silta", "topics", "apply"]]


def test_services_can_be_switched_off_and_values_reach_the_pods() -> None:
    docs = render("--set", "services.mllp.enabled=false", "--set", "services.ingest.replicas=5",
                  "--set", "services.ingest.env.SILTA_INGEST_MAX_BATCH=250",
                  "--set", "image.tag=1.2.3")
    names = [d["metadata"]["name"] for d in of_kind(docs, "Deployment")]
    assert "silta-mllp" not in names and "silta-ingest" in names
    ingest = next(d for d in of_kind(docs, "Deployment") if d["metadata"]["name"] == "silta-ingest")
    assert ingest["spec"]["replicas"] == 5
    (container,) = ingest["spec"]["template"]["spec"]["containers"]
    assert _env(container)["SILTA_INGEST_MAX_BATCH"] == "250"
    assert container["image"] == "silta:1.2.3"


# --- helpers ---------------------------------------------------------------------------


def _pod(docs: list[dict[str, Any]], service: str) -> dict[str, Any]:
    return next(d["spec"]["template"]["spec"] for d in of_kind(docs, "Deployment")
                if d["spec"]["template"]["spec"]["containers"][0]["args"] == [service])


def _env(container: dict[str, Any]) -> dict[str, str | None]:
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def _from_secret(container: dict[str, Any], setting: str) -> bool:
    entry = next(e for e in container["env"] if e["name"] == setting)
    return "secretKeyRef" in entry.get("valueFrom", {})


def _projected(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [source for volume in pod["volumes"] if "projected" in volume
            for source in volume["projected"]["sources"]]


def test_a_topics_config_map_reaches_every_container(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    for name, pod in pod_specs(rendered["ssl-own-topics"]):
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in containers(pod):
            path = PurePosixPath(str(_env(container)["SILTA_TOPICS_FILE"]))
            (mount,) = [m for m in container["volumeMounts"]
                        if path.parent == PurePosixPath(m["mountPath"])]
            config_map = volumes[mount["name"]]["configMap"]
            assert config_map["name"] == "my-topics", name
            assert config_map["items"] == [{"key": "topics.yaml", "path": path.name}], name
    for _, pod in pod_specs(rendered["defaults"]):
        assert all("SILTA_TOPICS_FILE" not in _env(c) for c in containers(pod))


def test_a_client_certificate_for_mtls_comes_from_a_secret(
        rendered: dict[str, list[dict[str, Any]]]) -> None:
    pod = _pod(rendered["mtls"], "ingest")
    (container,) = pod["containers"]
    env = _env(container)
    assert secret_source(pod, container, env["SILTA_KAFKA_SSL_CERTFILE"]) == (
        "silta-ingest-tls", "tls.crt")
    assert secret_source(pod, container, env["SILTA_KAFKA_SSL_KEYFILE"]) == (
        "silta-ingest-tls", "tls.key")
    assert secret_source(pod, container, env["SILTA_KAFKA_SSL_CAFILE"]) == (
        "silta-kafka-ca", "ca.crt")


@pytest.mark.parametrize(("setting", "named"), [
    ("services.ingest.replica=3", "replica"),
    ("kafka.securityProtocol=TLS", "securityProtocol"),
    ("services.ingest.env.INGEST_MAX_BATCH=3", "INGEST_MAX_BATCH"),
    ("pseudonymKey.version=Key 2", "version"),
])
def test_values_schema_refuses_a_misspelt_or_invalid_value(setting: str, named: str) -> None:
    done = run(tool("helm"), "template", "silta", str(CHART), "--set", setting)
    assert done.returncode != 0
    assert named in done.stderr


def test_values_schema_allows_what_the_settings_allow() -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())["properties"]
    kafka = schema["kafka"]["properties"]
    assert set(kafka["securityProtocol"]["enum"]) == set(get_args(SecurityProtocol))
    assert set(kafka["saslMechanism"]["enum"]) == set(get_args(SaslMechanism))
    version = PseudonymSettings.model_fields["pseudonym_key_version"].metadata
    assert [m.pattern for m in version if hasattr(m, "pattern")] == [
        schema["pseudonymKey"]["properties"]["version"]["pattern"]]
    assert set(schema["services"]["properties"]["ingest"]["properties"]["serve"]["enum"]) == {
        s.value for s in Service}
