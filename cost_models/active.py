"""Active learning: choose the next designs to simulate where the proxy is uncertain (or
promising), retrain, and stop at a target error; random collection at an equal simulator
budget is the baseline it is compared with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cost_models import models
from cost_models.features import FeatureEncoder
from cost_models.validation import measures
from simulators.errors import ArchGymError, InvalidArgumentError

STRATEGIES = ("uncertainty", "promising", "random")


@dataclass
class ActiveResult:
    """Every round: simulator calls so far and the held-out measures; `chosen` are the
    pool rows simulated, in order."""

    history: pd.DataFrame
    chosen: np.ndarray

    def calls_to(self, error: float, measure: str = "nrmse") -> int | None:
        """Simulator calls when the held-out `measure` first fell to `error` (None: never)."""
        hit = self.history[self.history[measure] <= error]
        return int(hit["calls"].iloc[0]) if len(hit) else None


def active_learning(pool: np.ndarray, simulate: Callable[[np.ndarray], np.ndarray],
                    encoder: FeatureEncoder, test: tuple[np.ndarray, np.ndarray], *,
                    strategy: str = "uncertainty", family: str = "gp", initial: int = 10,
                    batch: int = 5, budget: int = 100, target_error: float | None = None,
                    direction: str = "min", kappa: float = 2.0, seed: int = 0,
                    transform: str = "auto", options: dict | None = None) -> ActiveResult:
    """Simulate designs of `pool` (an index matrix) for one metric, `simulate(indices) ->
    values` (NaN for an invalid design: a call, but not fitted), fitting `family` after
    each round and scoring it on `test` (indices, true values). Rounds: `initial` random
    designs, then `batch` at a time chosen by `strategy`:
    `uncertainty` (largest predictive std), `promising` (best lower confidence bound
    mean - kappa std, or upper for `direction="max"`) or `random`; stop when the held-out
    nrmse reaches `target_error` or after `budget` simulator calls. `options` go to the
    model family (`models.fit`)."""
    if strategy not in STRATEGIES:
        raise InvalidArgumentError("strategy", strategy, ", ".join(STRATEGIES))
    if strategy != "random" and not models.has_uncertainty(family):
        raise InvalidArgumentError("model", family, "a family with uncertainty: rf, gp")
    if not 1 <= initial <= min(budget, len(pool)):
        raise InvalidArgumentError("initial", initial, f"1..{min(budget, len(pool))}")
    rng = np.random.default_rng(seed)
    features = encoder.encode(pool)
    test_x, test_y = encoder.encode(test[0]), np.asarray(test[1], dtype=np.float64)
    chosen = list(rng.choice(len(pool), initial, replace=False))
    y = list(simulate(pool[chosen]))
    rows = []
    while True:
        values = np.asarray(y, dtype=np.float64)
        ok = np.isfinite(values)
        if ok.sum() < 2:
            raise ArchGymError(f"{int(ok.sum())} valid designs among the first "
                               f"{len(values)} simulated; raise initial")
        kind = models.choose_transform(values[ok], transform)
        fitted = models.fit(family, features[np.asarray(chosen)[ok]],
                            models.forward(values[ok], kind), seed, **(options or {}))
        predicted, _ = models.inverse(*fitted.predict(test_x), kind)
        rows.append({"calls": len(chosen), **measures(test_y, predicted)})
        if (target_error is not None and rows[-1]["nrmse"] <= target_error) or \
                len(chosen) >= min(budget, len(pool)):
            break
        left = np.setdiff1d(np.arange(len(pool)), chosen)
        take = min(batch, budget - len(chosen), len(left))
        if strategy == "random":
            picked = rng.choice(left, take, replace=False)
        else:
            mean, std = fitted.predict(features[left])
            if strategy == "uncertainty":
                rank = -std
            else:  # z-space bound; the log transform keeps the order
                rank = mean - kappa * std if direction == "min" else -(mean + kappa * std)
            picked = left[np.argsort(rank, kind="stable")[:take]]
        chosen += list(picked)
        y += list(simulate(pool[picked]))
    return ActiveResult(pd.DataFrame(rows), np.asarray(chosen))
