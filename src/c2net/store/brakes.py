"""The market's brakes inside a caller's transaction: budgets (a job past its budget is held or
stopped), funds (with the brakes on, an account that cannot pay for the next minute of its
running jobs has its new work held and, after the grace period, its running work stopped) and
low-balance alerts. What each rule says is written in docs/billing.md."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from c2net.market.ledger import Book, MarketSettings
from c2net.market.tariff import Tariff, parse_tariff
from c2net.market.usage import Terms, quantize, yuan_text
from c2net.model import AccountKind, JobState
from c2net.store.booking import terms_of
from c2net.store.books import (
    budget_of,
    charged_so_far,
    credit_limit_of,
    dec,
    from_micro,
    is_consumer,
    settings_of,
    wallet,
)
from c2net.store.events import add_event, stop_job
from c2net.store.schema import (
    account_money,
    accounts,
    attempt_terms,
    attempts,
    job_terms,
    jobs,
    ledger_entries,
)

__all__ = [
    "apply_brakes",
    "burn_per_account",
    "held_jobs",
    "send_alerts",
    "shortfall",
    "stop_over_budget",
]


def burn_per_account(conn: Connection, now: float) -> dict[int, Decimal]:
    """Per consumer account: the price per hour now of its running attempts (one query)."""
    rows = conn.execute(
        select(
            attempts.c.price_per_hour,
            jobs.c.account_id.label("job_account"),
            attempt_terms.c.account_id,
            attempt_terms.c.base_hourly,
            attempt_terms.c.tariff,
        )
        .join(jobs, jobs.c.id == attempts.c.job_id)
        .join(attempt_terms, attempt_terms.c.attempt_id == attempts.c.id, isouter=True)
        .where(attempts.c.state == JobState.RUNNING.value, attempts.c.started_at.is_not(None))
    ).mappings()
    out: dict[int, Decimal] = {}
    tariffs: dict[str, Tariff] = {}
    for r in rows:
        if r["base_hourly"] is None:  # placed before the market knew it: its flat price
            consumer, price = r["job_account"], dec(r["price_per_hour"])
        else:
            key = repr(sorted(r["tariff"].items()))
            tariff = tariffs.setdefault(key, parse_tariff(r["tariff"]))
            consumer, price = r["account_id"], Terms(dec(r["base_hourly"]), tariff).price_at(now)
        if consumer is not None:
            out[consumer] = out.get(consumer, Decimal(0)) + price
    return out


def shortfall(available: Decimal, burn: Decimal, currency: str = "CNY") -> str:
    """Why an account's work is held ("" when its funds cover the next minute)."""
    minute = quantize(burn / 60)
    if available > 0 and available >= minute:
        return ""
    return (
        f"held: funds {yuan_text(available, currency)} (balance + credit) cannot cover the next "
        f"minute of running jobs ({yuan_text(minute, currency)}); top up to resume"
    )


def held_jobs(conn: Connection, now: float, job_ids: Sequence[int]) -> dict[int, str]:
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
    if not settings_of(conn).brakes:
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


def stop_over_budget(conn: Connection, r: RowMapping, now: float) -> bool:
    """Stop a running attempt's job when its charges plus the next minute pass its budget."""
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


def apply_brakes(
    conn: Connection, now: float, settings: MarketSettings, running: Sequence[RowMapping]
) -> list[int]:
    """Hold the work of accounts short of the next minute (an event), stop their running jobs
    after the grace period; release them when funds cover it again. Returns the jobs stopped."""
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
                add_event(conn, now, account_id, "resumed", "funds cover the running jobs again")
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


def send_alerts(conn: Connection, now: float, settings: MarketSettings) -> None:
    """A `low_balance` event once when an account's funds drop below its alert threshold,
    again only after they have been above it."""
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
