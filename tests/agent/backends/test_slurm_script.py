"""Golden files for the batch scripts the Slurm backend submits.

After an intended change, rewrite them with `C2NET_UPDATE_GOLDEN=1 pytest <this file>` and
review the diff; test_slurm.py checks that real sbatch accepts and runs such scripts.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from c2net.agent.backends.base import Task
from c2net.agent.backends.slurm_script import BatchOptions, batch_script, job_name
from c2net.model import Resources

GOLDEN = Path(__file__).parent / "golden" / "slurm"
WORK = Path("/srv/c2net/agent/attempt-34")


def task(**overrides: object) -> Task:
    fields: dict[str, object] = {
        "attempt_id": 34,
        "job_id": 12,
        "name": "train resnet",
        "run": "python train.py --epochs 3",
        "setup": "pip install -r requirements.txt",
        "envs": {"DATASET": "imagenet subset", "QUOTE": "it's"},
        "resources": Resources(3.5, 6.0, {"A100": 1}),
        "node": 0,
        "workdir": str(WORK),
        "time_limit_seconds": 5400.0,
    }
    fields.update(overrides)
    return Task(**fields)  # type: ignore[arg-type]


CASES = {
    # 3.5 cpus -> 4 whole cpus; 6 GB -> 6 * 1024 = 6144M; 5400 s = 90 min
    "script-single-gpu.sbatch": (task(), BatchOptions("gpu", "lab42", ("gpu:a100:1",))),
    # two nodes, 1 cpu and 0.5 GB (512M) each, no time limit, no GPU
    "script-two-nodes.sbatch": (
        task(
            name="mpi ring",
            run="./ring",
            setup="",
            envs={},
            resources=Resources(1, 0.5),
            time_limit_seconds=None,
            num_nodes=2,
        ),
        BatchOptions(),
    ),
}


@pytest.mark.parametrize("golden_file", sorted(CASES))
def test_batch_script_matches_golden(golden_file: str) -> None:
    the_task, options = CASES[golden_file]
    text = batch_script(the_task, WORK, options)
    path = GOLDEN / golden_file
    if os.environ.get("C2NET_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize(
    ("seconds", "directive"),
    [(1.0, "--time=1"), (60.0, "--time=1"), (61.0, "--time=2"), (5400.0, "--time=90")],
)
def test_time_limit_rounds_up_to_whole_minutes(seconds: float, directive: str) -> None:
    # Slurm keeps time limits in minutes: 61 s must become 2 minutes, never 1
    text = batch_script(task(time_limit_seconds=seconds), WORK, BatchOptions())
    assert f"#SBATCH {directive}\n" in text


def test_bad_environment_names_are_refused() -> None:
    with pytest.raises(ValueError, match="not a valid environment variable"):
        batch_script(task(envs={"BAD-NAME": "x"}), WORK, BatchOptions())


def test_job_name_is_safe_and_findable() -> None:
    assert job_name(task(name="a b/c;d")) == "c2net-12-34-a-b-c-d"
