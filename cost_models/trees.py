"""Tree ensembles as flat node arrays, evaluated by one compiled loop over designs and trees.

LightGBM's own `predict` costs far more per call than a batch of a few hundred designs
takes to walk, and a NumPy walk of every tree level at once costs a pass over
(designs x trees) per level; a compiled walk visits only each tree's root-to-leaf path.
`Forest` holds every tree's nodes concatenated: `feature`, `threshold`, `left` and `right`
per split node (a child < 0 is the leaf -child - 1), `leaf` values, and each tree's `root`
(a root < 0 is a single-leaf tree). A design goes left where feature <= threshold, as
LightGBM's numerical `<=` splits and scikit-learn's trees do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

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
        """Per design: the sum of the trees' outputs and the sum of their squares."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        total, square = np.empty(len(X)), np.empty(len(X))
        announce_compile(_walk, "the proxy's tree walk")
        _walk(X, self.root, self.feature, self.threshold, self.left, self.right, self.leaf,
              total, square)
        return total, square


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

