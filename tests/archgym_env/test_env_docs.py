"""Every registered environment documents itself in Gymnasium's form, `help()` on a made
environment shows it, and the documentation follows the code: the Arguments table is the
factory's signature (names, order, types, defaults) and the Action Space names the space's
parameters."""

import builtins
import importlib
import inspect
import pydoc
import re
import warnings

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import TimeLimit

from archgym_env.env import DesignEnv
from archgym_env.registry import ENVIRONMENTS, make, register_envs
from simulators.workloads import Layer

SECTIONS = ("Description", "Action Space", "Observation Space", "Rewards", "Starting State",
            "Episode End", "Arguments", "Version History")
LAYER = Layer("conv", M=16, C=8, P=8, Q=8, R=3, S=3)
# Cheap arguments for stepping each environment.
SMALL = {"archgym/Systolic-v0": {"workload": LAYER},
         "archgym/DRAM-v0": {"n_requests": 300},
         "archgym/Accelerator-v0": {"workload": [LAYER], "mapper_budget": 50,
                                    "mapper_rounds": 1},
         "archgym/Mapping-v0": {"layer": LAYER},
         "archgym/CoDesign-v0": {"fixed_networks": "smallest", "mapper_budget": 20,
                                 "mapper_rounds": 1}}


@pytest.fixture(scope="module")
def made():
    """Each registered environment with its default arguments."""
    return {env_id: make(env_id).unwrapped for env_id in ENVIRONMENTS}


def factory(env_id):
    module, name = ENVIRONMENTS[env_id].entry_point.split(":")
    module = importlib.import_module(module)
    return module, getattr(module, name)


def section(doc: str, title: str) -> str:
    found = re.search(rf"^## {title}\n(.*?)(?=^## |\Z)", doc, re.S | re.M)
    assert found, f"no '## {title}' section"
    return found.group(1)


def table(text: str) -> list[list[str]]:
    """The rows (header dropped) of the first markdown table in `text`; a row whose first
    cell is empty continues the row above, cell by cell."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|-"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0]:
            rows.append(cells)
            continue
        above = rows[-1]
        above += [""] * (len(cells) - len(above))
        rows[-1] = [f"{a} {c}".strip() for a, c in zip(above, cells, strict=True)]
    return rows[1:]


def type_text(annotation: str, module) -> str:
    """An annotation as the docs write it: each name as its object calls itself (an alias
    such as MappingABC is Mapping) and `|` as `or`."""
    def own_name(match):
        name = match.group()
        value = vars(module).get(name, getattr(builtins, name, None))
        return getattr(value, "__name__", name)
    return re.sub(r"[A-Za-z_]\w*", own_name, annotation).replace(" | ", " or ")


@pytest.mark.parametrize("env_id", ENVIRONMENTS)
def test_help_on_a_made_environment_shows_every_section(env_id, made, capsys):
    env = made[env_id]
    register_envs()
    assert type(env) is not DesignEnv and "__doc__" in vars(type(env))
    made_by_gym = gym.make(env_id, **SMALL[env_id])  # TimeLimit only, the docs one step in
    assert type(made_by_gym.unwrapped) is type(env) and type(made_by_gym.env) is type(env)
    text = pydoc.render_doc(env, renderer=pydoc.plaintext)
    help(env)
    shown = capsys.readouterr().out
    for title in SECTIONS:
        assert f"## {title}" in text and f"## {title}" in shown
    assert env_id in text


@pytest.mark.parametrize("env_id", ENVIRONMENTS)
def test_arguments_table_is_the_factory_signature(env_id, made):
    module, make_env = factory(env_id)
    rows = table(section(inspect.getdoc(type(made[env_id])), "Arguments"))
    params = inspect.signature(make_env).parameters.values()
    assert [r[0] for r in rows] == [f"`{p.name}`" for p in params]
    for (_, typed, default, description), p in zip(rows, params, strict=True):
        assert typed == f"`{type_text(p.annotation, module)}`", p.name
        default = default.strip("`")
        named = vars(module).get(default, object())  # a module constant may stand for it
        assert default == repr(p.default) or named is p.default, p.name
        assert description, p.name


def assert_names_documented(env, actions: str) -> None:
    """Every parameter of `env` matches a name in the first column of the Action Space
    table (`<level>.order` stands for every level's order), and no literal name is stale."""
    names = [n for row in table(actions) for n in re.findall(r"`([^`]+)`", row[0])]
    patterns = [re.sub(r"<[^>]+>", r"\\w+", re.escape(n)) for n in names]
    for name in env.space.names:
        assert any(re.fullmatch(p, name) for p in patterns), name
    literal = [p for p in patterns if "\\w+" not in p]
    assert not set(literal) - {re.escape(n) for n in env.space.names}, "a stale parameter"


def test_mapping_docs_cover_free_keep_choices():
    env = make("archgym/Mapping-v0", arch="simple_weight_stationary", layer=LAYER).unwrapped
    assert any(".keep_" in name for name in env.space.names)
    assert_names_documented(env, section(inspect.getdoc(type(env)), "Action Space"))


@pytest.mark.parametrize("env_id", ENVIRONMENTS)
def test_action_space_names_every_parameter_and_spaces_match(env_id, made):
    env = made[env_id]
    doc = inspect.getdoc(type(env))
    actions = section(doc, "Action Space")
    assert_names_documented(env, actions)
    if "MultiDiscrete([" in actions:
        assert str(env.action_space) in actions
    observations = section(doc, "Observation Space")
    assert f"{env.observation_space.shape}" in observations
    sequential = env.copy_with(mode="sequential")
    if f"Box(-1, 1, ({sequential.observation_space.shape[0]}" not in observations:
        assert "n_params + 1" in observations
    assert type(sequential) is type(env) and sequential.mode == "sequential"


@pytest.mark.parametrize("env_id", ENVIRONMENTS)
@pytest.mark.parametrize("mode", ["one_shot", "sequential"])
def test_gymnasium_made_environments_pass_check_env_without_warnings(env_id, mode):
    register_envs()
    env = gym.make(env_id, mode=mode, **SMALL[env_id])
    assert type(env) is TimeLimit  # max_episode_steps, set at registration, and nothing else
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env.unwrapped, skip_render_check=True)
