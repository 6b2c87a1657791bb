"""The metering pass and the market's events: MeteringRepo books every running attempt's usage
so far and applies the brakes (c2net.store.brakes); events are the notices it sends."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from c2net.model import JobState
from c2net.store.booking import meter_attempt
from c2net.store.books import settings_of
from c2net.store.brakes import apply_brakes, send_alerts, stop_over_budget
from c2net.store.events import add_event
from c2net.store.plans import PlansRepo
from c2net.store.records import MarketEvent, MeterStats
from c2net.store.schema import attempts, market_events, quotes

__all__ = ["QUOTE_KEEP_SECONDS", "MeteringRepo"]

QUOTE_KEEP_SECONDS = 86400.0


class MeteringRepo(PlansRepo):
    """Metering, brakes and events."""

    def meter(self, now: float) -> MeterStats:
        """One metering pass: book every running attempt's usage so far; stop jobs past their
        budget; with brakes on, hold and (after the grace period) stop the work of accounts
        that cannot pay for the next minute; send low-balance alerts; forget quotes a day past
        their expiry."""
        stopped: list[int] = []
        with self._lock, self.engine.begin() as conn:
            events_before = _event_count(conn)
            settings = settings_of(conn)
            running = (
                conn.execute(
                    select(attempts).where(
                        attempts.c.state == JobState.RUNNING.value,
                        attempts.c.started_at.is_not(None),
                    )
                )
                .mappings()
                .all()
            )
            metered = sum(meter_attempt(conn, r, now) for r in running)
            for r in running:
                if stop_over_budget(conn, r, now):
                    stopped.append(r["job_id"])
            if settings.brakes:
                stopped += apply_brakes(conn, now, settings, running)
            send_alerts(conn, now, settings)
            # quotes are kept a day past expiry (a late `submit --quote` is told it expired)
            conn.execute(delete(quotes).where(quotes.c.expires_at < now - QUOTE_KEEP_SECONDS))
            events = _event_count(conn) - events_before
        return MeterStats(metered, tuple(stopped), events)

    def events(
        self, *, account_id: int | None = None, after: int = 0, limit: int = 1000
    ) -> list[MarketEvent]:
        query = (
            select(market_events)
            .where(market_events.c.id > after)
            .order_by(market_events.c.id)
            .limit(limit)
        )
        if account_id is not None:
            query = query.where(market_events.c.account_id == account_id)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            MarketEvent(r["id"], r["at"], r["account_id"], r["job_id"], r["kind"], r["message"])
            for r in rows
        ]

    def add_event(
        self, now: float, account_id: int | None, kind: str, message: str, job_id: int | None = None
    ) -> None:
        with self._lock, self.engine.begin() as conn:
            add_event(conn, now, account_id, kind, message, job_id)


def _event_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(market_events)).scalar_one())
