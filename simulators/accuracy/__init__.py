"""Accuracy that is measured: table lookup (NB201), real short training, zero-cost proxies.
The fitted surrogate for the Once-for-All space lives in cost_models.accuracy_surrogate."""

from simulators.accuracy.base import (
    KINDS,
    Accuracy,
    AccuracyEvaluator,
    Evaluator,
    FunctionEvaluator,
    as_evaluator,
)

__all__ = ["KINDS", "Accuracy", "AccuracyEvaluator", "Evaluator", "FunctionEvaluator",
           "as_evaluator"]
