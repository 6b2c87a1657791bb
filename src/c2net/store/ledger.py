"""The market's repository, in three layers: MoneyRepo (c2net.store.money: settings, money
movements, balances, statements), PlansRepo (c2net.store.plans: tariffs, quotes, orders) and
LedgerRepo here (metering, brakes, events). The booking itself: c2net.store.booking.

LedgerRepo wraps the scheduling cycle: its snapshot shows each center's price now (time of use,
utilization) and leaves out the work its account cannot pay for; its commit fixes the price
terms each new attempt is billed by.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from c2net.market.ledger import Book, MarketSettings
from c2net.market.tariff import Tariff, parse_tariff
from c2net.market.usage import quantize, resource_shares, yuan_text
from c2net.model import (
    AccountKind,
    JobState,
    Placement,
    Plan,
    Prices,
    Resources,
)
from c2net.scheduler import QueuedJob, Snapshot
from c2net.store.booking import (
    add_event,
    budget_of,
    burn_per_account,
    charged_so_far,
    credit_limit_of,
    dec,
    from_micro,
    is_consumer,
    meter_attempt,
    settings_of,
    shortfall,
    stop_job,
    tariffs_of,
    terms_of,
    wallet,
)
from c2net.store.plans import PlansRepo
from c2net.store.records import (
    QUOTE_TTL_SECONDS,
    Balance,
    MarketEvent,
    MeterStats,
    QuoteRecord,
    Txn,
)
from c2net.store.schema import (
    account_money,
    accounts,
    attempt_terms,
    attempts,
    centers,
    job_terms,
    jobs,
    ledger_entries,
    market_events,
    quotes,
)

__all__ = [
    "QUOTE_TTL_SECONDS",
    "Balance",
    "LedgerRepo",
    "MarketEvent",
    "MeterStats",
    "QuoteRecord",
    "Txn",
    "priced_snapshot",
]

_BASE = Decimal("0.0000000001")


class LedgerRepo(PlansRepo):
    """The market's hooks in the scheduling cycle, metering, brakes and events."""

    # ------------------------------------------------------------------ the scheduling cycle

    def snapshot(self, now: float) -> tuple[Snapshot, list[QueuedJob]]:
        """The pool at its prices now, and the queue without the work that is held."""
        snap, queue = super().snapshot(now)
        with self._read() as conn:
            tariffs = tariffs_of(conn)
            held = self._holds(conn, now, [q.id for q in queue])
        snap = priced_snapshot(snap, tariffs, now)
        if held:
            queue = [q for q in queue if q.id not in held]
            with self._lock, self.engine.begin() as conn:
                for job_id, message in held.items():
                    conn.execute(
                        update(jobs)
                        .where(
                            jobs.c.id == job_id,
                            jobs.c.state == JobState.PENDING.value,
                            jobs.c.reason != message,
                        )
                        .values(reason=message, detail=[])
                    )
        return snap, queue

    @staticmethod
    def _holds(conn: Connection, now: float, job_ids: Sequence[int]) -> dict[int, str]:
        """Queued jobs that must wait, and why: their budget is spent, or (brakes on) their
        account cannot pay for the next minute."""
        if not job_ids:
            return {}
        out: dict[int, str] = {}
        budgets = {
            j: from_micro(b)
            for j, b in conn.execute(
                select(job_terms.c.job_id, job_terms.c.budget_micro).where(
                    job_terms.c.job_id.in_(list(job_ids)), job_terms.c.budget_micro.is_not(None)
                )
            )
        }
        for job_id, budget in budgets.items():
            if charged_so_far(conn, job_id) >= budget:
                out[job_id] = f"held: budget {yuan_text(budget)} spent"
        settings = settings_of(conn)
        if not settings.brakes:
            return out
        rows = conn.execute(
            select(jobs.c.id, jobs.c.account_id, accounts.c.currency)
            .join(accounts, accounts.c.id == jobs.c.account_id)
            .where(jobs.c.id.in_(list(job_ids)), accounts.c.kind == AccountKind.CONSUMER.value)
        ).all()
        burn = burn_per_account(conn, now)
        short: dict[int, str] = {}
        for job_id, account_id, currency in rows:
            if account_id not in short:
                available = wallet(conn, account_id) + credit_limit_of(conn, account_id)
                short[account_id] = shortfall(available, burn.get(account_id, Decimal(0)), currency)
            if short[account_id] and job_id not in out:
                out[job_id] = short[account_id]
        return out

    def commit(
        self,
        plan: Plan,
        now: float,
        *,
        fence: Callable[[Connection], bool] | None = None,
        on_placed: Callable[[Connection, Placement, int], None] | None = None,
    ) -> int:
        """Commit a plan, each placement at its price now (a valid quote's price when lower),
        recording the terms each new attempt is billed by in the same transaction."""
        if not plan.placements:
            return super().commit(plan, now, fence=fence, on_placed=on_placed)
        with self._lock:
            with self._read() as conn:
                tariffs, settings = tariffs_of(conn), settings_of(conn)
                priced = [self._price(conn, p, now, tariffs, settings) for p in plan.placements]
            terms = {p.job_id: values for p, values in priced}

            def record(conn: Connection, p: Placement, attempt_id: int) -> None:
                conn.execute(
                    insert(attempt_terms).values(
                        attempt_id=attempt_id, job_id=p.job_id, **terms[p.job_id]
                    )
                )
                if on_placed is not None:
                    on_placed(conn, p, attempt_id)

            repriced = replace(plan, placements=tuple(p for p, _ in priced))
            return super().commit(repriced, now, fence=fence, on_placed=record)

    @staticmethod
    def _price(
        conn: Connection,
        p: Placement,
        now: float,
        tariffs: Mapping[str, Tariff],
        settings: MarketSettings,
    ) -> tuple[Placement, dict[str, Any]]:
        job = conn.execute(
            select(jobs.c.spec, jobs.c.account_id).where(jobs.c.id == p.job_id)
        ).first()
        spec: Mapping[str, Any] = job[0] if job is not None else {}
        center = conn.execute(
            select(centers.c.prices, centers.c.owner_account_id).where(centers.c.name == p.center)
        ).first()
        tariff = tariffs.get(p.center, Tariff())
        base = quantize(dec(p.price_per_hour) / tariff.multiplier_at(now), _BASE)
        quote_id = conn.execute(
            select(job_terms.c.quote_id).where(job_terms.c.job_id == p.job_id)
        ).scalar_one_or_none()
        held_by = None
        if quote_id:
            offer = _quoted_offer(conn, quote_id, job[1] if job else None, p.center, now)
            if offer is not None:  # the quoted rate card, when it is cheaper now
                quoted_base, quoted = dec(offer["base_hourly"]), parse_tariff(offer["tariff"])
                if quoted_base * quoted.multiplier_at(now) < base * tariff.multiplier_at(now):
                    base, tariff, held_by = quoted_base, quoted, quote_id
        price = quantize(base * tariff.multiplier_at(now))
        nodes = len(getattr(p, "all_nodes", (p.node,)))
        prices = _prices_of(center[0] if center else {})
        values = {
            "account_id": job[1] if job else None,
            "provider_id": center[1] if center else None,
            "center": p.center,
            "base_hourly": str(base),
            "tariff": tariff.to_dict(),
            "fee_rate": str(settings.fee_rate),
            "shares": {k: str(v) for k, v in resource_shares(prices, p.resources, nodes).items()},
            "spot": _is_spot(spec),
            "quote_id": held_by,
        }
        return replace(p, price_per_hour=float(price)), values

    # ------------------------------------------------------------------ metering and brakes

    def meter(self, now: float) -> MeterStats:
        """One metering pass: book every running attempt's usage so far; stop jobs past their
        budget; with brakes on, hold and (after the grace period) stop the work of accounts
        that cannot pay for the next minute; send low-balance alerts."""
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
                if self._over_budget(conn, r, now):
                    stopped.append(r["job_id"])
            if settings.brakes:
                stopped += self._brakes(conn, now, settings, running)
            self._alerts(conn, now, settings)
            events = _event_count(conn) - events_before
        return MeterStats(metered, tuple(stopped), events)

    @staticmethod
    def _over_budget(conn: Connection, r: RowMapping, now: float) -> bool:
        budget = budget_of(conn, r["job_id"])
        if budget is None:
            return False
        terms, consumer, _ = terms_of(conn, r)
        spent = charged_so_far(conn, r["job_id"])
        minute = quantize(terms.price_at(now) / 60)
        if spent + minute <= budget:
            return False
        reason = (
            f"stopped: budget {yuan_text(budget)} reached ({yuan_text(spent)} spent, "
            f"the next minute would cost {yuan_text(minute)})"
        )
        return stop_job(conn, r["job_id"], consumer, now, "budget", reason)

    @staticmethod
    def _brakes(
        conn: Connection, now: float, settings: MarketSettings, running: Sequence[RowMapping]
    ) -> list[int]:
        stopped: list[int] = []
        burn = burn_per_account(conn, now)
        pending = {
            a
            for (a,) in conn.execute(
                select(jobs.c.account_id)
                .where(jobs.c.state == JobState.PENDING.value, jobs.c.account_id.is_not(None))
                .distinct()
            )
        }
        for account_id in sorted(set(burn) | pending):
            if not is_consumer(conn, account_id):
                continue
            available = wallet(conn, account_id) + credit_limit_of(conn, account_id)
            why = shortfall(available, burn.get(account_id, Decimal(0)))
            state = _money_row(conn, account_id)
            if not why:
                if state["short_since"] is not None:
                    _update_money(conn, account_id, short_since=None)
                    add_event(
                        conn, now, account_id, "resumed", "funds cover the running jobs again"
                    )
                continue
            if state["short_since"] is None:
                _update_money(conn, account_id, short_since=now)
                add_event(
                    conn,
                    now,
                    account_id,
                    "held",
                    f"{why}; running jobs stop in {settings.grace_seconds:g}s",
                )
                continue
            if now - state["short_since"] < settings.grace_seconds:
                continue
            reason = (
                f"stopped: funds exhausted ({yuan_text(available)} left with credit) after a "
                f"{settings.grace_seconds:g}s grace period; top up to run again"
            )
            for r in running:
                job_account = conn.execute(
                    select(jobs.c.account_id).where(jobs.c.id == r["job_id"])
                ).scalar_one()
                if job_account == account_id and stop_job(
                    conn, r["job_id"], account_id, now, "stopped", reason
                ):
                    stopped.append(r["job_id"])
        return stopped

    @staticmethod
    def _alerts(conn: Connection, now: float, settings: MarketSettings) -> None:
        with_money = {
            a
            for (a,) in conn.execute(
                select(ledger_entries.c.account_id)
                .where(
                    ledger_entries.c.book == Book.WALLET.value,
                    ledger_entries.c.account_id.is_not(None),
                )
                .distinct()
            )
        }
        for account_id in sorted(with_money):
            if not is_consumer(conn, account_id):
                continue
            state = _money_row(conn, account_id)
            threshold = (
                settings.alert_threshold
                if state["alert_micro"] is None
                else from_micro(state["alert_micro"])
            )
            available = wallet(conn, account_id) + credit_limit_of(conn, account_id)
            if available < threshold and not state["alerted"]:
                _update_money(conn, account_id, alerted=True)
                add_event(
                    conn,
                    now,
                    account_id,
                    "low_balance",
                    f"funds {yuan_text(available)} (balance + credit) are below the alert "
                    f"threshold {yuan_text(threshold)}",
                )
            elif available >= threshold and state["alerted"]:
                _update_money(conn, account_id, alerted=False)

    # ------------------------------------------------------------------ events

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


# ---------------------------------------------------------------------------- helpers


def _event_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(market_events)).scalar_one())


def _money_row(conn: Connection, account_id: int) -> RowMapping:
    row = (
        conn.execute(select(account_money).where(account_money.c.account_id == account_id))
        .mappings()
        .first()
    )
    if row is None:
        conn.execute(insert(account_money).values(account_id=account_id, alerted=False))
        row = (
            conn.execute(select(account_money).where(account_money.c.account_id == account_id))
            .mappings()
            .one()
        )
    return row


def _update_money(conn: Connection, account_id: int, **values: Any) -> None:
    conn.execute(
        update(account_money).where(account_money.c.account_id == account_id).values(**values)
    )


def _quoted_offer(
    conn: Connection, quote_id: str, account_id: int | None, center: str, now: float
) -> Mapping[str, Any] | None:
    row = conn.execute(select(quotes).where(quotes.c.id == quote_id)).mappings().first()
    if row is None or row["expires_at"] < now or row["account_id"] != account_id:
        return None
    for offer in row["offers"]:
        if offer.get("center") == center:
            found: Mapping[str, Any] = offer
            return found
    return None


def _prices_of(data: Mapping[str, Any]) -> Prices:
    return Prices(
        cpu_hour=float(data.get("cpu_hour", 0.0)),
        memory_gb_hour=float(data.get("memory_gb_hour", 0.0)),
        accelerator_hour={str(k): float(v) for k, v in (data.get("accelerators") or {}).items()},
        currency=str(data.get("currency", "CNY")),
    )


def _is_spot(spec: Mapping[str, Any]) -> bool:
    resources = spec.get("resources") or {}
    return bool(spec.get("spot") or (isinstance(resources, Mapping) and resources.get("use_spot")))


def utilization(capacity: Resources, free: Resources) -> float:
    """How busy a center is: its busiest resource's share in use (0..1)."""
    parts = []
    if capacity.cpus > 0:
        parts.append(1 - free.cpus / capacity.cpus)
    if capacity.memory_gb > 0:
        parts.append(1 - free.memory_gb / capacity.memory_gb)
    for name, total in capacity.accelerators.items():
        if total > 0:
            parts.append(1 - free.accelerators.get(name, 0) / total)
    return min(max(max(parts, default=0.0), 0.0), 1.0)


def scaled_prices(prices: Prices, factor: Decimal) -> Prices:
    f = float(factor)
    return Prices(
        prices.cpu_hour * f,
        prices.memory_gb_hour * f,
        {k: v * f for k, v in prices.accelerator_hour.items()},
        prices.currency,
    )


def priced_snapshot(snap: Snapshot, tariffs: Mapping[str, Tariff], now: float) -> Snapshot:
    """The snapshot with each center's unit prices as they are now: x the time-of-use
    multiplier x the utilization surcharge; spot prices x (1 - the spot discount)."""
    if not tariffs:
        return snap
    new_centers = []
    spot: dict[str, Prices] = dict(snap.prices.spot)
    for center, free in zip(snap.centers, snap.node_free, strict=True):
        tariff = tariffs.get(center.name)
        if tariff is None:
            new_centers.append(center)
            continue
        busy = utilization(center.capacity, Resources.total(free))
        factor = tariff.multiplier_at(now) * tariff.surcharge_factor(busy)
        now_prices = scaled_prices(center.prices, factor)
        new_centers.append(replace(center, prices=now_prices))
        if tariff.spot_discount > 0:
            spot[center.name] = scaled_prices(center.prices, factor * tariff.spot_factor())
    return replace(snap, centers=tuple(new_centers), prices=replace(snap.prices, spot=spot))
