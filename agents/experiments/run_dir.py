"""Output directories: each holds one kind of result (a run, a demo, a sweep, a report) and
one run identity, so nothing is written over results of another kind or run.

A run's default directory is unique per run (`default_run_dir`); a directory holding
something else is refused with one line saying what is there and how to go on (another
`--out`, or `--overwrite`, which removes only ArchGym's own files first)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulators.errors import ArchGymError

RESULTS = Path("results")
# The file that marks each kind of directory; a run's is written by its recorder.
MARKERS = {"run": "run.json", "demo": "demo.json", "sweep": "sweep.json",
           "report": "report.json"}
# Every file an ArchGym command writes (what --overwrite removes), by name.
OUTPUT_FILES = {"run.json", "run.json.tmp", "evaluations.jsonl", "evaluations.parquet",
                "summary.json", "run.png", "demo.json", "demo.png", "sweep.json",
                "summary.csv", "report.json", "report.csv", "curves.csv", "report.png"}


def run_key(env_id: str, env_kwargs: Mapping[str, Any], agent: str,
            agent_args: Mapping[str, Any], seed: int) -> str:
    """`<environment>/<agent>/<hash of the arguments>/seed-<s>`: one directory per run,
    stable across machines (the budget is not part of it: a rerun may extend a run)."""
    args = json.dumps([env_kwargs, agent_args], sort_keys=True)
    digest = hashlib.sha256(args.encode()).hexdigest()[:10]
    env = re.sub(r"[^A-Za-z0-9.-]+", "-", env_id).strip("-")
    return f"{env}/{agent}/{digest}/seed-{seed}"


def default_run_dir(env_id: str, env_kwargs: Mapping[str, Any], agent: str,
                    agent_args: Mapping[str, Any], seed: int) -> Path:
    """`results/<run_key>`: where `archgym run` writes when no `--out` is given."""
    return RESULTS / run_key(env_id, env_kwargs, agent, agent_args, seed)


def default_report_dir(directories: list[str]) -> Path:
    """A report's own directory beside its first input: results/sweep -> results/sweep-report."""
    first = Path(directories[0]).resolve()
    return first.parent / f"{first.name}-report"


def kind_of(directory: Path) -> str | None:
    """What `directory` holds: run, demo, sweep, report, or None (nothing of ArchGym's)."""
    if (directory / "evaluations.jsonl").exists():
        return "run"
    return next((kind for kind, marker in MARKERS.items() if (directory / marker).exists()),
                None)


def describe(directory: Path) -> str:
    """`a run (ga on archgym/Systolic-v0, seed 0, 1,000 evaluations)`, `a demo (seed 0)`..."""
    kind = kind_of(directory)
    if kind == "run":
        rows = (directory / "evaluations.jsonl").read_bytes().count(b"\n")
        try:
            run = json.loads((directory / MARKERS["run"]).read_text())
            who = f"{run['agent']} on {run['env_id']}, seed {run['seed']}, "
        except (OSError, ValueError, KeyError, TypeError):
            who = ""
        return f"a run ({who}{rows:,} evaluations)"
    if kind in ("demo", "sweep", "report"):
        return f"a {kind}"
    return "nothing"


def claim(directory: str | Path, kind: str, overwrite: bool = False) -> Path:
    """`directory`, made ready for a `kind` result: refused (ArchGymError, one line) when it
    holds another kind; with `overwrite`, ArchGym's files in it are removed first. Whether
    a directory of the same kind holds the same run is for the caller (the recorder checks
    a run's identity, `claim_demo` a demo's)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ArchGymError(f"{directory} is a file, not a directory; use another --out")
    if overwrite:
        clear(directory)
    held = kind_of(directory) if directory.is_dir() else None
    if held is not None and held != kind:
        raise ArchGymError(f"{directory} holds {describe(directory)}, not a {kind}; use "
                           f"another --out, or --overwrite to replace it")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def claim_demo(directory: str | Path, identity: Mapping[str, Any],
               overwrite: bool = False) -> Path:
    """`claim` for a demo, which also holds one identity (seed, environment arguments,
    agents; a budget may change): another demo's directory is refused, naming what differs."""
    directory = claim(directory, "demo", overwrite)
    marker = directory / MARKERS["demo"]
    if marker.exists():
        stored = json.loads(marker.read_text())
        wanted = json.loads(json.dumps(identity))
        changed = [f"{k} {stored.get(k)!r} (here {wanted.get(k)!r})"
                   for k in wanted if stored.get(k) != wanted.get(k)]
        if changed:
            raise ArchGymError(f"{directory} holds a demo with {', '.join(changed)}; use "
                               "another --out, or --overwrite to replace it")
    else:
        marker.write_text(json.dumps(identity, indent=2))
    return directory


def mark(directory: Path, kind: str) -> None:
    """Write the marker of `kind` (a sweep's or a report's) into `directory`."""
    marker = directory / MARKERS[kind]
    if not marker.exists():
        marker.write_text(json.dumps({"kind": kind}))


def clear(directory: Path) -> None:
    """Remove every ArchGym output file under `directory` (and run logs), then the
    directories left empty; anything else stays."""
    if not directory.is_dir():
        return
    for logs in [p for p in directory.rglob("logs") if (p.parent / "run.json").exists()]:
        shutil.rmtree(logs)
    for path in directory.rglob("*"):
        if path.is_file() and path.name in OUTPUT_FILES:
            path.unlink()
    for path in sorted(directory.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()
