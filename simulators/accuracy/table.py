"""`table`: exact NAS-Bench-201 test accuracies by cell, from a shipped table or NATS-Bench.

The shipped table (`data/nb201_acc.npz`) holds, for all 15,625 cells of the topology space,
the test accuracy (%) after 200 epochs averaged over seeds on CIFAR-10, CIFAR-100 and
ImageNet16-120, as NATS-Bench reports them (Dong et al., "NATS-Bench", TPAMI 2021; MIT
licence; taken from the public `nats_bench.csv` of v-tao/nats-bench-landscape). Rebuild it
with `python -m simulators.accuracy.table CSV [OUT]`. A user holding NATS-Bench's own
archive (`NATS-tss-v1_0-3ffb9-simple/`) reads it with `NB201Table.from_nats(dir)`.
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import io
import json
import pickle
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from simulators.accuracy import nb201
from simulators.accuracy.base import Accuracy, Evaluator
from simulators.errors import InvalidArgumentError, InvalidDesignError

DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
CSV_COLUMNS = ("cifar10_test", "cifar100_test", "imagenet16_test")
SHIPPED = Path(__file__).parent / "data" / "nb201_acc.npz"
SOURCE = ("NATS-Bench topology space (Dong et al., TPAMI 2021; MIT licence), test accuracy "
          "after 200 epochs, mean over seeds")
# NATS-Bench names the test split of each dataset so (nats_bench/api_topology.py,
# print_information): CIFAR-10 is trained on train+valid and tested on 'ori-test'.
NATS_TEST_SPLIT = {"cifar10": "ori-test", "cifar100": "x-test", "ImageNet16-120": "x-test"}


@dataclass(frozen=True)
class AccuracyTable:
    """`acc[cell_index(arch), j]`: test accuracy (%) on DATASETS[j]; NaN where unmeasured."""

    acc: np.ndarray
    source: str = SOURCE
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.acc.shape != (nb201.N_CELLS, len(DATASETS)):
            raise InvalidArgumentError("table shape", self.acc.shape,
                                       f"({nb201.N_CELLS}, {len(DATASETS)})")

    def lookup(self, arch, dataset: str = "cifar10") -> float:
        if dataset not in DATASETS:
            raise InvalidArgumentError("dataset", dataset, ", ".join(DATASETS))
        value = self.acc[nb201.cell_index(arch), DATASETS.index(dataset)]
        if not np.isfinite(value):
            raise InvalidDesignError("arch", nb201.arch_str(arch), f"a cell measured on {dataset}")
        return float(value)

    def save(self, path: Path) -> None:
        """A compressed npz of plain arrays (loads with allow_pickle=False)."""
        np.savez_compressed(path, acc=self.acc, datasets=np.array(DATASETS),
                            source=np.array(self.source), meta=np.array(json.dumps(self.meta)))

    @classmethod
    def load(cls, path: Path) -> AccuracyTable:
        with np.load(path, allow_pickle=False) as f:
            if tuple(f["datasets"].tolist()) != DATASETS:
                raise InvalidArgumentError("table datasets", f["datasets"].tolist(),
                                           ", ".join(DATASETS))
            return cls(f["acc"].astype(np.float64), str(f["source"]), json.loads(str(f["meta"])))

    @classmethod
    def from_csv(cls, path: Path) -> AccuracyTable:
        """From a CSV with columns arch_str and CSV_COLUMNS (the shared nb201_acc.csv)."""
        raw = Path(path).read_bytes()
        acc = np.full((nb201.N_CELLS, len(DATASETS)), np.nan)
        reader = csv.DictReader(io.StringIO(raw.decode()))
        missing = [c for c in ("arch_str", *CSV_COLUMNS) if c not in (reader.fieldnames or ())]
        if missing:
            raise InvalidArgumentError("csv columns", reader.fieldnames,
                                       ", ".join(("arch_str", *CSV_COLUMNS)))
        for row in reader:
            acc[nb201.cell_index(row["arch_str"])] = [float(row[c]) for c in CSV_COLUMNS]
        return cls(acc, SOURCE, {"built_from": Path(path).name,
                                 "sha256": hashlib.sha256(raw).hexdigest()})

    @classmethod
    def from_nats(cls, directory: Path) -> AccuracyTable:
        """From NATS-Bench's topology archive directory (`NATS-tss-v1_0-3ffb9-simple/`:
        meta.pickle.pbz2 and one {index:06d}.pickle.pbz2 per cell), read with an unpickler
        that admits only plain containers and numpy scalars. Cells without a file are NaN."""
        directory = Path(directory)
        meta = _load_nats(directory / "meta.pickle.pbz2")
        acc = np.full((nb201.N_CELLS, len(DATASETS)), np.nan)
        for i, arch in enumerate(meta["meta_archs"]):
            path = next((p for p in (directory / f"{i:06d}.pickle.pbz2",
                                     directory / f"{i}.pickle.pbz2") if p.is_file()), None)
            if path is not None:
                acc[nb201.cell_index(arch)] = _nats_test_accuracies(_load_nats(path))
        return cls(acc, SOURCE + f" (read from {directory.name})", {"built_from": directory.name})


class _PlainUnpickler(pickle.Unpickler):
    """Refuses every global but those a NATS-Bench archive holds (OrderedDict, numpy
    scalars and their dtypes). NATS-Bench ships only pickles, and a user who has them asks
    for them to be read; nothing else can be built, so no code of the file runs (Python's
    "Restricting Globals" recipe)."""

    ALLOWED = {("collections", "OrderedDict"), ("numpy.core.multiarray", "scalar"),
               ("numpy._core.multiarray", "scalar"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise InvalidArgumentError("NATS-Bench file", f"{module}.{name}",
                                       "plain dicts, lists, numbers (no other objects)")
        if module.startswith("numpy") and name == "scalar":
            return _numpy_scalar
        return super().find_class(module, name)


def _numpy_scalar(dtype, data):
    return np.frombuffer(data, dtype=dtype)[0].item()


def _load_nats(path: Path) -> Any:
    if not path.is_file():
        raise InvalidArgumentError("NATS-Bench archive", str(path), "an existing file")
    return _PlainUnpickler(io.BytesIO(bz2.decompress(path.read_bytes()))).load()


def _nats_test_accuracies(state: dict) -> list[float]:
    """Mean over seeds of the last-epoch test accuracy of the 200-epoch runs
    (ArchResults.get_metrics(dataset, split, is_random=False) in nats_bench/api_utils.py)."""
    results = state["200"]
    out = []
    for dataset in DATASETS:
        seeds = results["dataset_seed"][dataset]
        accs = []
        for seed in seeds:
            run = results["all_results"][(dataset, seed)]
            accs.append(run["eval_acc1es"][f"{NATS_TEST_SPLIT[dataset]}@{run['epochs'] - 1}"])
        out.append(sum(accs) / len(accs))
    return out


@cache
def shipped_table() -> AccuracyTable:
    return AccuracyTable.load(SHIPPED)


class NB201Table(Evaluator):
    """Exact test accuracy (%) of an NB201 cell (arch string or six ops) on `dataset`."""

    kind = "table"

    def __init__(self, dataset: str = "cifar10", table: AccuracyTable | None = None):
        if dataset not in DATASETS:
            raise InvalidArgumentError("dataset", dataset, ", ".join(DATASETS))
        self.dataset, self.table = dataset, table if table is not None else shipped_table()
        self.metric = f"{dataset.lower().replace('-', '_')}_test_acc_pct"

    def evaluate(self, design) -> Accuracy:
        return self._accuracy(self.table.lookup(design, self.dataset),
                              note="NATS-Bench 200 epochs, mean over seeds")


def main(argv: list[str] | None = None) -> None:
    """python -m simulators.accuracy.table CSV [OUT]: build the shipped table from CSV."""
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 2:
        raise SystemExit("usage: python -m simulators.accuracy.table nb201_acc.csv [out.npz]")
    table = AccuracyTable.from_csv(Path(args[0]))
    missing = int(np.isnan(table.acc).any(axis=1).sum())
    if missing:
        raise SystemExit(f"{args[0]}: {missing} of {nb201.N_CELLS} cells missing")
    out = Path(args[1]) if len(args) > 1 else SHIPPED
    table.save(out)
    print(f"wrote {out} ({out.stat().st_size} bytes) from {args[0]}")


if __name__ == "__main__":
    main()
