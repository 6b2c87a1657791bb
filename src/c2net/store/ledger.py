"""The ledger's repository: money movements, price plans, quotes, metering and brakes, and
the market's events, over the store's database (the booking itself: c2net.store.booking).

LedgerRepo wraps the scheduling cycle: its snapshot shows each center's price now (time of use,
utilization) and leaves out the work its account cannot pay for; its commit fixes the price
terms each new attempt is billed by.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from c2net.market.ledger import Book, Entry, MarketSettings, TxnKind, money_entries
from c2net.market.statements import (
    AttemptLabel,
    Bill,
    OperatorSummary,
    Settlement,
    consumer_bill,
    month_bounds,
    operator_summary,
    provider_settlement,
)
from c2net.market.tariff import Tariff, parse_tariff
from c2net.market.usage import FEN, quantize, resource_shares, yuan_text
from c2net.model import (
    AccountKind,
    Job,
    JobSpec,
    JobState,
    Placement,
    Plan,
    Prices,
    Resources,
)
from c2net.scheduler import QueuedJob, Snapshot
from c2net.store.base import Conflict, NotFound
from c2net.store.booking import (
    add_event,
    budget_of,
    burn_per_account,
    charged_so_far,
    credit_limit_of,
    dec,
    entries_of,
    from_micro,
    is_consumer,
    meter_attempt,
    post,
    set_job_terms,
    settings_of,
    shortfall,
    stop_job,
    tariffs_of,
    terms_of,
    to_micro,
    wallet,
)
from c2net.store.jobs import JobRepo
from c2net.store.scheduling import SchedulingRepo
from c2net.store.schema import (
    account_money,
    accounts,
    attempt_terms,
    attempts,
    center_tariffs,
    centers,
    job_terms,
    jobs,
    ledger_entries,
    ledger_txns,
    market_events,
    market_settings,
    quotes,
)

__all__ = [
    "Balance",
    "LedgerRepo",
    "MarketEvent",
    "MeterStats",
    "QuoteRecord",
    "Txn",
    "priced_snapshot",
]

QUOTE_TTL_SECONDS = 15 * 60.0
_BASE = Decimal("0.0000000001")
_MONEY_KINDS = (TxnKind.TOPUP, TxnKind.REFUND, TxnKind.PAYOUT)


# ---------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class Txn:
    id: int
    at: float
    kind: TxnKind
    account_id: int | None
    job_id: int | None
    attempt_id: int | None
    reverses: int | None
    reference: str | None
    memo: str
    detail: dict[str, Any]
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Balance:
    account_id: int
    account: str
    kind: AccountKind
    currency: str
    balance: Decimal  # the wallet (consumers) or what the network owes (providers)
    credit_limit: Decimal
    available: Decimal  # balance + credit
    alert_threshold: Decimal
    burn_per_hour: Decimal  # its running attempts' prices now
    held: str  # why its new jobs are held ("" when they are not)
    short_since: float | None


@dataclass(frozen=True)
class QuoteRecord:
    id: str
    account_id: int | None
    created_at: float
    expires_at: float
    spec: dict[str, Any]
    offers: list[dict[str, Any]]


@dataclass(frozen=True)
class MarketEvent:
    id: int
    at: float
    account_id: int | None
    job_id: int | None
    kind: str
    message: str


@dataclass(frozen=True)
class MeterStats:
    metered: int  # running attempts booked
    stopped: tuple[int, ...]  # jobs stopped (budget, funds)
    events: int


# ---------------------------------------------------------------------------- the repository


class LedgerRepo(SchedulingRepo, JobRepo):
    """Money, price plans, quotes, metering and brakes. It wraps the scheduling cycle:
    the snapshot shows each center's price now (time-of-use, utilization) and leaves out work
    its account cannot pay for; a commit fixes each placement's price terms."""

    # ------------------------------------------------------------------ settings

    def market_settings(self) -> MarketSettings:
        with self._read() as conn:
            return settings_of(conn)

    def set_market_settings(self, now: float, **changes: Any) -> MarketSettings:
        with self._lock, self.engine.begin() as conn:
            new = replace(settings_of(conn), **changes)
            if not 0 <= new.fee_rate < 1:
                raise ValueError(f"fee_rate must be in [0, 1), got {new.fee_rate}")
            conn.execute(
                insert(market_settings).values(
                    at=now,
                    fee_rate=str(new.fee_rate),
                    alert_micro=to_micro(new.alert_threshold),
                    grace_seconds=new.grace_seconds,
                    brakes=new.brakes,
                )
            )
            return new

    # ------------------------------------------------------------------ money

    def post_money(
        self,
        kind: TxnKind,
        account_id: int,
        amount: Decimal,
        now: float,
        *,
        reference: str | None = None,
        memo: str = "",
        user_id: int | None = None,
    ) -> Txn:
        """A top-up, refund or payout. The same `reference` (a payment's id) is booked once:
        sent again, the first transaction is returned."""
        if kind not in _MONEY_KINDS:
            raise ValueError(f"{kind} is not a money movement")
        amount = quantize(amount, FEN)
        with self._lock, self.engine.begin() as conn:
            if reference:
                found = conn.execute(
                    select(ledger_txns.c.id).where(ledger_txns.c.reference == reference)
                ).scalar_one_or_none()
                if found is not None:
                    return self._txns(conn, [found])[0]
            kind_of = conn.execute(
                select(accounts.c.kind).where(accounts.c.id == account_id)
            ).scalar_one_or_none()
            if kind_of is None:
                raise NotFound(f"account {account_id} not found")
            wanted = AccountKind.PROVIDER if kind is TxnKind.PAYOUT else AccountKind.CONSUMER
            if kind_of != wanted.value and not (
                kind is not TxnKind.PAYOUT and kind_of == AccountKind.OPERATOR.value
            ):
                raise Conflict(f"a {kind.value} is for {wanted.value} accounts")
            if kind is TxnKind.REFUND and wallet(conn, account_id) < amount:
                have = yuan_text(wallet(conn, account_id))
                raise Conflict(f"refund {yuan_text(amount)} exceeds the balance {have}")
            if kind is TxnKind.PAYOUT and self._revenue(conn, account_id) < amount:
                owed = self._revenue(conn, account_id)
                raise Conflict(
                    f"payout {yuan_text(amount)} exceeds what is owed ({yuan_text(owed)})"
                )
            txn_id = post(
                conn,
                now,
                kind,
                money_entries(kind, account_id, amount),
                account_id=account_id,
                reference=reference,
                memo=memo,
                user_id=user_id,
            )
            if kind is TxnKind.TOPUP:
                add_event(conn, now, account_id, "topup", f"top-up of {yuan_text(amount)} received")
            return self._txns(conn, [txn_id])[0]

    @staticmethod
    def _revenue(conn: Connection, account_id: int) -> Decimal:
        total = conn.execute(
            select(func.coalesce(func.sum(ledger_entries.c.amount_micro), 0)).where(
                ledger_entries.c.book == Book.REVENUE.value,
                ledger_entries.c.account_id == account_id,
            )
        ).scalar_one()
        return from_micro(int(total))

    def balance(self, account_id: int, now: float) -> Balance:
        with self._read() as conn:
            row = (
                conn.execute(select(accounts).where(accounts.c.id == account_id)).mappings().first()
            )
            if row is None:
                raise NotFound(f"account {account_id} not found")
            kind = AccountKind(row["kind"])
            settings = settings_of(conn)
            own = (
                conn.execute(select(account_money).where(account_money.c.account_id == account_id))
                .mappings()
                .first()
            )
            if kind is AccountKind.PROVIDER:
                bal = self._revenue(conn, account_id)
            else:
                bal = wallet(conn, account_id)
            limit = credit_limit_of(conn, account_id)
            burn = burn_per_account(conn, now).get(account_id, Decimal(0))
        alert = settings.alert_threshold
        if own is not None and own["alert_micro"] is not None:
            alert = from_micro(own["alert_micro"])
        held = ""
        if settings.brakes and kind is AccountKind.CONSUMER:
            held = shortfall(bal + limit, burn, row["currency"])
        return Balance(
            account_id=account_id,
            account=row["name"],
            kind=kind,
            currency=row["currency"],
            balance=bal,
            credit_limit=limit,
            available=bal + limit,
            alert_threshold=alert,
            burn_per_hour=burn,
            held=held,
            short_since=None if own is None else own["short_since"],
        )

    def set_alert_threshold(self, account_id: int, threshold: Decimal | None) -> None:
        with self._lock, self.engine.begin() as conn:
            value = None if threshold is None else to_micro(threshold)
            found = conn.execute(
                select(account_money.c.account_id).where(account_money.c.account_id == account_id)
            ).first()
            if found:
                conn.execute(
                    update(account_money)
                    .where(account_money.c.account_id == account_id)
                    .values(alert_micro=value, alerted=False)
                )
            else:
                conn.execute(
                    insert(account_money).values(
                        account_id=account_id, alert_micro=value, alerted=False
                    )
                )

    def transactions(
        self,
        *,
        account_id: int | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[Txn]:
        """Transactions, oldest first: all, or those touching an account (its own, or with an
        entry in one of its books), optionally within [since, until)."""
        query = select(ledger_txns.c.id).order_by(ledger_txns.c.id)
        if account_id is not None:
            touching = select(ledger_entries.c.txn_id).where(
                ledger_entries.c.account_id == account_id
            )
            query = query.where(
                (ledger_txns.c.account_id == account_id) | ledger_txns.c.id.in_(touching)
            )
        if since is not None:
            query = query.where(ledger_txns.c.at >= since)
        if until is not None:
            query = query.where(ledger_txns.c.at < until)
        if limit is not None:
            query = query.limit(limit)
        with self._read() as conn:
            ids = [r[0] for r in conn.execute(query)]
            return self._txns(conn, ids)

    @staticmethod
    def _txns(conn: Connection, ids: Sequence[int]) -> list[Txn]:
        if not ids:
            return []
        rows = conn.execute(
            select(ledger_txns).where(ledger_txns.c.id.in_(list(ids))).order_by(ledger_txns.c.id)
        ).mappings()
        entries = entries_of(conn, ids)
        return [
            Txn(
                id=r["id"],
                at=r["at"],
                kind=TxnKind(r["kind"]),
                account_id=r["account_id"],
                job_id=r["job_id"],
                attempt_id=r["attempt_id"],
                reverses=r["reverses"],
                reference=r["reference"],
                memo=r["memo"],
                detail=dict(r["detail"] or {}),
                entries=tuple(entries[r["id"]]),
            )
            for r in rows
        ]

    def book_totals(self, until: float | None = None) -> dict[tuple[Book, int | None], Decimal]:
        """Each (book, account)'s balance as the database sums it (replay must agree),
        optionally as it was at `until`."""
        query = (
            select(
                ledger_entries.c.book,
                ledger_entries.c.account_id,
                func.sum(ledger_entries.c.amount_micro),
            )
            .join(ledger_txns, ledger_txns.c.id == ledger_entries.c.txn_id)
            .group_by(ledger_entries.c.book, ledger_entries.c.account_id)
        )
        if until is not None:
            query = query.where(ledger_txns.c.at < until)
        with self._read() as conn:
            rows = conn.execute(query).all()
        return {(Book(b), a): from_micro(int(s)) for b, a, s in rows}

    # ------------------------------------------------------------------ statements

    def attempt_labels(self, ids: Iterable[int]) -> dict[int, AttemptLabel]:
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self._read() as conn:
            rows = conn.execute(
                select(
                    attempts.c.id,
                    attempts.c.job_id,
                    jobs.c.name,
                    attempts.c.number,
                    attempts.c.center,
                    attempts.c.state,
                )
                .join(jobs, jobs.c.id == attempts.c.job_id)
                .where(attempts.c.id.in_(wanted))
            ).all()
        return {r[0]: AttemptLabel(r[1], r[2], r[3], r[4], r[5]) for r in rows}

    def _account_name(self, account_id: int) -> tuple[str, str]:
        with self._read() as conn:
            row = conn.execute(
                select(accounts.c.name, accounts.c.currency).where(accounts.c.id == account_id)
            ).first()
        if row is None:
            raise NotFound(f"account {account_id} not found")
        return row[0], row[1]

    def bill(self, account_id: int, month: str) -> Bill:
        """The account's bill for a month (YYYY-MM, the network's time zone)."""
        start, end = month_bounds(month)
        name, currency = self._account_name(account_id)
        txns = self.transactions(account_id=account_id, since=start, until=end)
        opening = self.book_totals(until=start).get((Book.WALLET, account_id), Decimal(0))
        labels = self.attempt_labels(t.attempt_id for t in txns if t.attempt_id is not None)
        return consumer_bill(
            account_id=account_id,
            account=name,
            month=month,
            txns=txns,
            opening=opening,
            labels=labels,
            currency=currency,
        )

    def settlement(self, account_id: int, month: str) -> Settlement:
        start, end = month_bounds(month)
        name, currency = self._account_name(account_id)
        txns = self.transactions(account_id=account_id, since=start, until=end)
        opening = self.book_totals(until=start).get((Book.REVENUE, account_id), Decimal(0))
        return provider_settlement(
            account_id=account_id,
            account=name,
            month=month,
            txns=txns,
            opening=opening,
            currency=currency,
        )

    def operator_summary(self, month: str) -> OperatorSummary:
        start, end = month_bounds(month)
        with self._read() as conn:
            names = {i: n for i, n in conn.execute(select(accounts.c.id, accounts.c.name))}
        return operator_summary(
            month=month,
            txns=self.transactions(since=start, until=end),
            balances=self.book_totals(until=end),
            names=names,
        )

    # ------------------------------------------------------------------ price plans

    def set_tariff(self, center: str, tariff: Tariff, now: float) -> None:
        """A new price plan for a center: it applies to placements from `now` on."""
        with self._lock, self.engine.begin() as conn:
            found = conn.execute(select(centers.c.name).where(centers.c.name == center)).first()
            if found is None:
                raise NotFound(f"center {center} is not registered")
            if tariffs_of(conn).get(center) == tariff:
                return  # the same plan registered again: nothing changes
            conn.execute(
                insert(center_tariffs).values(center=center, at=now, tariff=tariff.to_dict())
            )

    def tariff(self, center: str) -> Tariff:
        with self._read() as conn:
            return tariffs_of(conn).get(center, Tariff())

    # ------------------------------------------------------------------ quotes and orders

    def save_quote(
        self,
        account_id: int | None,
        spec: Mapping[str, Any],
        offers: Sequence[Mapping[str, Any]],
        now: float,
        ttl: float = QUOTE_TTL_SECONDS,
    ) -> QuoteRecord:
        qid = "q-" + secrets.token_hex(6)
        with self._lock, self.engine.begin() as conn:
            conn.execute(
                insert(quotes).values(
                    id=qid,
                    account_id=account_id,
                    created_at=now,
                    expires_at=now + ttl,
                    spec=dict(spec),
                    offers=[dict(o) for o in offers],
                )
            )
        return QuoteRecord(qid, account_id, now, now + ttl, dict(spec), [dict(o) for o in offers])

    def quote_record(self, quote_id: str) -> QuoteRecord:
        with self._read() as conn:
            row = conn.execute(select(quotes).where(quotes.c.id == quote_id)).mappings().first()
        if row is None:
            raise NotFound(f"quote {quote_id} not found")
        return QuoteRecord(
            row["id"],
            row["account_id"],
            row["created_at"],
            row["expires_at"],
            dict(row["spec"]),
            list(row["offers"]),
        )

    def set_job_terms(
        self, job_id: int, *, budget: Decimal | None = None, quote_id: str | None = None
    ) -> None:
        with self._lock, self.engine.begin() as conn:
            set_job_terms(
                conn,
                job_id,
                budget_micro=None if budget is None else to_micro(budget),
                quote_id=quote_id,
            )

    def submit_order(
        self,
        spec: JobSpec,
        now: float,
        idempotency_key: str | None = None,
        *,
        account_id: int | None = None,
        user_id: int | None = None,
        budget: Decimal | None = None,
        quote_id: str | None = None,
    ) -> Job:
        """Submit a job with its market terms; under the lock, so no cycle places it before
        its terms are known. A repeated idempotency key returns the first job unchanged."""
        with self._lock:
            job = self.submit(spec, now, idempotency_key, account_id=account_id, user_id=user_id)
            with self.engine.begin() as conn:
                known = conn.execute(
                    select(job_terms.c.job_id).where(job_terms.c.job_id == job.id)
                ).first()
                if known is None and (budget is not None or quote_id is not None):
                    set_job_terms(
                        conn,
                        job.id,
                        budget_micro=None if budget is None else to_micro(budget),
                        quote_id=quote_id,
                    )
            return job

    def job_charges(self, job_ids: Iterable[int]) -> dict[int, Decimal]:
        """What each job's consumer has been charged (settled attempts to the fen, running
        ones as metered so far): the amount a job's view should show, equal to its bill."""
        with self._read() as conn:
            return {j: charged_so_far(conn, j) for j in sorted(set(job_ids))}

    def job_budget(self, job_id: int) -> Decimal | None:
        with self._read() as conn:
            return budget_of(conn, job_id)

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
