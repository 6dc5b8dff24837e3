"""`archgym collect`, `archgym proxy train|eval|curve` and `archgym run --proxy`."""

from __future__ import annotations

import json

import gymnasium as gym
import pandas as pd
import pytest

import archgym_env  # noqa: F401  (registers the ids)
from agents.cli.main import main
from cost_models.dataset import read_dataset
from cost_models.proxy import ProxySimulator
from cost_models.validation import MEASURES

ENV = "archgym/Systolic-v0"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("proxy")
    assert main(["collect", ENV, "--n", "120", "--seed", "1", "--out", str(root / "train"),
                 "--batch-size", "50"]) == 0
    assert main(["collect", ENV, "--n", "40", "--seed", "2", "--out", str(root / "test"),
                 "--exclude", str(root / "train")]) == 0
    return root


def test_collect_writes_distinct_resumable_designs(data, tmp_path):
    train, test = read_dataset(data / "train"), read_dataset(data / "test")
    names = [f"design.{p}" for p in train.parameters]
    assert len(train) == 120 and len(train.frame.drop_duplicates(names)) == 120
    assert train.frame["row"].tolist() == list(range(120))
    overlap = train.frame[names].merge(test.frame[names], how="inner")
    assert overlap.empty  # the held-out designs are unseen
    manifest = train.manifest
    assert manifest["env_id"] == ENV and manifest["sampler"] == "random"
    assert manifest["space_fingerprint"] == gym.make(ENV).unwrapped.space.fingerprint()
    assert "SystolicArray" in json.dumps(manifest["simulators"])
    # Resume: drop the last part (a run killed mid-way) and rerun the same command.
    parts = sorted((data / "train").glob("part-*.parquet"))
    kept = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    parts[-1].unlink()
    assert main(["collect", ENV, "--n", "120", "--seed", "1", "--out", str(data / "train"),
                 "--batch-size", "50"]) == 0
    again = read_dataset(data / "train").frame
    pd.testing.assert_frame_equal(again.reset_index(drop=True),
                                  kept.sort_values("row").reset_index(drop=True))
    assert main(["collect", ENV, "--n", "120", "--seed", "9", "--out",
                 str(data / "train")]) == 2  # another plan into the same directory


def test_train_eval_and_run_on_the_proxy(data, capsys):
    model = data / "lgbm"
    assert main(["proxy", "train", str(data / "train"), "--model", "lgbm", "--out", str(model),
                 "--metrics", "latency_s,energy_pj,area_mm2", "--folds", "2",
                 "--model-args", '{"n_estimators": 100}', "--holdout", str(data / "test")]) == 0
    manifest = json.loads((model / "manifest.json").read_text())
    assert set(manifest["validation"]) == {"kfold", "holdout"}
    assert manifest["training_data"]["rows"] == 120
    capsys.readouterr()
    assert main(["proxy", "eval", str(model), str(data / "test"), "--json",
                 "--plot", str(data / "pvt.png")]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert set(scores) == {"latency_s", "energy_pj", "area_mm2"}
    assert all(set(s) == set(MEASURES) for s in scores.values())
    assert scores["area_mm2"]["r2"] > 0.9 and (data / "pvt.png").exists()
    # area is a sum over the design's sizes: a proxy of 120 designs ranks it well
    assert scores["area_mm2"]["kendall_tau"] > 0.8
    env = gym.make(ENV, proxy=str(model)).unwrapped
    assert isinstance(env.simulator, ProxySimulator)
    assert main(["run", ENV, "--proxy", str(model), "--agent", "random", "--budget", "16",
                 "--out", str(data / "run")]) == 0
    run = json.loads((data / "run" / "run.json").read_text())
    assert {"ProxySimulator", "SystolicArray"} <= set(run["simulators"])


def test_proxy_for_another_environment_is_refused(data, capsys):
    model = data / "knn"
    assert main(["proxy", "train", str(data / "train"), "--model", "knn", "--out", str(model),
                 "--metrics", "latency_s,energy_pj,area_mm2", "--folds", "0"]) == 0
    capsys.readouterr()
    code = main(["run", "archgym/DRAM-v0", "--proxy", str(model), "--budget", "4",
                 "--out", str(data / "bad")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "trained for archgym/Systolic-v0" in err


def test_learning_curve(data):
    out = data / "curve"
    assert main(["proxy", "curve", str(data / "train"), str(data / "test"), "--model", "knn",
                 "--sizes", "20,60,120", "--metrics", "area_mm2", "--out", str(out)]) == 0
    curve = pd.read_csv(out / "learning_curve.csv")
    assert curve["size"].tolist() == [20, 60, 120]
    assert curve["nrmse"].iloc[-1] < curve["nrmse"].iloc[0]  # more data, smaller error
    assert (out / "learning_curve.png").exists()


ACTIVE = ["proxy", "active", ENV, "--metric", "latency_cycles", "--pool", "80", "--test",
          "30", "--initial", "10", "--batch", "10", "--model-args", '{"n_estimators": 20}']


def test_active_learning_runs_beside_random_at_the_same_budget(tmp_path, capsys):
    capsys.readouterr()
    assert main([*ACTIVE, "--budget", "30", "--out", str(tmp_path / "a"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    history = pd.read_csv(tmp_path / "a" / "history.csv")
    for strategy in ("uncertainty", "random"):
        rounds = history[history["strategy"] == strategy]
        assert rounds["calls"].tolist() == [10, 20, 30]  # initial, then a batch a round
        assert summary[strategy]["calls"] == 30
        assert summary[strategy]["nrmse"] == pytest.approx(rounds["nrmse"].iloc[-1])
    # A target met at once stops both after the initial designs.
    assert main([*ACTIVE, "--budget", "30", "--target-nrmse", "1e6", "--out",
                 str(tmp_path / "b"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["uncertainty"]["calls_to_target"] == summary["random"]["calls"] == 10


@pytest.mark.parametrize("extra, message", [
    (["--budget", "0"], "--budget"),
    (["--budget", "30", "--target-nrmse", "-1"], "--target-nrmse"),
    (["--budget", "30", "--metric", "speed"], "metric='speed'"),
    (["--budget", "30", "--model", "knn"], "--model"),
    (["--budget", "5"], "initial=10"),
    (["--budget", "30", "--model-args", "{nope"], "--model-args"),
])
def test_active_bad_input_exits_2_with_one_line(extra, message, tmp_path, capsys):
    capsys.readouterr()
    try:
        code = main([*ACTIVE, "--out", str(tmp_path / "x"), *extra])
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and message in lines[0], lines
