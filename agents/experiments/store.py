"""Results store: one JSON line per evaluation, written and synced as it happens."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from simulators.errors import ArchGymError


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
        frame = frame.head(limit) if limit else frame
        nested = [c for c in frame.columns
                  if frame[c].map(lambda v: isinstance(v, dict | list)).any()]
        frame.assign(**{c: frame[c].map(json.dumps) for c in nested}).to_parquet(
            path, index=False)
        return path


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
