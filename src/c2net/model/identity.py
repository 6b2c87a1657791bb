"""Who is asking: accounts, roles and principals, and the visibility rules between them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["AccountKind", "Principal", "Role"]


class AccountKind(StrEnum):
    CONSUMER = "consumer"  # submits jobs and pays
    PROVIDER = "provider"  # owns centers and is paid
    OPERATOR = "operator"  # runs the network


class Role(StrEnum):
    CONSUMER = "consumer"
    PROVIDER = "provider"
    OPERATOR = "operator"
    AGENT = "agent"  # a provider's token scoped to one center, for that center's agent


@dataclass(frozen=True)
class Principal:
    """The identity behind a request's token."""

    user_id: int
    user: str
    account_id: int
    account: str
    role: Role
    center: str | None = None  # set for agent tokens only
    token_id: int = 0

    @property
    def is_operator(self) -> bool:
        return self.role is Role.OPERATOR

    def sees_job(self, job_account_id: int, job_centers: set[str], owned_centers: set[str]) -> bool:
        """Consumers see their account's jobs; providers the jobs placed at their centers;
        operators everything."""
        if self.role is Role.OPERATOR:
            return True
        if self.role is Role.CONSUMER:
            return job_account_id == self.account_id
        if self.role is Role.PROVIDER:
            return bool(job_centers & owned_centers)
        return False

    def sees_center(self, owner_account_id: int | None) -> bool:
        """Providers see only their own centers; everyone else sees the whole pool."""
        if self.role is Role.PROVIDER:
            return owner_account_id == self.account_id
        return self.role is not Role.AGENT
