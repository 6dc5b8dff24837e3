"""A metric predicted from other metrics' predictions: a power law fitted on the training
designs, log(metric) = constant + sum_j exponent_j log(source_j).

Where a simulator defines a metric from others (DRAM power is energy over duration and
bandwidth is bytes over duration, so power = energy x bandwidth / bytes moved), the fit
recovers that identity, and the metric inherits its sources' accuracy instead of needing a
model of its own. The state is JSON: {"of": source names, "exponents", "constant"}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from simulators.errors import ArchGymError, InvalidArgumentError


def fit(y: np.ndarray, sources: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The least-squares power law of `y` in the `sources` (name -> training values)."""
    columns = [np.asarray(v, dtype=np.float64) for v in sources.values()]
    y = np.asarray(y, dtype=np.float64)
    if not sources or not all((c > 0).all() for c in (y, *columns)):
        raise InvalidArgumentError("derived", list(sources),
                                   "metrics whose values, and the target's, are all > 0")
    A = np.column_stack([np.ones(len(y)), *(np.log(c) for c in columns)])
    coefficients = np.linalg.lstsq(A, np.log(y), rcond=None)[0]
    return {"of": list(sources), "exponents": coefficients[1:].tolist(),
            "constant": float(coefficients[0])}


def check(state: Any, available: Sequence[str]) -> None:
    """ArchGymError unless `state` is a power law over metrics among `available`."""
    try:
        ok = set(state["of"]) <= set(available) and \
            len(state["exponents"]) == len(state["of"]) > 0 and \
            all(np.isfinite([*state["exponents"], state["constant"]]))
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise ArchGymError(f"not a power law over the metrics {', '.join(available)}: "
                           f"{state!r}")


def predict(state: Mapping[str, Any], means: Mapping[str, np.ndarray],
            stds: Mapping[str, np.ndarray] | None = None
            ) -> tuple[np.ndarray, np.ndarray | None]:
    """The metric from its sources' predictions, and (given their stds, as independent
    errors) its delta-method std."""
    exponents = np.asarray(state["exponents"])
    logs = [np.log(means[name]) for name in state["of"]]
    mean = np.exp(state["constant"] + sum(a * z for a, z in zip(exponents, logs, strict=True)))
    if stds is None:
        return mean, None
    relative = sum((a * stds[n] / means[n]) ** 2 for a, n in zip(exponents, state["of"],
                                                                  strict=True))
    return mean, mean * np.sqrt(relative)
