import json
from pathlib import Path

import typer
import yaml
from typer.testing import CliRunner

from c2net.cli import simulate
from tests.sim.builders import national


def _app() -> typer.Typer:
    app = typer.Typer()
    simulate.register(app)

    @app.callback()
    def main() -> None:  # a group, so `simulate` is a subcommand as in the real CLI
        pass

    return app


def test_simulate_command_writes_the_report(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(national(200)))
    out = tmp_path / "out"
    args = ["simulate", "--scenario", str(scenario), "--policy", "first-fit", "--policy", "cost"]
    result = CliRunner().invoke(_app(), [*args, "--out", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "summary.json").read_text())
    assert list(data["policies"]) == ["first-fit", "cost"] and data["seed"] == 3
    assert (out / "report.html").exists()
    assert "first-fit" in result.output


def test_simulate_command_rejects_an_unknown_policy(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(national(20)))
    args = ["simulate", "--scenario", str(scenario), "--policy", "nope", "--out", str(tmp_path)]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 2
    assert "unknown policy" in result.output
