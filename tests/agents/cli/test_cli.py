"""The command line: one-line errors with exit code 2, real evaluations, runs that resume."""

import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest

from agents.cli.main import DEMO_AGENTS, DEMO_ENV_ID, main
from agents.experiments.experiment import run_experiment
from agents.experiments.store import ResultsStore
from simulators.systolic import SystolicArray
from simulators.workloads import resnet18

CLI = [sys.executable, "-m", "agents.cli.main"]


@pytest.mark.parametrize("args, message", [
    (["eval", "archgym/Systolic-v0", "--design", '{"rowz": 8}'], "parameter='rowz'"),
    (["eval", "archgym/Systolic-v0", "--design", '{"rows": 100}'], "powers of two 8..256"),
    (["eval", "archgym/Systolic-v0", "--design", '{"rows": 8'], "--design="),
    (["eval", "archgym/Systolic-v0", "--design", "[1, 2]"], "a JSON object"),
    (["eval", "archgym/Nope-v0"], "env_id='archgym/Nope-v0'"),
    (["eval", "archgym/Systolic-v0", "--env-args", '{"reward": "best"}'], "reward mode='best'"),
    (["run", "archgym/Systolic-v0", "--budget", "0"], "--budget"),
    (["run", "archgym/Systolic-v0", "--agent", "sa"], "--agent"),
    (["run", "archgym/Systolic-v0", "--seed", "-1"], "--seed"),
    (["run", "archgym/Systolic-v0", "--agent-args", '{"population": 2.5}'], "population=2.5"),
    (["run", "archgym/Systolic-v0", "--out", "/dev/null/x"], "/dev/null/x"),
    (["eval", "archgym/Systolic-v0", "--env-args", '{"workload": 5}'], "workload="),
    (["eval", "archgym/Systolic-v0", "--env-args", '{"resolution": 1000000000}'], "resolution="),
    (["eval", "archgym/Systolic-v0", "--env-args", '{"targets": {"latency_s": "fast"}}'],
     "latency_s.target='fast'"),
    (["eval", "archgym/Systolic-v0", "--env-args",
      '{"reward": "pareto", "metrics": ["latency_s", "utilization"]}'], "utilization.reference"),
    (["eval", "archgym/Accelerator-v0", "--layer", '{"M": 8, "C": 8}', "--design", "{bad"],
     "--design="),
    (["eval", "archgym/Accelerator-v0", "--ert", "x.yaml"], "--ert='x.yaml'"),
    (["eval", "archgym/Systolic-v0", "--preset", "eyeriss_like"],
     "--preset='eyeriss_like' is not allowed; allowed: only with archgym/Accelerator-v0"),
    (["eval", "archgym/Accelerator-v0", "--preset", "eyeriss_like", "--design", '{"pe_x": 4}'],
     "--design="),
    (["eval", "archgym/DRAM-v0", "--trace-format", "stl"], "--trace-format='stl'"),
])
def test_bad_input_exits_2_with_one_line(args, message):
    proc = subprocess.run(CLI + args, capture_output=True, text=True)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_eval_prints_the_models_metrics(capsys):
    assert main(["eval", "archgym/Systolic-v0", "--design", '{"rows": 16, "dataflow": "ws"}',
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["design"]["rows"] == 16 and out["design"]["cols"] == 64  # default filled in
    assert out["metrics"] == SystolicArray().evaluate(out["design"], resnet18())


def test_envs_lists_sizes_and_metrics(capsys):
    assert main(["envs", "--json"]) == 0
    envs = {e["id"]: e for e in json.loads(capsys.readouterr().out)}
    assert envs["archgym/Systolic-v0"]["space_size"] == 6 * 6 * 3 * 8 * 8 * 8 * 7
    assert envs["archgym/Systolic-v0"]["metrics"]["energy_pj"]["unit"] == "pJ"
    assert envs["archgym/DRAM-v0"]["metrics"]["row_hit_rate"] == {
        "unit": "fraction", "direction": "max", "description": "row_hits / all accesses"}
    assert all(set(m) == {"unit", "direction", "description"}
               for e in envs.values() for m in e["metrics"].values())


def test_the_envs_listing_is_what_the_environments_report():
    # `archgym envs` reads archgym_env/envs.json (`make envs-json` rewrites it) and builds no
    # environment; it must say what each environment, built with its defaults, reports.
    from archgym_env.registry import ENVIRONMENTS, describe, descriptions

    assert descriptions() == [describe(env_id) for env_id in ENVIRONMENTS]


def test_envs_and_help_import_no_simulator_kernel_nor_pandas():
    import subprocess
    import sys

    code = ("import sys; from agents.cli.main import main; main(['envs', '--json']); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numba', 'pandas', 'yaml', "
            "'torch', 'stable_baselines3', 'ray', 'matplotlib'}), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_run_writes_store_summary_and_plot(tmp_path):
    out = tmp_path / "run"
    assert main(["run", "archgym/Systolic-v0", "--agent", "ga", "--budget", "48",
                 "--out", str(out)]) == 0
    frame = pd.read_parquet(out / "evaluations.parquet")
    assert len(frame) == 48 and frame["step"].tolist() == list(range(48))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["best_reward"] == pytest.approx(frame["reward"].max())
    assert (out / "run.png").stat().st_size > 10_000


def test_a_smaller_budget_reports_from_the_store_and_rewrites_nothing(tmp_path):
    # The run's own trajectory is written, not the store normalized again: the same frame.
    out, env_args = tmp_path / "run", {"reward": "pareto", "limits": {"area_mm2": 8.0}}
    run_experiment("archgym/Systolic-v0", env_args, "aco", {}, 24, 0, out, progress=False)
    files = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    written = pd.read_parquet(out / "evaluations.parquet")
    direct = pd.read_parquet(ResultsStore(out).to_parquet(tmp_path / "direct.parquet"))
    pd.testing.assert_frame_equal(written, direct)
    said = []
    result = run_experiment("archgym/Systolic-v0", env_args, "aco", {}, 16, 0, out,
                            progress=False, say=said.append)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == files
    assert result.trajectory["step"].tolist() == list(range(16))
    assert result.summary["evaluations"] == 16 and result.stored == 16
    assert any("holds 24 evaluations" in line for line in said), said
    # Nested values go to Parquet as JSON; the trajectory the run returns keeps them as they are.
    assert written["env_kwargs.limits"].map(json.loads).tolist() == [env_args["limits"]] * 24
    assert result.trajectory["env_kwargs.limits"].tolist() == [env_args["limits"]] * 16


def test_resume_refuses_a_store_of_another_run(tmp_path, capsys):
    out = str(tmp_path / "r")
    assert main(["run", "archgym/Systolic-v0", "--agent", "random", "--budget", "16",
                 "--out", out]) == 0
    for other in (["--agent", "ga"], ["--seed", "1"], ["--env-args", '{"reward": "weighted"}']):
        capsys.readouterr()
        assert main(["run", "archgym/Systolic-v0", "--agent", "random", "--budget", "16",
                     "--out", out, *other]) == 2
        assert "holds a run with" in capsys.readouterr().err


def test_store_drops_only_a_torn_last_line(tmp_path):
    from agents.experiments.store import ResultsStore
    from simulators.errors import ArchGymError

    store = ResultsStore(tmp_path)
    store.append([{"design": {"a": i}, "reward": float(i)} for i in range(3)])
    with store.path.open("a") as f:
        f.write('{"design": {"a": 3}, "rew')  # killed mid-write
    assert len(ResultsStore(tmp_path)) == 3
    assert store.path.read_text().count("\n") == 3
    lines = store.path.read_text().splitlines(keepends=True)
    store.path.write_text(lines[0] + "GARBAGE\n" + lines[2])
    with pytest.raises(ArchGymError, match="line 2"):
        ResultsStore(tmp_path)


def test_killed_run_resumes_without_losing_or_repeating(tmp_path):
    out = tmp_path / "killed"
    args = CLI + ["run", "archgym/Systolic-v0", "--agent", "ga", "--budget", "4000",
                  "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = out / "evaluations.jsonl"
    while not (store.exists() and store.stat().st_size > 50_000):
        assert proc.poll() is None, "the run ended before it could be killed"
        time.sleep(0.01)
    os.kill(proc.pid, 9)
    proc.wait()
    with store.open() as f:
        done_before = sum(1 for line in f if line.endswith("\n"))
    assert 0 < done_before < 4000
    subprocess.run(args, check=True, capture_output=True)
    frame = pd.read_parquet(out / "evaluations.parquet")
    assert frame["step"].tolist() == list(range(4000))
    straight = tmp_path / "straight"
    assert main(["run", "archgym/Systolic-v0", "--agent", "ga", "--budget", "4000",
                 "--out", str(straight)]) == 0
    reference = pd.read_parquet(straight / "evaluations.parquet")
    design_cols = [c for c in frame.columns if c.startswith("design.")]
    pd.testing.assert_frame_equal(frame[design_cols + ["reward"]],
                                  reference[design_cols + ["reward"]])


def test_a_finished_grid_ends_the_run_early(tmp_path):
    assert main(["run", "archgym/Systolic-v0", "--agent", "grid", "--budget", "50",
                 "--agent-args", '{"limit": 10, "subsample": true}', "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    rows = pd.read_parquet(tmp_path / "evaluations.parquet")
    assert 0 < summary["evaluations"] == len(rows) <= 10 < summary["budget"]
    assert rows["step"].tolist() == list(range(len(rows)))


def test_demo_runs_a_real_search(tmp_path, capsys):
    assert main(["demo", "--budget", "12", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert all(f"{agent}: best reward" in out for agent in DEMO_AGENTS)
    assert "Each agent's best design meeting every spec" in out or \
        "no design among 48 evaluations meets every spec" in out
    frame = pd.read_parquet(tmp_path / "evaluations.parquet")
    assert set(frame["agent"]) == set(DEMO_AGENTS) and len(frame) == 12 * len(DEMO_AGENTS)
    assert set(frame["env_id"]) == {DEMO_ENV_ID}
    # within its 75-evaluation network phase, successive keeps the default hardware
    hardware = [c for c in frame if c.startswith("design.hw.")]
    assert len(frame.loc[frame["agent"] == "successive", hardware].drop_duplicates()) == 1
    assert (tmp_path / "demo.png").exists()


def test_run_json_is_written_before_the_first_evaluation(tmp_path):
    from agents.experiments.recorder import Recorder
    from archgym_env.registry import make

    env = make("archgym/Systolic-v0", reward="pareto")
    store = ResultsStore(tmp_path)
    with Recorder(env, 4, store, {"agent": "random", "seed": 3}, progress=False):
        described = json.loads((tmp_path / "run.json").read_text())
    assert len(store) == 0
    assert described["objective"] == env.unwrapped.objective.as_dict()
    assert described["space_fingerprint"] == env.unwrapped.space.fingerprint()
    assert described["simulators"] == {"SystolicArray": SystolicArray.version}
    assert described["agent"] == "random" and described["seed"] == 3


@pytest.mark.parametrize("change, message", [
    # the same env_kwargs, but the environment's default target has changed
    (lambda mp: mp.setitem(__import__("archgym_env.systolic_env").systolic_env.DEFAULT_BUDGET,
                           "latency_s", 5e-4),
     "another objective: latency_s.target 0.001 now 0.0005"),
    (lambda mp: mp.setattr(SystolicArray, "version", "test-2"),
     f"another SystolicArray version ({SystolicArray.version} now test-2)"),
])
def test_resume_refuses_a_changed_objective_or_simulator(tmp_path, capsys, monkeypatch, change,
                                                         message):
    args = ["run", "archgym/Systolic-v0", "--agent", "random", "--budget", "8",
            "--out", str(tmp_path)]
    assert main(args) == 0
    assert main(args[:5] + ["16"] + args[6:]) == 0  # unchanged: extended
    change(monkeypatch)
    capsys.readouterr()
    assert main(args[:5] + ["24"] + args[6:]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert len(ResultsStore(tmp_path)) == 16


def test_resume_refuses_a_changed_objective_given_as_env_args(tmp_path, capsys):
    out = str(tmp_path)
    assert main(["run", "archgym/Systolic-v0", "--agent", "random", "--budget", "8",
                 "--out", out]) == 0
    capsys.readouterr()
    assert main(["run", "archgym/Systolic-v0", "--agent", "random", "--budget", "8", "--out",
                 out, "--env-args", '{"targets": {"latency_s": 2e-3, "energy_pj": 5e9, '
                 '"area_mm2": 10}}']) == 2
    assert "holds a run with env_kwargs.targets=None (here {" in capsys.readouterr().err


def test_resume_refuses_a_changed_space(tmp_path, capsys, monkeypatch):
    import archgym_env.systolic_env as systolic_env
    from archgym_env.space import DesignSpace

    args = ["run", "archgym/Systolic-v0", "--agent", "random", "--budget", "8",
            "--out", str(tmp_path)]
    assert main(args) == 0
    space = systolic_env.SYSTOLIC_SPACE
    smaller = DesignSpace((*space.parameters[:-1], type(space.parameters[-1])(
        "dram_bandwidth_words", 1, 32)))
    monkeypatch.setattr(systolic_env, "SYSTOLIC_SPACE", smaller)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"another design space (fingerprint {space.fingerprint()} now " \
           f"{smaller.fingerprint()})" in err


def test_summary_describes_the_run(tmp_path):
    assert main(["run", "archgym/Systolic-v0", "--agent", "random", "--budget", "4",
                 "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    described = json.loads((tmp_path / "run.json").read_text())
    for key in ("objective", "space_fingerprint", "archgym_version", "simulators"):
        assert summary[key] == described[key]
    assert summary["objective"]["goals"][0] == {
        "metric": "latency_s", "direction": "min", "target": 1e-3, "limit": None,
        "weight": 1.0, "reference": None}
