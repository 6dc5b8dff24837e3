"""Fidelity of the OFA MobileNetV3 top-1 surrogate: k-fold cross-validation refit from the CSV.

Run: python benchmarks/bench_accuracy_surrogate.py [CSV] [--folds 5] [--seed 0]

Each fold refits the Gaussian process from scratch (hyperparameters included) on the other
folds of `ofa_mbv3_dynast.csv` and predicts the held-out subnets. Reports RMSE (percentage
points), Kendall tau and Spearman rho of the pooled held-out predictions, the fraction of
held-out errors within 2 predicted std, and ridge regression on the same features as a
baseline measured in the same run. The README quotes its output.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, spearmanr

from cost_models.accuracy_surrogate import GaussianProcess, read_csv

DEFAULT_CSV = Path(__file__).parents[1] / ".." / "shared" / "data" / "ofa_mbv3_dynast.csv"


def folds(n: int, k: int, seed: int) -> list[np.ndarray]:
    return np.array_split(np.random.default_rng(seed).permutation(n), k)


def ridge(x_train, y_train, x_test, lam=1.0):
    mean = y_train.mean()
    w = np.linalg.solve(x_train.T @ x_train + lam * np.eye(x_train.shape[1]),
                        x_train.T @ (y_train - mean))
    return mean + x_test @ w


def scores(y, pred) -> dict[str, float]:
    return {"rmse_pp": float(np.sqrt(np.mean((pred - y) ** 2))),
            "kendall_tau": float(kendalltau(pred, y)[0]),
            "spearman_rho": float(spearmanr(pred, y)[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", default=str(DEFAULT_CSV))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    x, y, _ = read_csv(Path(args.csv))
    gp_pred, gp_std, ridge_pred = np.zeros_like(y), np.zeros_like(y), np.zeros_like(y)
    for test in folds(len(y), args.folds, args.seed):
        train = np.setdiff1d(np.arange(len(y)), test)
        gp = GaussianProcess.fit(x[train], y[train])
        gp_pred[test], gp_std[test] = gp.predict(x[test])
        ridge_pred[test] = ridge(x[train], y[train], x[test])
    out = {"subnets": len(y), "folds": args.folds, "gp": scores(y, gp_pred),
           "ridge_baseline": scores(y, ridge_pred),
           "gp_within_2std": float(np.mean(np.abs(gp_pred - y) <= 2 * gp_std))}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
