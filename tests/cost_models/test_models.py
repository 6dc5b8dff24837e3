"""Proxy models: measures from first principles, saved models predict what was validated,
and loading refuses a tampered directory without running anything."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archgym_env.space import Categorical, DesignSpace, IntRange, PowerOfTwo
from cost_models import dataset as ds
from cost_models import derived, models
from cost_models import proxy as px
from cost_models.features import FeatureEncoder, describe_space
from cost_models.sampling import sample_indices
from cost_models.validation import kfold, measures
from simulators.errors import ArchGymError, InvalidArgumentError

SPACE = DesignSpace((
    PowerOfTwo("size", 1, 64),
    Categorical("kind", ("a", "b", "c")),
    IntRange("depth", 0, 4, 1, active_when={"kind": ("a", "b")}),
))


def latency(columns) -> np.ndarray:
    """A made-up cost spanning decades: inverse in size, a penalty per kind and depth."""
    size = np.asarray(columns["size"], dtype=float)
    kind = np.asarray([{"a": 1.0, "b": 2.0, "c": 3.0}[k] for k in columns["kind"]])
    return 1e4 / size * kind + 10.0 * np.asarray(columns["depth"], dtype=float)


def make_dataset(directory: Path, n: int = 150, seed: int = 0,
                 invalid=None, energy: bool = False) -> ds.Dataset:
    """Toy designs with latency and power (and, with `energy`, their product: pJ = ns x mW)."""
    indices = np.unique(SPACE.canonical_index(sample_indices(SPACE.nvec, n, "random", seed)),
                        axis=0)
    values = SPACE.columns(indices)
    frame = pd.DataFrame({"row": np.arange(len(indices)),
                          **{f"design.{k}": list(v) for k, v in values.items()},
                          "valid": True, "error": None,
                          "metrics.latency_ns": latency(values),
                          "metrics.power_mw": 5.0 + np.log2(values["size"].astype(float))})
    metrics = [{"name": "latency_ns", "unit": "ns", "direction": "min", "description": ""},
               {"name": "power_mw", "unit": "mW", "direction": "min", "description": ""}]
    if energy:
        frame["metrics.energy_pj"] = frame["metrics.latency_ns"] * frame["metrics.power_mw"]
        metrics.append({"name": "energy_pj", "unit": "pJ", "direction": "min",
                        "description": ""})
    if invalid is not None:  # invalid designs: NaN metrics, as collect writes them
        bad = invalid(values)
        frame.loc[bad, "valid"] = False
        frame.loc[bad, "error"] = "invalid"
        frame.loc[bad, ["metrics.latency_ns", "metrics.power_mw"]] = np.nan
    ds.start(directory, {"env_id": "test/Toy-v0", "env_args": {},
                         "space_fingerprint": SPACE.fingerprint(),
                         "space": describe_space(SPACE), "simulators": {"Toy": "1"},
                         "metrics": metrics,
                         "sampler": "random", "seed": seed, "n": n})
    ds.append_part(directory, frame)
    return ds.read_dataset(directory)


def test_measures_by_hand():
    true, predicted = np.array([100.0, 200.0, 300.0]), np.array([110.0, 200.0, 240.0])
    got = measures(true, predicted)
    assert got["nrmse"] == pytest.approx(np.sqrt((100 + 0 + 3600) / 3) / 200)
    assert got["mape"] == pytest.approx((0.1 + 0 + 0.2) / 3)
    assert got["within_10pct"] == pytest.approx(2 / 3)
    assert got["r2"] == pytest.approx(1 - 3700 / 20000)
    assert got["kendall_tau"] == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(1.0, 1e6), min_size=3, max_size=30, unique=True))
def test_perfect_predictions_score_perfectly(values):
    got = measures(np.array(values), np.array(values))
    assert got["nrmse"] == 0 and got["mape"] == 0 and got["within_10pct"] == 1
    assert got["r2"] == pytest.approx(1.0) and got["kendall_tau"] == pytest.approx(1.0)


def test_features_handle_inactive_parameters_and_values():
    encoder = FeatureEncoder(describe_space(SPACE))
    assert encoder.feature_names == ["log2_size", "kind=a", "kind=b", "kind=c", "depth",
                                     "depth_active"]
    index = SPACE.canonical_index([[3, 2, 4], [3, 0, 4]])  # depth inactive under kind c
    X = encoder.encode(index)
    assert X[0].tolist() == [3.0, 0, 0, 1, SPACE["depth"].default, 0]
    assert X[1].tolist() == [3.0, 1, 0, 0, 4, 1]
    columns = SPACE.columns(index)
    assert (encoder.indices(columns) == index).all()
    assert (encoder.indices({**columns, "size": columns["size"].astype(float)}) == index).all()
    with pytest.raises(ArchGymError, match="size"):
        encoder.indices({**columns, "size": np.array([3, 8])})


def test_samplers_cover_every_choice():
    # Latin hypercube: one point per 1/48 stratum, so each of n choices gets 48/n points;
    # Sobol: a power-of-two block is balanced over power-of-two bins.
    for sampler, nvec, n in (("lhs", (4, 3, 8), 48), ("sobol", (4, 2, 8), 64)):
        index = sample_indices(np.array(nvec), n, sampler, seed=1)
        assert index.shape == (n, 3)
        for k, choices in enumerate(nvec):
            assert np.bincount(index[:, k], minlength=choices).tolist() == \
                [n // choices] * choices


FAST = {"lgbm": {"n_estimators": 200}, "rf": {"n_estimators": 30},
        "mlp": {"max_iter": 300, "hidden_layer_sizes": (32,)},
        "gp": {"max_iter": 50},
        "stack": {"members": [{"family": "lgbm", "options": {"n_estimators": 200}},
                              {"family": "rf", "options": {"n_estimators": 30}}]}}


@pytest.mark.parametrize("family", models.FAMILIES)
def test_saved_model_predicts_what_was_validated(tmp_path, family):
    data = make_dataset(tmp_path / "data")
    model = px.train(data, family, ["latency_ns"], seed=0, options=FAST.get(family))
    assert model.metrics[0]["transform"] == "log"  # 1e4/64 .. 3e4 spans decades
    true, before = px.predict_dataset(model, data)
    px.save(model, tmp_path / "model", {"env_id": "test/Toy-v0",
                                        "space_fingerprint": SPACE.fingerprint()})
    loaded = px.load(tmp_path / "model", {"env_id": "test/Toy-v0"})
    _, after = px.predict_dataset(loaded, data)
    np.testing.assert_allclose(after["latency_ns"], before["latency_ns"], rtol=1e-9)
    assert measures(true["latency_ns"], after["latency_ns"])["r2"] > 0.9
    simulator = px.ProxySimulator(loaded)
    result = simulator.evaluate_batch(SPACE.columns(SPACE.canonical_index([[2, 1, 3]])), None)
    assert result.valid.all() and result.metrics["latency_ns"][0] > 0
    assert (result.details is not None) == models.has_uncertainty(family)


def test_exported_arrays_reproduce_scikit_learn(tmp_path):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.gaussian_process import GaussianProcessRegressor

    rng = np.random.default_rng(0)
    X, y = rng.random((80, 3)), rng.random(80)
    forest = models.fit("rf", X, y, seed=3, n_estimators=10)
    reference = RandomForestRegressor(10, random_state=3, n_jobs=1, max_features=1.0).fit(X, y)
    Z = rng.random((20, 3))
    np.testing.assert_allclose(forest.predict(Z)[0], reference.predict(Z), rtol=1e-12)
    gp = models.fit("gp", X, y, seed=0)
    state = gp.state
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
    kernel = ConstantKernel(state["constant"], "fixed") * Matern(
        state["length_scale"], "fixed", nu=2.5) + WhiteKernel(state["noise"], "fixed")
    sk = GaussianProcessRegressor(kernel, alpha=models.GP_JITTER, normalize_y=True,
                                  optimizer=None).fit(np.asarray(state["X"]), y)
    scaled = (Z - np.asarray(state["mean"])) / np.asarray(state["scale"])
    mean, std = sk.predict(scaled, return_std=True)
    got_mean, got_std = gp.predict(Z)
    np.testing.assert_allclose(got_mean, mean, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(got_std, std, rtol=1e-5, atol=1e-9)


def test_compiled_trees_reproduce_lightgbm():
    import lightgbm as lgb

    rng = np.random.default_rng(0)
    X = rng.integers(0, 8, (300, 6)).astype(float)
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + rng.normal(0, 0.1, 300)
    fitted = models.fit("lgbm", X, y, seed=0, n_estimators=100)
    Z = rng.integers(-1, 9, (50, 6)).astype(float)  # off the training grid too
    np.testing.assert_allclose(fitted.predict(Z)[0],
                               lgb.Booster(model_str=fitted.state).predict(Z), rtol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 32))
def test_bitmask_scoring_matches_the_tree_walk_and_scikit_learn(seed, leaves):
    import dataclasses

    from sklearn.tree import DecisionTreeRegressor

    from cost_models.trees import join

    rng = np.random.default_rng(seed)
    X = rng.integers(0, 6, (200, 4)).astype(float)
    y = X[:, 0] * X[:, 1] - X[:, 2] + rng.normal(0, 0.5, 200)
    targets = [y[:100], y[100:], np.ones(100)]  # the last: a single-leaf tree
    fitted = [DecisionTreeRegressor(max_leaf_nodes=leaves, random_state=0).fit(X[:100], t)
              for t in targets]
    forest = join([{"left": f.tree_.children_left, "right": f.tree_.children_right,
                    "feature": f.tree_.feature, "threshold": f.tree_.threshold,
                    "value": f.tree_.value[:, 0, 0]} for f in fitted])
    assert forest.bitmasks is not None
    walked = dataclasses.replace(forest)
    walked.__dict__["bitmasks"] = None  # node by node
    Z = rng.integers(-1, 7, (60, 4)) + rng.choice([0.0, 0.5], (60, 4))  # off the grid too
    for got, expected in zip(forest.sums(Z), walked.sums(Z), strict=True):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(forest.sums(Z)[0], sum(f.predict(Z) for f in fitted),
                               rtol=1e-12)


def test_dram_queue_features_follow_the_admission_rule():
    # Bankwise: 4 requests per bank x 16 banks = 64 (2^6), a Fifo arbiter holding 8 (2^3)
    # without response, so 8 admitted; ReadWrite 4 + 4 = 8, the Simple arbiter holding none
    # back (one above log2 16); Shared 4, 16 under a Reorder arbiter, whose responses come
    # in order as a Reorder response queue's do.
    space = DesignSpace((PowerOfTwo("RequestBufferSize", 1, 8),
                         Categorical("SchedulerBuffer", ("Bankwise", "ReadWrite", "Shared")),
                         Categorical("Arbiter", ("Simple", "Fifo", "Reorder")),
                         PowerOfTwo("MaxActiveTransactions", 1, 16),
                         Categorical("RespQueue", ("Fifo", "Reorder"))))
    encoder = FeatureEncoder(describe_space(space, {"banks": 16}))
    assert encoder.derived_names == ["log2_queue_capacity", "log2_transaction_limit",
                                     "log2_admission_limit", "in_order_responses"]
    X = encoder.encode([[2, 0, 1, 3, 0], [2, 1, 0, 0, 1], [2, 2, 2, 4, 0]])
    assert X[:, -4:].tolist() == [[6, 3, 3, 0], [3, 5, 3, 1], [2, 4, 2, 1]]
    assert FeatureEncoder(describe_space(space)).derived_names == []  # no bank count
    # A stack member's feature set: the per-parameter columns and the derived ones it names.
    base = len(encoder.feature_names) - 4
    assert px.member_columns(None, encoder) == {}
    assert px.member_columns("base", encoder) == {"columns": list(range(base))}
    assert px.member_columns(["in_order_responses"], encoder) == {
        "columns": [*range(base), base + 3]}
    with pytest.raises(InvalidArgumentError, match="features"):
        px.member_columns(["log2_total_pes"], encoder)


def test_stack_is_chosen_by_kfold_on_training_rows_only(tmp_path):
    data = make_dataset(tmp_path / "data", n=120)
    candidates = {"knn": {"family": "knn"},
                  "lgbm": {"family": "lgbm", "options": {"n_estimators": 200}}}
    best, options, scores = px.select(data, "latency_ns", candidates, folds=3)
    assert set(scores) == {"knn", "lgbm", "mean"}
    assert best == min(scores, key=lambda k: scores[k]["nrmse"])
    model = px.train(data, "stack", ["latency_ns"], options={"per_metric": {
        "latency_ns": options}})
    assert len(model.regressors["latency_ns"].state["members"]) == len(options["members"])


def test_power_law_recovers_a_known_identity():
    rng = np.random.default_rng(0)
    energy, bandwidth = rng.uniform(1e8, 3e8, 50), rng.uniform(1.5, 2.1, 50)
    state = derived.fit(1.5625e-6 * energy * bandwidth,
                        {"energy_pj": energy, "bandwidth_gbps": bandwidth})
    np.testing.assert_allclose(state["exponents"], [1.0, 1.0], atol=1e-9)
    assert state["constant"] == pytest.approx(np.log(1.5625e-6), abs=1e-9)
    mean, std = derived.predict(state, {"energy_pj": np.array([2e8]),
                                        "bandwidth_gbps": np.array([2.0])},
                                {"energy_pj": np.array([2e6]),
                                 "bandwidth_gbps": np.array([0.02])})
    assert mean[0] == pytest.approx(625.0, rel=1e-9)  # 1.5625e-6 x 2e8 x 2
    assert std[0] == pytest.approx(625.0 * np.sqrt(2) * 0.01, rel=1e-9)  # 1% and 1%
    with pytest.raises(InvalidArgumentError, match="derived"):
        derived.fit(np.ones(3), {"x": np.array([1.0, 0.0, 2.0])})


def test_derived_metric_is_its_sources_power_law_and_saved_in_the_manifest(tmp_path):
    data = make_dataset(tmp_path / "data", n=120, energy=True)
    options = {"per_metric": {"energy_pj": {"derived": ["latency_ns", "power_mw"]}},
               "n_estimators": 100}
    model = px.train(data, "lgbm", ["latency_ns", "power_mw", "energy_pj"], options=options)
    law = model.metrics[2]["derived"]
    np.testing.assert_allclose(law["exponents"], [1.0, 1.0], atol=1e-9)
    indices = SPACE.canonical_index(sample_indices(SPACE.nvec, 30, "random", 5))
    means, _ = model.predict(indices)
    np.testing.assert_allclose(means["energy_pj"], means["latency_ns"] * means["power_mw"],
                               rtol=1e-9)
    directory = px.save(model, tmp_path / "model", {"env_id": "test/Toy-v0"})
    assert sorted(model.manifest["files"]) == ["latency_ns.txt", "power_mw.txt"]
    np.testing.assert_array_equal(px.load(directory).predict(indices)[0]["energy_pj"],
                                  means["energy_pj"])
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["metrics"][2]["derived"]["of"] = ["latency_ns", "area_mm2"]
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArchGymError, match="energy_pj is not a power law"):
        px.load(directory)
    with pytest.raises(InvalidArgumentError, match="derived"):  # a source it does not model
        px.train(data, "lgbm", ["latency_ns", "energy_pj"], options=options)


def test_kfold_chooses_a_derived_metric_that_beats_a_direct_model(tmp_path):
    data = make_dataset(tmp_path / "data", n=120, energy=True)
    lgbm = {"family": "lgbm", "options": {"n_estimators": 100}}
    candidates = {"lgbm": {"family": "lgbm", "options": {"n_estimators": 3}}, "derived": {
        "derived": ["latency_ns", "power_mw"],
        "per_metric": {m: {"members": [lgbm]} for m in ("latency_ns", "power_mw")}}}
    best, options, scores = px.select(data, "energy_pj", candidates, folds=3)
    assert set(scores) == {"lgbm", "derived", "mean"}  # the mean is of members only
    assert best == min(scores, key=lambda k: scores[k]["nrmse"]) == "derived"
    assert options == {"derived": ["latency_ns", "power_mw"]}


def test_validity_classifier_reports_invalid_designs(tmp_path):
    # kind c with fewer than 8 entries is invalid: 4 of the 7 sizes x 1 of 3 kinds
    def invalid(values):
        return (values["kind"] == "c") & (values["size"].astype(int) < 8)
    data = make_dataset(tmp_path / "data", n=300, invalid=invalid)
    model = px.train(data, "lgbm", ["latency_ns"], options={"n_estimators": 50})
    directory = px.save(model, tmp_path / "model", {"env_id": "test/Toy-v0"})
    loaded = px.load(directory)
    every = SPACE.canonical_index(np.array([[i, k, d] for i in range(7) for k in range(3)
                                            for d in range(5)]))
    every = np.unique(every, axis=0)
    result = px.ProxySimulator(loaded).evaluate_batch(SPACE.columns(every), None)
    expected = ~invalid(SPACE.columns(every))
    assert (result.valid == expected).all()
    assert np.isnan(result.metrics["latency_ns"][~expected]).all()
    assert "validity classifier" in result.reasons[int(np.flatnonzero(~expected)[0])]
    (directory / px.VALIDITY).write_text("{}")
    with pytest.raises(ArchGymError, match="validity.json is not the file"):
        px.load(directory)
    assert px.train(make_dataset(tmp_path / "all", n=60), "knn").validity is None


class _SideEffect:
    """A pickle whose loading would create a file."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


@pytest.mark.parametrize("family", ["lgbm", "knn"])
def test_tampered_model_is_refused_without_running_it(tmp_path, family):
    data = make_dataset(tmp_path / "data", n=40)
    model = px.train(data, family, ["latency_ns"], options={"n_estimators": 20}
                     if family == "lgbm" else None)
    directory = px.save(model, tmp_path / "model", {"env_id": "test/Toy-v0"})
    marker = tmp_path / "side_effect"
    name = "latency_ns.txt" if family == "lgbm" else "latency_ns.json"
    payload = pickle.dumps(_SideEffect(str(marker)))
    (directory / name).write_bytes(payload)
    with pytest.raises(ArchGymError, match="sha256 differs") as error:
        px.load(directory)
    assert "\n" not in str(error.value)
    # The manifest rewritten to match the pickle: the file still only parses as text.
    manifest = json.loads((directory / "manifest.json").read_text())
    manifest["files"][name] = __import__("hashlib").sha256(payload).hexdigest()
    (directory / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArchGymError, match="does not parse") as error:
        px.load(directory)
    assert "\n" not in str(error.value)
    assert not marker.exists()


def test_load_refuses_another_environment(tmp_path):
    data = make_dataset(tmp_path / "data", n=40)
    directory = px.save(px.train(data, "knn", ["latency_ns"]), tmp_path / "m",
                        {"env_id": "test/Toy-v0", "space_fingerprint": SPACE.fingerprint(),
                         "simulators": {"Toy": "1"}, "env_args": {"workload": "x"}})
    for expect, words in [({"env_id": "test/Other-v0"}, "trained for test/Toy-v0"),
                          ({"space_fingerprint": "0" * 16}, "design space"),
                          ({"simulators": {"Toy": "2"}}, "Toy version 1"),
                          ({"env_args": {"workload": "y", "reward": "pareto"}}, "arguments")]:
        with pytest.raises(ArchGymError, match=words):
            px.load(directory, expect)
    px.load(directory, {"env_args": {"workload": "x", "reward": "pareto"}})  # objective only


def test_kfold_scores_out_of_fold_predictions():
    truth = {"m": np.arange(10, dtype=float) + 1}

    def trainer(rows):  # predicts the training mean: out-of-fold, never the row itself
        mean = truth["m"][rows].mean()
        return lambda test: {"m": np.full(len(test), mean)}
    scores = kfold(10, trainer, truth, folds=5)
    assert scores["m"]["r2"] < 0  # worse than the overall mean, as out-of-fold must be
