"""ACLs as code: read `deploy/acls.yaml`, turn each principal's grants into Kafka ACL
bindings, compare with the cluster, apply.

Only principals named in the file are managed: their ACLs are made to equal the file
(missing ones created, extra ones removed); other principals' ACLs on a shared cluster
are left alone. aiokafka has no ACL calls in its admin client, but it ships the
DescribeAcls/CreateAcls/DeleteAcls (v1) protocol messages, which is all this needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

import deploy
from services.kafka.clients import Kafka, new_admin
from services.kafka.topics import load_yaml

DEFAULT_ACLS_FILE = Path(deploy.__file__).resolve().parent / "acls.yaml"
CLUSTER = "kafka-cluster"  # the one name Kafka's CLUSTER resource has


# Kafka's wire codes (org.apache.kafka.common.acl / resource).
class Resource(enum.IntEnum):
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5


class Pattern(enum.IntEnum):
    ANY = 1
    LITERAL = 3
    PREFIXED = 4


class Operation(enum.IntEnum):
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12


class Permission(enum.IntEnum):
    ANY = 1
    DENY = 2
    ALLOW = 3


_KNOWN: dict[type[enum.IntEnum], set[int]] = {
    kind: {member.value for member in kind}
    for kind in (Resource, Pattern, Operation, Permission)}

ClusterOperation = Literal["Alter", "Describe", "Create", "AlterConfigs", "DescribeConfigs"]
_CLUSTER_OPERATIONS = {"Alter": Operation.ALTER, "Describe": Operation.DESCRIBE,
                       "Create": Operation.CREATE, "AlterConfigs": Operation.ALTER_CONFIGS,
                       "DescribeConfigs": Operation.DESCRIBE_CONFIGS}
# What each kind of grant in the file means in Kafka operations.
_GRANTS: dict[str, tuple[Resource, tuple[Operation, ...]]] = {
    "read": (Resource.TOPIC, (Operation.READ, Operation.DESCRIBE)),
    "write": (Resource.TOPIC, (Operation.WRITE, Operation.DESCRIBE)),
    "groups": (Resource.GROUP, (Operation.READ,)),
    "transactional_ids": (Resource.TRANSACTIONAL_ID, (Operation.WRITE, Operation.DESCRIBE)),
    "manage_topics": (Resource.TOPIC, (Operation.CREATE, Operation.DELETE, Operation.ALTER,
                                       Operation.ALTER_CONFIGS, Operation.DESCRIBE_CONFIGS,
                                       Operation.DESCRIBE)),
}

# A Kafka topic, group, transactional id or user name; a trailing `*` makes it a prefix.
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+\*?$")]
User = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]+$")]


class PrincipalSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    read: list[Name] = Field(default_factory=list)
    write: list[Name] = Field(default_factory=list)
    groups: list[Name] = Field(default_factory=list)
    transactional_ids: list[Name] = Field(default_factory=list)
    manage_topics: list[Name] = Field(default_factory=list)
    cluster: list[ClusterOperation] = Field(default_factory=list)


class AclsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    principals: dict[User, PrincipalSpec]

    def bindings(self) -> set[Binding]:
        return {b for name in self.principals for b in self.bindings_of(name)}

    def bindings_of(self, name: str) -> set[Binding]:
        spec, principal = self.principals[name], f"User:{name}"
        found = {Binding(Resource.CLUSTER, CLUSTER, Pattern.LITERAL, principal,
                         _CLUSTER_OPERATIONS[op]) for op in spec.cluster}
        for grant, (resource, operations) in _GRANTS.items():
            for pattern in getattr(spec, grant):
                kind = Pattern.PREFIXED if pattern.endswith("*") else Pattern.LITERAL
                found |= {Binding(resource, pattern.rstrip("*"), kind, principal, op)
                          for op in operations}
        return found


@dataclass(frozen=True, order=True)
class Binding:
    """One ACL. The file only ever makes ALLOW from any host; the cluster may hold others
    (a DENY, one host), which count as drift for a principal the file manages."""

    resource: Resource
    name: str
    pattern: Pattern
    principal: str
    operation: Operation
    permission: Permission = Permission.ALLOW
    host: str = "*"

    def __str__(self) -> str:
        star = "*" if self.pattern is Pattern.PREFIXED else ""
        unusual = (f" ({self.permission.name} from {self.host})"
                   if (self.permission, self.host) != (Permission.ALLOW, "*") else "")
        return (f"{self.principal} {self.operation.name} {self.resource.name} "
                f"{self.name}{star}{unusual}")


def load_acls(path: Path = DEFAULT_ACLS_FILE) -> AclsFile:
    """Parse and check the ACLs file; errors name the file and the offending field."""
    return load_yaml(path, AclsFile, "ACLs file")


@dataclass
class AclReport:
    created: list[Binding] = field(default_factory=list)
    removed: list[Binding] = field(default_factory=list)
    unchanged: int = 0

    @property
    def drift(self) -> bool:
        return bool(self.created or self.removed)

    def lines(self, missing: str = "created", extra: str = "removed") -> list[str]:
        return ([f"{missing:<8} {b}" for b in self.created]
                + [f"{extra:<8} {b}" for b in self.removed]
                + [f"{len(self.created)} {missing}, {len(self.removed)} {extra}, "
                   f"{self.unchanged} unchanged"])


async def apply_acls(kafka: Kafka, spec: AclsFile, *, dry_run: bool = False) -> AclReport:
    """Make the managed principals' ACLs equal the file; with `dry_run`, only report."""
    admin = new_admin(kafka, request_timeout_ms=15000)
    await admin.start()
    try:
        have = {b for b in await describe_acls(admin)
                if b.principal.removeprefix("User:") in spec.principals}
        want = spec.bindings()
        report = AclReport(sorted(want - have), sorted(have - want), len(want & have))
        if not dry_run:
            for binding in report.created:
                await _send(admin, CreateAclsRequest(*_wire(binding)), "creation_responses")
            for binding in report.removed:
                await _send(admin, DeleteAclsRequest(*_wire(binding)), "filter_responses")
        return report
    finally:
        await admin.close()


async def describe_acls(admin: AIOKafkaAdminClient) -> set[Binding]:
    """Every ACL on the cluster (of the kinds this module knows)."""
    request = DescribeAclsRequest(Resource.ANY, None, Pattern.ANY, None, None,  # type: ignore[arg-type]
                                  Operation.ANY, Permission.ANY)
    response = await admin._send_request(request)
    _raise_for(response.error_code, response.error_message)
    found: set[Binding] = set()
    for resource, name, pattern, acls in response.resources:
        for principal, host, operation, permission in acls:
            if (resource in _KNOWN[Resource] and pattern in _KNOWN[Pattern]
                    and operation in _KNOWN[Operation] and permission in _KNOWN[Permission]):
                found.add(Binding(Resource(resource), name, Pattern(pattern), principal,
                                  Operation(operation), Permission(permission), host))
    return found


def _wire(binding: Binding) -> tuple[int, str, int, str, str, int, int]:
    return (binding.resource, binding.name, binding.pattern, binding.principal, binding.host,
            binding.operation, binding.permission)


async def _send(admin: AIOKafkaAdminClient, request: CreateAclsRequest | DeleteAclsRequest,
                results: str) -> None:
    response = await admin._send_request(request)
    for result in getattr(response, results):
        _raise_for(result[0], result[1])


def _raise_for(code: int, message: str | None) -> None:
    if code:
        error = for_code(code)
        raise error(message or error.description)
