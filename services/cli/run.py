"""`silta run [--demo]`: Silta on embedded defaults, in one command."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Annotated

import typer

from services.local.demo import feed, show_timeline
from services.local.stack import (
    Stack,
    StackConfig,
    dev_key,
    local_broker,
    serve,
    start_stack,
    wait_started,
)


def run(
    demo: Annotated[bool, typer.Option(help="feed simulated traffic through the gateways and "
                                       "print one client's unified timeline")] = False,
    clients: Annotated[int, typer.Option(help="synthetic clients in the demo")] = 40,
    seed: Annotated[int, typer.Option(help="demo traffic seed")] = 7,
    exit_after_demo: Annotated[bool, typer.Option(help="stop once the demo is shown")] = False,
    kafka_port: Annotated[int, typer.Option(envvar="SILTA_KAFKA_PORT")] = 9092,
) -> None:
    """Start every Silta service (local Kafka unless SILTA_KAFKA_BOOTSTRAP is set, topics,
    ingest, timeline with SQLite, MLLP and HTTP gateways, query API) until Ctrl-C."""
    started = time.monotonic()
    config = StackConfig(kafka_port=kafka_port)
    with local_broker(config, typer.echo) as (bootstrap, fresh):
        asyncio.run(_main(bootstrap, fresh, config, demo, clients, seed, exit_after_demo,
                          started))


async def _main(bootstrap: str, fresh: bool, config: StackConfig, demo: bool, clients: int,
                seed: int, exit_after_demo: bool, started: float) -> None:
    say = typer.echo
    stack = await start_stack(bootstrap, fresh, config, say, demo=demo)
    finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    serving = asyncio.ensure_future(serve(stack, finished if exit_after_demo else None))
    try:
        await wait_started(stack)
        if demo:
            key = dev_key(config.state_dir, lambda _: None)
            await feed(stack, clients, seed, say, key)
            await show_timeline(stack, say)
            say(f"\nfirst unified timeline {time.monotonic() - started:.0f}s after the command")
        _endpoints(stack, say)
        if exit_after_demo:
            finished.set_result(None)
        else:
            say("\nSilta is running. Ctrl-C stops every service"
                + (" and the local broker." if fresh else "."))
    except BaseException:
        stack.stop()
        raise
    finally:
        await serving


def _endpoints(stack: Stack, say: Callable[[str], None]) -> None:
    say("\nendpoints")
    say(f"  query API      {stack.api_url}/docs   token: {stack.api_token}")
    say(f"  try            curl -H 'Authorization: Bearer {stack.api_token}' "
        f"{stack.api_url}/clients")
    say(f"  HTTP ingest    {stack.http_url}/docs   tokens per source: "
        + ", ".join(f"{source}={token}" for source, token in stack.http_tokens.items()))
    say(f"  MLLP (HL7 v2)  127.0.0.1:{stack.mllp_port}")
    say("  health/metrics " + ", ".join(f"{name} {url}" for name, url in stack.endpoints.items()))
    if stack.tls:
        say(f"  TLS            from {', '.join(p + '_*' for p in stack.tls)}")
    say(f"  Kafka          {stack.bootstrap}   store: {stack.store_url}")
