"""`zero_cost`: training-free proxy scores of a network at initialization.

As computed in Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021
(SamsungLabs/zero-cost-nas, foresight/pruners/measures/): every score but jacob_cov and
naswot sums a per-weight saliency over the weights of the Conv2d and Linear layers.

- synflow (Tanaka et al., "Pruning neural networks without any data by iteratively
  conserving synaptic flow", NeurIPS 2020): data-free. Weights replaced by their absolute
  values, BatchNorm removed, double precision, an all-ones input; sum |w * d(sum out)/dw|.
- grad_norm: sum over layers of the L2 norm of d(cross-entropy)/dw on a batch.
- snip (Lee et al., "SNIP: single-shot network pruning based on connection sensitivity",
  ICLR 2019): sum |w * dL/dw| (= |dL/dmask| at mask 1, as the reference computes it).
- jacob_cov (Mellor et al., arXiv 2006.04647v1): the input Jacobians of the batch, their
  correlation matrix's eigenvalues v, score -sum(log(v + k) + 1/(v + k)), k = 1e-5.
- naswot (Mellor et al., "Neural Architecture Search without Training", ICML 2021): binary
  ReLU activation codes c of each input; K = c c^T + (1-c)(1-c)^T summed over ReLUs; score
  log|K|.

Scores rank networks; they are no percentages. Every random choice is seeded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from simulators.accuracy.base import Accuracy, Evaluator
from simulators.accuracy.torchnets import nb201_network, without_batchnorm
from simulators.errors import InvalidArgumentError, InvalidDesignError

PROXIES = ("synflow", "grad_norm", "snip", "jacob_cov", "naswot")
DATA_FREE = ("synflow",)
Batch = tuple[torch.Tensor, torch.Tensor]


def _weighted_layers(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def synflow(model: nn.Module, input_shape: tuple[int, ...],
            keep_batchnorm: tuple[str, ...] = ()) -> float:
    """Synaptic flow of a copy of `model` (the model itself is left as it was), its
    BatchNorms removed but for those under the module names `keep_batchnorm` (in train mode,
    as zero-cost-nas's copy runs)."""
    net = without_batchnorm(copy.deepcopy(model), keep_batchnorm).double().train()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net.zero_grad()
    net(torch.ones((1, *input_shape), dtype=torch.float64)).sum().backward()
    return float(sum((m.weight * m.weight.grad).detach().abs().sum() for m in _weighted_layers(net)
                     if m.weight.grad is not None))


def _loss_gradients(model: nn.Module, batch: Batch) -> nn.Module:
    net = copy.deepcopy(model).train()
    net.zero_grad()
    F.cross_entropy(net(batch[0]), batch[1]).backward()
    return net


def grad_norm(model: nn.Module, batch: Batch) -> float:
    net = _loss_gradients(model, batch)
    return float(sum(m.weight.grad.norm() for m in _weighted_layers(net)
                     if m.weight.grad is not None))


def snip(model: nn.Module, batch: Batch) -> float:
    net = _loss_gradients(model, batch)
    return float(sum((m.weight * m.weight.grad).detach().abs().sum() for m in _weighted_layers(net)
                     if m.weight.grad is not None))


def jacob_cov(model: nn.Module, batch: Batch) -> float:
    net = copy.deepcopy(model).train()
    x = batch[0].clone().requires_grad_(True)
    y = net(x)
    y.backward(torch.ones_like(y))
    jacobians = x.grad.reshape(len(x), -1).numpy().astype(np.float64)
    if not (jacobians.std(axis=1) > 0).all():  # zero-cost-nas returns NaN here
        raise InvalidDesignError("design", "a network whose output ignores its input",
                                 "a network with an input Jacobian (jacob_cov)")
    eigenvalues = np.linalg.eigvalsh(np.corrcoef(jacobians))
    k = 1e-5
    return float(-np.sum(np.log(eigenvalues + k) + 1.0 / (eigenvalues + k)))


@torch.no_grad()
def naswot(model: nn.Module, batch: Batch) -> float:
    net = copy.deepcopy(model).train()
    n = len(batch[0])
    kernel = torch.zeros(n, n, dtype=torch.float64)

    def hook(_module, inputs):
        codes = (inputs[0].reshape(n, -1) > 0).double()
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

    handles = [m.register_forward_pre_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        net(batch[0])
    finally:
        for h in handles:
            h.remove()
    return float(torch.linalg.slogdet(kernel)[1])


def score(proxy: str, model: nn.Module, batch: Batch | None = None,
          input_shape: tuple[int, ...] | None = None) -> float:
    """One proxy of `model`: synflow needs only `input_shape` (default: the batch's)."""
    if proxy not in PROXIES:
        raise InvalidArgumentError("proxy", proxy, ", ".join(PROXIES))
    if proxy == "synflow":
        if input_shape is None:
            if batch is None:
                raise InvalidArgumentError("input_shape", None, "a shape or a batch")
            input_shape = tuple(batch[0].shape[1:])
        return synflow(model, input_shape)
    if batch is None:
        raise InvalidArgumentError("batch", None, f"(inputs, targets) for {proxy}")
    return {"grad_norm": grad_norm, "snip": snip, "jacob_cov": jacob_cov,
            "naswot": naswot}[proxy](model, batch)


def digits_batch(input_shape: tuple[int, ...] = (3, 32, 32), size: int = 64,
                 seed: int = 0) -> Batch:
    """A batch of scikit-learn's handwritten digits (8x8, scaled to [0, 1]) resized to
    `input_shape` (channels repeated): the offline default for data-dependent proxies."""
    from sklearn.datasets import load_digits
    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(digits.target), size, replace=False)
    x = torch.tensor(digits.images[pick] / 16.0, dtype=torch.float32)[:, None]
    x = F.interpolate(x, size=input_shape[1:], mode="bilinear", align_corners=False)
    return x.repeat(1, input_shape[0], 1, 1), torch.tensor(digits.target[pick])


class ZeroCost(Evaluator):
    """A proxy score of the network `build(design)` at a seeded initialization. The default
    `build` is NB201's CIFAR network of a cell; data-dependent proxies use `batch` (default:
    `digits_batch` at `input_shape`, said in the note)."""

    kind = "zero_cost"

    def __init__(self, proxy: str = "synflow", build: Callable[[Any], nn.Module] = nb201_network,
                 batch: Batch | None = None, input_shape: tuple[int, ...] = (3, 32, 32),
                 seed: int = 0):
        if proxy not in PROXIES:
            raise InvalidArgumentError("proxy", proxy, ", ".join(PROXIES))
        self.proxy, self.metric, self.build, self.seed = proxy, proxy, build, seed
        self.input_shape = tuple(input_shape)
        self.note = f"at init (seed {seed})"
        if proxy not in DATA_FREE and batch is None:
            batch = digits_batch(self.input_shape, seed=seed)
            self.note += f", batch of {len(batch[0])} sklearn digits at {self.input_shape}"
        self.batch = batch

    def evaluate(self, design) -> Accuracy:
        torch.manual_seed(self.seed)
        model = self.build(design)
        return self._accuracy(score(self.proxy, model, self.batch, self.input_shape),
                              note=self.note)
