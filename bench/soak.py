"""Soak: valid, mistaken and hostile traffic through both gateways of a running `silta run`,
then the books. Loopback only, bounded in inputs and time.

    .venv/bin/python -m bench.soak [--inputs 100000] [--max-seconds 1200] [--connections 8]
                                                   (writes bench/results/soak.json)

`silta run` runs as a child process on a broker of its own (SILTA_KAFKA_BOOTSTRAP, else a
throwaway local Kafka) with a fresh SQLite store and pseudonym key. The traffic is the
simulator's (valid records, malformed ones, exact re-sends) and about a fifth of hostile
probes: random bytes, empty and truncated messages, identity codes in MSH-10, deep JSON,
wrong tokens, unknown sources. Afterwards it checks, and prints:

- every service answers /health and /ready;
- the process's memory (RSS) after the traffic settles against its baseline after start-up
  (a ratio; "in band" when at most 1.5x + 64 MiB: CPython seldom returns freed memory);
- every accepted input (MLLP AA, HTTP 202) is a raw record, and the books balance (`silta
  timeline verify`: each raw record has events or a dead letter; each event an entry, a
  dead letter, a counted duplicate or a counted policy drop); every MLLP AE that could be
  kept is a gateway dead letter.
Exit 0 when all hold.

Measured 2026-12-03 (`--inputs 100000 --connections 16`, this 2-core machine shared with
other work, load average 5-9): 100,000 inputs sent in 632 s (158/s), books balanced 33 s
later (81,054 accepted = 81,054 raw records; 7,674 MLLP AE = 7,674 gateway dead letters),
every service healthy, RSS 92 MiB at start, 135 MiB after the traffic and still 135 MiB
settled (1.47x: in the band, but not back to the baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.timing import environment, kafka_broker, write
from contracts.hetu import make_hetu
from deploy.local.broker import free_port
from services.deadletter import from_deadletter
from services.kafka.reading import read_topic
from services.simulate import SimConfig, generate

START, END = b"\x0b", b"\x1c\r"
MESSAGES_PER_CLIENT = 23  # what the simulator makes on average (SimConfig defaults)
MIB = 1024 * 1024
_TOKENS = re.compile(r"tokens per source: (.+)$", re.MULTILINE)
_HEALTH = re.compile(r"health/metrics (.+)$", re.MULTILINE)
_PORTS = ("SILTA_MLLP_PORT", "SILTA_MLLP_HTTP_PORT", "SILTA_HTTP_INGEST_PORT",
          "SILTA_INGEST_HTTP_PORT", "SILTA_TIMELINE_HTTP_PORT", "SILTA_API_PORT")


def hostile(rng: random.Random, count: int) -> list[tuple[str, str, bytes]]:
    """(format, kind, payload) probes a hostile or careless client sends."""
    def hetu() -> str:
        return make_hetu(dt.date(1960, 1, 1 + rng.randrange(28)), rng.randrange(900, 1000))

    makers: list[tuple[str, str, Any]] = [
        # Framed correctly: broken framing is tests/services/gateways/mllp's business, and
        # a block character inside would make one input several frames and ACKs.
        ("hl7v2", "random", lambda: rng.randbytes(rng.randrange(1, 400)).translate(
            None, b"\x0b\x1c")),
        ("hl7v2", "empty", lambda: b""),
        ("hl7v2", "truncated-msh", lambda: b"MSH|^~\\&|UNA|OY"),
        ("hl7v2", "hetu-control-id", lambda: (
            f"MSH|^~\\&|A|B|SILTA|SILTA|20250303||ADT^A01|{hetu()}|P|2.5.1\rPID|1\r").encode()),
        ("hl7v2", "unsupported", lambda: b"MSH|^~\\&|A|B|C|D|20250303||SIU^S12|S1|P|2.5.1\r"),
        ("fhir", "random", lambda: rng.randbytes(rng.randrange(1, 400))),
        ("fhir", "deep", lambda: b'{"resourceType":"Observation","x":' + b"[" * 300
         + b"]" * 300 + b"}"),
        ("fhir", "hetu-id", lambda: json.dumps({"resourceType": "Patient",
                                                 "id": hetu()}).encode()),
        ("social", "not-object", lambda: b'["x"]'),
        ("social", "wrong-token", lambda: b"{}"),
        ("social", "unknown-source", lambda: b"{}"),
    ]
    return [(fmt, kind, make()) for fmt, kind, make in
            (rng.choice(makers) for _ in range(count))]


class Traffic:
    def __init__(self, mllp_port: int, http_url: str, tokens: dict[str, str]) -> None:
        self.mllp_port, self.http_url, self.tokens = mllp_port, http_url, tokens
        self.outcomes: Counter[str] = Counter()
        self.gateway_kept = 0  # MLLP AE whose bytes the gateway keeps (not empty)

    @property
    def accepted(self) -> int:
        """Inputs a gateway took: MLLP AA and HTTP 202."""
        return self.outcomes["MLLP AA"] + self.outcomes["HTTP 202"]

    async def mllp(self, messages: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.mllp_port)
        try:
            for message in messages:
                writer.write(START + message + END)
                await writer.drain()
                data = await asyncio.wait_for(reader.readuntil(END), 30)
                code = data[data.index(b"\rMSA|") + 5:][:2].decode()
                self.outcomes[f"MLLP {code}"] += 1
                self.gateway_kept += code == "AE" and bool(message.strip())
        finally:
            writer.close()

    async def http(self, client: httpx.AsyncClient,
                   requests: list[tuple[str, str, bytes]]) -> None:
        for source, kind, body in requests:
            token = self.tokens.get(source, "")
            if kind == "wrong-token":
                token = secrets.token_hex(16)
            path = f"/ingest/{'no-such-source' if kind == 'unknown-source' else source}"
            response = await client.post(path, content=body, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            self.outcomes[f"HTTP {response.status_code}"] += 1


def _pairs(pattern: re.Pattern[str], text: str, sep: str) -> dict[str, str]:
    """`a=1, b=2` (or `a 1, b 2`) from the line of `silta run`'s output `pattern` finds."""
    match = pattern.search(text)
    if match is None:
        raise RuntimeError(f"silta run's output has no line matching {pattern.pattern!r}")
    pairs = (part.split(sep, 1) for part in match.group(1).split(", "))
    return {name: value for name, value in pairs}


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@contextlib.contextmanager
def silta_run(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`silta run` in a child process; yields it and its start-up output."""
    with log.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", "services.cli.main", "run"], env=env,
                                   stdout=subprocess.PIPE, stderr=err, text=True)
        assert process.stdout is not None
        out = []
        try:
            for line in process.stdout:
                out.append(line)
                if line.startswith("Silta is running"):
                    break
            else:
                raise RuntimeError(f"silta run stopped during start-up; see {log}")
            yield process, "".join(out)
        finally:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(60)
            if process.poll() is None:
                process.kill()


def _plan(inputs: int, seed: int) -> tuple[list[bytes], list[tuple[str, str, bytes]]]:
    """The MLLP messages and the HTTP requests (source, kind, body), shuffled."""
    rng = random.Random(seed)
    probes = inputs // 5
    simulated = generate(SimConfig(clients=max(1, (inputs - probes) // MESSAGES_PER_CLIENT),
                                   seed=seed))[:inputs - probes]
    sources = {m.fmt: m.source_id for m in simulated}
    mixed = [(m.fmt, m.source_id, "simulated", m.payload) for m in simulated]
    mixed += [(fmt, sources[fmt], kind, body) for fmt, kind, body in hostile(rng, probes)]
    rng.shuffle(mixed)
    mllp = [body for fmt, _, _, body in mixed if fmt == "hl7v2"]
    http = [(source, kind, body) for fmt, source, kind, body in mixed if fmt != "hl7v2"]
    return mllp, http


async def _send(traffic: Traffic, mllp: list[bytes], http: list[tuple[str, str, bytes]],
                connections: int) -> None:
    async with httpx.AsyncClient(base_url=traffic.http_url, timeout=30) as client:
        await asyncio.gather(
            *(traffic.mllp(mllp[n::connections]) for n in range(connections)),
            *(traffic.http(client, http[n::connections]) for n in range(connections)))


def _healthy(endpoints: dict[str, str]) -> dict[str, bool]:
    ok = {}
    for name, url in endpoints.items():
        try:
            ok[name] = all(httpx.get(f"{url}/{path}", timeout=5).status_code == 200
                           for path in ("health", "ready"))
        except httpx.HTTPError:
            ok[name] = False
    return ok


def _run_env(bootstrap: str, folder: Path) -> dict[str, str]:
    """`silta run`'s environment: a fresh store and key, and free ports of its own so a
    `silta run` already on this machine is left alone."""
    env = os.environ | {name: str(free_port()) for name in _PORTS} | {
        "SILTA_KAFKA_BOOTSTRAP": bootstrap, "SILTA_PSEUDONYM_KEY": secrets.token_hex(32),
        "SILTA_STORE_URL": f"sqlite:///{folder / 'timeline.sqlite3'}",
        "SILTA_LOG_LEVEL": "WARNING"}
    # The books are read here, from the same store with the same key.
    os.environ.update({k: env[k] for k in ("SILTA_PSEUDONYM_KEY", "SILTA_STORE_URL")})
    return env


async def _settled_books(bootstrap: str, accepted: int, deadline: float) -> Any:
    """`silta timeline verify`'s books once every accepted input is a raw record and they
    balance, store included; as they stand at `deadline` (monotonic) when they never do."""
    from services.cli.timeline import _verify
    from services.timeline.settings import TimelineSettings

    settings = TimelineSettings(kafka_bootstrap=bootstrap)
    books = await _verify(settings, True)
    while (books.raw_records != accepted or not books.balanced
           or books.store_entries != books.entries) and time.monotonic() < deadline:
        await asyncio.sleep(5)
        books = await _verify(settings, True)
    return books


def soak(bootstrap: str, mllp: list[bytes], http: list[tuple[str, str, bytes]],
         connections: int, max_seconds: float) -> tuple[dict[str, Any], Any]:
    """Send the traffic through a fresh `silta run` and wait for the books to settle;
    (what it measured, the books)."""
    folder = Path(tempfile.mkdtemp(prefix="silta-soak-"))
    env = _run_env(bootstrap, folder)
    with silta_run(env, folder / "silta-run.log") as (process, out):
        tokens, endpoints = _pairs(_TOKENS, out, "="), _pairs(_HEALTH, out, " ")
        memory = {"baseline": _rss(process.pid)}
        traffic = Traffic(int(env["SILTA_MLLP_PORT"]), endpoints["http-ingest"], tokens)
        started = time.monotonic()
        asyncio.run(asyncio.wait_for(_send(traffic, mllp, http, connections), max_seconds))
        sent_seconds = time.monotonic() - started
        memory["after_traffic"] = _rss(process.pid)
        books = asyncio.run(_settled_books(bootstrap, traffic.accepted, started + max_seconds))
        settled_seconds = time.monotonic() - started
        time.sleep(5)
        memory["settled"] = _rss(process.pid)
        health = _healthy(endpoints)
        letters = [from_deadletter(r) for r in
                   asyncio.run(read_topic(bootstrap, "silta.deadletter.v1"))]
    gateway_letters = sum(d.context.get("stage") == "mllp-gateway" for d in letters)
    baseline, settled, inputs = memory["baseline"], memory["settled"], len(mllp) + len(http)
    measured = {
        "inputs": inputs, "mllp_inputs": len(mllp), "http_inputs": len(http),
        "outcomes": dict(sorted(traffic.outcomes.items())), "accepted": traffic.accepted,
        "send_seconds": round(sent_seconds, 1), "settle_seconds": round(settled_seconds, 1),
        "inputs_per_second": round(inputs / sent_seconds),
        "books": books.summary(), "gateway_dead_letters": gateway_letters,
        "gateway_kept_expected": traffic.gateway_kept,
        "memory_mib": {name: round(value / MIB) for name, value in memory.items()},
        "memory_ratio_settled_to_baseline": round(settled / baseline, 2),
        "memory_in_band": settled <= 1.5 * baseline + 64 * MIB, "healthy": health,
    }
    measured["ok"] = bool(
        books.balanced and books.raw_records == traffic.accepted and all(health.values())
        and measured["memory_in_band"] and gateway_letters == traffic.gateway_kept)
    return measured, books


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=1200.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    mllp, http = _plan(args.inputs, args.seed)
    with kafka_broker() as (bootstrap, broker_note):
        measured, books = soak(bootstrap, mllp, http, args.connections, args.max_seconds)
    result = {"environment": environment(), "broker": broker_note, **measured}
    for line in books.lines():
        print(line)
    print(json.dumps({k: v for k, v in result.items() if k not in ("environment", "books")},
                     indent=1))
    print(f"wrote {write('soak', result)}")
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
