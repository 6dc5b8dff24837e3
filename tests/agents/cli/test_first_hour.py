"""A user's first hour (issue 15): one test per finding, the command-line ones through a
real `archgym` process. Findings 3 (bad input) and the README's examples have their own
sweeps in test_bad_input.py and tests/test_readme.py; these tests name the cases of the
issue itself."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pettingzoo.test import parallel_api_test

from agents.cli.main import main
from agents.experiments.experiment import run_experiment
from agents.experiments.report import mean_interval
from agents.experiments.sweep import expand, run_sweep

ROOT = Path(__file__).resolve().parents[3]
CLI = [sys.executable, "-m", "agents.cli.main"]
SYS = "archgym/Systolic-v0"


def archgym(*args, cwd=None, **env):
    """`archgym ARGS` in its own process: (exit code, stdout with the terminal's line
    breaks undone, stderr)."""
    proc = subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    return proc.returncode, " ".join(proc.stdout.split(" \n")), proc.stderr


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


# 1. Results are never silently overwritten.
def test_1_no_stored_row_is_lost_or_replaced(tmp_path):
    run_dir, demo_dir = tmp_path / "run", tmp_path / "demo"
    code, _, _ = archgym("run", SYS, "--agent", "ga", "--budget", 40, "--out", run_dir)
    assert code == 0
    before = snapshot(run_dir)
    # a demo into a run's directory, and a run of other settings into it: refused
    code, _, err = archgym("demo", "--budget", 8, "--out", run_dir)
    assert code == 2 and "holds a run (ga on archgym/Systolic-v0, seed 0, 40 evaluations)" \
        in err and "--overwrite" in err
    code, _, err = archgym("run", SYS, "--agent", "ga", "--agent-args", '{"mutation": 0.1}',
                           "--budget", 10, "--out", run_dir)
    assert code == 2 and len(err.splitlines()) == 1
    assert "agent_args.mutation=0.14285714285714285 (here 0.1)" in err
    # a smaller budget on the finished run: reported from the store, nothing rewritten
    code, out, _ = archgym("run", SYS, "--agent", "ga", "--budget", 10, "--out", run_dir)
    assert code == 0 and "holds 40 evaluations of this run" in out
    assert snapshot(run_dir) == before
    # a run into a demo's directory: refused, the demo's rows stay
    assert main(["demo", "--budget", "8", "--out", str(demo_dir)]) == 0
    demo = snapshot(demo_dir)
    code, _, err = archgym("run", SYS, "--agent", "random", "--budget", 10, "--out", demo_dir)
    assert code == 2 and "holds a demo, not a run" in err
    assert snapshot(demo_dir) == demo
    # --overwrite is the explicit way to replace a run
    code, _, _ = archgym("run", SYS, "--agent", "random", "--budget", 10, "--out", run_dir,
                         "--overwrite")
    assert code == 0 and len(pd.read_parquet(run_dir / "evaluations.parquet")) == 10


def test_1_the_default_out_is_one_directory_per_run(tmp_path):
    for args in ('{}', '{"mutation": 0.1}'):
        code, _, _ = archgym("run", SYS, "--agent", "ga", "--agent-args", args,
                             "--budget", 8, cwd=tmp_path)
        assert code == 0
    stores = sorted(tmp_path.glob("results/archgym-Systolic-v0/ga/*/seed-0/evaluations.jsonl"))
    assert len(stores) == 2 and all(len(p.read_text().splitlines()) == 8 for p in stores)


# 2. After `make demo`, the README says how to reach the CLI and Python.
def test_2_the_readme_says_how_to_use_the_venv():
    readme = (ROOT / "README.md").read_text()
    two_commands = readme.split("## The two commands")[1].split("## ")[0]
    assert ".venv/bin/archgym envs" in two_commands
    assert "source .venv/bin/activate" in two_commands


# 3. Tracebacks and silent acceptance: the issue's own cases.
@pytest.mark.parametrize("args, message", [
    (["eval", SYS, "--env-args", '{"targets": "fast"}'], "targets='fast'"),
    (["eval", SYS, "--env-args", '{"weights": "equal"}'], "weights='equal'"),
    (["eval", "archgym/DRAM-v0", "--env-args", '{"interval_ns": -1}'], "interval_ns=-1"),
    (["eval", SYS, "--env-args", '{"rewrd": "target"}'], "env argument='rewrd'"),
    (["eval", "archgym/DRAM-v0", "--env-args", '{"metrics": "latency_ns"}'],
     "metrics='latency_ns'"),
    (["eval", "archgym/DRAM-v0", "--env-args", '{"clock_mhz": "fast"}'], "clock_mhz='fast'"),
    (["eval", "archgym/DRAM-v0", "--trace", "app.trace"], "no file app.trace"),
    (["eval", SYS, "--memspec", "DDR4-2400"],
     "--memspec='DDR4-2400' is not allowed; allowed: only with archgym/DRAM-v0, not "
     "archgym/Systolic-v0"),
])
def test_3_the_issues_bad_inputs_get_one_line(args, message, capsys):
    capsys.readouterr()
    assert main(args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_3_timeloop_values_classes_and_versions_are_checked(tmp_path):
    arch = (ROOT / "examples" / "timeloop" / "arch.yaml").read_text()
    for change, message in ((("meshX: 4", "meshX: fourteen"), "PE meshX='fourteen'"),
                            (("class: SRAM", "class: SRAMM"), "class='SRAMM'"),
                            (("version: 0.4", "version: 4.0"), "architecture version=4.0")):
        (tmp_path / "arch.yaml").write_text(arch.replace(*change))
        code, _, err = archgym("eval", "archgym/Accelerator-v0", "--timeloop-arch",
                               tmp_path / "arch.yaml")
        assert code == 2 and len(err.splitlines()) == 1 and message in err, err


# 4. Reports that respect their quantities.
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=2, max_size=12))
def test_4_intervals_stay_inside_the_values(values):
    mean, low, high = mean_interval(np.array(values))
    assert min(values) - 1e-9 <= low <= mean + 1e-9 and mean - 1e-9 <= high <= max(values) + 1e-9


def test_4_report_counts_seeds_once_and_writes_its_own_directory(tmp_path):
    sweep, other = tmp_path / "sweep", tmp_path / "copy"
    spec = {"budget": 30, "seeds": 3, "agents": ["random", "ga"],
            "environments": [{"id": SYS, "args": {"targets": {
                "latency_s": 1.5e-3, "energy_pj": 6e9, "area_mm2": 12.0}}}]}
    table = run_sweep(expand(spec), sweep, progress=False)
    copied = next(sweep.glob("*/random/*/seed-0"))
    shutil.copytree(copied, other / "seed-0")  # the same run in a second directory
    csv = pd.read_csv(sweep / "summary.csv")
    assert json.loads(csv["env_kwargs"][0]) == spec["environments"][0]["args"]
    code, out, _ = archgym("report", sweep, other, "--reward-target", 0.9, COLUMNS="200")
    assert code == 0
    report = tmp_path / "sweep-report"
    assert (report / "report.csv").exists() and not (sweep / "report.csv").exists()
    rows = pd.read_csv(report / "report.csv").set_index("agent")
    assert rows.loc["random", "seeds"] == 3
    for agent in ("random", "ga"):
        best = table[table["agent"] == agent]["best_reward"]
        assert best.min() <= rows.loc[agent, "best_reward_low"] <= best.max()
        assert rows.loc[agent, "best_reward_high"] <= min(best.max(), 1.0)
        if not np.isnan(rows.loc[agent, "evals_to_target_low"]):
            assert rows.loc[agent, "evals_to_target_low"] >= 1
    reached = rows.loc["random", "reached_target"]
    assert f"({reached} seeds)" in out and "mean over the seeds that reached it" in out


def test_4_plots_keep_one_colour_per_agent_and_fronts_on_top(tmp_path, monkeypatch):
    from agents.experiments import plots

    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig) or Path(path))
    frames = [run_experiment(SYS, {}, agent, {}, 24, 0, tmp_path / agent,
                             progress=False).trajectory for agent in ("random", "ga", "aco")]
    frame = pd.concat(frames, ignore_index=True)
    env = gym.make(SYS).unwrapped
    plots.plot_runs(frame, env.objective, tmp_path / "x.png")
    left, right = figures[-1].axes
    colour = {line.get_label(): line.get_color() for line in left.lines}
    fronts = [line for line in right.lines if line.get_label().endswith(" front")]
    assert len(fronts) == 3
    for line in fronts:
        agent = line.get_label().removesuffix(" front")
        assert line.get_color() == colour[agent]
        assert line.get_zorder() > max(c.get_zorder() for c in right.collections)


# 5. DRAM-v0's default targets separate agents: few random designs meet them.
def test_5_few_random_designs_meet_the_dram_targets():
    env = gym.make("archgym/DRAM-v0").unwrapped
    designs = env.space.sample(np.random.default_rng(1), 120)
    met = env.evaluate_batch(designs).targets_met
    assert met.mean() <= 0.025  # the old targets: 7.3% of 6,000 random designs


@pytest.mark.slow
def test_5_the_readmes_dram_count_holds():
    env = gym.make("archgym/DRAM-v0").unwrapped
    met = env.evaluate_batch(env.space.sample(np.random.default_rng(1), 1000)).targets_met
    assert 2 <= met.sum() <= 15  # 0.67% of 6,000 in the README: about 7 of 1,000


# 6. Tables fit the terminal.
def test_6_tables_fit_80_columns_and_keep_names_whole(tmp_path):
    proc = subprocess.run(CLI + ["run", "archgym/DRAM-v0", "--agent", "random", "--budget", "8",
                                 "--env-args", '{"n_requests": 400}', "--out",
                                 str(tmp_path / "d")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    for name in ("PagePolicy", "RequestBufferSize", "RefreshMaxPostponed",
                 "MaxActiveTransactions", "bandwidth_gbps"):
        assert re.search(rf"\b{name}\b", out), name


# 7. The multi-agent form is one call away, from an id or a made environment.
def test_7_parallel_env_takes_an_id_or_a_made_env():
    import archgym_env
    from archgym_env.multi_agent import MultiAgentDesignEnv

    made = archgym_env.make(SYS)
    assert len(MultiAgentDesignEnv(made).possible_agents) == 7
    parallel_api_test(archgym_env.parallel_env(made), num_cycles=3)
    team = archgym_env.parallel_env("archgym/DRAM-v0", groups="subsystem", n_requests=300)
    assert team.possible_agents == ["scheduling", "page_refresh", "buffering"]
    assert "archgym_env.parallel_env" in (ROOT / "README.md").read_text()


# 8. Resume skips what it can and says so.
def test_8_a_finished_run_is_served_without_asking_the_agent(tmp_path, monkeypatch):
    from agents.optimizers.ga import GeneticAlgorithm

    first = run_experiment(SYS, {}, "ga", {}, 48, 0, tmp_path, progress=False)
    written = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file()}
    monkeypatch.setattr(GeneticAlgorithm, "ask", lambda *a: pytest.fail("agent asked"))
    said = []
    again = run_experiment(SYS, {}, "ga", {}, 48, 0, tmp_path, progress=False,
                           say=said.append)
    assert said == [f"ga: all 48 evaluations served from the store in {tmp_path}; nothing run"]
    assert again.best == first.best and again.hypervolume == first.hypervolume
    # nothing is written again (no parquet, summary or plot redrawn)
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.is_file()} == written


def test_8_a_resumed_run_says_what_it_resumed(tmp_path):
    assert archgym("run", SYS, "--agent", "ga", "--budget", 16, "--out", tmp_path)[0] == 0
    code, out, _ = archgym("run", SYS, "--agent", "ga", "--budget", 40, "--out", tmp_path)
    assert code == 0 and f"ga: resumed from 16 stored evaluations in {tmp_path}; 24 run now" \
        in out


# 9. A partial install runs what it can.
def test_9_demo_without_optuna_runs_the_other_agents(tmp_path):
    script = ("import sys; sys.modules['optuna'] = None; from agents.cli.main import main; "
              f"sys.exit(main(['demo', '--budget', '8', '--out', {str(tmp_path)!r}]))")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert "skipped: agent bo needs optuna: pip install 'archgym[bo]'" in proc.stdout
    frame = pd.read_parquet(tmp_path / "evaluations.parquet")
    assert set(frame["agent"]) == {"ga", "successive", "random"}


# 10. Guards on absurd sizes; progress off a terminal.
def test_10_progress_lines_go_to_stderr_off_a_terminal(tmp_path):
    code, _, err = archgym("run", SYS, "--agent", "random", "--budget", 64, "--out", tmp_path,
                           ARCHGYM_PROGRESS_SECONDS="0")
    assert code == 0
    lines = [line for line in err.splitlines() if "evaluations" in line]
    assert lines and lines[0].startswith("random on archgym/Systolic-v0: 8/64 evaluations")


def test_10_absurd_sizes_are_refused_unless_allowed(capsys):
    for args, message in ((["run", SYS, "--budget", "1000000000000"], "--budget="),
                          (["eval", "archgym/DRAM-v0", "--env-args", '{"n_requests": 1e8}'],
                           "n_requests=100000000.0"),
                          (["eval", "archgym/Accelerator-v0", "--layer",
                            '{"M": 1000000000, "C": 64}'], "layer.M=1000000000")):
        capsys.readouterr()
        assert main(args) == 2
        err = capsys.readouterr().err
        assert message in err and ("--allow-large" in err or "an integer" in err), err


# 11. Gymnasium conventions.
def test_11_gym_make_finds_the_ids_without_an_import():
    code = ("import gymnasium as gym; env = gym.make('archgym_env:archgym/Systolic-v0'); "
            "print(env.spec.max_episode_steps)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0 and proc.stdout.strip() == "7", proc.stderr


def test_11_episodes_follow_gymnasium():
    import archgym_env

    assert gym.spec("archgym/DRAM-v0").max_episode_steps == 10
    env = archgym_env.make(SYS)
    assert env.spec.max_episode_steps == 1
    assert archgym_env.make(SYS, mode="sequential").spec.max_episode_steps == 7
    env.reset(seed=0)
    assert env.step(env.action_space.sample())[2]
    with pytest.raises(gym.error.ResetNeeded):
        env.step(env.action_space.sample())
    env.reset()
    env.step(env.action_space.sample())


def test_11_the_package_docstring_helps_and_archgym_imports():
    import archgym
    import archgym_env

    doc = archgym_env.__doc__
    assert all(env_id in doc for env_id in archgym.ENV_IDS) and "archgym_env:archgym/" in doc
    assert len(doc.splitlines()) >= 15
    assert set(archgym.ENV_IDS) == set(archgym_env.ENVIRONMENTS) and "ga" in archgym.AGENT_NAMES
    env = archgym.make(SYS)
    result = archgym.run(env, archgym.make_agent("random", env.unwrapped.space, seed=0), 8,
                         progress=False)
    assert len(result.trajectory) == 8


# 12. The files the README names are shipped.
def test_12_the_example_files_exist_and_load():
    from simulators.accelerator.timeloop import load_arch, load_mapping, load_problem
    from simulators.dram import read_mcconfig, read_trace

    examples = ROOT / "examples"
    assert len(read_trace(examples / "run.stl")) == 2000
    assert len(read_trace(examples / "app.trace")) == 2000
    assert read_mcconfig(examples / "fr_fcfs.json").Scheduler == "FrFcfs"
    sweep = yaml.safe_load((examples / "sweep.yaml").read_text())
    assert len(expand(sweep)) == 2 * 4 * 3
    timeloop = examples / "timeloop"
    spec = load_arch(timeloop / "arch.yaml", timeloop / "ERT_summary.yaml")
    layer = load_problem(timeloop / "problem.yaml")
    assert layer.macs == 16 * 8 * 8 * 8 * 3 * 3
    assert load_mapping(timeloop / "mapping.yaml", spec) is not None
