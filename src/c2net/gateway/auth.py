"""Authentication (bearer tokens) and the authorization rules every route applies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from c2net.gateway.deps import Gateway, gateway
from c2net.model import Job, Principal, Role

__all__ = ["Caller", "agent_for", "caller", "job_visible", "owned_centers", "require"]


def caller(request: Request, gw: Annotated[Gateway, Depends(gateway)]) -> Principal:
    """The principal behind `Authorization: Bearer <token>`; 401 without a live token."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise HTTPException(
            401,
            "missing token: send `Authorization: Bearer <token>` "
            "(create one with `c2net token create`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = gw.store.authenticate(secret.strip(), gw.clock.now())
    if principal is None:
        raise HTTPException(
            401, "invalid, expired or revoked token", headers={"WWW-Authenticate": "Bearer"}
        )
    return principal


Caller = Annotated[Principal, Depends(caller)]


def require(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise HTTPException(
            403, f"a {principal.role.value} token cannot do this (allowed: {allowed})"
        )


def owned_centers(gw: Gateway, principal: Principal) -> set[str]:
    if principal.role is not Role.PROVIDER:
        return set()
    return {n for n, o in gw.store.center_owners().items() if o == principal.account_id}


def job_visible(gw: Gateway, principal: Principal, job: Job) -> bool:
    centers = {a.center for a in job.attempts} | ({job.center} if job.center else set())
    return principal.sees_job(job.account_id or 0, centers, owned_centers(gw, principal))


def agent_for(principal: Principal, center: str) -> None:
    """An agent token acts only for its own center."""
    if principal.role is not Role.AGENT:
        raise HTTPException(403, "agent endpoints take a center's agent token")
    if principal.center != center:
        raise HTTPException(403, f"this agent token is for center {principal.center}, not {center}")
