"""`archgym eval archgym/Accelerator-v0` with Timeloop files, presets, layers and networks."""

import json
from pathlib import Path

import pytest

from agents.cli.main import main
from simulators.accelerator.presets import PRESETS
from simulators.workloads import NETWORKS

DATA = Path(__file__).parents[3] / ".." / "shared" / "data" / "timeloop"
ENV = "archgym/Accelerator-v0"
LAYER = '{"M": 64, "C": 32, "P": 14, "Q": 14, "R": 3, "S": 3}'
# Spatial factors of each example mapping.yaml over the design's MACs (read by hand).
GIVEN_UTILIZATION = {"eyeriss_like": 126 / 168, "simba_like": 48 / 256,
                     "simple_output_stationary": 16 / 256, "simple_weight_stationary": 12 / 256}


def run_json(capsys, *args):
    assert main(["eval", ENV, *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.skipif(not DATA.is_dir(), reason="shared Timeloop examples absent")
@pytest.mark.parametrize("design", sorted(GIVEN_UTILIZATION))
def test_timeloop_files_with_and_without_the_given_mapping(capsys, design):
    files = ["--timeloop-arch", str(DATA / design / "arch.yaml"), "--ert",
             str(DATA / design / "ERT_summary.yaml"), "--timeloop-problem",
             str(DATA / "default_problem.yaml")]
    given = run_json(capsys, *files, "--timeloop-mapping", str(DATA / design / "mapping.yaml"))
    assert given["valid"] and not given["searched"]
    assert given["utilization"] == pytest.approx(GIVEN_UTILIZATION[design])
    levels = given["energy_pj_per_level"]
    assert given["energy_pj"] == pytest.approx(sum(levels.values()) + given["mac_energy_pj"])
    assert given["edp"] == pytest.approx(given["energy_pj"] * given["cycles"])
    assert "<< Compute >>" in given["mapping"] and given["area_mm2"] > 0
    searched = run_json(capsys, *files, "--mapper-objective", "edp")
    assert searched["searched"] and searched["edp"] <= given["edp"]


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_maps_a_layer(capsys, name):
    result = run_json(capsys, "--preset", name, "--layer", LAYER)
    assert result["macs"] == 64 * 32 * 14 * 14 * 9
    assert 0 < result["utilization"] <= 1 and result["energy_pj"] > 0
    assert result["mapping"].count("for ") >= 1


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_every_builtin_network_maps(capsys, name):
    result = run_json(capsys, "--preset", "simba_like", "--network", name)
    assert len(result["layers"]) > 0
    assert result["cycles"] == sum(layer["cycles"] for layer in result["layers"])


def test_table_output_and_bad_options(capsys):
    assert main(["eval", ENV, "--layer", LAYER]) == 0
    out = capsys.readouterr().out
    assert "energy_pj[DRAM]" in out and "<< Compute >>" in out
    assert main(["eval", ENV, "--layer", '{"K": 3}']) == 2
    assert "--layer" in capsys.readouterr().err
    assert main(["eval", ENV, "--network", "missing.onnx"]) == 2
    assert main(["eval", ENV, "--ert", "x.yaml", "--layer", LAYER]) == 2
    assert main(["eval", ENV, "--timeloop-mapping", "m.yaml", "--network", "resnet18"]) == 2
    err = capsys.readouterr().err
    assert err.count("archgym: error:") == 3 and "Traceback" not in err


def test_eval_of_a_network_matches_an_environment_step(capsys):
    """`--network` maps with the environment's mapper settings: the same design, the same
    numbers as evaluating it in archgym/Accelerator-v0."""
    env = run_json(capsys)
    mapped = run_json(capsys, "--network", "resnet18")
    assert mapped["energy_pj"] == pytest.approx(env["metrics"]["energy_pj"], rel=1e-12)
    assert mapped["cycles"] == env["metrics"]["latency_cycles"]
