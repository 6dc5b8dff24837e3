"""`surrogate`: ImageNet top-1 of Once-for-All MobileNetV3 subnets (width 1.0, resolution 224).

A Gaussian process fitted to the 1,862 subnets of `ofa_mbv3_dynast.csv`, whose top-1 DyNAS-T
measured with weights inherited from the OFA supernet (IntelLabs/DyNAS-T,
notebooks/data/mbnv3w10_*.csv, Apache-2.0; Cai et al., "Once-for-All", ICLR 2020). The data
is at resolution 224 only, so the surrogate is too: other resolutions are refused.

Features: per block slot (20: five stages of up to 4 blocks) one-hot kernel {3, 5, 7} and
expand ratio {3, 4, 6}, all zero for a block beyond its stage's depth; per stage one-hot depth
{2, 3, 4}. Kernel: a linear term plus a squared-exponential term plus measurement noise,
hyperparameters by maximum marginal likelihood. The predictive std is the GP's: near the
measured subnets it falls to about the noise, away from them it grows toward the prior.

The shipped model (`data/ofa_mbv3_gp.json`) holds the training features, targets and
hyperparameters: plain JSON, nothing runs on load (the Cholesky factor is recomputed).
Refit with `python -m cost_models.accuracy_surrogate CSV [OUT]`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize

from simulators.accuracy.base import Accuracy, Evaluator
from simulators.errors import InvalidArgumentError, InvalidDesignError

STAGES, SLOTS = 5, 4
KERNELS, EXPANDS, DEPTHS = (3, 5, 7), (3, 4, 6), (2, 3, 4)
RESOLUTION = 224
N_FEATURES = STAGES * SLOTS * (len(KERNELS) + len(EXPANDS)) + STAGES * len(DEPTHS)
SHIPPED = Path(__file__).parent / "data" / "ofa_mbv3_gp.json"
FORMAT = "archgym.ofa_mbv3_gp/1"
NOTE = "resolution fixed at 224 (DyNAS-T OFA data is at 224 only)"


@dataclass(frozen=True)
class OFAConfig:
    """An OFA subnet: kernel `ks` and expand ratio `e` for each of 20 block slots, depth `d`
    per stage; slots beyond a stage's depth are ignored (as in OFA) and held as 0."""

    ks: tuple[int, ...]
    e: tuple[int, ...]
    d: tuple[int, ...]
    r: int = RESOLUTION

    @classmethod
    def from_design(cls, design: Mapping[str, Any]) -> OFAConfig:
        """From {"ks": [20], "e": [20], "d": [5], "r": R} (r optional)."""
        if not isinstance(design, Mapping) or not {"ks", "e", "d"} <= set(design):
            raise InvalidDesignError("design", design, 'an OFA config {"ks": [20 kernels], '
                                     '"e": [20 expand ratios], "d": [5 depths], "r": 224}')
        d = tuple(int(v) for v in design["d"])
        if len(d) != STAGES or any(v not in DEPTHS for v in d):
            raise InvalidDesignError("d", design["d"], f"{STAGES} depths, each one of {DEPTHS}")
        ks, e = [], []
        for name, allowed, out in (("ks", KERNELS, ks), ("e", EXPANDS, e)):
            values = list(design[name])
            if len(values) != STAGES * SLOTS:
                raise InvalidDesignError(name, design[name], f"{STAGES * SLOTS} values")
            for i, v in enumerate(values):
                active = i % SLOTS < d[i // SLOTS]
                if active and int(v) not in allowed:
                    raise InvalidDesignError(f"{name}[{i}]", v, ", ".join(map(str, allowed)))
                out.append(int(v) if active else 0)
        r = int(design.get("r", RESOLUTION))
        if r != RESOLUTION:
            raise InvalidDesignError("r", r, f"{RESOLUTION} (the surrogate's data is at "
                                     f"{RESOLUTION} only)")
        return cls(tuple(ks), tuple(e), d, r)

    def features(self) -> np.ndarray:
        x = np.zeros(N_FEATURES)
        width = len(KERNELS) + len(EXPANDS)
        for i, (k, e) in enumerate(zip(self.ks, self.e, strict=True)):
            if k:
                x[i * width + KERNELS.index(k)] = 1.0
                x[i * width + len(KERNELS) + EXPANDS.index(e)] = 1.0
        base = STAGES * SLOTS * width
        for s, depth in enumerate(self.d):
            x[base + s * len(DEPTHS) + DEPTHS.index(depth)] = 1.0
        return x


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """Features, top-1 (%) and sha256 of a DyNAS-T style CSV (ks, e, d as '-'-joined ints)."""
    raw = Path(path).read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    parse = lambda s: [int(v) for v in s.split("-")]  # noqa: E731
    x = np.array([OFAConfig.from_design({"ks": parse(r["ks"]), "e": parse(r["e"]),
                                         "d": parse(r["d"]), "r": int(r["r"])}).features()
                  for r in rows])
    return x, np.array([float(r["top1_pct"]) for r in rows]), hashlib.sha256(raw).hexdigest()


class GaussianProcess:
    """k(x, x') = a * x.x' / D + b * exp(-|x - x'|^2 / (2 l^2)), noise n, on centred targets;
    `theta` = log(a, b, l, n)."""

    def __init__(self, x: np.ndarray, y: np.ndarray, theta: np.ndarray):
        self.x, self.y, self.theta = np.asarray(x, float), np.asarray(y, float), np.asarray(theta)
        self.mean = float(self.y.mean())
        k = self._kernel(self.x, self.x) + np.exp(self.theta[3]) * np.eye(len(self.x))
        self._chol = cho_factor(k, lower=True)
        self._alpha = cho_solve(self._chol, self.y - self.mean)

    def _kernel(self, x1, x2):
        a, b, ell, _ = np.exp(self.theta)
        sq = (x1 ** 2).sum(1)[:, None] + (x2 ** 2).sum(1)[None] - 2 * x1 @ x2.T
        return a * (x1 @ x2.T) / x1.shape[1] + b * np.exp(-np.maximum(sq, 0) / (2 * ell ** 2))

    def predict(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std of a new measurement (latent variance plus noise)."""
        x = np.atleast_2d(np.asarray(x, float))
        ks = self._kernel(x, self.x)
        mu = self.mean + ks @ self._alpha
        a, b, _, noise = np.exp(self.theta)
        prior = a * (x ** 2).sum(1) / x.shape[1] + b
        var = prior - np.einsum("ij,ji->i", ks, cho_solve(self._chol, ks.T)) + noise
        return mu, np.sqrt(np.maximum(var, noise))

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, theta0=(0.0, -1.0, 1.0, -4.0)) -> GaussianProcess:
        """Hyperparameters maximizing the log marginal likelihood (analytic gradient)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        yc = y - y.mean()
        lin = x @ x.T / x.shape[1]
        sq = np.maximum((x ** 2).sum(1)[:, None] + (x ** 2).sum(1)[None] - 2 * x @ x.T, 0)

        def nll(theta):
            a, b, ell, noise = np.exp(theta)
            rbf = np.exp(-sq / (2 * ell ** 2))
            k = a * lin + b * rbf + noise * np.eye(len(x))
            try:
                chol = cho_factor(k, lower=True)
            except np.linalg.LinAlgError:
                return 1e10, np.zeros(4)
            alpha = cho_solve(chol, yc)
            inner = np.outer(alpha, alpha) - cho_solve(chol, np.eye(len(x)))
            grads = [a * lin, b * rbf, b * rbf * sq / ell ** 2, noise * np.eye(len(x))]
            value = 0.5 * yc @ alpha + np.log(np.diag(chol[0])).sum()
            return value, np.array([-0.5 * np.sum(inner * g) for g in grads])

        res = minimize(nll, np.asarray(theta0, float), jac=True, method="L-BFGS-B",
                       bounds=[(-8, 6), (-8, 6), (-3, 4), (-12, 2)])
        return cls(x, y, res.x)

    def to_json(self, **meta) -> dict[str, Any]:
        return {"format": FORMAT, "theta": self.theta.tolist(), "n_features": self.x.shape[1],
                "x": [np.flatnonzero(row).tolist() for row in self.x],  # one-hot: the ones
                "y": self.y.tolist(), **meta}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GaussianProcess:
        if data.get("format") != FORMAT or data.get("n_features") != N_FEATURES:
            raise InvalidArgumentError("surrogate file", data.get("format"),
                                       f"{FORMAT} with {N_FEATURES} features")
        x = np.zeros((len(data["x"]), N_FEATURES))
        for i, ones in enumerate(data["x"]):
            x[i, ones] = 1.0
        return cls(x, np.array(data["y"]), np.array(data["theta"]))


@cache
def shipped_model() -> GaussianProcess:
    return GaussianProcess.from_json(json.loads(SHIPPED.read_text()))


class OFASurrogate(Evaluator):
    """ImageNet top-1 (%) of an OFA MobileNetV3 config, with the GP's std, at resolution 224."""

    kind = "surrogate"
    metric = "imagenet_top1_pct"

    def __init__(self, model: GaussianProcess | None = None):
        self.model = model if model is not None else shipped_model()

    def evaluate_batch(self, designs: Sequence[Any]) -> list[Accuracy]:
        if not designs:
            return []
        x = np.array([OFAConfig.from_design(d).features() for d in designs])
        mu, std = self.model.predict(x)
        return [self._accuracy(m, s, NOTE) for m, s in zip(mu, std, strict=True)]

    def evaluate(self, design) -> Accuracy:
        return self.evaluate_batch([design])[0]


def main(argv: list[str] | None = None) -> None:
    """python -m cost_models.accuracy_surrogate CSV [OUT]: refit the shipped model."""
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        raise SystemExit("usage: python -m cost_models.accuracy_surrogate "
                         "ofa_mbv3_dynast.csv [out.json]")
    x, y, sha = read_csv(Path(args[0]))
    gp = GaussianProcess.fit(x, y)
    out = Path(args[1]) if len(args) > 1 else SHIPPED
    out.write_text(json.dumps(gp.to_json(built_from=Path(args[0]).name, sha256=sha,
                                         resolution=RESOLUTION,
                                         source="IntelLabs/DyNAS-T, Apache-2.0")))
    print(f"wrote {out}: theta={np.round(gp.theta, 3).tolist()}, {len(y)} subnets")


if __name__ == "__main__":
    main()
