"""The accuracy protocol: design -> `Accuracy` (a value, the kind of estimate, its uncertainty).

Every evaluator has a `kind` (how the number was obtained) and a `metric` (what the number
is, unit in the name: `cifar10_test_acc_pct`, `imagenet_top1_pct`, `synflow_log10`) and maps
designs to `Accuracy` records. Anything that prints an accuracy prints its kind with it.
`FunctionEvaluator` turns any user callable into an evaluator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from simulators.errors import InvalidArgumentError

# table: an exact lookup of measured values; surrogate: a model fitted to measured values;
# trained: measured here by real training; zero_cost: a training-free proxy score (a rank
# signal, not a percentage).
KINDS = ("table", "surrogate", "trained", "zero_cost")


@dataclass(frozen=True)
class Accuracy:
    """One estimate: `value` of `metric` (percent for accuracies, a score for proxies),
    obtained as `kind`, with a one-sigma `std` in the same unit where the kind has one and
    a `note` on what it assumes (a fixed resolution, a training budget)."""

    value: float
    kind: str
    metric: str
    std: float | None = None
    note: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InvalidArgumentError("kind", self.kind, ", ".join(KINDS))
        if not isinstance(self.value, int | float) or not math.isfinite(self.value):
            raise InvalidArgumentError(f"{self.metric}.value", self.value, "a finite number")
        if self.std is not None and not (math.isfinite(self.std) and self.std >= 0):
            raise InvalidArgumentError(f"{self.metric}.std", self.std, "a finite number >= 0")

    def as_dict(self) -> dict[str, Any]:
        """{metric: value, "accuracy_kind": kind, metric + "_std": std, "accuracy_note": note}
        (std and note only when present): the form every output prints."""
        out: dict[str, Any] = {self.metric: float(self.value), "accuracy_kind": self.kind}
        if self.std is not None:
            out[f"{self.metric}_std"] = float(self.std)
        if self.note:
            out["accuracy_note"] = self.note
        return out

    def __str__(self) -> str:
        std = f" +- {self.std:.3g}" if self.std is not None else ""
        note = f"; {self.note}" if self.note else ""
        return f"{self.metric} = {self.value:.4g}{std} ({self.kind}{note})"


@runtime_checkable
class AccuracyEvaluator(Protocol):
    """design -> Accuracy. `kind` and `metric` are fixed per evaluator; `evaluate_batch`
    gives one Accuracy per design, in order."""

    kind: str
    metric: str

    def evaluate(self, design: Any) -> Accuracy: ...

    def evaluate_batch(self, designs: Sequence[Any]) -> list[Accuracy]: ...


class Evaluator:
    """Shared plumbing: subclasses set `kind` and `metric` and implement `evaluate`;
    `evaluate_batch` maps it (override where a batch is cheaper)."""

    kind: str = ""
    metric: str = ""

    def evaluate(self, design: Any) -> Accuracy:
        # Every evaluator defines this (table, surrogate, trained, zero-cost, a callable);
        # the base only says what is missing if a subclass forgets it.
        raise NotImplementedError(f"{type(self).__name__}.evaluate")

    def evaluate_batch(self, designs: Sequence[Any]) -> list[Accuracy]:
        return [self.evaluate(d) for d in designs]

    def _accuracy(self, value: float, std: float | None = None, note: str = "") -> Accuracy:
        return Accuracy(float(value), self.kind, self.metric, std, note)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, metric={self.metric!r})"


class FunctionEvaluator(Evaluator):
    """Any callable as an evaluator: `fn(design)` returns a number, a (value, std) pair or an
    Accuracy (whose kind and metric must then match)."""

    def __init__(self, fn: Callable[[Any], Any], kind: str, metric: str, note: str = ""):
        if not callable(fn):
            raise InvalidArgumentError("fn", fn, "a callable design -> accuracy")
        if kind not in KINDS:
            raise InvalidArgumentError("kind", kind, ", ".join(KINDS))
        if not metric:
            raise InvalidArgumentError("metric", metric, "a metric name with its unit")
        self.fn, self.kind, self.metric, self.note = fn, kind, metric, note

    def evaluate(self, design: Any) -> Accuracy:
        out = self.fn(design)
        if isinstance(out, Accuracy):
            if (out.kind, out.metric) != (self.kind, self.metric):
                raise InvalidArgumentError("fn result", f"{out.kind}/{out.metric}",
                                           f"{self.kind}/{self.metric}")
            return out
        if isinstance(out, tuple) and len(out) == 2:
            return self._accuracy(out[0], None if out[1] is None else float(out[1]), self.note)
        if isinstance(out, bool) or not isinstance(out, int | float):
            raise InvalidArgumentError("fn result", out, "a number, (value, std) or Accuracy")
        return self._accuracy(out, None, self.note)


def as_evaluator(obj: Any, kind: str | None = None, metric: str | None = None) -> Evaluator:
    """`obj` if it already is an evaluator, else a FunctionEvaluator around the callable
    (then `kind` and `metric` are required)."""
    if isinstance(obj, AccuracyEvaluator):
        return obj
    if kind is None or metric is None:
        raise InvalidArgumentError("kind/metric", (kind, metric),
                                   "both, to wrap a plain callable")
    return FunctionEvaluator(obj, kind, metric)
