"""Money: market settings, movements (top-ups, refunds, payouts), balances, statements."""

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

from c2net.market.ledger import Book, MarketSettings, TxnKind, money_entries
from c2net.market.settlement import (
    OperatorSummary,
    Settlement,
    operator_summary,
    provider_settlement,
)
from c2net.market.statements import AttemptLabel, Bill, consumer_bill, month_bounds
from c2net.market.usage import FEN, quantize, yuan_text
from c2net.model import (
    AccountKind,
)
from c2net.store.base import Conflict, NotFound
from c2net.store.books import (
    credit_limit_of,
    entries_of,
    from_micro,
    post,
    settings_of,
    to_micro,
    wallet,
)
from c2net.store.brakes import burn_per_account, shortfall
from c2net.store.events import add_event
from c2net.store.jobs import JobRepo
from c2net.store.records import Balance, Txn
from c2net.store.scheduling import SchedulingRepo
from c2net.store.schema import (
    account_money,
    accounts,
    attempts,
    jobs,
    ledger_entries,
    ledger_txns,
    market_settings,
)

__all__ = ["MoneyRepo"]

_MONEY_KINDS = (TxnKind.TOPUP, TxnKind.REFUND, TxnKind.PAYOUT)


class MoneyRepo(SchedulingRepo, JobRepo):
    """Accounts' money over the ledger's entries."""

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
