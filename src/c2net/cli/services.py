"""Running the network: server, agent, up, down."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path
from typing import Annotated

import typer

from c2net.cli.config import home, up_file
from c2net.cli.launcher import Network, start_network, stop_network
from c2net.cli.render import console, fail
from c2net.market.clouds import USD_RATE

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    @app.command()
    def server(
        host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="port")] = 8470,
        db: Annotated[str, typer.Option(help="SQLAlchemy URL")] = "sqlite:///c2net.db",
        policy: Annotated[str, typer.Option(help="scheduling policy")] = "cheapest",
        cycle: Annotated[float, typer.Option(help="seconds between cycles")] = 1.0,
        heartbeat_timeout: Annotated[
            float, typer.Option(help="seconds without heartbeat before a center is unhealthy")
        ] = 15.0,
        lease_seconds: Annotated[
            float, typer.Option(help="seconds an unrenewed assignment lease lasts")
        ] = 30.0,
        max_retries: Annotated[
            int, typer.Option(help="retries of a job whose attempt was lost")
        ] = 3,
        retry_backoff: Annotated[
            float, typer.Option(help="seconds before a lost job's first retry (doubles, max 60)")
        ] = 1.0,
        admin_token: Annotated[
            str | None,
            typer.Option(
                envvar="C2NET_ADMIN_TOKEN",
                help="make this an operator token (bootstrap)",
                show_default=False,
            ),
        ] = None,
        catalog: Annotated[
            list[str] | None,
            typer.Option(
                help="quote this cloud catalogue beside the centers (gcp, azure, lambda, vast, "
                "alicloud, tencentcloud, or a SkyPilot-schema CSV); repeatable",
                show_default=False,
            ),
        ] = None,
        usd_rate: Annotated[
            float, typer.Option(help="CNY per USD, for catalogue prices (USD)")
        ] = USD_RATE,
    ) -> None:
        """Run the gateway: REST API under /v1, OpenAPI at /docs, the scheduling loop."""
        import uvicorn

        from c2net.gateway import create_app
        from c2net.gateway.logging import configure_json_logging
        from c2net.scheduler import get_policy
        from c2net.store import Store

        try:
            get_policy(policy)
        except ValueError as exc:
            fail(str(exc), 2)
        clouds = None
        if catalog:
            from c2net.market.clouds import load_clouds

            if not 0 < usd_rate < 1e6:
                fail(f"--usd-rate: must be a positive number, got {usd_rate}", 2)
            try:
                clouds = load_clouds(catalog, usd_rate)
            except (OSError, ValueError, KeyError) as exc:
                fail(f"--catalog: {exc}", 2)
        configure_json_logging(logging.INFO)  # structured logs, one JSON object a line
        store = Store(
            db,
            heartbeat_timeout=heartbeat_timeout,
            lease_seconds=lease_seconds,
            max_retries=max_retries,
            retry_backoff=retry_backoff,
            migrate=True,
        )
        app_ = create_app(
            store, policy=policy, cycle_seconds=cycle, admin_token=admin_token, clouds=clouds
        )
        uvicorn.run(app_, host=host, port=port, log_level="warning", log_config=None)

    @app.command()
    def agent(
        gateway: Annotated[str, typer.Option(help="gateway URL")],
        center: Annotated[Path, typer.Option(help="center file (YAML)")],
        workdir: Annotated[Path | None, typer.Option(help="where jobs run")] = None,
        interval: Annotated[float, typer.Option(help="seconds between rounds")] = 0.5,
        token: Annotated[
            str | None,
            typer.Option(envvar="C2NET_TOKEN", help="the center's agent token", show_default=False),
        ] = None,
    ) -> None:
        """Run a center's agent: outbound only, pulls its work from the gateway."""
        from c2net.agent import Agent
        from c2net.agent.backends import BackendError, make_backend
        from c2net.client import Client
        from c2net.network import load_center

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        try:
            parsed, raw = load_center(center)
            work = workdir or home() / "work" / parsed.name
            backend = make_backend(parsed, raw.get("backend_options") or {}, work)
        except (OSError, ValueError, BackendError) as exc:
            fail(f"{center}: {exc}", 2)
        if not token:
            fail(
                "an agent needs its center's token: --token or C2NET_TOKEN "
                "(a provider creates one with `c2net token agent CENTER`)",
                2,
            )
        runner = Agent(
            Client(gateway, token),
            parsed,
            backend,
            work,
            interval=interval,
            tariff=raw.get("tariff"),
        )
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        try:
            runner.run()
        except KeyboardInterrupt:
            runner.stop()

    @app.command()
    def up(
        network: Annotated[
            str | None, typer.Option(help="network file (default: built-in)")
        ] = None,
        port: Annotated[int, typer.Option(help="gateway port (0: a free one)")] = 0,
        detach: Annotated[bool, typer.Option(help="return once all centers are healthy")] = False,
        db: Annotated[
            str | None,
            typer.Option(help="database URL (default: SQLite in the network's directory)"),
        ] = None,
    ) -> None:
        """Start a gateway and one agent per center of a network on this machine."""
        state = up_file()
        if state.exists():
            old = Network.load(state)
            fail(f"a network is already up at {old.gateway}; run `c2net down` first")
        directory = home() / "network"
        try:
            net = start_network(
                directory, network, port=port, extra_server_args=("--db", db) if db else ()
            )
        except (TimeoutError, ValueError, OSError) as exc:
            fail(f"could not start the network: {exc} (logs in {directory / 'logs'})")
        net.save(state)
        agents = len(net.pids) - 1
        console.print(f"c2net is up: gateway {net.gateway}, {agents} centers healthy")
        console.print("  you are signed in as user [bold]demo[/] (a consumer); try `c2net centers`")
        console.print(
            f"  the operator's token is tokens.admin in {state}: "
            "export it as C2NET_TOKEN to act as the operator"
        )
        console.print(f"  logs and state in {directory}")
        if detach:
            return
        console.print("  press Ctrl-C to stop")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            _down(state)

    @app.command()
    def down() -> None:
        """Stop what `c2net up` started: agents, gateway and any job still running."""
        state = up_file()
        if not state.exists():
            fail("no network is up (nothing recorded by `c2net up`)")
        _down(state)


def _down(state: Path) -> None:
    net = Network.load(state)
    stop_network(net)
    state.unlink(missing_ok=True)
    console.print(f"c2net is down ({len(net.pids)} processes stopped)")
