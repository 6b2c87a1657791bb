"""Accounts, users and tokens: who may use the network, and as what."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, Field

from c2net.gateway.auth import Caller, require
from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.schemas import StrictIn
from c2net.model import AccountKind, Role
from c2net.store import Conflict, NotFound

router = APIRouter(prefix="/v1", tags=["identity"])

GW = Annotated[Gateway, Depends(gateway)]
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"


class WhoAmI(BaseModel):
    user: str
    account: str
    role: Role
    center: str | None


class AccountIn(StrictIn):
    name: str = Field(pattern=NAME)
    kind: AccountKind
    credit_limit: float = Field(default=0.0, ge=0)


class AccountOut(BaseModel):
    id: int
    name: str
    kind: AccountKind
    currency: str
    credit_limit: float
    weight: float
    max_cpus: float | None
    max_memory_gb: float | None
    max_accelerators: int | None
    home: str


class PolicyIn(StrictIn):
    """Fields left out stay as they are; a quota set to null lifts the limit."""

    weight: float | None = Field(default=None, gt=0, le=1e6, description="fair-share weight")
    max_cpus: float | None = Field(default=None, ge=0, le=1e9, description="quota: cpus")
    max_memory_gb: float | None = Field(default=None, ge=0, le=1e12, description="quota: memory GB")
    max_accelerators: int | None = Field(default=None, ge=0, le=10**9, description="quota: devices")
    home: str | None = Field(
        default=None, max_length=128, description="the hub its users sit near ('' = none)"
    )


class UserIn(StrictIn):
    name: str = Field(pattern=NAME)
    account: str


class TokenIn(StrictIn):
    name: str = Field(default="", max_length=64)
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)
    user: str | None = Field(default=None, description="operators only: a token for this user")


class AgentTokenIn(StrictIn):
    center: str = Field(pattern=NAME)
    user: str | None = Field(default=None, description="operators: the provider's user")
    expires_in_days: float | None = Field(default=None, gt=0, le=3650)


class TokenCreated(BaseModel):
    token: str = Field(description="the secret: shown once, store it now")
    user: str
    center: str | None = None


class TokenOut(BaseModel):
    id: int
    user: str
    name: str
    prefix: str
    center: str | None
    created_at: float
    expires_at: float | None
    revoked_at: float | None


@router.get("/whoami", response_model=WhoAmI)
def whoami(who: Caller) -> WhoAmI:
    return WhoAmI(user=who.user, account=who.account, role=who.role, center=who.center)


@router.post("/accounts", status_code=201, response_model=AccountOut)
def create_account(gw: GW, who: Caller, body: AccountIn) -> AccountOut:
    require(who, Role.OPERATOR)
    a = gw.store.create_account(
        body.name, body.kind, gw.clock.now(), credit_limit=body.credit_limit
    )
    return AccountOut(**a.__dict__)


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(gw: GW, who: Caller) -> list[AccountOut]:
    found = gw.store.accounts() if who.is_operator else [gw.store.account(who.account_id)]
    return [AccountOut(**a.__dict__) for a in found]


@router.patch("/accounts/{name}", response_model=AccountOut)
def set_policy(
    gw: GW, who: Caller, name: Annotated[str, Path(pattern=NAME)], body: PolicyIn
) -> AccountOut:
    """An account's scheduling policy. Operators set weight, quotas and home; a consumer may
    set its own account's home hub only."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("weight", 0.0) is None:
        raise HTTPException(422, "weight: expected a positive number (null is not a weight)")
    if not who.is_operator and (name != who.account or set(changes) - {"home"}):
        raise HTTPException(403, "only operators set weights and quotas")
    if "home" in changes:
        changes["home"] = changes["home"] or ""
    home = changes.get("home")
    if home:
        hubs = {s.center.hub for s in gw.store.centers(gw.clock.now())}
        hubs |= set(gw.store.network.roles)
        if home not in hubs:
            known = ", ".join(sorted(hubs)) or "none yet"
            raise HTTPException(422, f"home: unknown hub {home!r} (known: {known})")
    a = gw.store.set_account_policy(name, **changes)
    return AccountOut(**a.__dict__)


@router.post("/users", status_code=201, response_model=TokenCreated)
def create_user(gw: GW, who: Caller, body: UserIn) -> TokenCreated:
    """A new user in an account, with a first token (operators only)."""
    require(who, Role.OPERATOR)
    now = gw.clock.now()
    uid = gw.store.create_user(body.name, body.account, now)
    return TokenCreated(token=gw.store.create_token(uid, now, name="first"), user=body.name)


@router.post("/tokens", status_code=201, response_model=TokenCreated)
def create_token(gw: GW, who: Caller, body: TokenIn) -> TokenCreated:
    require(who, Role.CONSUMER, Role.PROVIDER, Role.OPERATOR)
    user, uid = who.user, who.user_id
    if body.user and body.user != who.user:
        require(who, Role.OPERATOR)
        user, uid = body.user, gw.store.user_id(body.user)
    ttl = None if body.expires_in_days is None else body.expires_in_days * 86400
    secret = gw.store.create_token(uid, gw.clock.now(), name=body.name, ttl_seconds=ttl)
    return TokenCreated(token=secret, user=user)


@router.post("/agent-tokens", status_code=201, response_model=TokenCreated)
def create_agent_token(gw: GW, who: Caller, body: AgentTokenIn) -> TokenCreated:
    """A token for one center's agent, owned by a provider account."""
    require(who, Role.PROVIDER, Role.OPERATOR)
    user, uid, account_id = who.user, who.user_id, who.account_id
    if who.is_operator:
        if not body.user:
            raise HTTPException(422, "user: operators name the provider's user who owns the center")
        user, uid = body.user, gw.store.user_id(body.user)
        account_id = gw.store.user_account(uid)
    owner = gw.store.center_owners().get(body.center)
    if owner is not None and owner != account_id:
        raise Conflict(f"center {body.center} belongs to another provider")
    if gw.store.account(account_id).kind is not AccountKind.PROVIDER:
        raise Conflict(f"user {user} is not in a provider account")
    ttl = None if body.expires_in_days is None else body.expires_in_days * 86400
    secret = gw.store.create_token(
        uid, gw.clock.now(), name=f"agent:{body.center}", ttl_seconds=ttl, center=body.center
    )
    return TokenCreated(token=secret, user=user, center=body.center)


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(gw: GW, who: Caller) -> list[TokenOut]:
    infos = gw.store.tokens(None if who.is_operator else who.user_id)
    return [TokenOut(**t.__dict__) for t in infos]


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(gw: GW, who: Caller, token_id: Annotated[int, Path(ge=1, le=2**62)]) -> None:
    try:
        gw.store.revoke_token(token_id, gw.clock.now(), None if who.is_operator else who.user_id)
    except NotFound:
        raise NotFound(f"token {token_id} not found or already revoked") from None
