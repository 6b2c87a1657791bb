"""Price plans per center, quotes with ids and orders that hold their terms."""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from c2net.market.tariff import Tariff
from c2net.model import (
    Job,
    JobSpec,
)
from c2net.store.base import NotFound
from c2net.store.books import budget_of, charged_so_far, tariffs_of, to_micro
from c2net.store.events import set_job_terms
from c2net.store.money import MoneyRepo
from c2net.store.records import QUOTE_TTL_SECONDS, QuoteRecord
from c2net.store.schema import (
    center_tariffs,
    centers,
    job_terms,
    quotes,
)

__all__ = ["PlansRepo"]


class PlansRepo(MoneyRepo):
    """Tariffs, quotes and the terms jobs are placed on."""

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

    def tariffs(self) -> dict[str, Tariff]:
        """Every center's price plan in force (centers without one are flat)."""
        with self._read() as conn:
            return tariffs_of(conn)

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
