"""Fidelity of the zero-cost proxies on NAS-Bench-201: Spearman rho of a proxy's scores of
NB201 cells against their accuracy in `nb201_acc.csv` (NATS-Bench, 200 epochs, mean over
seeds), the figure Abdelfattah et al. (ICLR 2021, Table 2) report on all 15,625 cells.

Run: python benchmarks/bench_zero_cost.py [--proxy synflow] [--model ours|zero_cost_nas]
         [--dataset cifar10|cifar100|ImageNet16-120] [--cells N] [--seed 0] [--out scores.npz]

Cells are a seeded random permutation of all 15,625 (`--cells 0`: all). `--model ours` is
the nb201 space's network as `ZeroCost` scores it; `zero_cost_nas` the variant of
SamsungLabs/zero-cost-nas (biased cell convs, the reductions' BN kept in synflow). Scores are
NaN where the proxy is undefined (omitted from rho, as the reference's notebook does),
saved every 250 cells to `--out` (resumable). `--dataset` sets the network as the reference
scores it for that dataset (10, 100 or 120 classes; ImageNet16-120 at 16x16); the JSON
report gives rho against all three datasets' accuracies, that dataset's first.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from simulators.accuracy import nb201
from simulators.accuracy.table import shipped_table
from simulators.accuracy.torchnets import ZERO_COST_NAS_KEPT_BN, nb201_network, zero_cost_nas_nb201
from simulators.accuracy.zero_cost import PROXIES, digits_batch, score, synflow
from simulators.errors import InvalidDesignError

DATASETS = {"cifar10": (10, 32), "cifar100": (100, 32), "ImageNet16-120": (120, 16)}
MODELS = {"ours": (nb201_network, ()),
          "zero_cost_nas": (zero_cost_nas_nb201, ZERO_COST_NAS_KEPT_BN)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--proxy", default="synflow", choices=PROXIES)
    parser.add_argument("--model", default="ours", choices=sorted(MODELS))
    parser.add_argument("--dataset", default="cifar10", choices=list(DATASETS))
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    order = np.random.default_rng(args.seed).permutation(nb201.N_CELLS)[:args.cells or None]
    build, keep = MODELS[args.model]
    classes, size = DATASETS[args.dataset]
    shape = (3, size, size)
    batch = None if args.proxy == "synflow" else digits_batch(shape)
    out = Path(args.out) if args.out else None
    scores: dict[int, float] = {}
    if out is not None and out.is_file():
        saved = np.load(out)
        scores = dict(zip(saved["cells"].tolist(), saved["scores"].tolist(), strict=True))
    start = time.perf_counter()
    for n, cell in enumerate(order):
        if int(cell) in scores:
            continue
        torch.manual_seed(args.seed)
        model = build(nb201.arch_str(nb201.cell_ops(int(cell))), classes)
        try:
            scores[int(cell)] = (synflow(model, shape, keep) if args.proxy == "synflow"
                                 else score(args.proxy, model, batch))
        except InvalidDesignError:  # jacob_cov of a cell without a path: NaN in the reference
            scores[int(cell)] = float("nan")
        if out is not None and (n % 250 == 249 or n == len(order) - 1):
            np.savez(out, cells=np.array(list(scores)), scores=np.array(list(scores.values())))
    cells = np.array([c for c in order if int(c) in scores])
    values = np.array([scores[int(c)] for c in cells])
    acc = shipped_table().acc[cells]
    report = {"proxy": args.proxy, "model": args.model, "dataset": args.dataset,
              "cells": len(cells),
              "seconds_per_cell": (time.perf_counter() - start) / max(1, len(order)),
              "spearman_rho": {d: float(spearmanr(values, acc[:, i], nan_policy="omit")[0])
                               for i, d in sorted(enumerate(DATASETS),
                                                  key=lambda e: e[1] != args.dataset)}}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
