"""Accounts, users and API tokens. Secrets are shown once and stored only as sha256 digests."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError

from c2net.model import AccountKind, Principal, Role
from c2net.store.base import Conflict, NotFound, StoreBase
from c2net.store.schema import accounts, centers, tokens, users

__all__ = ["POLICY_FIELDS", "Account", "IdentityRepo", "TokenInfo", "account_from_row", "digest"]

TOKEN_PREFIX = "c2n_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    kind: AccountKind
    currency: str
    credit_limit: float
    weight: float = 1.0  # fair share, relative to the other tenants
    max_cpus: float | None = None  # quota: most in use at once (None: no limit)
    max_memory_gb: float | None = None
    max_accelerators: int | None = None
    home: str = ""  # the hub its users sit near (interactive jobs stay close to it)


POLICY_FIELDS = ("weight", "max_cpus", "max_memory_gb", "max_accelerators", "home")


@dataclass(frozen=True)
class TokenInfo:
    id: int
    user: str
    name: str
    prefix: str
    center: str | None
    created_at: float
    expires_at: float | None
    revoked_at: float | None


class IdentityRepo(StoreBase):
    def create_account(
        self,
        name: str,
        kind: AccountKind,
        now: float,
        *,
        credit_limit: float = 0.0,
        currency: str = "CNY",
    ) -> Account:
        try:
            with self._lock, self.engine.begin() as conn:
                conn.execute(
                    insert(accounts).values(
                        name=name,
                        kind=kind.value,
                        currency=currency,
                        credit_limit=credit_limit,
                        created_at=now,
                    )
                )
        except IntegrityError as exc:
            raise Conflict(f"account {name!r} already exists") from exc
        return self.account(name)

    def account(self, name_or_id: str | int) -> Account:
        col = accounts.c.id if isinstance(name_or_id, int) else accounts.c.name
        with self._read() as conn:
            row = conn.execute(select(accounts).where(col == name_or_id)).mappings().first()
        if row is None:
            raise NotFound(f"account {name_or_id} not found")
        return account_from_row(row)

    def accounts(self) -> list[Account]:
        with self._read() as conn:
            rows = conn.execute(select(accounts).order_by(accounts.c.id)).mappings().all()
        return [account_from_row(r) for r in rows]

    def set_account_policy(self, name: str, **policy: float | int | str | None) -> Account:
        """Change an account's scheduling policy: any of POLICY_FIELDS (a quota of None lifts
        the limit). Takes effect from the next scheduling cycle."""
        unknown = set(policy) - set(POLICY_FIELDS)
        if unknown:
            raise ValueError(f"unknown account policy field(s): {', '.join(sorted(unknown))}")
        if not policy:  # nothing to change (an empty PATCH): the account as it is
            return self.account(name)
        with self._lock, self.engine.begin() as conn:
            done = conn.execute(update(accounts).where(accounts.c.name == name).values(**policy))
        if done.rowcount == 0:
            raise NotFound(f"account {name} not found")
        return self.account(name)

    def create_user(self, name: str, account: str, now: float) -> int:
        acct = self.account(account)
        try:
            with self._lock, self.engine.begin() as conn:
                result = conn.execute(
                    insert(users).values(name=name, account_id=acct.id, created_at=now)
                )
        except IntegrityError as exc:
            raise Conflict(f"user {name!r} already exists") from exc
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def user_id(self, name: str) -> int:
        with self._read() as conn:
            found = conn.execute(select(users.c.id).where(users.c.name == name)).first()
        if found is None:
            raise NotFound(f"user {name} not found")
        return int(found[0])

    def user_account(self, user_id: int) -> int:
        with self._read() as conn:
            found = conn.execute(select(users.c.account_id).where(users.c.id == user_id)).first()
        if found is None:
            raise NotFound(f"user {user_id} not found")
        return int(found[0])

    def create_token(
        self,
        user_id: int,
        now: float,
        *,
        name: str = "",
        ttl_seconds: float | None = None,
        center: str | None = None,
        secret: str | None = None,
    ) -> str:
        """A new token for the user; the secret is returned here and never again."""
        secret = secret or TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._lock, self.engine.begin() as conn:
            conn.execute(
                insert(tokens).values(
                    user_id=user_id,
                    name=name,
                    digest=digest(secret),
                    prefix=secret[:10],
                    center=center,
                    created_at=now,
                    expires_at=None if ttl_seconds is None else now + ttl_seconds,
                )
            )
        return secret

    def authenticate(self, secret: str, now: float) -> Principal | None:
        """The principal behind a live token, or None (unknown, revoked or expired)."""
        with self._read() as conn:
            row = (
                conn.execute(
                    select(
                        tokens.c.id,
                        tokens.c.center,
                        tokens.c.expires_at,
                        tokens.c.revoked_at,
                        users.c.id.label("user_id"),
                        users.c.name.label("user"),
                        accounts.c.id.label("account_id"),
                        accounts.c.name.label("account"),
                        accounts.c.kind,
                    )
                    .join(users, users.c.id == tokens.c.user_id)
                    .join(accounts, accounts.c.id == users.c.account_id)
                    .where(tokens.c.digest == digest(secret))
                )
                .mappings()
                .first()
            )
        if row is None or row["revoked_at"] is not None:
            return None
        if row["expires_at"] is not None and row["expires_at"] <= now:
            return None
        role = Role.AGENT if row["center"] else Role(row["kind"])
        return Principal(
            row["user_id"],
            row["user"],
            row["account_id"],
            row["account"],
            role,
            row["center"],
            row["id"],
        )

    def tokens(self, user_id: int | None = None) -> list[TokenInfo]:
        query = (
            select(tokens, users.c.name.label("user"))
            .join(users, users.c.id == tokens.c.user_id)
            .order_by(tokens.c.id)
        )
        if user_id is not None:
            query = query.where(tokens.c.user_id == user_id)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            TokenInfo(
                r["id"],
                r["user"],
                r["name"],
                r["prefix"],
                r["center"],
                r["created_at"],
                r["expires_at"],
                r["revoked_at"],
            )
            for r in rows
        ]

    def revoke_token(self, token_id: int, now: float, user_id: int | None = None) -> None:
        """Revoke a token (only the user's own unless user_id is None, for operators)."""
        with self._lock, self.engine.begin() as conn:
            query = update(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
            if user_id is not None:
                query = query.where(tokens.c.user_id == user_id)
            if conn.execute(query.values(revoked_at=now)).rowcount == 0:
                raise NotFound(f"token {token_id} not found or already revoked")

    def ensure_operator(self, secret: str, now: float) -> None:
        """Make sure an operator account and user `admin` exist and `secret` is a token of
        theirs (idempotent: the way `c2net server` is bootstrapped)."""
        with self._lock:
            if self.authenticate(secret, now) is not None:
                return
            try:
                self.account("operator")
            except NotFound:
                self.create_account("operator", AccountKind.OPERATOR, now)
            try:
                uid = self.user_id("admin")
            except NotFound:
                uid = self.create_user("admin", "operator", now)
            self.create_token(uid, now, name="bootstrap", secret=secret)

    def center_owners(self) -> dict[str, int | None]:
        with self._read() as conn:
            return {
                n: o for n, o in conn.execute(select(centers.c.name, centers.c.owner_account_id))
            }


def account_from_row(row: RowMapping) -> Account:
    return Account(
        row["id"],
        row["name"],
        AccountKind(row["kind"]),
        row["currency"],
        row["credit_limit"],
        *(row[f] for f in POLICY_FIELDS),
    )
