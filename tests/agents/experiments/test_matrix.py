"""Every agent runs on every registered environment through `archgym run` (the
successive baseline on the co-design ones; elsewhere it refuses in one line)."""

import json

import pandas as pd
import pytest

from agents.cli.main import main
from agents.registry import agent_names
from archgym_env.registry import ENVIRONMENTS, make

BUDGET = 6
# The grid refuses a space above its limit unless told to take a coarser grid.
AGENT_ARGS = {"grid": {"subsample": True}}


def co_design(env_id: str) -> bool:
    """Whether the environment's space has both sides of a co-design (net.* and hw.*)."""
    names = make(env_id).unwrapped.space.names
    return all(any(n.startswith(side) for n in names) for side in ("net.", "hw."))


# Over 10 s each on busy cores: DQN on CoDesign-v0's 57-step sequential form, and the
# REINFORCE controller's 57 LSTM steps per design.
SLOW = {("archgym/CoDesign-v0", "dqn"), ("archgym/CoDesign-v0", "reinforce")}
CASES = [pytest.param(env_id, agent, marks=[pytest.mark.slow] if (env_id, agent) in SLOW
                      else [], id=f"{env_id}-{agent}")
         for env_id in ENVIRONMENTS for agent in agent_names()]


@pytest.mark.parametrize("env_id, agent", CASES)
def test_agent_runs_on_environment(tmp_path, env_id, agent, capsys):
    if agent == "successive" and not co_design(env_id):  # networks, then hardware: none
        assert main(["run", env_id, "--agent", agent, "--budget", str(BUDGET),
                     "--out", str(tmp_path)]) == 2
        assert "a co-design space" in capsys.readouterr().err
        return
    assert main(["run", env_id, "--agent", agent, "--budget", str(BUDGET), "--seed", "1",
                 "--agent-args", json.dumps(AGENT_ARGS.get(agent, {})),
                 "--out", str(tmp_path)]) == 0
    rows = [json.loads(line) for line in
            (tmp_path / "evaluations.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == list(range(BUDGET))
    assert {(r["agent"], r["env_id"], r["seed"]) for r in rows} == {(agent, env_id, 1)}
    space = make(env_id).unwrapped.space
    for row in rows:  # every suggestion is a point of the environment's own space
        assert set(row["design"]) == set(space.names)
        assert all(row["design"][p.name] in p.choices for p in space.parameters)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["best_reward"] == max(r["reward"] for r in rows)
    assert len(pd.read_parquet(tmp_path / "evaluations.parquet")) == BUDGET
