"""`trained`: held-out accuracy after a real, short PyTorch training run of the decoded network.

The network of a design (its layer graph as a `GraphModule`, with the data's class count)
trains with Adam, its learning rate annealed on a cosine over the run (as NB201 trains, Dong
and Yang, ICLR 2020), on a split of the dataset; BatchNorm statistics are recalibrated on the
training split before the held-out evaluation. The default budget (10 epochs of batches of
16: 900 steps on digits) is what a deep plain cell needs: NB201's all-3x3 cell at 8x8 reaches
97.2 % held out with it, 20.6 % after 2 epochs of 64 at a constant 3e-3 without the
recalibration. The data: scikit-learn's 1,797 handwritten digits (8x8,
10 classes) by default, or any torch Dataset of (image, label). Images are resized to the
network's input resolution (or `resolution`) and grey images repeated to its channels.
Results are cached by (space, design, data, budget, seed): on disk under `cache_dir`
(JSON) when the dataset has a `data_name`, else in memory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset

from simulators.accuracy.base import Accuracy, Evaluator
from simulators.accuracy.torchnets import GraphModule
from simulators.errors import InvalidArgumentError, check_int, check_positive
from simulators.networks import network_space

VERSION = "2"


def digits_dataset() -> TensorDataset:
    """scikit-learn's digits as (1x8x8 float in [0, 1], label) pairs."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    return TensorDataset(torch.tensor(digits.images / 16.0, dtype=torch.float32)[:, None],
                         torch.tensor(digits.target))


@torch.no_grad()
def recalibrate_batchnorm(module: torch.nn.Module, inputs) -> None:
    """Re-estimate every BatchNorm's running statistics with the final weights: the average of
    the statistics of the batches `inputs` (PyTorch's cumulative average, momentum None).
    A short run's momentum averages lag weights that moved fast, and a deep network evaluated
    on them is far worse than in training (NB201's all-3x3 cell on digits: 20.6 % held out
    after 2 epochs, 42.3 % recalibrated). Once-for-All recalibrates its subnets' BN this way
    (Cai et al., ICLR 2020)."""
    norms = [m for m in module.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    module.train()
    for x in inputs:
        module(x)


class Trained(Evaluator):
    """Held-out accuracy (%) of `space`'s network of a design after `epochs` of training.

    `dataset`: a torch Dataset of (image CxHxW, int label), digits by default; `data_name`
    names it for the disk cache; `holdout`: the held-out fraction (a seeded split).
    """

    kind = "trained"

    def __init__(self, space: str = "nb201", dataset: Dataset | None = None,
                 data_name: str | None = None, epochs: int = 10, batch_size: int = 16,
                 lr: float = 1e-3, holdout: float = 0.2, resolution: int | None = None,
                 seed: int = 0, cache_dir: str | Path | None = None, progress: bool = True):
        self.space = network_space(space)
        check_int("epochs", epochs)
        check_int("batch_size", batch_size)
        check_positive("lr", lr)
        if not 0 < holdout < 1:
            raise InvalidArgumentError("holdout", holdout, "a fraction in (0, 1)")
        if resolution is not None:
            check_int("resolution", resolution)
        if dataset is None:
            dataset, data_name = digits_dataset(), "sklearn-digits"
        self.dataset, self.data_name = dataset, data_name
        self.epochs, self.batch_size, self.lr, self.holdout = epochs, batch_size, lr, holdout
        self.resolution, self.seed, self.progress = resolution, seed, progress
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.metric = f"{data_name or 'dataset'}_heldout_acc_pct".replace("-", "_")
        self._labels = np.array([int(self.dataset[i][1]) for i in range(len(self.dataset))])
        self.num_classes = int(self._labels.max()) + 1
        self._memory: dict[str, float] = {}
        self.note = (f"{epochs} epochs Adam lr {lr} cosine, BN recalibrated, batch "
                     f"{batch_size}, seed {seed}, {holdout:.0%} of "
                     f"{data_name or 'the dataset'} held out")

    def _key(self, design: dict[str, Any]) -> str:
        blob = json.dumps([VERSION, self.space.name, design, self.data_name, self.epochs,
                           self.batch_size, self.lr, self.holdout, self.resolution,
                           self.seed], sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def evaluate(self, design) -> Accuracy:
        complete = self.space.parse(design)
        key = self._key(complete)
        path = self.cache_dir / f"{key}.json" if self.cache_dir and self.data_name else None
        if key not in self._memory and path is not None and path.is_file():
            self._memory[key] = json.loads(path.read_text())["accuracy_pct"]
        if key not in self._memory:
            self._memory[key] = self.train(complete)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps({"accuracy_pct": self._memory[key],
                                            "design": complete, "note": self.note}))
        return self._accuracy(self._memory[key], note=self.note)

    def _split(self) -> tuple[list[int], list[int]]:
        rng = np.random.default_rng(self.seed)
        test = []
        for label in np.unique(self._labels):  # stratified
            members = rng.permutation(np.flatnonzero(self._labels == label))
            test.extend(members[:max(1, round(self.holdout * len(members)))].tolist())
        train = sorted(set(range(len(self._labels))) - set(test))
        return train, sorted(test)

    def model(self, design: dict[str, Any]) -> tuple[GraphModule, Callable]:
        """The network of a complete design and the input adapter that fits data to it."""
        net = self.space.build(design, num_classes=self.num_classes)
        module = GraphModule(net)
        channels = net.input_shape[0]
        size = self.resolution or net.input_shape[1]

        def adapt(x: torch.Tensor) -> torch.Tensor:
            if x.shape[-1] != size or x.shape[-2] != size:
                x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
            return x.expand(-1, channels, -1, -1) if x.shape[1] == 1 else x
        return module, adapt

    def train(self, design: dict[str, Any]) -> float:
        """One seeded training run; the held-out accuracy in %."""
        torch.manual_seed(self.seed)
        module, adapt = self.model(design)
        train_idx, test_idx = self._split()
        generator = torch.Generator().manual_seed(self.seed)
        loader = DataLoader(Subset(self.dataset, train_idx), self.batch_size, shuffle=True,
                            generator=generator)
        optimizer = torch.optim.Adam(module.parameters(), lr=self.lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer,
                                                              self.epochs * len(loader))
        columns = (TextColumn("training {task.description}"), BarColumn(),
                   MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=True, disable=not self.progress) as bar:
            task = bar.add_task(self.space.name, total=self.epochs * len(loader))
            module.train()
            for _ in range(self.epochs):
                for x, y in loader:
                    optimizer.zero_grad()
                    F.cross_entropy(module(adapt(x)), y).backward()
                    optimizer.step()
                    schedule.step()
                    bar.advance(task)
        recalibrate_batchnorm(module, (adapt(x) for x, _ in
                                       DataLoader(Subset(self.dataset, train_idx), 256)))
        module.eval()
        correct = 0
        with torch.no_grad():
            for x, y in DataLoader(Subset(self.dataset, test_idx), 256):
                correct += int((module(adapt(x)).argmax(1) == y).sum())
        return 100.0 * correct / len(test_idx)
