"""The SDK: a thin httpx client over the gateway's REST API. The CLI and the agent use it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, Self

import httpx

from c2net.model import TERMINAL, JobSpec

__all__ = ["C2netError", "Client"]

JSON = dict[str, Any]


class C2netError(RuntimeError):
    """The gateway refused a request (status >= 400) or could not be reached (status 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Client:
    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport, headers=headers
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            resp = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise C2netError(0, f"cannot reach the gateway at {self.base_url}: {exc}") from exc
        if resp.status_code >= 400:
            try:
                detail = resp.json().get("detail", resp.text)
            except ValueError:
                detail = resp.text
            raise C2netError(resp.status_code, str(detail))
        return resp.json() if resp.content else None

    # ------------------------------------------------------------- consumers

    def submit(self, spec: JobSpec | JSON, idempotency_key: str | None = None) -> JSON:
        body = spec.to_dict() if isinstance(spec, JobSpec) else spec
        key = idempotency_key or uuid.uuid4().hex
        out: JSON = self._call("POST", "/v1/jobs", json=body, headers={"Idempotency-Key": key})
        return out

    def jobs(self, state: str | None = None) -> list[JSON]:
        params = {"state": state} if state else {}
        out: list[JSON] = self._call("GET", "/v1/jobs", params=params)
        return out

    def job(self, job_id: int) -> JSON:
        out: JSON = self._call("GET", f"/v1/jobs/{job_id}")
        return out

    def cancel(self, job_id: int) -> JSON:
        out: JSON = self._call("POST", f"/v1/jobs/{job_id}/cancel")
        return out

    def logs(self, job_id: int, offset: int = 0) -> JSON:
        out: JSON = self._call("GET", f"/v1/jobs/{job_id}/logs", params={"offset": offset})
        return out

    def follow_logs(self, job_id: int, poll: float = 0.5) -> Iterator[str]:
        """Yield the job's output as it arrives, until the job has ended and all is read."""
        offset = 0
        while True:
            chunk = self.logs(job_id, offset)
            if chunk["data"]:
                yield chunk["data"]
            offset = chunk["next_offset"]
            if chunk["state"] in TERMINAL and not chunk["data"]:
                return
            if not chunk["data"]:
                time.sleep(poll)

    def wait(self, job_id: int, timeout: float | None = None, poll: float = 0.3) -> JSON:
        """Block until the job ends; raise TimeoutError after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job["state"] in TERMINAL:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {job['state']} after {timeout}s")
            time.sleep(poll)

    def explain(self, job_id: int) -> JSON:
        out: JSON = self._call("GET", f"/v1/jobs/{job_id}/explain")
        return out

    def quote(self, spec: JobSpec | JSON, budget: Decimal | None = None) -> JSON:
        """The ranked offers for a spec, with a quote id: `submit --quote ID` (an order with
        it) before `valid_until` holds the quoted prices."""
        body = spec.to_dict() if isinstance(spec, JobSpec) else dict(spec)
        if budget is not None:
            body["budget"] = str(budget)
        out: JSON = self._call("POST", "/v1/quotes", json=body)
        return out

    def centers(self) -> list[JSON]:
        out: list[JSON] = self._call("GET", "/v1/centers")
        return out

    def bill(self) -> JSON:
        out: JSON = self._call("GET", "/v1/bill")
        return out

    def health(self) -> JSON:
        out: JSON = self._call("GET", "/healthz")
        return out

    # ------------------------------------------------------------- identities

    def whoami(self) -> JSON:
        out: JSON = self._call("GET", "/v1/whoami")
        return out

    def create_account(self, name: str, kind: str, credit_limit: float = 0.0) -> JSON:
        body = {"name": name, "kind": kind, "credit_limit": credit_limit}
        out: JSON = self._call("POST", "/v1/accounts", json=body)
        return out

    def accounts(self) -> list[JSON]:
        out: list[JSON] = self._call("GET", "/v1/accounts")
        return out

    def set_account_policy(self, name: str, **policy: float | int | str | None) -> JSON:
        """Weight, quotas (None lifts one) and home hub of an account."""
        out: JSON = self._call("PATCH", f"/v1/accounts/{name}", json=policy)
        return out

    def create_user(self, name: str, account: str) -> JSON:
        out: JSON = self._call("POST", "/v1/users", json={"name": name, "account": account})
        return out

    def create_token(
        self, name: str = "", expires_in_days: float | None = None, user: str | None = None
    ) -> JSON:
        body = {"name": name, "expires_in_days": expires_in_days, "user": user}
        out: JSON = self._call("POST", "/v1/tokens", json=body)
        return out

    def create_agent_token(self, center: str, user: str | None = None) -> JSON:
        out: JSON = self._call("POST", "/v1/agent-tokens", json={"center": center, "user": user})
        return out

    def tokens(self) -> list[JSON]:
        out: list[JSON] = self._call("GET", "/v1/tokens")
        return out

    def revoke_token(self, token_id: int) -> None:
        self._call("DELETE", f"/v1/tokens/{token_id}")

    # ------------------------------------------------------------- datasets

    def register_dataset(self, name: str, center: str, size_gb: float) -> JSON:
        body = {"name": name, "center": center, "size_gb": size_gb}
        out: JSON = self._call("POST", "/v1/datasets", json=body)
        return out

    def datasets(self) -> list[JSON]:
        out: list[JSON] = self._call("GET", "/v1/datasets")
        return out

    def delete_dataset(self, name: str) -> None:
        self._call("DELETE", f"/v1/datasets/{name}")

    # ------------------------------------------------------------- agents

    def register(self, center: JSON, agent: JSON) -> JSON:
        out: JSON = self._call(
            "POST", "/v1/agent/register", json={"center": center, "agent": agent}
        )
        return out

    def heartbeat(
        self,
        center: str,
        held: list[int],
        free: list[JSON] | None = None,
        backend_error: str = "",
    ) -> JSON:
        body = {"center": center, "held": held, "free": free, "backend_error": backend_error}
        out: JSON = self._call("POST", "/v1/agent/heartbeat", json=body)
        return out

    def lease(self, center: str, held: list[int]) -> JSON:
        out: JSON = self._call("POST", "/v1/agent/lease", json={"center": center, "held": held})
        return out

    def report(self, center: str, attempt_id: int, state: str, **fields: Any) -> JSON:
        body = {"center": center, "attempt_id": attempt_id, "state": state, **fields}
        out: JSON = self._call("POST", "/v1/agent/report", json=body)
        return out

    def append_logs(self, center: str, attempt_id: int, offset: int, data: str) -> JSON:
        body = {"center": center, "attempt_id": attempt_id, "offset": offset, "data": data}
        out: JSON = self._call("POST", "/v1/agent/logs", json=body)
        return out
