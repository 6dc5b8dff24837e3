"""Open registries: an environment another package registers with Gymnasium runs through
`archgym run`, `sweep` and `eval`; agents come from one table with their kinds."""

import json
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import yaml

from agents.cli.main import main
from agents.registry import AGENTS, KINDS, agent_kind, agent_names, load_agent
from archgym_env.env import DesignEnv
from archgym_env.objective import Goal, Objective
from archgym_env.registry import make
from archgym_env.space import Categorical, DesignSpace, PowerOfTwo
from simulators.errors import InvalidArgumentError
from simulators.systolic import SystolicArray
from simulators.workloads import Gemm

ENV_ID = "tinytest/Systolic-v0"
# Two free parameters; the rest of what the systolic model takes is fixed.
SPACE = DesignSpace((PowerOfTwo("rows", 8, 64), PowerOfTwo("cols", 8, 64),
                     Categorical("dataflow", ("os",)), Categorical("ifmap_sram_kb", (64,)),
                     Categorical("filter_sram_kb", (64,)), Categorical("ofmap_sram_kb", (64,)),
                     Categorical("dram_bandwidth_words", (8,))))
GEMM = Gemm(256, 256, 256)


def make_tiny_env(latency_ref_s: float = 3e-4) -> DesignEnv:
    objective = Objective("pareto", (Goal("latency_s", "min", reference=latency_ref_s),
                                     Goal("area_mm2", "min", reference=3.0)))
    return DesignEnv(SPACE, SystolicArray(), GEMM, objective)


if ENV_ID not in gym.registry:
    gym.register(ENV_ID, entry_point=f"{__name__}:make_tiny_env")


def test_a_gymnasium_registered_env_runs_through_archgym_run(tmp_path):
    out = tmp_path / "run"
    assert main(["run", ENV_ID, "--agent", "grid", "--budget", "16", "--out", str(out)]) == 0
    frame = pd.read_parquet(out / "evaluations.parquet")
    assert len(frame) == 16 and frame["design.rows"].nunique() == 4  # the whole 4 x 4 grid
    summary = json.loads((out / "summary.json").read_text())
    designs = list(SPACE.enumerate())
    areas = SystolicArray().evaluate_batch(designs, GEMM)
    smallest = designs[int(np.argmin(areas.metrics["area_mm2"]))]
    assert smallest in [p["design"] for p in summary["pareto_front"]]
    assert summary["objective"] == make_tiny_env().objective.as_dict()
    assert summary["space_fingerprint"] == SPACE.fingerprint()


def test_a_gymnasium_registered_env_runs_through_archgym_sweep(tmp_path):
    spec = {"budget": 8, "seeds": 2, "agents": ["random", "ga"],
            "environments": [{"id": ENV_ID, "args": {"latency_ref_s": 2e-4}}]}
    (tmp_path / "sweep.yaml").write_text(yaml.safe_dump(spec))
    assert main(["sweep", str(tmp_path / "sweep.yaml"), "--out", str(tmp_path / "out")]) == 0
    table = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert sorted(table["agent"]) == ["ga", "ga", "random", "random"]
    assert (table["evaluations"] == 8).all()
    described = [json.loads(p.read_text()) for p in (tmp_path / "out").rglob("run.json")]
    assert len(described) == 4
    assert all(d["objective"]["goals"][0]["reference"] == 2e-4 for d in described)


def test_eval_of_a_gymnasium_registered_env(capsys):
    assert main(["eval", ENV_ID, "--design", '{"rows": 32}', "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["design"]["cols"] == SPACE["cols"].default  # the default filled in
    assert out["metrics"] == SystolicArray().evaluate(out["design"], GEMM)


def test_module_colon_id_imports_the_registering_module():
    # A fresh interpreter has not imported this module: `module:EnvId` imports it first.
    proc = subprocess.run([sys.executable, "-m", "agents.cli.main", "eval",
                           f"{__name__}:{ENV_ID}", "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["design"]["rows"] == SPACE["rows"].default


def test_unknown_ids_list_the_known_ones_and_bad_kwargs_name_themselves():
    with pytest.raises(InvalidArgumentError, match="env_id='tinytest/Nope-v0'") as error:
        make("tinytest/Nope-v0")
    assert "archgym/Systolic-v0" in str(error.value) and ENV_ID in str(error.value)
    assert "CartPole-v1" not in str(error.value)  # Gymnasium's own have no design space
    with pytest.raises(InvalidArgumentError, match="env argument='latency'.*latency_ref_s"):
        make(ENV_ID, latency=1.0)
    with pytest.raises(InvalidArgumentError, match="env_id='no_such_module:X-v0'"):
        make("no_such_module:X-v0")


def test_an_env_without_a_design_space_is_one_clear_error(tmp_path, capsys):
    for command in (["run", "CartPole-v1", "--budget", "4", "--out", str(tmp_path)],
                    ["eval", "CartPole-v1"]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "CartPole-v1 makes a CartPoleEnv, which has no design " \
                                 "space" in err[0]


def test_agents_live_in_one_table_with_their_kind(capsys):
    assert set(agent_names()) == set(AGENTS)
    assert agent_names("rl") == ["ppo", "a2c", "dqn", "sac"]
    assert agent_names("marl") == ["ippo", "mappo"]
    assert {agent_kind(n) for n in AGENTS} == set(KINDS)
    assert load_agent("ga").name == "ga"
    with pytest.raises(InvalidArgumentError, match="agent kind='evo'"):
        agent_names("evo")
    assert main(["agents", "--json"]) == 0
    listed = {a["name"]: a["kind"] for a in json.loads(capsys.readouterr().out)}
    assert listed == {n: e.kind for n, e in AGENTS.items()}
