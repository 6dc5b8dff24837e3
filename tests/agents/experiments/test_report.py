"""`archgym report`: statistics over seeds checked against the stored runs themselves."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from agents.cli.main import main
from agents.experiments.sweep import expand, run_sweep

SPEC = {"budget": 60, "seeds": 3,
        "environments": [{"id": "archgym/Systolic-v0", "args": {"reward": "pareto"}}],
        "agents": ["ga", "random"]}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    run_sweep(expand(SPEC), out, progress=False)
    assert main(["report", str(out), "--reward-target", "0.02"]) == 0
    return out


def report_dir(directory):
    """Where `archgym report DIRECTORY` writes by default: its own directory beside it."""
    return directory.parent / f"{directory.name}-report"


@pytest.fixture(scope="module")
def reported(sweep):
    return report_dir(sweep)


def test_report_statistics_match_the_stored_runs(sweep, reported):
    table = pd.read_csv(reported / "report.csv").set_index("agent")
    summaries = [json.loads(p.read_text()) for p in sweep.rglob("summary.json")]
    for agent in ("ga", "random"):
        best = np.array([s["best_reward"] for s in summaries if s["agent"] == agent])
        # the percentile bootstrap of the mean, by hand: 2,000 resamples from seed 0
        draws = np.random.default_rng(0).integers(0, len(best), (2000, len(best)))
        low, high = np.quantile(best[draws].mean(axis=1), [0.025, 0.975])
        row = table.loc[agent]
        assert row["seeds"] == 3
        assert row["best_reward_mean"] == pytest.approx(best.mean())
        assert (row["best_reward_low"], row["best_reward_high"]) == pytest.approx((low, high))
        assert best.min() <= low <= high <= best.max()
        hv = np.array([s["hypervolume"] for s in summaries if s["agent"] == agent])
        assert row["hypervolume_mean"] == pytest.approx(hv.mean())
    ga, random = table.loc["ga", "best_reward_mean"], table.loc["random", "best_reward_mean"]
    assert table.loc["ga", "vs_random"] == pytest.approx(ga - random)
    assert table.loc["random", "vs_random"] == 0.0


def test_evaluations_to_target_and_curves(sweep, reported):
    table = pd.read_csv(reported / "report.csv").set_index("agent")
    curves = pd.read_csv(reported / "curves.csv")
    for agent in ("ga", "random"):
        firsts = []
        for path in sweep.glob(f"*/{agent}/*/seed-*/evaluations.jsonl"):
            rewards = [json.loads(line)["reward"] for line in path.read_text().splitlines()]
            hit = [i + 1 for i, r in enumerate(rewards) if r >= 0.02]
            if hit:
                firsts.append(hit[0])
        expected = np.mean(firsts) if firsts else np.nan
        assert table.loc[agent, "evals_to_target_mean"] == pytest.approx(expected, nan_ok=True)
        assert table.loc[agent, "reached_target"] == f"{len(firsts)}/3"
    for _, run in curves.groupby("run_id"):
        assert run["evaluations"].iloc[-1] == 60
        assert run["best_reward"].is_monotonic_increasing
        assert run["hypervolume"].is_monotonic_increasing
    assert (reported / "report.png").stat().st_size > 10_000


def test_settings_of_one_environment_stay_apart(tmp_path):
    spec = {"budget": 10, "seeds": 2, "agents": ["random"],
            "environments": [{"id": "archgym/Systolic-v0"},
                             {"id": "archgym/Systolic-v0", "args": {"reward": "weighted"}}]}
    run_sweep(expand(spec), tmp_path, progress=False)
    assert main(["report", str(tmp_path)]) == 0
    table = pd.read_csv(report_dir(tmp_path) / "report.csv")
    assert sorted(table["env"]) == ["archgym/Systolic-v0 reward=None",
                                    "archgym/Systolic-v0 reward=weighted"]
    assert table["seeds"].tolist() == [2, 2]


def test_corrupt_store_is_one_line_exit_2(tmp_path):
    run_sweep(expand({**SPEC, "budget": 4, "seeds": 1, "agents": ["random"]}), tmp_path,
              progress=False)
    store = next(tmp_path.rglob("evaluations.jsonl"))
    lines = store.read_text().splitlines(keepends=True)
    store.write_text(lines[0] + "{not json\n" + "".join(lines[1:]))
    proc = subprocess.run([sys.executable, "-m", "agents.cli.main", "report", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "line 2 is not an evaluation row" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_report_of_nothing_is_one_line_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "agents.cli.main", "report", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "no evaluations.jsonl" in proc.stderr


def test_report_scores_runs_with_the_objective_they_recorded(tmp_path, capsys, monkeypatch):
    import archgym_env.systolic_env as systolic_env

    spec = {"budget": 60, "seeds": 1, "agents": ["random"], "environments": [
        {"id": "archgym/Systolic-v0",
         "args": {"reward": "pareto", "metrics": ["energy_pj", "area_mm2"]}}]}
    run_sweep(expand(spec), tmp_path, progress=False)
    assert main(["report", str(tmp_path)]) == 0
    before = pd.read_csv(report_dir(tmp_path) / "report.csv")
    recorded = "pareto: energy_pj min ref 5.5e+09, area_mm2 min ref 10"
    assert before["objective"].tolist() == [recorded] and before["hypervolume_mean"][0] > 0
    # The default budget (pareto mode's references) changes after the run was recorded.
    monkeypatch.setitem(systolic_env.DEFAULT_BUDGET, "energy_pj", 1e10)
    capsys.readouterr()
    assert main(["report", str(tmp_path)]) == 0
    assert f"archgym/Systolic-v0: {recorded}" in capsys.readouterr().out
    after = pd.read_csv(report_dir(tmp_path) / "report.csv")
    assert after["objective"].tolist() == [recorded]
    assert after["hypervolume_mean"][0] == pytest.approx(before["hypervolume_mean"][0])
    # A run stored without its description is scored with today's objective.
    next(tmp_path.rglob("run.json")).unlink()
    assert main(["report", str(tmp_path)]) == 0
    legacy = pd.read_csv(report_dir(tmp_path) / "report.csv")
    assert "energy_pj min ref 1e+10" in legacy["objective"][0]
    assert legacy["hypervolume_mean"][0] > before["hypervolume_mean"][0]


def test_runs_of_one_setting_with_other_objectives_stay_apart(tmp_path, monkeypatch):
    import archgym_env.systolic_env as systolic_env

    spec = {**SPEC, "budget": 8, "seeds": 1, "agents": ["random"]}
    run_sweep(expand(spec), tmp_path / "old", progress=False)
    monkeypatch.setitem(systolic_env.DEFAULT_BUDGET, "latency_s", 2e-3)
    run_sweep(expand(spec), tmp_path / "new", progress=False)
    assert main(["report", str(tmp_path)]) == 0
    envs = sorted(pd.read_csv(report_dir(tmp_path) / "report.csv")["env"])
    assert len(envs) == 2 and "latency_s min ref 0.001" in envs[0] \
        and "latency_s min ref 0.002" in envs[1]


def test_spec_satisfaction_and_best_designs_match_the_stored_runs(tmp_path, capsys):
    # Constrained mode: the quality metric under two hard limits that few designs meet.
    args = {"reward": "constrained", "limits": {"latency_s": 1.5e-3, "area_mm2": 10.0}}
    spec = {"budget": 24, "seeds": 2, "agents": ["random", "ga"],
            "environments": [{"id": "archgym/Systolic-v0", "args": args}]}
    run_sweep(expand(spec), tmp_path, progress=False)
    capsys.readouterr()
    assert main(["report", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "evaluations meeting every spec" in out and "best designs meeting every spec" in out
    table = pd.read_csv(report_dir(tmp_path) / "report.csv").set_index("agent")
    for agent in ("random", "ga"):
        shares, best_met, latency, best = [], 0, [], []
        for path in tmp_path.glob(f"*/{agent}/*/seed-*/evaluations.jsonl"):
            rows = [json.loads(line) for line in path.read_text().splitlines()]
            met = [r["feasible"] for r in rows]  # every limit holds
            by_hand = [r["metrics"].get("latency_s", np.inf) <= 1.5e-3
                       and r["metrics"].get("area_mm2", np.inf) <= 10.0 for r in rows]
            assert met == by_hand  # every spec, read from the metrics themselves
            shares.append(100 * np.mean(met))
            top = int(np.argmax([r["reward"] for r in rows]))
            best_met += met[top]
            latency.append(rows[top]["metrics"]["latency_s"])
            best.append(rows[top]["reward"])
        row = table.loc[agent]
        assert row["meets_specs_pct_mean"] == pytest.approx(np.mean(shares))
        assert row["best_meets_specs"] == f"{best_met}/2"
        assert row["best.latency_s"] == pytest.approx(np.mean(latency))
        assert row["best_reward_median"] == pytest.approx(np.median(best))
