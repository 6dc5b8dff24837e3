"""Every shell and Python example in README.md runs as written in a fresh copy of the
repository (its tracked files only), with `.venv` standing for the one `make` builds.

Excepted: the `make` commands themselves (they build that `.venv` from a package index)
and commands marked as needing a cluster (`--address`). The sweep and what reads it, the
demo and the Ray commands are long, so they are marked slow. The clone's own code is put
on PYTHONPATH, standing in for the editable install `make` does in a clone."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", README, re.S | re.M)
SLOW = ("archgym sweep", "archgym demo", "archgym report results/sweep", "--backend ray")


def shell_commands() -> list[str]:
    commands = []
    for language, body in BLOCKS:
        if language == "sh":
            commands += [line.strip() for line in body.replace("\\\n", " ").splitlines()
                         if line.strip() and not line.lstrip().startswith("#")]
    return commands


def excerpt_of(body: str) -> Path | None:
    """The shipped file a block quotes (its first line `# examples/...`), else None."""
    first = body.splitlines()[0]
    match = re.match(r"# (examples/\S+)", first)
    return ROOT / match[1] if match else None


COMMANDS = shell_commands()
RUN = [c for c in COMMANDS if not c.startswith(("make ", "source ")) and "--address" not in c]
FAST = [c for c in RUN if not any(s in c for s in SLOW)]
PYTHON = [body for language, body in BLOCKS if language == "python" and not excerpt_of(body)]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """The repository's tracked (and new, not ignored) files in a fresh directory."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    target = tmp_path_factory.mktemp("clone")
    for name in listed.splitlines():
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    (target / ".venv").symlink_to(Path(sys.prefix))
    return target


def run(clone: Path, command: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{clone / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
           "PYTHONPATH": str(clone), "COLUMNS": "100"}
    return subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True,
                          timeout=900)


def run_shell(clone: Path, command: str) -> None:
    # PYTHONPATH=examples adds to the clone's path, as it adds to an editable install's
    command = command.replace("PYTHONPATH=examples ", "PYTHONPATH=examples:$PYTHONPATH ")
    proc = run(clone, ["bash", "-euo", "pipefail", "-c", command])
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, proc.stderr


def test_the_readme_has_examples_to_run():
    assert len(FAST) >= 10 and len(PYTHON) >= 4
    assert any(c.startswith(".venv/bin/archgym") for c in COMMANDS)  # after `make demo`


@pytest.mark.parametrize("command", FAST)
def test_shell_example_runs_as_written(clone, command):
    run_shell(clone, command)


@pytest.mark.slow
def test_long_shell_examples_run_as_written(clone):
    for command in (c for c in RUN if c not in FAST):  # the sweep before its report
        run_shell(clone, command)


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_example_runs_as_written(clone, code):
    proc = run(clone, [str(clone / ".venv" / "bin" / "python"), "-c", code])
    assert proc.returncode == 0, f"{code}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"


def test_quoted_files_are_the_shipped_ones():
    quoted = [(excerpt_of(body), body) for _, body in BLOCKS if excerpt_of(body)]
    assert {path.name for path, _ in quoted} >= {"envs.py", "sweep.yaml"}
    for path, body in quoted:
        shipped = path.read_text()
        for line in body.splitlines()[1:]:
            assert line.strip() in shipped, (path, line)


def test_every_file_an_example_names_is_shipped():
    named = {token for command in COMMANDS for token in re.findall(
        r"[\w./-]+\.(?:stl|trace|json|yaml|yml|onnx)\b", command)}
    assert named and all((ROOT / name).is_file() for name in named), \
        sorted(n for n in named if not (ROOT / n).is_file())
