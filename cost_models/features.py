"""Features of designs for proxy models, from a plain description of the design space.

`cost_models` sits below `archgym_env`, so it never imports `DesignSpace`: `describe_space`
reads any space object duck-typed (`parameters`, each with `name`, `choices`, `ordered`,
`active_when` conditions of `parent` and `values`, `index(value)`; `fingerprint()`) into a
JSON description, and `FeatureEncoder` is built from that description alone, so a saved
model carries its encoding and needs no space to load.

Encoding, one block per parameter:
* numeric choices: the value (log2 of it when every choice is positive and they span a
  factor of 4 or more, as power-of-two sizes do);
* other ordered choices: the choice index;
* unordered non-numeric choices: one-hot;
* a conditional parameter adds an `active` column (1 active, 0 inactive); an inactive one
  holds its canonical choice (as the space gives it), so its value columns are constant.
Derived features (`DERIVED`) are added where the space has their parameters: products of
sizes (total PEs) and ratios (global buffer per PE, scratchpad ratios), in log2. A DRAM
controller space (`QUEUE`) whose description carries the bank count (`context["banks"]`,
written by `collect`) adds its request-queue capacity, its transaction limit, the
smaller of the two and whether responses return in order (`QUEUE_FEATURES`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simulators.errors import InvalidArgumentError, InvalidDesignError

ENCODING_VERSION = 2


@dataclass(frozen=True)
class Derived:
    """A derived feature: log2 of the product of `numerator` sizes over the product of
    `denominator` sizes; used where every named parameter is in the space."""

    name: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...] = ()


# Accelerator-style spaces: the PE count and how the buffers scale with it.
DERIVED = (
    Derived("log2_total_pes", ("pe_x", "pe_y")),
    Derived("log2_glb_kb_per_pe", ("glb_kb",), ("pe_x", "pe_y")),
    Derived("log2_weights_per_ifmap_spad", ("weights_spad_words",), ("ifmap_spad_words",)),
    Derived("log2_noc_words_per_pe", ("noc_bandwidth_words",), ("pe_x", "pe_y")),
    Derived("log2_array_cells", ("rows", "cols")),
)


# The DRAM kernel's admission (simulators/dram/kernel.py, admission loop): a request waits
# while its buffer is full, RequestBufferSize requests per bank (Bankwise), per direction
# (ReadWrite) or in all (Shared): the queue capacity. An arbiter other than Simple also
# holds it while MaxActiveTransactions requests have not had their response: the
# transaction limit, a slot freed only when a response returns, so a limit of 1 serves
# more slowly than a 1-entry buffer. Responses return in request order where RespQueue or
# Arbiter is Reorder (the kernel's in-order flag), later than completion. Latency,
# duration and so energy turn queueing-bound where these limits are small, so the models
# see them directly: both limits and the admission limit, the smaller of them, in log2 (no
# transaction limit: one above the largest MaxActiveTransactions choice), the in-order
# flag as 0/1.
QUEUE = ("RequestBufferSize", "SchedulerBuffer", "Arbiter", "MaxActiveTransactions",
         "RespQueue")
QUEUE_FEATURES = ("log2_queue_capacity", "log2_transaction_limit", "log2_admission_limit",
                  "in_order_responses")


def _plain(value: Any) -> Any:
    """A choice as a JSON value (numpy scalars to Python)."""
    return value.item() if hasattr(value, "item") else value


def _numeric(choices: Sequence[Any]) -> bool:
    return all(isinstance(c, int | float) and not isinstance(c, bool) for c in choices)


def _positive(choices: Sequence[Any]) -> bool:
    return _numeric(choices) and min(choices) > 0


def describe_space(space: Any, context: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A JSON description of a design space object (see the module docstring): per
    parameter its name, choices, whether they are ordered and its activity conditions as
    (parent position, allowed choice indices of the parent); `context` holds constants of
    the environment that derived features use (the DRAM bank count)."""
    names = [p.name for p in space.parameters]
    parameters = []
    for p in space.parameters:
        conditions = []
        for c in p.active_when:
            parent = space.parameters[names.index(c.parent)]
            conditions.append([names.index(c.parent), sorted(parent.index(v) for v in c.values)])
        parameters.append({"name": p.name, "choices": [_plain(c) for c in p.choices],
                           "ordered": bool(p.ordered), "active_when": conditions})
    out = {"fingerprint": space.fingerprint(), "parameters": parameters}
    return {**out, "context": dict(context)} if context else out


class FeatureEncoder:
    """Designs (choice-index matrices or columns of values) to a float feature matrix,
    following a space description (`describe_space`)."""

    def __init__(self, space: Mapping[str, Any]):
        self.space = dict(space)
        self.parameters = self.space["parameters"]
        self.names = [p["name"] for p in self.parameters]
        self._lookup = [{(type(c), c): i for i, c in enumerate(p["choices"])}
                        for p in self.parameters]
        self._blocks, self.feature_names = [], []
        for p in self.parameters:
            choices = p["choices"]
            if _numeric(choices):
                log = min(choices) > 0 and max(choices) / min(choices) >= 4
                values = np.log2(choices) if log else np.asarray(choices, dtype=np.float64)
                self._blocks.append(("value", values))
                self.feature_names.append(f"log2_{p['name']}" if log else p["name"])
            elif p["ordered"]:
                self._blocks.append(("value", np.arange(len(choices), dtype=np.float64)))
                self.feature_names.append(f"{p['name']}_index")
            else:
                self._blocks.append(("onehot", len(choices)))
                self.feature_names += [f"{p['name']}={c}" for c in choices]
            if p["active_when"]:
                self.feature_names.append(f"{p['name']}_active")
        self.derived = [d for d in DERIVED if all(
            n in self.names and _positive(self.parameters[self.names.index(n)]["choices"])
            for n in (*d.numerator, *d.denominator))]
        self.feature_names += [d.name for d in self.derived]
        self.queue = "banks" in self.space.get("context", {}) and all(n in self.names
                                                                      for n in QUEUE)
        if self.queue:
            self.feature_names += list(QUEUE_FEATURES)

    @property
    def derived_names(self) -> list[str]:
        """The derived features' names (the rest encode one parameter each)."""
        return [d.name for d in self.derived] + (list(QUEUE_FEATURES) if self.queue else [])

    @property
    def fingerprint(self) -> str:
        return self.space["fingerprint"]

    def describe(self) -> dict[str, Any]:
        """The encoding as stored in a model's manifest."""
        return {"version": ENCODING_VERSION, "space": self.space,
                "features": list(self.feature_names)}

    @classmethod
    def from_description(cls, description: Mapping[str, Any]) -> FeatureEncoder:
        if description.get("version") != ENCODING_VERSION:
            raise InvalidArgumentError("feature encoding version", description.get("version"),
                                       str(ENCODING_VERSION))
        encoder = cls(description["space"])
        if encoder.feature_names != list(description["features"]):
            raise InvalidArgumentError("features", description["features"],
                                       ", ".join(encoder.feature_names))
        return encoder

    def indices(self, columns: Mapping[str, Any]) -> np.ndarray:
        """The choice-index matrix of designs given as columns of values (name -> values);
        InvalidDesignError for a missing parameter or a value that is not a choice."""
        n = len(next(iter(columns.values()))) if columns else 0
        out = np.empty((n, len(self.names)), dtype=np.int64)
        for k, (name, lookup) in enumerate(zip(self.names, self._lookup, strict=True)):
            if name not in columns:
                raise InvalidDesignError(name, None, ", ".join(
                    map(str, self.parameters[k]["choices"])))
            inverse, distinct = pd.factorize(np.asarray(columns[name]), use_na_sentinel=False)
            codes = np.array([lookup.get((type(_plain(v)), _plain(v)), -1) for v in distinct],
                             dtype=np.int64)
            for i in np.flatnonzero(codes < 0):
                codes[i] = self._match(k, distinct[i])
            out[:, k] = codes[inverse.reshape(-1)]
        return out

    def _match(self, k: int, value: Any) -> int:
        """The choice equal to `value` up to type (8.0 is 8), else InvalidDesignError."""
        choices = self.parameters[k]["choices"]
        for i, choice in enumerate(choices):
            if isinstance(choice, str) or isinstance(value, str):
                if value == choice:
                    return i
            elif not isinstance(value, bool) and math.isclose(float(value), float(choice)):
                return i
        raise InvalidDesignError(self.names[k], value, ", ".join(map(str, choices)))

    def active(self, indices: np.ndarray) -> np.ndarray:
        """Which parameters are active in each design of an index matrix."""
        mask = np.ones(indices.shape, dtype=bool)
        for k, p in enumerate(self.parameters):
            for parent, allowed in p["active_when"]:
                hit = np.isin(indices[:, parent], allowed)
                mask[:, k] &= mask[:, parent] & hit
        return mask

    def encode(self, indices: np.ndarray) -> np.ndarray:
        """The feature matrix (designs x features) of a choice-index matrix."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(self.names))
        active = self.active(indices)
        blocks = []
        for k, (kind, data) in enumerate(self._blocks):
            column = indices[:, k]
            if kind == "value":
                blocks.append(data[column][:, None])
            else:
                blocks.append(np.eye(data)[column])
            if self.parameters[k]["active_when"]:
                blocks.append(active[:, k:k + 1].astype(np.float64))
        for d in self.derived:
            logs = {n: np.log2(np.asarray(self.parameters[self.names.index(n)]["choices"],
                                          dtype=np.float64))[indices[:, self.names.index(n)]]
                    for n in (*d.numerator, *d.denominator)}
            blocks.append((sum(logs[n] for n in d.numerator)
                           - sum((logs[n] for n in d.denominator), np.zeros(len(indices)))
                           )[:, None])
        if self.queue:
            blocks.append(self._queue(indices))
        if not blocks:
            return np.zeros((len(indices), 0))
        return np.concatenate(blocks, axis=1)

    def _queue(self, indices: np.ndarray) -> np.ndarray:
        """The request-queue capacity, transaction limit and admission limit in log2 and the
        in-order flag (see QUEUE)."""
        def per_choice(name, value):
            k = self.names.index(name)
            return np.array([value(c) for c in self.parameters[k]["choices"]],
                            dtype=np.float64)[indices[:, k]]
        per = {"Bankwise": self.space["context"]["banks"], "ReadWrite": 2, "Shared": 1}
        capacity = per_choice("RequestBufferSize", float) * per_choice(
            "SchedulerBuffer", lambda c: per.get(c, 1))
        limited = per_choice("Arbiter", lambda c: c != "Simple") > 0
        log_mat = np.log2(per_choice("MaxActiveTransactions", float))
        k = self.names.index("MaxActiveTransactions")
        unlimited = np.log2(max(self.parameters[k]["choices"])) + 1
        in_order = np.maximum(per_choice("RespQueue", lambda c: c == "Reorder"),
                              per_choice("Arbiter", lambda c: c == "Reorder"))
        transactions = np.where(limited, log_mat, unlimited)
        return np.column_stack([np.log2(capacity), transactions,
                                np.minimum(np.log2(capacity), transactions), in_order])

    def encode_columns(self, columns: Mapping[str, Any]) -> np.ndarray:
        return self.encode(self.indices(columns))
