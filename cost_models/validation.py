"""How well a proxy predicts, every measure defined, per metric, in the metric's units:

* `nrmse`: root-mean-square error over (max - min) of the true values, a fraction (0.0061
  is 0.61%; the reference project's kind of figure);
* `mape`: mean of |predicted - true| / |true|, a fraction;
* `within_10pct`: the share of predictions with |predicted - true| <= 0.1 |true| (as
  nn-Meter reports);
* `r2`: 1 - SSE / SST;
* `kendall_tau`: Kendall's tau-b rank correlation of predicted and true (does the proxy
  order designs as the simulator does).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import kendalltau

MEASURES = ("nrmse", "mape", "within_10pct", "r2", "kendall_tau")


def measures(true: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """The five measures of `predicted` against `true` (see the module docstring)."""
    true, predicted = np.asarray(true, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    error = predicted - true
    spread = true.max() - true.min()
    relative = np.abs(error) / np.maximum(np.abs(true), np.finfo(float).tiny)
    sst = ((true - true.mean()) ** 2).sum()
    tau = kendalltau(predicted, true).statistic if len(true) > 1 else np.nan
    return {"nrmse": float(np.sqrt(np.mean(error ** 2)) / spread) if spread > 0 else np.nan,
            "mape": float(relative.mean()),
            "within_10pct": float(np.mean(relative <= 0.1)),
            "r2": float(1.0 - (error ** 2).sum() / sst) if sst > 0 else np.nan,
            "kendall_tau": float(tau)}


def score(true: Mapping[str, np.ndarray], predicted: Mapping[str, np.ndarray]
          ) -> dict[str, dict[str, float]]:
    """metric -> its measures."""
    return {m: measures(true[m], predicted[m]) for m in predicted}


# A trainer: (training rows) -> a predictor of metric columns for other rows.
Trainer = Callable[[np.ndarray], Callable[[np.ndarray], dict[str, np.ndarray]]]


def kfold(n: int, trainer: Trainer, truth: Mapping[str, np.ndarray], folds: int = 5,
          seed: int = 0) -> dict[str, dict[str, float]]:
    """k-fold cross-validation over `n` rows: each fold's rows predicted by a model trained
    on the others, then the measures over all out-of-fold predictions."""
    order = np.random.default_rng(seed).permutation(n)
    predicted = {m: np.empty(n) for m in truth}
    for fold in np.array_split(order, folds):
        train = np.setdiff1d(order, fold)
        out = trainer(train)(fold)
        for m in truth:
            predicted[m][fold] = out[m]
    return score(truth, predicted)


def learning_curve(sizes: Sequence[int], n_train: int,
                   trainer: Callable[[np.ndarray], Callable[[], dict[str, np.ndarray]]],
                   truth_test: Mapping[str, np.ndarray], seed: int = 0) -> pd.DataFrame:
    """Held-out measures of models trained on the first `size` rows of the shuffled
    `n_train` training rows, for each size; `trainer(rows)` returns the held-out set's
    predictions. One row per (size, metric)."""
    order = np.random.default_rng(seed).permutation(n_train)
    rows = []
    for size in sizes:
        predicted = trainer(order[:size])()
        for metric, values in score(truth_test, predicted).items():
            rows.append({"size": int(size), "metric": metric, **values})
    return pd.DataFrame(rows)


def table(scores: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Scores as a table: one row per metric, one column per measure."""
    return pd.DataFrame([{"metric": m, **{k: v[k] for k in MEASURES}}
                         for m, v in scores.items()])


def plot_predictions(true: Mapping[str, np.ndarray], predicted: Mapping[str, np.ndarray],
                     path: str | Path, title: str = "") -> Path:
    """Predicted against true, one panel per metric, with the y = x line and the +-10%
    band (log axes where the values span a decade)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = list(predicted)
    fig, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 4), squeeze=False)
    for ax, m in zip(axes[0], metrics, strict=True):
        t, p = np.asarray(true[m]), np.asarray(predicted[m])
        low, high = min(t.min(), p.min()), max(t.max(), p.max())
        line = np.linspace(low, high, 50)
        ax.plot(line, line, "k-", lw=0.8)
        ax.fill_between(line, 0.9 * line, 1.1 * line, color="0.85", label="+-10%")
        ax.scatter(t, p, s=6, alpha=0.6)
        if low > 0 and high >= 10 * low:
            ax.set_xscale("log")
            ax.set_yscale("log")
        r = measures(t, p)
        ax.set_title(f"{m}\nnrmse {r['nrmse']:.4f}, within 10% {r['within_10pct']:.3f}",
                     fontsize=9)
        ax.set_xlabel("simulated")
        ax.set_ylabel("predicted")
    fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_learning_curves(curves: pd.DataFrame, path: str | Path) -> Path:
    """Held-out nrmse and within-10% share against training-set size, one line per metric."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for metric, group in curves.groupby("metric", sort=False):
        left.plot(group["size"], group["nrmse"], marker="o", label=metric)
        right.plot(group["size"], group["within_10pct"], marker="o", label=metric)
    left.set_yscale("log")
    left.set_xlabel("training designs")
    left.set_ylabel("held-out nrmse")
    right.set_xlabel("training designs")
    right.set_ylabel("held-out share within +-10%")
    left.legend(fontsize=8)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
