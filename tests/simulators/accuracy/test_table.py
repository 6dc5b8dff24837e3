import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators.accuracy import nb201
from simulators.accuracy.table import (
    DATASETS,
    SHIPPED,
    AccuracyTable,
    NB201Table,
    _PlainUnpickler,
    shipped_table,
)
from simulators.errors import InvalidArgumentError, InvalidDesignError

CSV = Path(__file__).parents[3] / ".." / "shared" / "data" / "nb201_acc.csv"
needs_csv = pytest.mark.skipif(not CSV.is_file(), reason="shared nb201_acc.csv absent")
BEST = ("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
        "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|")


@given(st.integers(0, nb201.N_CELLS - 1))
def test_index_string_round_trip(i):
    ops = nb201.cell_ops(i)
    assert nb201.cell_index(nb201.arch_str(ops)) == i
    assert nb201.parse(nb201.arch_str(ops)) == ops


def test_parse_normalizes_order_and_spaces():
    shuffled = ("|nor_conv_3x3~0| + |nor_conv_3x3~1|nor_conv_3x3~0|"
                "+|nor_conv_3x3~2|skip_connect~0|nor_conv_3x3~1|")
    assert nb201.arch_str(shuffled) == BEST


@pytest.mark.parametrize("bad", ["|nor_conv_3x3~0|",
                                 "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
                                 "|none~0|+|none~0|none~0|+|none~0|none~1|none~2|",
                                 "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|"])
def test_bad_strings_name_the_problem(bad):
    with pytest.raises(InvalidArgumentError, match="arch"):
        nb201.cell_index(bad)


def test_shipped_table_is_complete_and_plain():
    table = shipped_table()
    assert not np.isnan(table.acc).any()
    assert 0 < table.acc.min() and table.acc.max() < 100
    with np.load(SHIPPED, allow_pickle=False) as f:  # no object arrays
        assert f["acc"].dtype == np.float64


def test_best_cell_published_values():
    # NATS-Bench (Dong et al., TPAMI 2021) Table 4: the best topology reaches 94.37 / 73.51 /
    # 47.31 % test accuracy (200 epochs, mean of seeds) on CIFAR-10 / CIFAR-100 / ImageNet16-120.
    table = shipped_table()
    for dataset, published in zip(DATASETS, (94.37, 73.51, 47.31), strict=True):
        assert table.acc[:, DATASETS.index(dataset)].max() == pytest.approx(published, abs=0.01)


def test_evaluator_says_its_kind():
    acc = NB201Table("cifar100").evaluate(BEST)
    assert acc.kind == "table" and acc.metric == "cifar100_test_acc_pct" and acc.std is None
    assert acc.as_dict()["accuracy_kind"] == "table"
    with pytest.raises(InvalidArgumentError, match="dataset"):
        NB201Table("mnist")


def test_unmeasured_cell_is_an_invalid_design():
    acc = np.full((nb201.N_CELLS, 3), np.nan)
    with pytest.raises(InvalidDesignError, match="measured"):
        NB201Table(table=AccuracyTable(acc)).evaluate(BEST)


def test_unpickler_refuses_objects():
    import io
    import pickle
    data = pickle.dumps({"x": Path("/")})
    with pytest.raises(InvalidArgumentError, match="NATS-Bench file"):
        _PlainUnpickler(io.BytesIO(data)).load()


@needs_csv
def test_every_cell_exact_against_csv_and_shipped_table(tmp_path):
    with CSV.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == nb201.N_CELLS
    shipped = shipped_table()
    for row in rows:
        expected = [float(row[c]) for c in ("cifar10_test", "cifar100_test", "imagenet16_test")]
        i = nb201.cell_index(row["arch_str"])
        assert nb201.arch_str(row["arch_str"]) == row["arch_str"]
        assert shipped.acc[i].tolist() == expected
    for dataset, col in zip(DATASETS, ("cifar10_test", "cifar100_test", "imagenet16_test"),
                            strict=True):
        archs = [r["arch_str"] for r in rows]
        values = [a.value for a in NB201Table(dataset).evaluate_batch(archs)]
        assert values == [float(r[col]) for r in rows]
    rebuilt = AccuracyTable.from_csv(CSV)
    assert np.array_equal(rebuilt.acc, shipped.acc)
    assert rebuilt.meta["sha256"] == shipped.meta["sha256"]
