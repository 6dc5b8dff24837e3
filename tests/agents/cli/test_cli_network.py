"""`archgym network SPACE` and `--network SPACE:DESIGN`: decoded layers, totals, costs."""

import json
import subprocess
import sys

import pytest

from agents.cli.main import main
from simulators.accelerator.network import network_breakdown
from simulators.accelerator.presets import preset
from simulators.accelerator.simulator import AcceleratorSimulator
from simulators.networks import mbconv, nb201

CLI = [sys.executable, "-m", "agents.cli.main"]
CELL = "|nor_conv_3x3~0|+|skip_connect~0|avg_pool_3x3~1|+|none~0|nor_conv_1x1~1|skip_connect~2|"


def run(capsys, *args):
    assert main(["network", *args]) == 0
    return capsys.readouterr().out


def test_nb201_string_to_layers_and_totals(capsys):
    out = json.loads(run(capsys, "nb201", "--design", CELL, "--json"))
    net = nb201.SPACE.decode(CELL)
    assert out["notation"] == CELL and out["macs"] == net.macs == 47_104_640
    assert out["params"] == net.params and len(out["layers"]) == len(net.graph)
    first, pool = out["layers"][0], out["layers"][-2]
    assert first == {"name": "stem", "op": "conv", "inputs": ["input"], "shape": [16, 32, 32],
                     "macs": 3 * 16 * 9 * 1024, "params": 3 * 16 * 9 + 32, "kernel": 3,
                     "stride": 1, "groups": 1}
    assert pool["op"] == "avg_pool" and pool["shape"] == [64, 1, 1] and pool["macs"] == 0
    text = run(capsys, "nb201", "--design", CELL)
    assert "stage1.cell0.node3" in text and "macs: 47,104,640" in text


def test_mbconv_ofa_config_and_design_dict_agree(capsys):
    config = {"ks": [7] * 20, "e": [6] * 20, "d": [4] * 5, "r": 224}
    a = json.loads(run(capsys, "mbconv", "--design", json.dumps(config), "--json"))
    b = json.loads(run(capsys, "mbconv", "--design", json.dumps(a["design"]), "--json"))
    assert a["macs"] == b["macs"] == mbconv.SPACE.decode(config).macs
    assert a["notation"] == config and a["design"]["stage5.block4.kernel"] == 7


def test_designs_file_with_an_accelerator(capsys, tmp_path):
    designs = [CELL, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|", '{"edge_0_1": "none"}']
    path = tmp_path / "designs.txt"
    path.write_text("\n".join(designs) + "\n\n")
    lines = run(capsys, "nb201", "--designs", str(path), "--accelerator", "eyeriss_like",
                "--json").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3 and "layers" not in records[0]
    mapper = AcceleratorSimulator().mapper(preset("eyeriss_like"), "eyeriss_like")
    done = network_breakdown(mapper, nb201.SPACE.decode(CELL))
    assert (records[0]["latency_cycles"], records[0]["energy_pj"]) == (done.cycles,
                                                                       done.energy_pj)
    assert records[0]["utilization"] == pytest.approx(done.utilization)
    assert records[2]["design"]["edge_0_1"] == "none"
    assert records[1]["latency_cycles"] < records[0]["latency_cycles"]


def test_eval_takes_a_network_space_design(capsys):
    assert main(["eval", "archgym/Accelerator-v0", "--preset", "eyeriss_like", "--network",
                 "nb201:" + CELL, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["workload"] == "nb201:" + CELL
    assert result["macs"] == nb201.SPACE.decode(CELL).macs
    assert result["cycles"] == pytest.approx(sum(layer["cycles"] for layer in result["layers"]))
    assert any(layer.get("kind") == "avg_pool" for layer in result["layers"])


@pytest.mark.parametrize("args, message", [
    (["network", "vit"], "invalid choice: 'vit'"),
    (["network", "nb201", "--design", "|conv~0|"], "nb201 arch="),
    (["network", "mbconv", "--design", '{"stage1.depth": 5}'], "stage1.depth=5"),
    (["network", "mbconv", "--design", '{"ks": [3]}'], "OFA config"),
    (["network", "unet", "--design", "{bad"], "--design="),
    (["network", "nb201", "--designs", "/nonexistent"], "--designs='/nonexistent'"),
    (["network", "nb201", "--accelerator", "tpu"], "--accelerator='tpu'"),
    (["eval", "archgym/Accelerator-v0", "--network", "nb201:|x~0|"], "nb201 arch="),
])
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    try:
        code = main(args)
    except SystemExit as done:  # argparse's usage errors
        code = done.code
    assert code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_bad_input_from_the_shell():
    proc = subprocess.run(CLI + ["network", "nb201", "--design", "|conv~0|"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "nb201 arch=" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_a_bad_line_in_a_designs_file_is_named(capsys, tmp_path):
    path = tmp_path / "d.txt"
    path.write_text(CELL + "\n|nope~0|\n")
    assert main(["network", "nb201", "--designs", str(path)]) == 2
    out = capsys.readouterr()
    assert "line 2" in out.err and len(out.out.splitlines()) == 1


def test_accuracy_is_printed_with_its_kind_when_an_evaluator_exists(capsys, monkeypatch):
    import agents.cli.network as cli_network

    class Lookup:  # the accuracy protocol's shape: evaluate(notation) -> .as_dict()
        def evaluate(self, arch):
            value = 90.0 if "nor_conv_3x3" in arch else 10.0
            return type("Accuracy", (), {"as_dict": lambda self: {
                "cifar10_test_acc_pct": value, "accuracy_kind": "table"}})()

    monkeypatch.setattr(cli_network, "offline_accuracy",
                        lambda space: Lookup() if space == "nb201" else None)
    out = json.loads(run(capsys, "nb201", "--design", CELL, "--json"))
    assert (out["cifar10_test_acc_pct"], out["accuracy_kind"]) == (90.0, "table")
    text = run(capsys, "nb201", "--design", CELL)
    assert "accuracy_kind: table" in text
    out = json.loads(run(capsys, "resnet_cifar", "--json"))
    assert "accuracy_kind" not in out


def test_a_design_outside_the_evaluators_data_says_so(capsys, monkeypatch):
    import agents.cli.network as cli_network
    from simulators.errors import InvalidDesignError

    class AtOneResolution:
        kind = "surrogate"

        def evaluate(self, config):
            raise InvalidDesignError("r", config["r"], "224")

    monkeypatch.setattr(cli_network, "offline_accuracy", lambda space: AtOneResolution())
    out = json.loads(run(capsys, "mbconv", "--design", '{"resolution": 160}', "--json"))
    assert out["accuracy_note"] == "no surrogate accuracy: r=160 is not allowed; allowed: 224"
    assert out["macs"] == mbconv.SPACE.decode({"resolution": 160}).macs
