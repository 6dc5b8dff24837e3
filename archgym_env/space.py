"""DesignSpace: the one set of named choices that every agent searches."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from simulators.errors import InvalidArgumentError, InvalidDesignError


@dataclass(frozen=True)
class Condition:
    """Active only while parameter `parent` is active and takes one of `values` (a single
    value is read as a one-value tuple)."""

    parent: str
    values: tuple

    def __post_init__(self):
        values = self.values if isinstance(self.values, tuple | list) else (self.values,)
        if not isinstance(self.parent, str) or not values:
            raise InvalidArgumentError("condition", (self.parent, self.values),
                                       "a parameter name and one or more of its values")
        object.__setattr__(self, "values", tuple(values))


def _conditions(name: str, spec: Any) -> tuple[Condition, ...]:
    """`active_when` as a tuple of conditions, all of which must hold."""
    if spec is None:
        return ()
    if isinstance(spec, Condition):
        return (spec,)
    if isinstance(spec, Mapping):
        return tuple(Condition(parent, values) for parent, values in spec.items())
    if isinstance(spec, tuple | list) and all(isinstance(c, Condition) for c in spec):
        return tuple(spec)
    raise InvalidArgumentError(f"{name}.active_when", spec,
                               "a mapping {parameter: values} or Condition objects")


@dataclass(frozen=True)
class Parameter(ABC):
    """A named, ordered, finite set of choices; subclasses say how the set is built.

    Keyword only: `preferred`, the default when given (otherwise the middle choice);
    `active_when`, the conditions under which the parameter exists: a mapping
    {earlier parameter: value or values} or `Condition`s, all of which must hold (a
    parameter conditioned on an inactive one is inactive). An inactive parameter takes one
    canonical value, its default's choice, so designs that differ only there are equal.
    `ordered` says whether the choices are in order (mutation moves to an adjacent one)."""

    name: str
    preferred: Any = field(default=None, kw_only=True)
    active_when: tuple[Condition, ...] = field(default=(), kw_only=True)
    ordered: ClassVar[bool] = True

    def __post_init__(self):
        object.__setattr__(self, "active_when", _conditions(self.name, self.active_when))

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
        except (KeyError, TypeError):  # no exact hit, or an unhashable value: compare below
            pass
        for i, choice in enumerate(self.choices):
            if _same(value, choice):
                return i
        raise InvalidDesignError(self.name, value, self.allowed)

    def coerce(self, value: Any) -> Any:
        """The canonical choice equal to `value` (so 8.0 becomes 8)."""
        return self.choices[self.index(value)]

    @cached_property
    def default_index(self) -> int:
        """The default's choice index: the canonical choice when the parameter is inactive."""
        return self.index(self.default)


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
    """One of a list of unordered values (strings, numbers or booleans); mutation moves to
    any other value. `aliases` (keyword only) maps other names to values: an alias is
    accepted wherever a value is and becomes that value."""

    values: tuple = ()
    aliases: tuple[tuple[Any, Any], ...] = field(default=(), kw_only=True)
    ordered: ClassVar[bool] = False

    def __post_init__(self):
        super().__post_init__()
        distinct = all(not _same(a, b) for i, a in enumerate(self.values)
                       for b in self.values[i + 1:])
        if len(self.values) < 1 or not distinct:
            raise InvalidArgumentError(f"{self.name}.values", self.values, "distinct values")
        object.__setattr__(self, "values", tuple(self.values))
        aliases = []
        for alias, value in dict(self.aliases).items():
            target = [v for v in self.values if _same(value, v)]
            if not isinstance(alias, str) or alias in self.values or not target:
                raise InvalidArgumentError(f"{self.name}.aliases", (alias, value),
                                           "new names for the values " + super().allowed)
            aliases.append((alias, target[0]))
        object.__setattr__(self, "aliases", tuple(aliases))

    @cached_property
    def choices(self) -> tuple:
        return self.values

    @property
    def allowed(self) -> str:
        names = ", ".join(map(str, self.values))
        if not self.aliases:
            return names
        return names + " (or " + ", ".join(f"{a} for {v}" for a, v in self.aliases) + ")"

    @cached_property
    def _alias_of(self) -> dict:
        return dict(self.aliases)

    def index(self, value: Any) -> int:
        if self.aliases and isinstance(value, str) and value in self._alias_of:
            value = self._alias_of[value]
        return super().index(value)

    @property
    def default(self) -> Any:
        """`preferred` when given, otherwise the first value."""
        return self.values[0] if self.preferred is None else super().default


@dataclass(frozen=True)
class Ordinal(Categorical):
    """One of a list of values in order (tile shapes, named sizes): as `Categorical`, but
    mutation moves to an adjacent value."""

    ordered: ClassVar[bool] = True


@dataclass(frozen=True)
class IntRange(Parameter):
    """Integers low, low+step, ..., high."""

    low: int = 0
    high: int = 0
    step: int = 1

    def __post_init__(self):
        super().__post_init__()
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
        super().__post_init__()
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
        super().__post_init__()
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

    A parameter may be conditioned (`Parameter.active_when`) on earlier parameters. Every
    design this space returns (`validate`, `complete`, `from_index`, `from_normalized`,
    `from_action`, `sample`, `neighbors`, `enumerate`) is canonical: its inactive parameters
    hold their canonical choice (`Parameter.default_index`), so designs that differ only
    in inactive parameters come out equal, and so do their index vectors (`to_index`,
    `canonical_index`). Many index vectors or actions thus decode to one design.
    """

    parameters: tuple[Parameter, ...]
    constraints: tuple[Constraint, ...] = field(default=())

    def __post_init__(self):
        names = [p.name for p in self.parameters]
        if not names or len(set(names)) != len(names):
            raise InvalidArgumentError("parameters", names, "one or more distinct names")
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "constraints", tuple(self.constraints))
        object.__setattr__(self, "_rules", self._condition_rules())

    # -- shape ---------------------------------------------------------------
    @cached_property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @cached_property
    def nvec(self) -> np.ndarray:
        nvec = np.array([len(p.choices) for p in self.parameters], dtype=np.int64)
        nvec.setflags(write=False)
        return nvec

    def _condition_rules(self) -> tuple[tuple[int, tuple[tuple[int, np.ndarray], ...]], ...]:
        """(position, ((parent position, allowed mask over the parent's choices), ...)) of
        every conditioned parameter, in order."""
        position = {name: k for k, name in enumerate(self.names)}
        rules = []
        for k, p in enumerate(self.parameters):
            parts = []
            for c in p.active_when:
                j = position.get(c.parent, len(self.names))
                if j >= k:
                    raise InvalidArgumentError(f"{p.name}.active_when", c.parent,
                                               "a parameter declared before it: " +
                                               (", ".join(self.names[:k]) or "none"))
                allowed = np.zeros(self.nvec[j], dtype=bool)
                try:
                    allowed[[self.parameters[j].index(v) for v in c.values]] = True
                except InvalidDesignError as error:
                    raise InvalidArgumentError(f"{p.name}.active_when", c.values,
                                               error.allowed) from None
                allowed.setflags(write=False)
                parts.append((j, allowed))
            if parts:
                rules.append((k, tuple(parts)))
        return tuple(rules)

    @property
    def conditional(self) -> bool:
        """Whether some parameter can be inactive."""
        return bool(self._rules)

    @cached_property
    def _canonical(self) -> np.ndarray:
        """The canonical choice index of each parameter (0 where it is never inactive)."""
        canonical = np.zeros(len(self.parameters), dtype=np.int64)
        for k, _ in self._rules:
            canonical[k] = self.parameters[k].default_index
        canonical.setflags(write=False)
        return canonical

    @cached_property
    def size(self) -> int:
        """Number of distinct designs, before constraints: index vectors counted once per
        assignment of the active parameters (an inactive one holds its canonical choice).
        Counted over the condition structure, never by enumeration; `enumerate` yields the
        designs that also meet the constraints."""
        if not self._rules:
            return math.prod(len(p.choices) for p in self.parameters)
        rules = dict(self._rules)
        readers = defaultdict(list)  # parent -> its rules' allowed masks
        for parts in rules.values():
            for j, allowed in parts:
                readers[j].append(allowed)
        last_read = {j: max(k for k, parts in rules.items() for i, _ in parts if i == j)
                     for j in readers}
        # Dynamic programming in parameter order. A state holds, for each earlier parameter
        # a later condition still reads, a representative choice of the class of choices
        # those conditions cannot tell apart (-1: inactive); it maps to its design count.
        states: dict[tuple, int] = {(): 1}
        for k, n in enumerate(self.nvec.tolist()):
            classes: dict[tuple, list[int]] = {}
            for i in range(n):
                classes.setdefault(tuple(a[i] for a in readers.get(k, ())), []).append(i)
            new: dict[tuple, int] = defaultdict(int)
            for state, count in states.items():
                held = dict(state)
                active = all(held[j] >= 0 and allowed[held[j]] for j, allowed in rules.get(k, ()))
                if k not in readers:
                    options = [(n if active else 1, None)]
                elif active:
                    options = [(len(c), c[0]) for c in classes.values()]
                else:
                    options = [(1, -1)]
                for weight, representative in options:
                    kept = {j: r for j, r in held.items() if last_read[j] > k}
                    if representative is not None:
                        kept[k] = representative
                    new[tuple(sorted(kept.items()))] += count * weight
            states = new
        return sum(states.values())

    def fingerprint(self) -> str:
        """A hash of what the space offers (parameters, kinds, choices, conditions, aliases,
        constraint messages), stored with runs so that a run is never resumed or compared on
        another space."""
        spec = []
        for p in self.parameters:
            entry = [type(p).__name__, p.name, [repr(c) for c in p.choices]]
            if p.active_when:
                entry.append([[c.parent, sorted(repr(self[c.parent].coerce(v))
                                                for v in c.values)] for c in p.active_when])
                entry.append(repr(p.choices[p.default_index]))
            if getattr(p, "aliases", ()):
                entry.append(sorted([a, repr(v)] for a, v in p.aliases))
            spec.append(entry)
        spec.append(sorted(c.message for c in self.constraints))
        return hashlib.sha256(json.dumps(spec).encode()).hexdigest()[:16]

    def __getitem__(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise InvalidDesignError("parameter", name, ", ".join(self.names))

    # -- conditions ------------------------------------------------------------
    def active_mask(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """Which parameters are active in each design of an index vector or matrix (designs x
        parameters), as booleans of the same shape. A parameter's activity reads only the
        parameters before it; indices are not range-checked."""
        indices = np.asarray(indices, dtype=np.int64)
        flat = indices.reshape(-1, len(self.parameters))
        mask = np.ones(flat.shape, dtype=bool)
        for k, parts in self._rules:
            for j, allowed in parts:
                mask[:, k] &= mask[:, j] & allowed[flat[:, j]]
        return mask.reshape(indices.shape)

    def canonical_index(self, indices: Sequence[int] | np.ndarray) -> np.ndarray:
        """An index vector or matrix (designs x parameters) with every inactive parameter at
        its canonical choice (a new array; indices are not range-checked)."""
        indices = np.array(indices, dtype=np.int64)
        if not self._rules:
            return indices
        return np.where(self.active_mask(indices), indices, self._canonical)

    def active(self, design: Mapping[str, Any]) -> dict[str, bool]:
        """Which parameters of `design` are active (an inactive one may be left out)."""
        _, index = self._resolve(design)
        return dict(zip(self.names, self.active_mask(index).tolist(), strict=True))

    def _resolve(self, design: Mapping[str, Any]) -> tuple[list, np.ndarray]:
        """The canonical values and choice indices of `design`, parameter by parameter:
        an active parameter must be given one of its choices; an inactive one may be left
        out (or None) and otherwise must still be one of its choices."""
        values, index = [], np.empty(len(self.parameters), dtype=np.int64)
        rules = dict(self._rules)
        for k, p in enumerate(self.parameters):
            parts = rules.get(k, ())
            active = all(index[j] >= 0 and allowed[index[j]] for j, allowed in parts)
            given = design.get(p.name)
            if active and p.name not in design:
                raise InvalidDesignError(p.name, None, p.allowed)
            value = p.coerce(given) if active or given is not None else None
            if active:
                index[k] = p.index(value)
            else:  # -1 marks it inactive for the parameters conditioned on it
                value, index[k] = p.choices[self._canonical[k]], -1
            values.append(value)
        return values, np.where(index >= 0, index, self._canonical)

    # -- validation ------------------------------------------------------------
    def violations(self, design: Mapping[str, Any]) -> list[str]:
        """Messages of the constraints that `design` breaks."""
        return [c.message for c in self.constraints if not c.predicate(design)]

    def validate(self, design: Mapping[str, Any]) -> dict[str, Any]:
        """The canonical design, or InvalidDesignError naming the first problem. An inactive
        parameter may be left out; whatever it holds, it gets its canonical value."""
        for key in design:
            if key not in self.names:
                raise InvalidDesignError("parameter", key, ", ".join(self.names))
        if self._rules:
            canonical = dict(zip(self.names, self._resolve(design)[0], strict=True))
        else:
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
        """Every parameter at its default (an inactive one at its canonical value)."""
        design = {p.name: p.default for p in self.parameters}
        if self._rules:
            design = dict(zip(self.names, self._resolve(design)[0], strict=True))
        return design

    # -- conversions -----------------------------------------------------------
    def to_index(self, design: Mapping[str, Any]) -> np.ndarray:
        """The canonical choice indices of `design`."""
        if self._rules:
            return self._resolve(design)[1]
        return np.array([p.index(design[p.name]) for p in self.parameters], dtype=np.int64)

    def from_index(self, index: Sequence[int] | np.ndarray) -> dict[str, Any]:
        """The canonical design of a choice-index vector."""
        index = np.asarray(index)
        if index.shape != (len(self.parameters),):
            raise InvalidArgumentError("index", index.tolist(),
                                       f"a vector of {len(self.parameters)} choice indices")
        for p, i, n in zip(self.parameters, index, self.nvec, strict=True):
            if not 0 <= i < n:
                raise InvalidDesignError(p.name, int(i), f"choice indices 0..{n - 1}")
        return self._design(self.canonical_index(index))

    def _design(self, index: np.ndarray) -> dict[str, Any]:
        """The design of a canonical, in-range index vector."""
        return {p.name: p.choices[i] for p, i in zip(self.parameters, index.tolist(),
                                                     strict=True)}

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
        """`n` random designs that satisfy the constraints (rejection sampling): each choice
        index uniform, then inactive parameters canonical, so each active parameter is
        uniform given the ones it is conditioned on (not uniform over distinct designs)."""
        designs: list[dict[str, Any]] = []
        tries = 0
        while len(designs) < n:
            batch = rng.integers(0, self.nvec, size=(max(n - len(designs), 1) * 2, len(self.nvec)))
            for index in self.canonical_index(batch):
                design = self._design(index)
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
        """Every distinct valid design once, in index order; only for spaces of at most
        `limit` designs (`size`)."""
        if self.size > limit:
            raise InvalidArgumentError("space size", self.size, f"at most {limit} to enumerate")
        return self.product([range(n) for n in self.nvec.tolist()])

    def product(self, axes: Sequence[Sequence[int]]) -> Iterator[dict[str, Any]]:
        """Every distinct valid design whose active parameters take the choice indices of
        their axis (axes[k] for parameter k; an inactive one its canonical choice), once
        each, in index order."""
        axes = [sorted(set(map(int, axis))) for axis in axes]
        if not self._rules:
            indices: Iterator = itertools.product(*axes)
        else:
            indices = self._conditional_product(axes)
        for index in indices:
            design = self._design(np.asarray(index))
            if not self.violations(design):
                yield design

    def _conditional_product(self, axes: list[list[int]]) -> Iterator[list[int]]:
        """Canonical index vectors of `product`, depth first in parameter order."""
        rules, index = dict(self._rules), [0] * len(axes)
        active = [True] * len(axes)

        def fill(k: int) -> Iterator[list[int]]:
            if k == len(axes):
                yield list(index)
                return
            active[k] = all(active[j] and allowed[index[j]] for j, allowed in rules.get(k, ()))
            for i in axes[k] if active[k] else (int(self._canonical[k]),):
                index[k] = i
                yield from fill(k + 1)
        return fill(0)

    def neighbors(self, design: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Distinct valid designs one mutation of an active parameter away: an adjacent
        choice of an ordered parameter, or any other choice of an unordered one (parameters
        that the change activates or deactivates take their canonical choice)."""
        index = self.to_index(design)
        out, seen = [], {tuple(index.tolist())}
        for k in np.flatnonzero(self.active_mask(index)):
            p = self.parameters[k]
            if p.ordered:
                moves = [i for i in (index[k] - 1, index[k] + 1) if 0 <= i < len(p.choices)]
            else:
                moves = [i for i in range(len(p.choices)) if i != index[k]]
            for i in moves:
                candidate = index.copy()
                candidate[k] = i
                candidate = self.canonical_index(candidate)
                key = tuple(candidate.tolist())
                if key in seen:
                    continue
                seen.add(key)
                neighbor = self._design(candidate)
                if not self.violations(neighbor):
                    out.append(neighbor)
        return out
