"""Datasets of simulated designs: a directory of Parquet parts and a manifest.

`DATA/manifest.json` says what the numbers depend on: the environment id and arguments,
the design space (fingerprint and description), the simulator versions, the metrics with
units and directions, and how the designs were chosen (sampler, seed, n). Each
`DATA/part-NNNNN.parquet` holds evaluated designs as they came: `row` (position in the
collection plan), `design.<parameter>` (values), `valid`, `error` and `metrics.<metric>`.
Parts are written atomically, so a collection that stops can resume from the rows it has.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulators.errors import ArchGymError

MANIFEST = "manifest.json"
FORMAT = "archgym-dataset/1"


def write_json(path: Path, value: Any) -> None:
    """`value` as JSON at `path`, atomically (a crash leaves the old file or the new one)."""
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w", encoding="utf-8") as f:
        f.write(json.dumps(value, indent=2))
        f.flush()
        os.fsync(f.fileno())
    temporary.replace(path)


def read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArchGymError(f"{path.parent} is not {what}: no {path.name}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ArchGymError(f"{path} is not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ArchGymError(f"{path} is not {what} manifest")
    return value


@dataclass
class Dataset:
    """A collected dataset: its manifest and its rows (sorted by `row`)."""

    manifest: dict[str, Any]
    frame: pd.DataFrame

    @property
    def parameters(self) -> list[str]:
        return [p["name"] for p in self.manifest["space"]["parameters"]]

    @property
    def metrics(self) -> list[dict[str, str]]:
        return self.manifest["metrics"]

    @property
    def metric_names(self) -> list[str]:
        return [m["name"] for m in self.metrics]

    def valid(self) -> pd.DataFrame:
        """The rows of valid designs."""
        return self.frame[self.frame["valid"].astype(bool)].reset_index(drop=True)

    def __len__(self) -> int:
        return len(self.frame)

    def sha256(self) -> str:
        """A hash of the designs and metrics (in row order), stored with trained models."""
        columns = ["row", *(f"design.{p}" for p in self.parameters), "valid",
                   *(f"metrics.{m}" for m in self.metric_names)]
        records = self.frame[columns].astype(object).where(self.frame[columns].notna(), None)
        text = json.dumps(records.to_numpy().tolist(), default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def design_columns(frame: pd.DataFrame, parameters: list[str]) -> dict[str, np.ndarray]:
    """The designs of `frame` as columns of values (name -> values)."""
    return {p: frame[f"design.{p}"].to_numpy() for p in parameters}


def read_manifest(directory: str | Path) -> dict[str, Any]:
    manifest = read_json(Path(directory) / MANIFEST, "a dataset")
    if manifest.get("format") != FORMAT:
        raise ArchGymError(f"{directory} is not an archgym dataset (format "
                           f"{manifest.get('format')!r}, expected {FORMAT})")
    return manifest


def parts(directory: str | Path) -> list[Path]:
    return sorted(Path(directory).glob("part-*.parquet"))


def read_dataset(directory: str | Path) -> Dataset:
    """The dataset in `directory`; an error naming the directory when it is not one."""
    manifest = read_manifest(directory)
    frames = [pd.read_parquet(p) for p in parts(directory)]
    if not frames:
        raise ArchGymError(f"{directory} holds no evaluated designs yet")
    frame = pd.concat(frames, ignore_index=True).sort_values("row", kind="stable")
    return Dataset(manifest, frame.reset_index(drop=True))


def done_rows(directory: str | Path) -> set[int]:
    """The plan positions already evaluated (for resuming)."""
    return {int(r) for p in parts(directory) for r in pd.read_parquet(p, columns=["row"])["row"]}


def start(directory: str | Path, manifest: Mapping[str, Any]) -> None:
    """Create the dataset directory with `manifest`, or check that the one there was
    collected the same way (else an error: use a new --out)."""
    directory = Path(directory)
    manifest = json.loads(json.dumps({"format": FORMAT, **manifest}))
    if (directory / MANIFEST).exists():
        stored = read_manifest(directory)
        changed = [k for k in ("env_id", "env_args", "space_fingerprint", "simulators",
                               "sampler", "seed", "n", "sources", "exclude")
                   if stored.get(k) != manifest.get(k)]
        if changed:
            raise ArchGymError(f"{directory} holds a dataset collected with other "
                               f"{', '.join(changed)}; use a new --out")
        return
    directory.mkdir(parents=True, exist_ok=True)
    write_json(directory / MANIFEST, manifest)


def append_part(directory: str | Path, frame: pd.DataFrame) -> Path:
    """Write `frame` as the next part, atomically."""
    directory = Path(directory)
    existing = parts(directory)
    number = int(existing[-1].stem.split("-")[1]) + 1 if existing else 0
    path = directory / f"part-{number:05d}.parquet"
    temporary = directory / f".{path.name}.tmp"
    frame.to_parquet(temporary, index=False)
    temporary.replace(path)
    return path
