"""Datasets: named data held at one center, which jobs name as their `inputs`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from c2net.store.base import Conflict, NotFound, StoreBase
from c2net.store.schema import accounts, centers, datasets

__all__ = ["DatasetRecord", "DatasetRepo"]


@dataclass(frozen=True)
class DatasetRecord:
    name: str
    account: str
    center: str
    size_gb: float
    created_at: float


_COLUMNS = (
    datasets.c.name,
    accounts.c.name,
    datasets.c.center,
    datasets.c.size_gb,
    datasets.c.created_at,
)


class DatasetRepo(StoreBase):
    def register_dataset(
        self, name: str, account_id: int, center: str, size_gb: float, now: float
    ) -> DatasetRecord:
        """Record that `center` holds dataset `name` of `size_gb`. Names are network-wide."""
        with self._read() as conn:
            known = conn.execute(select(centers.c.name).where(centers.c.name == center)).first()
        if known is None:
            raise NotFound(f"center {center} is not registered (see `c2net centers`)")
        try:
            with self._lock, self.engine.begin() as conn:
                conn.execute(
                    insert(datasets).values(
                        name=name,
                        account_id=account_id,
                        center=center,
                        size_gb=size_gb,
                        created_at=now,
                    )
                )
        except IntegrityError as exc:
            raise Conflict(f"dataset {name!r} is already registered") from exc
        return self.dataset(name)

    def dataset(self, name: str) -> DatasetRecord:
        with self._read() as conn:
            row = conn.execute(
                select(*_COLUMNS)
                .join(accounts, accounts.c.id == datasets.c.account_id)
                .where(datasets.c.name == name)
            ).first()
        if row is None:
            raise NotFound(f"dataset {name} not found")
        return DatasetRecord(*row)

    def datasets(self, account_id: int | None = None) -> list[DatasetRecord]:
        """Every dataset (None) or one account's, by name."""
        query = select(*_COLUMNS).join(accounts, accounts.c.id == datasets.c.account_id)
        if account_id is not None:
            query = query.where(datasets.c.account_id == account_id)
        with self._read() as conn:
            return [DatasetRecord(*r) for r in conn.execute(query.order_by(datasets.c.name))]

    def dataset_owner(self, name: str) -> int:
        with self._read() as conn:
            owner = conn.execute(
                select(datasets.c.account_id).where(datasets.c.name == name)
            ).scalar_one_or_none()
        if owner is None:
            raise NotFound(f"dataset {name} not found")
        return int(owner)

    def delete_dataset(self, name: str) -> None:
        with self._lock, self.engine.begin() as conn:
            gone = conn.execute(delete(datasets).where(datasets.c.name == name))
        if gone.rowcount == 0:
            raise NotFound(f"dataset {name} not found")
