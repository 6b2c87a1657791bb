"""Datasets: where data sits, so the scheduler can weigh moving it against moving the job."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, Field

from c2net.gateway.auth import Caller
from c2net.gateway.deps import Gateway, gateway
from c2net.gateway.schemas import StrictIn
from c2net.model import Role
from c2net.store.datasets import DatasetRecord

router = APIRouter(prefix="/v1/datasets", tags=["datasets"])

GW = Annotated[Gateway, Depends(gateway)]
NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"


class DatasetIn(StrictIn):
    name: str = Field(pattern=NAME, description="network-wide name jobs use in `inputs`")
    center: str = Field(min_length=1, max_length=128, description="the center that holds it")
    size_gb: float = Field(gt=0, le=1e9, description="size in GB (moving it costs egress)")


class DatasetOut(BaseModel):
    name: str
    account: str
    center: str
    size_gb: float
    created_at: float


def _out(d: DatasetRecord) -> DatasetOut:
    return DatasetOut(**d.__dict__)


@router.post("", status_code=201, response_model=DatasetOut)
def register_dataset(gw: GW, who: Caller, body: DatasetIn) -> DatasetOut:
    """Say that a center holds a dataset (consumers for their jobs' data, operators)."""
    if who.role not in (Role.CONSUMER, Role.OPERATOR):
        raise HTTPException(403, "only consumers and operators register datasets")
    return _out(
        gw.store.register_dataset(
            body.name, who.account_id, body.center, body.size_gb, gw.clock.now()
        )
    )


@router.get("", response_model=list[DatasetOut])
def list_datasets(gw: GW, who: Caller) -> list[DatasetOut]:
    """Your account's datasets (operators: every dataset)."""
    owner = None if who.is_operator else who.account_id
    return [_out(d) for d in gw.store.datasets(owner)]


@router.get("/{name}", response_model=DatasetOut)
def get_dataset(gw: GW, who: Caller, name: Annotated[str, Path(pattern=NAME)]) -> DatasetOut:
    _check_owner(gw, who.account_id, who.is_operator, name)
    return _out(gw.store.dataset(name))


@router.delete("/{name}", status_code=204)
def delete_dataset(gw: GW, who: Caller, name: Annotated[str, Path(pattern=NAME)]) -> None:
    """Forget a dataset (jobs naming it then wait with reason DATA until it is registered)."""
    _check_owner(gw, who.account_id, who.is_operator, name)
    gw.store.delete_dataset(name)


def _check_owner(gw: Gateway, account_id: int, operator: bool, name: str) -> None:
    """Another account's dataset is not visible: 404, as for jobs."""
    if not operator and gw.store.dataset_owner(name) != account_id:
        raise HTTPException(404, f"dataset {name} not found")
