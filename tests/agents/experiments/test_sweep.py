"""Sweeps: expansion, bad input, resume after SIGKILL, and Ray giving the local rows."""

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import yaml

from agents.cli.main import main
from agents.experiments.sweep import expand, load_sweep, run_sweep
from archgym_env.registry import make
from simulators.errors import InvalidArgumentError

CLI = [sys.executable, "-m", "agents.cli.main"]
SPEC = {"budget": 24, "seeds": [0, 5],
        "environments": [{"id": "archgym/Systolic-v0"},
                         {"id": "archgym/Systolic-v0", "args": {"reward": "weighted"}}],
        "agents": [{"name": "ga", "args": {"tournament": 2},
                    "grid": {"population": [8, 16], "mutation": [0.1, 0.3, 0.5]}},
                   "random"]}


def _rows(path):
    return [{k: v for k, v in json.loads(line).items() if k != "wall_time_s"}
            for line in path.read_text().splitlines()]


def test_expand_is_the_cross_product_with_one_directory_per_run():
    runs = expand(SPEC)
    assert len(runs) == 2 * 2 * (2 * 3 + 1)
    assert len({r.key for r in runs}) == len(runs) and len({r.run_id for r in runs}) == len(runs)
    ga = [r for r in runs if r.agent == "ga"]
    assert {(r.agent_args["population"], r.agent_args["mutation"]) for r in ga} == \
        {(p, m) for p in (8, 16) for m in (0.1, 0.3, 0.5)}
    assert all(r.agent_args["tournament"] == 2 for r in ga)
    assert expand({**SPEC, "seeds": 3})[0].seed == 0 and len(expand({**SPEC, "seeds": 3})) == 42


@pytest.mark.parametrize(("change", "message"), [
    ({"budgets": 3}, "sweep key='budgets'"),
    ({"budget": 0}, "budget=0"),
    ({"seeds": []}, "seeds=[]"),
    ({"seeds": [-1]}, "seeds=[-1]"),
    ({"environments": [{"id": "archgym/Nope-v0"}]}, "environments id='archgym/Nope-v0'"),
    ({"agents": [{"name": "sa"}]}, "agents name='sa'"),
    ({"agents": [{"name": "ga", "grid": {"population": 8}}]}, "args/grid"),
    ({"agents": []}, "agents=[]"),
])
def test_bad_sweeps_name_the_key(change, message):
    with pytest.raises(InvalidArgumentError, match=message.replace("[", r"\[")):
        expand({**SPEC, **change})


def test_a_run_listed_twice_is_refused():
    with pytest.raises(InvalidArgumentError, match="each run once"):
        expand({**SPEC, "seeds": [0, 0]})


def test_a_larger_budget_extends_finished_runs(tmp_path):
    spec = {"budget": 10, "seeds": [0], "environments": ["archgym/Systolic-v0"],
            "agents": ["ga", "random"]}
    run_sweep(expand(spec), tmp_path, progress=False)
    before = {run.key: _rows(tmp_path / run.key / "evaluations.jsonl") for run in expand(spec)}
    table = run_sweep(expand({**spec, "budget": 25}), tmp_path, progress=False)
    assert table["budget"].tolist() == [25, 25]
    for run in expand(spec):
        rows = _rows(tmp_path / run.key / "evaluations.jsonl")
        assert [r["step"] for r in rows] == list(range(25)) and rows[:10] == before[run.key]


def test_bad_agent_args_fail_before_any_run(tmp_path):
    runs = expand({**SPEC, "agents": [{"name": "ga", "args": {"populaton": 8}}]})
    with pytest.raises(InvalidArgumentError, match="agent args"):
        run_sweep(runs, tmp_path, progress=False)
    assert not any(tmp_path.rglob("evaluations.jsonl"))


def test_cli_sweep_bad_file_is_one_line_exit_2(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("budget: [1\n")
    proc = subprocess.run(CLI + ["sweep", str(path)], capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "sweep file" in proc.stderr


def test_killed_sweep_resumes_without_losing_or_repeating(tmp_path):
    spec = {"budget": 1500, "seeds": [0, 1, 2],
            "environments": [{"id": "archgym/Systolic-v0"}], "agents": ["ga"]}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(spec))
    out = tmp_path / "out"
    args = CLI + ["sweep", str(path), "--out", str(out)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    runs = load_sweep(path)
    second = out / runs[1].key / "evaluations.jsonl"
    while not (second.exists() and second.stat().st_size > 100_000):
        assert proc.poll() is None, "the sweep ended before it could be killed"
        time.sleep(0.01)
    os.kill(proc.pid, 9)
    proc.wait()
    first_summary = out / runs[0].key / "summary.json"
    finished_at = first_summary.stat().st_mtime_ns
    before = _rows(second)
    assert 0 < len(before) < 1500 and not (out / runs[2].key).exists()
    assert main(["sweep", str(path), "--out", str(out)]) == 0
    assert first_summary.stat().st_mtime_ns == finished_at  # finished run not repeated
    for run in runs:
        rows = _rows(out / run.key / "evaluations.jsonl")
        assert [r["step"] for r in rows] == list(range(1500))
    assert _rows(second)[: len(before)] == before
    straight = tmp_path / "straight"
    run_sweep(runs[1:2], straight, progress=False)
    assert _rows(straight / runs[1].key / "evaluations.jsonl") == _rows(second)


def test_ray_backend_gives_the_local_rows(tmp_path):
    ray = pytest.importorskip("ray")
    from agents.experiments.ray_pool import on_ray, start_ray

    runs = expand({"budget": 16, "seeds": 2, "environments": ["archgym/Systolic-v0"],
                   "agents": ["ga", "random"]})
    local = run_sweep(runs, tmp_path / "local", progress=False)
    assert start_ray(2)
    try:
        on_ray_table = run_sweep(runs, tmp_path / "ray", backend="ray", workers=2,
                                 progress=False)
        env = make("archgym/Systolic-v0").unwrapped
        designs = env.space.sample(np.random.default_rng(0), 37)
        spread = on_ray(env, 3).evaluate_batch(designs)
        assert [r.metrics for r in spread] == [r.metrics for r in env.evaluate_batch(designs)]
    finally:
        ray.shutdown()
    assert local.equals(on_ray_table)
    for run in runs:
        rows = _rows(tmp_path / "local" / run.key / "evaluations.jsonl")
        assert len(rows) == 16
        assert rows == _rows(tmp_path / "ray" / run.key / "evaluations.jsonl")


def test_ray_backend_keeps_mapping_reasons_and_details():
    ray = pytest.importorskip("ray")
    from agents.experiments.ray_pool import on_ray, start_ray

    env = make("archgym/Mapping-v0").unwrapped
    index = np.random.default_rng(2).integers(0, env.space.nvec, size=(40, len(env.space.nvec)))
    index[:3] = 0  # every loop at DRAM, nothing unrolled: always valid
    local = env.evaluate_batch(index)
    assert not local.valid.all() and local.valid.any()
    assert start_ray(2)
    try:
        spread = on_ray(env, 2)
        assert spread.simulator.metrics == env.simulator.metrics
        assert spread.simulator.version == env.simulator.version
        remote = spread.evaluate_batch(index)
    finally:
        ray.shutdown()
    assert remote.reasons == local.reasons and any(local.reasons)
    np.testing.assert_array_equal(remote.valid, local.valid)
    np.testing.assert_array_equal(remote.rewards, local.rewards)


@pytest.mark.slow  # starts Ray twice
def test_ray_batches_reuse_the_stored_simulator_until_ray_restarts():
    ray = pytest.importorskip("ray")
    from agents.experiments.ray_pool import on_ray, start_ray

    env = make("archgym/Systolic-v0").unwrapped
    spread = on_ray(env, 2)
    designs = env.space.sample(np.random.default_rng(1), 9)
    local = [r.metrics for r in env.evaluate_batch(designs)]
    for _ in range(2):  # the second session must not use the first one's objects
        assert start_ray(2)
        try:
            batches = [spread.evaluate_batch(designs) for _ in range(2)]
            refs = spread.prepared_workload().refs(ray, spread.simulator.simulator)
            spread.evaluate_batch(designs)  # put once per session, then reused
            assert spread.prepared_workload().refs(ray, spread.simulator.simulator) == refs
        finally:
            ray.shutdown()
        assert [[r.metrics for r in batch] for batch in batches] == [local, local]


def test_a_finished_run_is_not_reused_under_another_objective(tmp_path, capsys, monkeypatch):
    import archgym_env.systolic_env as systolic_env

    spec = {"budget": 4, "seeds": 1, "agents": ["random"],
            "environments": [{"id": "archgym/Systolic-v0"}]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec))
    args = ["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")]
    assert main(args) == 0
    monkeypatch.setitem(systolic_env.DEFAULT_BUDGET, "area_mm2", 20.0)
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "another objective: area_mm2.target 10.0 now 20.0" in err[0]
