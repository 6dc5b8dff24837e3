"""Results store: one JSON line per evaluation, written and synced as it happens, and the
run's description (`run.json`: objective, design-space fingerprint, versions) written
before the first evaluation."""

from __future__ import annotations

import importlib.metadata
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from archgym_env.objective import Objective
from simulators.errors import ArchGymError

RUN_FILE = "run.json"
# What `run_description` records, also copied into each run's summary.json.
DESCRIPTION_KEYS = ("objective", "space_fingerprint", "archgym_version", "simulators")


class ResultsStore:
    """Append-only evaluations in `directory/evaluations.jsonl`.

    Each batch is written, flushed and fsynced before the run goes on, so a killed run
    loses at most the batch in flight; a torn last line is dropped when the store reopens.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "evaluations.jsonl"
        self._rows = self._load()

    def _load(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows, good_bytes = read_rows(self.path)
        if good_bytes != self.path.stat().st_size:
            with self.path.open("r+b") as f:
                f.truncate(good_bytes)
        return rows

    def __len__(self) -> int:
        return len(self._rows)

    def rows(self) -> list[dict[str, Any]]:
        return list(self._rows)

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        with self.path.open("a", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, default=jsonable) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self._rows.extend(rows)

    def description(self) -> dict[str, Any] | None:
        """The run's description as `describe` wrote it, None for a run stored without one."""
        return read_description(self.directory)

    def describe(self, description: Mapping[str, Any]) -> None:
        """Write `run.json` (atomically: a crash leaves the old file or the new one)."""
        path, temporary = self.directory / RUN_FILE, self.directory / (RUN_FILE + ".tmp")
        with temporary.open("w", encoding="utf-8") as f:
            f.write(json.dumps(description, indent=2, default=jsonable))
            f.flush()
            os.fsync(f.fileno())
        temporary.replace(path)

    def check_description(self, description: Mapping[str, Any]) -> None:
        """ArchGymError, in one line naming what changed, when the stored run was made with
        another objective, design space or simulator version than `description`."""
        stored = self.description()
        if stored is None:
            return
        changes = description_changes(stored, description)
        if changes:
            raise ArchGymError(f"{self.directory} holds a run with another "
                               f"{'; '.join(changes)}; use a new --out")

    def dataframe(self) -> pd.DataFrame:
        """One row per evaluation; design and metric entries become `design.X` / `metrics.X`."""
        return pd.json_normalize(self._rows, max_level=1) if self._rows else pd.DataFrame()

    def to_parquet(self, path: str | Path | None = None, limit: int | None = None,
                   frame: pd.DataFrame | None = None) -> Path:
        """Write the first `limit` rows (all by default) as Parquet; nested values as JSON.

        `frame`, when given, is `dataframe()` already built (a run's trajectory), so the
        rows are not normalized a second time.
        """
        path = Path(path) if path else self.directory / "evaluations.parquet"
        frame = self.dataframe() if frame is None else frame
        return self.frame_to_parquet(frame.head(limit) if limit else frame, path)

    @staticmethod
    def frame_to_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
        """Write `frame` as Parquet, nested values (dicts, lists) as JSON text."""
        nested = [c for c in frame.columns
                  if frame[c].map(lambda v: isinstance(v, dict | list)).any()]
        frame.assign(**{c: frame[c].map(json.dumps) for c in nested}).to_parquet(
            path, index=False)
        return Path(path)


def read_rows(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The evaluation rows of a store file and the bytes they fill; a torn last line (a crash
    mid-write) is left out, any other bad line is an error."""
    rows, good_bytes = [], 0
    with path.open("rb") as f:
        lines = f.readlines()
    for number, line in enumerate(lines, start=1):
        try:
            row = json.loads(line) if line.endswith(b"\n") else None
        except json.JSONDecodeError:
            row = None
        if not isinstance(row, dict) or "design" not in row:
            if number == len(lines):
                break
            raise ArchGymError(f"{path} line {number} is not an evaluation row; "
                               "repair or remove the file")
        rows.append(row)
        good_bytes += len(line)
    return rows, good_bytes


def jsonable(value: Any) -> Any:
    """JSON for numpy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__}")


def as_stored(value: Any) -> Any:
    """`value` as the store reads it back: through JSON, numpy values as lists/numbers."""
    return json.loads(json.dumps(value, default=jsonable))


def run_description(env) -> dict[str, Any]:
    """What a run's numbers depend on besides its agent: the objective, the design space's
    fingerprint, the archgym version, and the version of each simulator the environment
    evaluates with (a wrapper such as the Ray pool and the model it wraps)."""
    design_env = env.unwrapped
    simulators, simulator = {}, design_env.simulator
    while simulator is not None:
        if hasattr(simulator, "version"):
            simulators[type(simulator).__name__] = str(simulator.version)
        simulator = getattr(simulator, "simulator", None)
    return {"objective": design_env.objective.as_dict(),
            "space_fingerprint": design_env.space.fingerprint(),
            "archgym_version": package_version(), "simulators": simulators}


def package_version() -> str:
    try:
        return importlib.metadata.version("archgym")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree
        return "unknown"


def description_changes(stored: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """What differs between two run descriptions that makes their evaluations incomparable:
    the objective (each changed field), the design space, the version of a simulator both
    name. The archgym version alone changes nothing."""
    changes = []
    old, new = stored["objective"], as_stored(current["objective"])
    if old != new:
        changes.append("objective: " + _objective_diff(old, new))
    if stored["space_fingerprint"] != current["space_fingerprint"]:
        changes.append(f"design space (fingerprint {stored['space_fingerprint']} now "
                       f"{current['space_fingerprint']})")
    for name in sorted(set(stored["simulators"]) & set(current["simulators"])):
        if stored["simulators"][name] != current["simulators"][name]:
            changes.append(f"{name} version ({stored['simulators'][name]} now "
                           f"{current['simulators'][name]})")
    return changes


def _objective_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """`key old now new` for each changed field: mode, quality, the metrics, each goal's."""
    parts = [f"{key} {old.get(key)!r} now {new.get(key)!r}" for key in ("mode", "quality")
             if old.get(key) != new.get(key)]
    goals_old = {g["metric"]: g for g in old["goals"]}
    goals_new = {g["metric"]: g for g in new["goals"]}
    if list(goals_old) != list(goals_new):
        parts.append(f"metrics {list(goals_old)} now {list(goals_new)}")
    for metric in (m for m in goals_new if m in goals_old):
        before, after = goals_old[metric], goals_new[metric]
        parts.extend(f"{metric}.{key} {before.get(key)!r} now {after.get(key)!r}"
                     for key in dict.fromkeys([*before, *after])
                     if before.get(key) != after.get(key))
    return ", ".join(parts)


def read_description(directory: str | Path) -> dict[str, Any] | None:
    """`directory/run.json`, None when there is none; an unreadable one is an error."""
    path = Path(directory) / RUN_FILE
    if not path.exists():
        return None
    try:
        description = json.loads(path.read_text())
        Objective.from_dict(description["objective"])
    except (json.JSONDecodeError, KeyError, TypeError, ArchGymError) as error:
        raise ArchGymError(f"{path} is not a run description ({error}); "
                           "repair or remove the file") from None
    return description

