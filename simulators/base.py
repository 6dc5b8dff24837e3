"""The simulator protocol: a batch of designs + a prepared workload -> metric columns.

Every simulator declares its metrics (name, unit, direction), prepares a workload once
(lowering, trace parsing) and evaluates many designs in one call, returning a
`BatchResult`: one array per metric, a validity mask, a reason per invalid design and
optional per-design details. `evaluate(design, workload)` is sugar for a batch of one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from simulators.errors import InvalidArgumentError, InvalidDesignError

Design = Mapping[str, Any]
Metrics = dict[str, float]
# A batch of designs: a sequence of design dicts, or columns (name -> one value per design).
Designs = Sequence[Design] | Mapping[str, np.ndarray]

DIRECTIONS = ("min", "max")
# The one naming rule: a metric's name ends in its unit (energy_pj, latency_s, area_mm2);
# dimensionless metrics (rates, utilizations, counts) carry none; percentages end in _pct.
UNITS = ("s", "ns", "cycles", "pJ", "pJ*s", "mW", "mm2", "GB/s", "words", "count", "fraction",
         "%", "")


@dataclass(frozen=True)
class Metric:
    """One metric a simulator reports: its name, unit and whether lower or higher is better."""

    name: str
    unit: str
    direction: str
    description: str = ""

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise InvalidArgumentError(f"{self.name}.direction", self.direction, "min, max")
        if self.unit not in UNITS:
            raise InvalidArgumentError(f"{self.name}.unit", self.unit, ", ".join(UNITS))

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "unit": self.unit, "direction": self.direction,
                "description": self.description}


def clocked(cycles, energy_pj, clock_ghz: float) -> dict[str, Any]:
    """latency_s, power_mw (energy / latency) and edp_pj_s of a run of `cycles` that takes
    `energy_pj` at `clock_ghz`; numbers or arrays alike."""
    latency_s = cycles / (clock_ghz * 1e9)
    return {"latency_s": latency_s, "power_mw": energy_pj * 1e-9 / latency_s,  # pJ/s = 1e-9 mW
            "edp_pj_s": energy_pj * latency_s}


def columns(designs: Designs, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """`designs` as columns: name -> array with one value per design. Columns pass through;
    a sequence of dicts is transposed (every dict must hold every name in `names`)."""
    if isinstance(designs, Mapping):
        return {k: np.asarray(v) for k, v in designs.items()}
    designs = list(designs)
    keys = list(names) if names is not None else (list(designs[0]) if designs else [])
    out = {}
    for key in keys:
        try:
            values = [d[key] for d in designs]
        except KeyError:
            raise InvalidArgumentError(key, None, "a value in every design") from None
        out[key] = np.asarray(values, dtype=object if any(isinstance(v, str) for v in values)
                              else None)
    return out


def design_rows(designs: Designs) -> list[dict[str, Any]]:
    """`designs` as one dict per design (plain Python values): the inverse of `columns`,
    for models that run design by design."""
    if not isinstance(designs, Mapping):
        return [dict(d) for d in designs]
    names = list(designs)
    values = [np.asarray(designs[n]).tolist() for n in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def batch_length(designs: Designs) -> int:
    if isinstance(designs, Mapping):
        return len(next(iter(designs.values()))) if designs else 0
    return len(designs)


@dataclass
class BatchResult:
    """The outcome of one batch: `metrics` maps each metric name to a float array (one entry
    per design; NaN where the design is invalid), `valid` is the mask, `reasons` says why
    each invalid design is invalid (None for valid ones) and `details`, when the model has
    them, holds per-design breakdowns (per layer, per level)."""

    metrics: dict[str, np.ndarray]
    valid: np.ndarray
    reasons: list[str | None] = field(default_factory=list)
    details: list[Any] | None = None

    def __post_init__(self):
        self.valid = np.asarray(self.valid, dtype=bool)
        self.metrics = {k: np.asarray(v, dtype=np.float64) for k, v in self.metrics.items()}
        if not self.reasons:
            self.reasons = [None if ok else "invalid design" for ok in self.valid]
        finite = np.ones(len(self.valid), dtype=bool)
        for column in self.metrics.values():
            finite &= np.isfinite(column)
        for i in np.flatnonzero(self.valid & ~finite):  # a model's NaN never reaches an agent
            bad = next(k for k, v in self.metrics.items() if not np.isfinite(v[i]))
            self.reasons[i] = f"simulator returned non-finite {bad}"
        self.valid = self.valid & finite

    def __len__(self) -> int:
        return len(self.valid)

    def row(self, i: int) -> Metrics:
        """Design `i`'s metrics as a dict of floats ({} when it is invalid)."""
        if not self.valid[i]:
            return {}
        return {k: float(v[i]) for k, v in self.metrics.items()}

    @classmethod
    def invalid(cls, n: int, names: Sequence[str],
                reasons: Sequence[str | None] | None = None) -> BatchResult:
        """`n` invalid designs (NaN metrics) with `reasons` (None each until filled in)."""
        return cls({m: np.full(n, np.nan) for m in names}, np.zeros(n, dtype=bool),
                   list(reasons) if reasons is not None else [None] * n)

    @classmethod
    def from_rows(cls, rows: Sequence[Metrics | None], names: Sequence[str],
                  reasons: Sequence[str | None] | None = None,
                  details: list[Any] | None = None) -> BatchResult:
        """A batch from per-design metric dicts (None for an invalid design)."""
        reasons = list(reasons) if reasons is not None else [None] * len(rows)
        valid = np.array([r is not None and reason is None for r, reason in zip(
            rows, reasons, strict=True)], dtype=bool)
        metrics = {n: np.array([r[n] if r is not None else np.nan for r in rows],
                               dtype=np.float64) for n in names}
        reasons = [reason if reason is not None or ok else "invalid design"
                   for reason, ok in zip(reasons, valid, strict=True)]
        return cls(metrics, valid, reasons, details)

    @classmethod
    def concat(cls, parts: Sequence[BatchResult], names: Sequence[str]) -> BatchResult:
        """One batch of `parts` in order (empty parts allowed)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.invalid(0, names)
        details = None
        if any(p.details is not None for p in parts):
            details = [d for p in parts for d in (p.details or [None] * len(p))]
        return cls({n: np.concatenate([p.metrics[n] for p in parts]) for n in names},
                   np.concatenate([p.valid for p in parts]),
                   [r for p in parts for r in p.reasons], details)


@runtime_checkable
class Simulator(Protocol):
    """A stateless cost model: the same call always gives the same metrics.

    `metrics` declares every metric it reports (name with unit, direction); `version`
    changes whenever the same inputs could give other numbers.
    """

    metrics: tuple[Metric, ...]
    version: str

    def prepare(self, workload: Any) -> Any:
        """The workload made ready for `evaluate_batch` (lowered, parsed); call once per
        workload. A prepared workload comes back as is."""

    def evaluate_batch(self, designs: Designs, workload: Any) -> BatchResult:
        """Every design on `workload` (raw or prepared) in one call."""

    def evaluate(self, design: Design, workload: Any) -> Metrics: ...


class CostModel:
    """Shared plumbing of the simulators: metric lookup and the single-design sugar.
    Subclasses set `metrics` and `version` and implement `prepare` and `evaluate_batch`."""

    metrics: tuple[Metric, ...] = ()
    version: str = "0"

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics)

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise InvalidArgumentError("metric", name, ", ".join(self.metric_names))

    def prepare(self, workload: Any) -> Any:
        return workload

    def evaluate(self, design: Design, workload: Any) -> Metrics:
        """One design's metrics (a batch of one); InvalidDesignError with the model's reason
        when the design is invalid (`evaluate_batch` gives reasons as data)."""
        result = self.evaluate_batch([design], workload)
        if not result.valid[0]:
            raise InvalidDesignError("design", dict(design), result.reasons[0])
        return result.row(0)
