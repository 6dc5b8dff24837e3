import math

import pytest

from simulators.accuracy import Accuracy, AccuracyEvaluator, FunctionEvaluator, as_evaluator
from simulators.accuracy.table import NB201Table
from simulators.errors import InvalidArgumentError
from simulators.networks import network_space

CELL = "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|"


def test_any_callable_becomes_an_evaluator():
    ev = as_evaluator(lambda d: (70.0 + d["x"], 0.5), kind="surrogate", metric="top1_pct")
    assert isinstance(ev, AccuracyEvaluator)
    acc = ev.evaluate({"x": 1})
    assert (acc.value, acc.std, acc.kind) == (71.0, 0.5, "surrogate")
    assert acc.as_dict() == {"top1_pct": 71.0, "accuracy_kind": "surrogate", "top1_pct_std": 0.5}
    assert [a.value for a in FunctionEvaluator(len, "trained", "n").evaluate_batch(["ab", "c"])] \
        == [2.0, 1.0]


@pytest.mark.parametrize("bad", [lambda d: "high", lambda d: math.nan,
                                 lambda d: Accuracy(1.0, "table", "other_pct")])
def test_bad_callable_results_are_named(bad):
    with pytest.raises(InvalidArgumentError):
        FunctionEvaluator(bad, "surrogate", "top1_pct").evaluate({})


def test_kind_must_be_known():
    with pytest.raises(InvalidArgumentError, match="kind"):
        Accuracy(1.0, "guess", "top1_pct")
    with pytest.raises(InvalidArgumentError, match="kind/metric"):
        as_evaluator(lambda d: 1.0)


def test_table_takes_the_space_design_and_its_notation_alike():
    design = network_space("nb201").parse(CELL)
    table = NB201Table()
    assert table.evaluate(design) == table.evaluate(CELL)
