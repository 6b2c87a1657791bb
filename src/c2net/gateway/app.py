"""The gateway: FastAPI app, error mapping, and the scheduling loop's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from c2net import __version__, dashboard
from c2net.clock import Clock, SystemClock
from c2net.gateway import metrics
from c2net.gateway.deps import Gateway
from c2net.gateway.leader import Leadership, elect
from c2net.gateway.limits import BodyLimit, RateLimit, TokenBuckets
from c2net.gateway.loop import SchedulingLoop
from c2net.gateway.metering import Metering
from c2net.gateway.routes import (
    agent,
    datasets,
    identity,
    jobs,
    market,
    money,
    orders,
    pool,
    statements,
)
from c2net.market.clouds import CloudMarket
from c2net.model import IllegalTransition, SpecError
from c2net.store import Conflict, NotFound, Store

__all__ = ["create_app"]


def _error(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": message, **extra})


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        parts.append(f"{loc or 'body'}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def create_app(
    store: Store | None = None,
    clock: Clock | None = None,
    *,
    policy: str = "cheapest",
    cycle_seconds: float = 1.0,
    heartbeat_interval: float = 1.0,
    run_loop: bool = True,
    admin_token: str | None = None,
    max_body_bytes: int = 4 << 20,
    rate_per_second: float = 500.0,
    rate_burst: float = 1000.0,
    leadership: Leadership | None = None,
    metering_seconds: float = 30.0,
    payment_secret: str | None = None,
    clouds: CloudMarket | None = None,
) -> FastAPI:
    """The gateway app. `admin_token`, when given, becomes an operator token (bootstrap).
    Bodies over `max_body_bytes` get 413; a token (or an anonymous client address) sending
    more than `rate_per_second` (bursts to `rate_burst`) gets 429. `clouds`: catalogue offers
    that quotes list beside the network's own centers."""
    store = store or Store()
    clock = clock or SystemClock()
    if admin_token:
        store.ensure_operator(admin_token, clock.now())
    loop = SchedulingLoop(store, clock, policy=policy, interval=cycle_seconds)
    gw = Gateway(
        store=store,
        clock=clock,
        loop=loop,
        heartbeat_interval=heartbeat_interval,
        clouds=clouds,
    )
    metering = Metering(store, clock, interval=metering_seconds, leading=lambda: loop.leading)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if run_loop:
            loop.start(leadership or elect(store.engine))
            metering.start()
        try:
            yield
        finally:
            metering.stop()
            loop.stop()

    app = FastAPI(
        title="c2net gateway",
        version=__version__,
        description="A computing power network: one pool of centers, one API.",
        lifespan=lifespan,
    )
    app.state.gateway = gw
    app.state.metering = metering  # the market's metering pass (tests run it by hand)
    app.state.payment_secret = payment_secret  # signs payment notifications (money routes)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    app.add_middleware(RateLimit, buckets=TokenBuckets(rate_per_second, rate_burst))
    for router in (
        jobs.router,
        market.router,
        agent.router,
        identity.router,
        metrics.router,
        dashboard.router,
        money.router,
        orders.router,
        statements.router,
        pool.router,
        datasets.router,
    ):
        app.include_router(router)

    @app.exception_handler(SpecError)
    async def _spec(_: Request, exc: SpecError) -> JSONResponse:
        return _error(422, str(exc), problems=exc.problems)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, _validation_message(exc))

    @app.exception_handler(NotFound)
    async def _missing(_: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        return _error(409, str(exc))

    @app.exception_handler(IllegalTransition)
    async def _illegal(_: Request, exc: IllegalTransition) -> JSONResponse:
        return _error(409, str(exc))

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, object]:
        last = loop.last
        return {
            "ok": True,
            "version": __version__,
            "leader": loop.leading,
            "last_cycle": None if last is None else last.__dict__,
        }

    return app
