"""DesignSpace: the one set of named choices that every agent searches."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from gymnasium import spaces

from simulators.errors import InvalidArgumentError, InvalidDesignError


@dataclass(frozen=True)
class Parameter(ABC):
    """A named, ordered, finite set of choices; subclasses say how the set is built.
    `preferred` (keyword only) is the default when given; otherwise the middle choice."""

    name: str
    preferred: Any = field(default=None, kw_only=True)

    @property
    @abstractmethod
    def choices(self) -> tuple: ...

    @property
    def allowed(self) -> str:
        """The allowed values, as said in error messages."""
        return ", ".join(map(str, self.choices))

    @property
    def default(self) -> Any:
        if self.preferred is not None:
            return self.coerce(self.preferred)
        return self.choices[len(self.choices) // 2]

    @cached_property
    def _positions(self) -> dict:
        return {(type(c), c): i for i, c in enumerate(self.choices)}

    def index(self, value: Any) -> int:
        """Position of `value` among the choices; InvalidDesignError if it is not one."""
        try:  # exact hit; otherwise compare as _same does (8.0 matches 8)
            return self._positions[(type(value), value)]
        except (KeyError, TypeError):
            pass
        for i, choice in enumerate(self.choices):
            if _same(value, choice):
                return i
        raise InvalidDesignError(self.name, value, self.allowed)

    def coerce(self, value: Any) -> Any:
        """The canonical choice equal to `value` (so 8.0 becomes 8)."""
        return self.choices[self.index(value)]


def _same(value: Any, choice: Any) -> bool:
    if value is None or choice is None:
        return value is choice
    if isinstance(choice, str) or isinstance(value, str):
        return value == choice
    if isinstance(value, bool) != isinstance(choice, bool):
        return False
    try:
        return math.isclose(float(value), float(choice), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Categorical(Parameter):
    """One of a list of values (strings, numbers or booleans)."""

    values: tuple = ()

    def __post_init__(self):
        distinct = all(not _same(a, b) for i, a in enumerate(self.values)
                       for b in self.values[i + 1:])
        if len(self.values) < 1 or not distinct:
            raise InvalidArgumentError(f"{self.name}.values", self.values, "distinct values")
        object.__setattr__(self, "values", tuple(self.values))

    @cached_property
    def choices(self) -> tuple:
        return self.values

    @property
    def default(self) -> Any:
        """`preferred` when given, otherwise the first value."""
        return self.values[0] if self.preferred is None else super().default


@dataclass(frozen=True)
class IntRange(Parameter):
    """Integers low, low+step, ..., high."""

    low: int = 0
    high: int = 0
    step: int = 1

    def __post_init__(self):
        if self.step < 1 or self.high < self.low or (self.high - self.low) % self.step:
            raise InvalidArgumentError(self.name, (self.low, self.high, self.step),
                                       "low <= high with step >= 1 dividing high - low")

    @cached_property
    def choices(self) -> tuple:
        return tuple(range(self.low, self.high + 1, self.step))

    @property
    def allowed(self) -> str:
        step = f" in steps of {self.step}" if self.step > 1 else ""
        return f"integers {self.low}..{self.high}{step}"


@dataclass(frozen=True)
class PowerOfTwo(Parameter):
    """Powers of two low, 2*low, ..., high."""

    low: int = 1
    high: int = 1

    def __post_init__(self):
        ok = all(v >= 1 and v & (v - 1) == 0 for v in (self.low, self.high))
        if not ok or self.high < self.low:
            raise InvalidArgumentError(self.name, (self.low, self.high),
                                       "powers of two low <= high")

    @cached_property
    def choices(self) -> tuple:
        return tuple(2**k for k in range(self.low.bit_length() - 1, self.high.bit_length()))

    @property
    def allowed(self) -> str:
        return f"powers of two {self.low}..{self.high}"


@dataclass(frozen=True)
class Continuous(Parameter):
    """A real in [low, high]; agents that need a finite set see `levels` grid points
    (geometric when `log`). A design may hold any value in range; indexing rounds it to
    the nearest grid point."""

    low: float = 0.0
    high: float = 1.0
    levels: int = 11
    log: bool = False

    def __post_init__(self):
        if not (self.high > self.low and self.levels >= 2 and (not self.log or self.low > 0)):
            raise InvalidArgumentError(self.name, (self.low, self.high, self.levels),
                                       "low < high, levels >= 2, low > 0 when log")

    @cached_property
    def choices(self) -> tuple:
        grid = np.geomspace if self.log else np.linspace
        return tuple(float(v) for v in grid(self.low, self.high, self.levels))

    @property
    def allowed(self) -> str:
        return f"reals in [{self.low}, {self.high}]"

    def _position(self, value: float) -> float:
        if self.log:
            return math.log(value / self.low) / math.log(self.high / self.low)
        return (value - self.low) / (self.high - self.low)

    def index(self, value: Any) -> int:
        return round(self._position(self.coerce(value)) * (self.levels - 1))

    def coerce(self, value: Any) -> float:
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise InvalidDesignError(self.name, value, self.allowed) from None
        if isinstance(value, bool) or not self.low <= x <= self.high:
            raise InvalidDesignError(self.name, value, self.allowed)
        return x


@dataclass(frozen=True)
class Constraint:
    """A validity rule across parameters: `predicate(design)` must hold."""

    predicate: Callable[[Mapping[str, Any]], bool]
    message: str


@dataclass(frozen=True)
class DesignSpace:
    """An ordered set of named parameters plus cross-parameter constraints.

    Representations of a design: a dict {name: value}; an index vector (one choice
    index per parameter, a `MultiDiscrete` point); a normalized vector in [0, 1]; an
    action vector in [-1, 1] read by equal bins so every choice is reachable.
    """

    parameters: tuple[Parameter, ...]
    constraints: tuple[Constraint, ...] = field(default=())

    def __post_init__(self):
        names = [p.name for p in self.parameters]
        if not names or len(set(names)) != len(names):
            raise InvalidArgumentError("parameters", names, "one or more distinct names")
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "constraints", tuple(self.constraints))

    # -- shape ---------------------------------------------------------------
    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @cached_property
    def nvec(self) -> np.ndarray:
        nvec = np.array([len(p.choices) for p in self.parameters], dtype=np.int64)
        nvec.setflags(write=False)
        return nvec

    @property
    def size(self) -> int:
        """Number of index vectors (before constraints)."""
        return math.prod(len(p.choices) for p in self.parameters)

    def fingerprint(self) -> str:
        """A hash of what the space offers (parameters, kinds, choices, constraint messages),
        stored with runs so that a run is never resumed or compared on another space."""
        spec = [[type(p).__name__, p.name, [repr(c) for c in p.choices]] for p in self.parameters]
        spec.append(sorted(c.message for c in self.constraints))
        return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:16]

    def __getitem__(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise InvalidDesignError("parameter", name, ", ".join(self.names))

    # -- validation ------------------------------------------------------------
    def violations(self, design: Mapping[str, Any]) -> list[str]:
        """Messages of the constraints that `design` breaks."""
        return [c.message for c in self.constraints if not c.predicate(design)]

    def validate(self, design: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical design, or InvalidDesignError naming the first problem."""
        for key in design:
            if key not in self.names:
                raise InvalidDesignError("parameter", key, ", ".join(self.names))
        missing = [n for n in self.names if n not in design]
        if missing:
            raise InvalidDesignError(missing[0], None, self[missing[0]].allowed)
        canonical = {p.name: p.coerce(design[p.name]) for p in self.parameters}
        broken = self.violations(canonical)
        if broken:
            raise InvalidDesignError("design", canonical, broken[0])
        return canonical

    def complete(self, partial: Mapping[str, Any]) -> dict[str, Any]:
        """Fill the parameters a partial design leaves out with their defaults, then validate."""
        return self.validate({**self.default_design(), **partial})

    def default_design(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.parameters}

    # -- conversions -----------------------------------------------------------
    def to_index(self, design: Mapping[str, Any]) -> np.ndarray:
        return np.array([p.index(design[p.name]) for p in self.parameters], dtype=np.int64)

    def from_index(self, index: Sequence[int] | np.ndarray) -> dict[str, Any]:
        index = np.asarray(index)
        if index.shape != (len(self.parameters),):
            raise InvalidArgumentError("index", index.tolist(),
                                       f"a vector of {len(self.parameters)} choice indices")
        design = {}
        for p, i, n in zip(self.parameters, index, self.nvec, strict=True):
            if not 0 <= i < n:
                raise InvalidDesignError(p.name, int(i), f"choice indices 0..{n - 1}")
            design[p.name] = p.choices[int(i)]
        return design

    @cached_property
    def _choice_arrays(self) -> tuple[np.ndarray, ...]:
        def array(choices: tuple) -> np.ndarray:
            numeric = all(isinstance(c, int | float) and not isinstance(c, bool) for c in choices)
            out = np.array(choices, dtype=None if numeric else object)
            out.setflags(write=False)
            return out
        return tuple(array(p.choices) for p in self.parameters)

    def columns(self, indices: np.ndarray) -> dict[str, np.ndarray]:
        """The designs of an index matrix (designs x parameters) as columns of values, the
        form simulators take without a dict per design (indices are not range-checked)."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1, len(self.parameters))
        return {p.name: choices[indices[:, k]] for k, (p, choices) in
                enumerate(zip(self.parameters, self._choice_arrays, strict=True))}

    def normalize_index(self, index: Sequence[int] | np.ndarray) -> np.ndarray:
        """Each choice index scaled by its parameter's last index, so choices span [0, 1]
        (a single-choice parameter maps to 0)."""
        return np.asarray(index) / np.maximum(self.nvec - 1, 1)

    def to_normalized(self, design: Mapping[str, Any]) -> np.ndarray:
        """Each choice index scaled to [0, 1] (see `normalize_index`)."""
        return self.normalize_index(self.to_index(design))

    def from_normalized(self, x: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """The design whose normalized vector is nearest to `x` (clipped to [0, 1])."""
        x = np.clip(np.asarray(x, dtype=np.float64), 0.0, 1.0)
        return self.from_index(np.rint(x * (self.nvec - 1)).astype(np.int64))

    def action_index(self, action: Sequence[float] | np.ndarray) -> np.ndarray:
        """Choice indices of a [-1, 1] action read by equal bins: choice i of n owns
        [-1 + 2i/n, -1 + 2(i+1)/n)."""
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        return np.minimum(np.floor((a + 1.0) / 2.0 * self.nvec), self.nvec - 1).astype(np.int64)

    def from_action(self, action: Sequence[float] | np.ndarray) -> dict[str, Any]:
        """The design of a [-1, 1] action (see `action_index`)."""
        return self.from_index(self.action_index(action))

    def gym_space(self, kind: str = "multidiscrete") -> spaces.Space:
        """The space as `multidiscrete` (indices), `box` ([-1, 1] actions) or `dict`."""
        if kind == "multidiscrete":
            return spaces.MultiDiscrete(self.nvec)
        if kind == "box":
            return spaces.Box(-1.0, 1.0, shape=(len(self.parameters),), dtype=np.float32)
        if kind == "dict":
            return spaces.Dict({p.name: spaces.Discrete(len(p.choices)) for p in self.parameters})
        raise InvalidArgumentError("kind", kind, "multidiscrete, box, dict")

    # -- search helpers ----------------------------------------------------------
    def sample(self, rng: np.random.Generator, n: int = 1,
               max_tries: int = 1000) -> list[dict[str, Any]]:
        """`n` uniformly drawn designs that satisfy the constraints (rejection sampling)."""
        designs: list[dict[str, Any]] = []
        tries = 0
        while len(designs) < n:
            batch = rng.integers(0, self.nvec, size=(max(n - len(designs), 1) * 2, len(self.nvec)))
            for index in batch:
                design = self.from_index(index)
                if not self.violations(design):
                    designs.append(design)
                    if len(designs) == n:
                        break
            tries += len(batch)
            if len(designs) < n and tries > max_tries * max(n, 1):
                raise InvalidArgumentError("constraints", [c.message for c in self.constraints],
                                           "constraints that random designs can satisfy")
        return designs

    def enumerate(self, limit: int = 1_000_000) -> Iterator[dict[str, Any]]:
        """Every valid design, in index order; only for spaces of at most `limit` points."""
        if self.size > limit:
            raise InvalidArgumentError("space size", self.size, f"at most {limit} to enumerate")
        for index in itertools.product(*(range(n) for n in self.nvec)):
            design = self.from_index(np.array(index))
            if not self.violations(design):
                yield design

    def neighbors(self, design: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Valid designs one mutation away: an adjacent choice of an ordered parameter, or
        any other choice of a categorical one."""
        index = self.to_index(design)
        out = []
        for k, p in enumerate(self.parameters):
            if isinstance(p, Categorical):
                moves = [i for i in range(len(p.choices)) if i != index[k]]
            else:
                moves = [i for i in (index[k] - 1, index[k] + 1) if 0 <= i < len(p.choices)]
            for i in moves:
                candidate = index.copy()
                candidate[k] = i
                neighbor = self.from_index(candidate)
                if not self.violations(neighbor):
                    out.append(neighbor)
        return out
