"""Proxy model families, one regressor per metric, each fitted with its library and kept
as plain arrays (or LightGBM's text model) that predict with no code loaded from disk.

| family | fitted with | stored as | uncertainty |
|---|---|---|---|
| `lgbm` | LightGBM gradient-boosted trees | LightGBM text model | - |
| `rf` | scikit-learn random forest | every tree's node arrays (JSON) | spread over trees |
| `knn` | scikit-learn k-NN (distance-weighted) | the scaled training matrix | - |
| `mlp` | scikit-learn MLP (ReLU) | weights and biases | - |
| `gp` | scikit-learn Gaussian process (Matern 5/2, ARD, white noise) | kernel | predictive std |
| | | parameters, training matrix and targets | |
| `stack` | the mean of members, each another family | the members' states | - |
| | on all or some feature columns | (JSON; LightGBM text as a string) | |

Both tree families predict with one compiled walk over their trees (`cost_models.trees`).
Targets: a metric whose training values are all positive and span a factor of 10 or more
is fitted in log space (`transform="log"`), others as they are.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulators.errors import ArchGymError, InvalidArgumentError

FAMILIES = ("lgbm", "rf", "knn", "mlp", "gp", "stack")
TRANSFORMS = ("auto", "log", "identity")


def choose_transform(y: np.ndarray, transform: str = "auto") -> str:
    """`log` where the target is positive and spans a decade or more (for `auto`)."""
    if transform not in TRANSFORMS:
        raise InvalidArgumentError("transform", transform, ", ".join(TRANSFORMS))
    if transform != "auto":
        if transform == "log" and not (y > 0).all():
            raise InvalidArgumentError("transform", "log", "identity for a target with values <= 0")
        return transform
    return "log" if (y > 0).all() and y.max() >= 10 * y.min() else "identity"


def forward(y: np.ndarray, transform: str) -> np.ndarray:
    return np.log(y) if transform == "log" else np.asarray(y, dtype=np.float64)


def inverse(z: np.ndarray, std: np.ndarray | None, transform: str
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions back in the metric's units; a log-space std becomes the delta-method std
    (mean x std)."""
    if transform != "log":
        return z, std
    mean = np.exp(z)
    return mean, None if std is None else mean * std


@dataclass
class Fitted:
    """A fitted regressor: its family, the stored form (`state`: JSON-able arrays, or the
    LightGBM model text) and a predictor built from that state alone."""

    family: str
    state: Any
    predictor: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return self.predictor(np.asarray(X, dtype=np.float64))


def _scaler(X: np.ndarray) -> dict[str, list[float]]:
    scale = X.std(axis=0)
    return {"mean": X.mean(axis=0).tolist(), "scale": np.where(scale > 0, scale, 1.0).tolist()}


def _scaled(state: dict, X: np.ndarray) -> np.ndarray:
    return (X - np.asarray(state["mean"])) / np.asarray(state["scale"])


# -- LightGBM ---------------------------------------------------------------------------
LGBM_DEFAULTS = {"n_estimators": 3000, "learning_rate": 0.03, "num_leaves": 15,
                 "min_child_samples": 3, "min_child_weight": 0.0, "verbose": -1}


def _fit_lgbm(X, y, seed, **options):
    import lightgbm as lgb

    model = lgb.LGBMRegressor(random_state=seed, n_jobs=1, **{**LGBM_DEFAULTS, **options})
    model.fit(X, y)
    return model.booster_.model_to_string()


def _load_lgbm(text: str):
    """LightGBM parses the text model; its trees are then walked compiled (`trees`)."""
    import lightgbm as lgb

    from cost_models import trees  # numba: loaded only by the commands that predict

    try:
        booster = lgb.Booster(model_str=text)
    except lgb.basic.LightGBMError as error:
        raise ArchGymError(f"not a LightGBM text model ({str(error).splitlines()[0]})") from None
    forest = trees.from_lightgbm(booster.dump_model())
    return lambda X: (forest.sums(X)[0], None)


# -- random forest: the trees' node arrays, walked together --------------------------------
RF_DEFAULTS = {"n_estimators": 200, "min_samples_leaf": 1, "max_features": 1.0}


def _fit_rf(X, y, seed, extra: bool = False, **options):
    """A random forest, or with `extra` extremely randomized trees (random split points,
    no bootstrap), stored the same way."""
    from sklearn.ensemble import ExtraTreesRegressor, RandomForestRegressor

    kind = ExtraTreesRegressor if extra else RandomForestRegressor
    forest = kind(random_state=seed, n_jobs=1, **{**RF_DEFAULTS, **options})
    forest.fit(X, y)
    trees = [{"left": t.tree_.children_left.tolist(), "right": t.tree_.children_right.tolist(),
              "feature": t.tree_.feature.tolist(), "threshold": t.tree_.threshold.tolist(),
              "value": t.tree_.value[:, 0, 0].tolist()} for t in forest.estimators_]
    return {"trees": trees}


def _load_rf(state: dict):
    from cost_models.trees import join

    forest = join(state["trees"])
    count = forest.trees

    def predict(X):
        total, square = forest.sums(X)
        mean = total / count
        return mean, np.sqrt(np.maximum(square / count - mean * mean, 0.0))
    return predict


def fit_validity(X: np.ndarray, valid: np.ndarray, seed: int = 0,
                 n_estimators: int = 100) -> Fitted:
    """A random-forest classifier of validity, stored as the `rf` family is: each leaf
    holds its share of valid training designs, so the prediction is P(valid)."""
    from sklearn.ensemble import RandomForestClassifier

    valid = np.asarray(valid, dtype=bool)
    forest = RandomForestClassifier(n_estimators, random_state=seed, n_jobs=1,
                                    min_samples_leaf=1, max_features="sqrt")
    forest.fit(np.asarray(X, dtype=np.float64), valid)
    column = list(forest.classes_).index(True)
    trees = []
    for t in forest.estimators_:
        counts = t.tree_.value[:, 0, :]
        trees.append({"left": t.tree_.children_left.tolist(),
                      "right": t.tree_.children_right.tolist(),
                      "feature": t.tree_.feature.tolist(),
                      "threshold": t.tree_.threshold.tolist(),
                      "value": (counts[:, column] / counts.sum(axis=1)).tolist()})
    state = {"trees": trees}
    return Fitted("rf", state, _load_rf(state))


# -- k-NN: the scaled training matrix ----------------------------------------------------
def _fit_knn(X, y, seed, k: int = 5):
    return {**_scaler(X), "X": X.tolist(), "y": y.tolist(), "k": int(min(k, len(X)))}


def _load_knn(state: dict):
    from sklearn.neighbors import KNeighborsRegressor

    X = np.asarray(state["X"], dtype=np.float64)
    model = KNeighborsRegressor(n_neighbors=state["k"], weights="distance")
    model.fit(_scaled(state, X), np.asarray(state["y"], dtype=np.float64))
    return lambda Z: (model.predict(_scaled(state, Z)), None)


# -- MLP: weights and biases --------------------------------------------------------------
MLP_DEFAULTS = {"hidden_layer_sizes": (128, 128), "alpha": 1e-4, "max_iter": 3000,
                "learning_rate_init": 1e-3, "tol": 1e-7, "n_iter_no_change": 50}


def _fit_mlp(X, y, seed, **options):
    from sklearn.neural_network import MLPRegressor

    scaler = _scaler(X)
    y_mean, y_scale = float(y.mean()), float(y.std() or 1.0)
    model = MLPRegressor(random_state=seed, **{**MLP_DEFAULTS, **options})
    model.fit(_scaled(scaler, X), (y - y_mean) / y_scale)
    return {**scaler, "y_mean": y_mean, "y_scale": y_scale,
            "weights": [w.tolist() for w in model.coefs_],
            "biases": [b.tolist() for b in model.intercepts_]}


def _load_mlp(state: dict):
    weights = [np.asarray(w, dtype=np.float64) for w in state["weights"]]
    biases = [np.asarray(b, dtype=np.float64) for b in state["biases"]]

    def predict(X):
        h = _scaled(state, X)
        for w, b in zip(weights[:-1], biases[:-1], strict=True):
            h = np.maximum(h @ w + b, 0.0)
        return (h @ weights[-1] + biases[-1])[:, 0] * state["y_scale"] + state["y_mean"], None
    return predict


# -- Gaussian process: kernel parameters and training data -----------------------------------
GP_JITTER = 1e-10  # scikit-learn's GaussianProcessRegressor default alpha


def _matern52(A: np.ndarray, B: np.ndarray, length: np.ndarray, constant: float) -> np.ndarray:
    d = np.sqrt(np.maximum(((A / length) ** 2).sum(1)[:, None] + ((B / length) ** 2).sum(1)[None]
                           - 2 * (A / length) @ (B / length).T, 0.0)) * np.sqrt(5.0)
    return constant * (1.0 + d + d * d / 3.0) * np.exp(-d)


def _fit_gp(X, y, seed, max_iter: int = 100, max_points: int = 1000):
    from scipy.optimize import minimize
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    if len(X) > max_points:  # exact GP inference is cubic in the points
        keep = np.random.default_rng(seed).choice(len(X), max_points, replace=False)
        X, y = X[np.sort(keep)], y[np.sort(keep)]
    scaler = _scaler(X)
    Z = _scaled(scaler, X)
    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(np.ones(X.shape[1]), (1e-2, 1e3), nu=2.5) \
        + WhiteKernel(1e-4, (1e-9, 1e-1))

    def optimizer(objective, theta, bounds):
        result = minimize(objective, theta, jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": max_iter})
        return result.x, result.fun
    model = GaussianProcessRegressor(kernel, alpha=GP_JITTER, normalize_y=True,
                                     optimizer=optimizer, random_state=seed)
    with warnings.catch_warnings():  # a length scale at its bound: an irrelevant feature
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(Z, y)
    fitted = model.kernel_
    return {**scaler, "X": Z.tolist(), "y": y.tolist(),
            "constant": float(fitted.k1.k1.constant_value),
            "length_scale": np.atleast_1d(fitted.k1.k2.length_scale).tolist(),
            "noise": float(fitted.k2.noise_level)}


def _load_gp(state: dict):
    from scipy.linalg import cho_solve, cholesky, solve_triangular

    Z = np.asarray(state["X"], dtype=np.float64)
    y = np.asarray(state["y"], dtype=np.float64)
    y_mean, y_std = y.mean(), y.std() or 1.0
    length, constant, noise = np.asarray(state["length_scale"]), state["constant"], state["noise"]
    K = _matern52(Z, Z, length, constant) + (noise + GP_JITTER) * np.eye(len(Z))
    L = cholesky(K, lower=True)
    alpha = cho_solve((L, True), (y - y_mean) / y_std)

    def predict(X):
        k = _matern52(_scaled(state, X), Z, length, constant)
        v = solve_triangular(L, k.T, lower=True)
        var = np.maximum(constant + noise - (v * v).sum(0), 0.0)
        return k @ alpha * y_std + y_mean, np.sqrt(var) * y_std
    return predict


# -- stack: the mean of members ------------------------------------------------------------
def _fit_stack(X, y, seed, members: list | None = None):
    """`members`: [{"family", "options", "columns" (feature positions; all when absent)}]."""
    if not members:
        raise InvalidArgumentError("members", members, "a list of {family, options, columns}")
    out = []
    for member in members:
        family = member.get("family")
        if family not in FAMILIES or family == "stack":
            raise InvalidArgumentError("stack member family", family,
                                       ", ".join(f for f in FAMILIES if f != "stack"))
        columns = member.get("columns")
        part = X if columns is None else X[:, columns]
        out.append({"family": family, "columns": columns,
                    "state": _FIT[family](part, y, seed, **member.get("options", {}))})
    return {"members": out}


def _load_stack(state: dict):
    members = [(m["columns"], _LOAD[m["family"]](m["state"])) for m in state["members"]]

    def predict(X):
        return np.mean([p(X if c is None else X[:, c])[0] for c, p in members], axis=0), None
    return predict


_FIT = {"lgbm": _fit_lgbm, "rf": _fit_rf, "knn": _fit_knn, "mlp": _fit_mlp, "gp": _fit_gp,
        "stack": _fit_stack}
_LOAD = {"lgbm": _load_lgbm, "rf": _load_rf, "knn": _load_knn, "mlp": _load_mlp, "gp": _load_gp,
         "stack": _load_stack}


def check_family(family: str) -> None:
    if family not in FAMILIES:
        raise InvalidArgumentError("model", family, ", ".join(FAMILIES))


def fit(family: str, X: np.ndarray, y: np.ndarray, seed: int = 0, **options: Any) -> Fitted:
    """Fit `family` to features `X` and (transformed) targets `y`; the returned predictor
    is the one a loaded model uses, so what is validated is what is saved."""
    check_family(family)
    state = _FIT[family](np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64),
                         seed, **options)
    return Fitted(family, state, _LOAD[family](state))


def restore(family: str, state: Any) -> Fitted:
    """A fitted regressor from its stored state (arrays or LightGBM text: no code runs)."""
    check_family(family)
    try:
        return Fitted(family, state, _LOAD[family](state))
    except (KeyError, TypeError, ValueError, IndexError) as error:
        raise ArchGymError(f"not a stored {family} model ({type(error).__name__}: "
                           f"{error})") from None


def has_uncertainty(family: str) -> bool:
    return family in ("rf", "gp")
