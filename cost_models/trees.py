"""Tree ensembles as flat node arrays, evaluated by one compiled loop over designs and trees.

LightGBM's own `predict` costs far more per call than a batch of a few hundred designs
takes to walk, and a NumPy walk of every tree level at once costs a pass over
(designs x trees) per level; a compiled walk visits only each tree's root-to-leaf path.
Where every tree has at most 32 leaves (LightGBM's), no path is walked at all: bitmask
scoring (QuickScorer; Lucchese et al., SIGIR 2015) numbers each tree's leaves left to
right and gives each split a mask that clears the leaves of its left subtree. A design
that fails a split (goes right) cannot end in them, so the AND of the masks of the splits
it fails keeps its exit leaf as the lowest set bit. The masks of all splits on one
feature depend only on how many of that feature's thresholds the value exceeds (its
bin), so they are ANDed per (feature, bin) ahead of time: scoring a design is one AND
per feature and tree, branch-free over the trees, then a lookup of each tree's leaf.
`Forest` holds every tree's nodes concatenated: `feature`, `threshold`, `left` and `right`
per split node (a child < 0 is the leaf -child - 1), `leaf` values, and each tree's `root`
(a root < 0 is a single-leaf tree). A design goes left where feature <= threshold, as
LightGBM's numerical `<=` splits and scikit-learn's trees do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

from simulators.jit import announce_compile


@njit(cache=True, nogil=True)
def _walk(X, root, feature, threshold, left, right, leaf, total, square):
    # Tree by tree, every design through it: one tree's nodes stay in cache.
    n, trees = X.shape[0], root.shape[0]
    total[:] = 0.0
    square[:] = 0.0
    for t in range(trees):
        for i in range(n):
            node = root[t]
            while node >= 0:
                node = left[node] if X[i, feature[node]] <= threshold[node] else right[node]
            v = leaf[-node - 1]
            total[i] += v
            square[i] += v * v


@njit(cache=True, nogil=True)
def _score(X, feature, cuts, masks, leaf, total, square):
    # Design by design: AND each used feature's mask row (one per bin) over all trees.
    n, features, trees = X.shape[0], masks.shape[0], masks.shape[2]
    alive = np.empty(trees, np.uint32)
    for i in range(n):
        alive[:] = np.uint32(0xFFFFFFFF)
        for k in range(features):
            x, b = X[i, feature[k]], 0
            while b < cuts.shape[1] and cuts[k, b] < x:
                b += 1
            row = masks[k, b]
            for t in range(trees):
                alive[t] &= row[t]
        s = s2 = 0.0
        for t in range(trees):
            v = leaf[t, trailing_zeros(alive[t])]
            s += v
            s2 += v * v
        total[i], square[i] = s, s2


@dataclass(frozen=True)
class Bitmasks:
    """A forest of trees with at most 32 leaves in bitmask form (see the module
    docstring): the features split on, each one's sorted thresholds (`cuts`, padded with
    +inf), `masks[feature, bin, tree]` and `leaf[tree, position]` left to right."""

    feature: np.ndarray
    cuts: np.ndarray
    masks: np.ndarray
    leaf: np.ndarray


@dataclass(frozen=True)
class Forest:
    """Concatenated trees (see the module docstring)."""

    root: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    leaf: np.ndarray

    @property
    def trees(self) -> int:
        return len(self.root)

    def sums(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per design: the sum of the trees' outputs and the sum of their squares (in tree
        order, so both evaluations give the same floats)."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        total, square = np.empty(len(X)), np.empty(len(X))
        if self.bitmasks is None:
            announce_compile(_walk, "the proxy's tree walk")
            _walk(X, self.root, self.feature, self.threshold, self.left, self.right,
                  self.leaf, total, square)
        else:
            b = self.bitmasks
            announce_compile(_score, "the proxy's tree scoring")
            _score(X, b.feature, b.cuts, b.masks, b.leaf, total, square)
        return total, square

    @cached_property
    def bitmasks(self) -> Bitmasks | None:
        """The forest as bitmasks where every tree has at most 32 leaves (else None)."""
        if not self.trees or len(self.leaf) > 32 * self.trees:  # no need to look closer
            return None
        leaves = [self._leaves(r) for r in self.root]
        if max(map(len, leaves)) > 32:
            return None
        used = np.unique(self.feature)
        cuts = [np.unique(self.threshold[self.feature == f]) for f in used]
        padded = np.full((len(used), max((len(c) for c in cuts), default=0)), np.inf)
        for k, c in enumerate(cuts):
            padded[k, :len(c)] = c
        masks = np.full((len(used), padded.shape[1] + 1, self.trees), 0xFFFFFFFF, np.uint32)
        leaf = np.zeros((self.trees, 32))
        for t, order in enumerate(leaves):
            leaf[t, :len(order)] = self.leaf[order]
            position = {v: q for q, v in enumerate(order)}
            for node in self._splits(self.root[t]):
                k = int(np.searchsorted(used, self.feature[node]))
                b = int(np.searchsorted(cuts[k], self.threshold[node])) + 1  # first bin > it
                left = sum(1 << position[v] for v in self._leaves(self.left[node]))
                masks[k, b:, t] &= np.uint32(~left & 0xFFFFFFFF)
        return Bitmasks(used, padded, masks, leaf)

    def _leaves(self, node: int) -> list[int]:
        """The leaves under `node`, left to right."""
        if node < 0:
            return [-node - 1]
        return self._leaves(self.left[node]) + self._leaves(self.right[node])

    def _splits(self, node: int) -> list[int]:
        """The split nodes under `node` (itself included)."""
        if node < 0:
            return []
        return [node, *self._splits(self.left[node]), *self._splits(self.right[node])]


def join(trees: Sequence[Mapping[str, Sequence[Any]]]) -> Forest:
    """A Forest from per-tree arrays in scikit-learn's layout: `left`/`right` child node
    numbers (-1 at a leaf), `feature`, `threshold`, `value` per node."""
    roots, feature, threshold, left, right, leaf = [], [], [], [], [], []
    nodes = leaves = 0
    for tree in trees:
        lt, rt = np.asarray(tree["left"], np.int64), np.asarray(tree["right"], np.int64)
        is_leaf = lt < 0
        split = np.flatnonzero(~is_leaf)
        # node number -> position among this tree's splits (>= 0) or leaves (< 0)
        where = np.empty(len(lt), np.int64)
        where[split] = nodes + np.arange(len(split))
        where[is_leaf] = -(leaves + np.arange(int(is_leaf.sum()))) - 1
        roots.append(where[0])
        feature.append(np.asarray(tree["feature"], np.int64)[split])
        threshold.append(np.asarray(tree["threshold"], np.float64)[split])
        left.append(where[lt[split]])
        right.append(where[rt[split]])
        leaf.append(np.asarray(tree["value"], np.float64)[is_leaf])
        nodes, leaves = nodes + len(split), leaves + int(is_leaf.sum())

    def cat(parts, dtype):
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
    return Forest(np.asarray(roots, np.int64), cat(feature, np.int64),
                  cat(threshold, np.float64), cat(left, np.int64), cat(right, np.int64),
                  cat(leaf, np.float64))


def from_lightgbm(dump: Mapping[str, Any]) -> Forest:
    """A Forest from LightGBM's `dump_model()` JSON (numerical `<=` splits only; the
    proxies' features are never missing, so the default direction never applies)."""
    trees = []
    for info in dump["tree_info"]:
        left, right, feature, threshold, value = [], [], [], [], []

        def visit(node, left=left, right=right, feature=feature, threshold=threshold,
                  value=value):
            k = len(left)
            left.append(-1)
            right.append(-1)
            if "split_index" not in node:
                feature.append(0)
                threshold.append(0.0)
                value.append(float(node["leaf_value"]))
                return k
            if node["decision_type"] != "<=":
                raise ValueError(f"split {node['decision_type']!r}, only '<=' is supported")
            feature.append(int(node["split_feature"]))
            threshold.append(float(node["threshold"]))
            value.append(0.0)
            left[k] = visit(node["left_child"])
            right[k] = visit(node["right_child"])
            return k
        visit(info["tree_structure"])
        trees.append({"left": left, "right": right, "feature": feature,
                      "threshold": threshold, "value": value})
    return join(trees)

