"""Every bad input to `eval`, `run`, `sweep`, `report` and `demo` (flags, environment
arguments, JSON, YAML and trace files) exits 2 with one line naming what is wrong and no
traceback. The command runs in-process (its entry function, stderr captured); a few run
as real subprocesses too."""

import json
import subprocess
import sys

import pytest

from agents.cli.main import main

CLI = [sys.executable, "-m", "agents.cli.main"]
SYS, DRAM, ACC = "archgym/Systolic-v0", "archgym/DRAM-v0", "archgym/Accelerator-v0"
GOOD_ARCH = """architecture:
  version: 0.4
  nodes:
  - !Component {name: DRAM, class: DRAM, attributes: {width: 64, datawidth: 8}}
  - !Component {name: buffer, class: SRAM, attributes: {depth: 1024, width: 64, datawidth: 8}}
  - !Container {name: PE, spatial: {meshX: 14, meshY: 12}}
  - !Component {name: spad, class: regfile, attributes: {depth: 16, width: 8, datawidth: 8}}
  - !Component {name: mac, class: intmac, attributes: {datawidth: 8}}
"""
FILES = {
    "mesh.yaml": GOOD_ARCH.replace("meshX: 14", "meshX: fourteen"),
    "class.yaml": GOOD_ARCH.replace("class: SRAM", "class: SRAMM"),
    "version.yaml": GOOD_ARCH.replace("version: 0.4", "version: 0.3"),
    "key.yaml": GOOD_ARCH.replace("datawidth: 8}}\n  - !Container",
                                  "datawidth: 8, sparse: true}}\n  - !Container"),
    "depth.yaml": GOOD_ARCH.replace("depth: 1024", "depth: -4"),
    "notyaml.yaml": "architecture: [unclosed\n",
    "problem_m.yaml": "problem:\n  instance: {M: x, C: 3}\n",
    "problem_none.yaml": "nothing: 1\n",
    "problem_key.yaml": "problem:\n  instance: {M: 8, C: 3, Z: 2}\n",
    "bad.stl": "0:\tread\t0x0\nten:\tjump\t0x40\n",
    "bad.trace": "0x40 R\n0x80 X\n",
    "bad_mcconfig.json": '{"mcconfig": {"Scheduler": "Lottery"}}',
    "notjson.json": "{not json",
    "sweep_badyaml.yaml": "budget: [1\n",
    "sweep_list.yaml": "- 1\n- 2\n",
    "sweep_key.yaml": "budgets: 3\nenvironments: [archgym/Systolic-v0]\nagents: [random]\n",
    "sweep_budget.yaml": "budget: 0\nenvironments: [archgym/Systolic-v0]\nagents: [random]\n",
    "sweep_seeds.yaml": "seeds: []\nenvironments: [archgym/Systolic-v0]\nagents: [random]\n",
    "sweep_seeds_text.yaml": "seeds: x\nenvironments: [archgym/Systolic-v0]\nagents: [random]\n",
    "sweep_env.yaml": "environments: [archgym/Nope-v0]\nagents: [random]\n",
    "sweep_agent.yaml": "environments: [archgym/Systolic-v0]\nagents: [sa]\n",
    "sweep_grid.yaml": "environments: [archgym/Systolic-v0]\n"
                       "agents: [{name: ga, grid: {population: 8}}]\n",
    "sweep_env_grid.yaml": "environments: [{id: archgym/Systolic-v0, grid: {batch: [1, 2]}}]\n"
                           "agents: [random]\n",
    "sweep_env_args.yaml": "environments: [{id: archgym/Systolic-v0, args: {rewrd: 1}}]\n"
                           "agents: [random]\n",
    "sweep_agent_args.yaml": "environments: [archgym/Systolic-v0]\n"
                             "agents: [{name: ga, args: {populaton: 8}}]\n",
    "sweep_entry.yaml": "environments: [{id: archgym/Systolic-v0, arg: {}}]\nagents: [random]\n",
    "sweep_empty.yaml": "environments: []\nagents: [random]\n",
    "sweep_ok.yaml": "budget: 2\nenvironments: [archgym/Systolic-v0]\nagents: [random]\n",
    "sweep_targets.yaml": "environments: [{id: archgym/Systolic-v0, args: {targets: fast}}]\n"
                          "agents: [random]\n",
}


@pytest.fixture(scope="module")
def where(tmp_path_factory):
    """A directory of bad input files, a finished run, a demo marker, a plain file."""
    root = tmp_path_factory.mktemp("bad")
    for name, text in FILES.items():
        (root / name).write_text(text)
    (root / "plain.txt").write_text("not a directory")
    assert main(["run", SYS, "--agent", "random", "--budget", "4", "--out",
                 str(root / "run")]) == 0
    (root / "demo").mkdir()
    (root / "demo" / "demo.json").write_text(json.dumps({"seed": 0}))
    (root / "empty").mkdir()
    torn = root / "corrupt"
    torn.mkdir()
    lines = (root / "run" / "evaluations.jsonl").read_text().splitlines(keepends=True)
    (torn / "evaluations.jsonl").write_text(lines[0] + "GARBAGE\n" + lines[1])
    described = root / "described"
    described.mkdir()
    (described / "evaluations.jsonl").write_text(lines[0])
    (described / "run.json").write_text("{broken")
    return root


def env_args(env_id, args):
    return ["eval", env_id, "--env-args", json.dumps(args)]


CASES = [
    # eval: the design and the environment id
    (["eval", "archgym/Nope-v0"], "env_id='archgym/Nope-v0'"),
    (["eval", SYS, "--design", '{"rows": 8'], "--design="),
    (["eval", SYS, "--design", "[1, 2]"], "a JSON object"),
    (["eval", SYS, "--design", '{"rowz": 8}'], "rowz"),
    (["eval", SYS, "--design", '{"rows": 100}'], "rows"),
    (["eval", SYS, "--design", '{"rows": "x"}'], "rows"),
    (["eval", SYS, "--design", '{"dataflow": "rs"}'], "dataflow"),
    (["eval", SYS, "--env-args", "{bad"], "--env-args="),
    (["eval", SYS, "--env-args", "3"], "--env-args="),
    # Systolic-v0 environment arguments
    (env_args(SYS, {"rewrd": "target"}), "env argument='rewrd'"),
    (env_args(SYS, {"targets": "fast"}), "targets='fast'"),
    (env_args(SYS, {"weights": "equal"}), "weights='equal'"),
    (env_args(SYS, {"limits": 3}), "limits=3"),
    (env_args(SYS, {"references": [1]}), "references=[1]"),
    (env_args(SYS, {"metrics": "latency_s"}), "metrics='latency_s'"),
    (env_args(SYS, {"metrics": []}), "metrics=[]"),
    (env_args(SYS, {"metrics": ["speed"]}), "metric='speed'"),
    (env_args(SYS, {"metrics": ["latency_s", 3]}), "metrics="),
    (env_args(SYS, {"reward": "best"}), "reward mode='best'"),
    (env_args(SYS, {"reward": 3}), "reward=3"),
    (env_args(SYS, {"mode": "batch"}), "mode='batch'"),
    (env_args(SYS, {"max_steps": 0}), "max_steps=0"),
    (env_args(SYS, {"max_steps": "2"}), "max_steps='2'"),
    (env_args(SYS, {"mode": "sequential", "max_steps": 3}), "max_steps=3"),
    (env_args(SYS, {"clock_ghz": "fast"}), "clock_ghz='fast'"),
    (env_args(SYS, {"clock_ghz": -1}), "clock_ghz"),
    (env_args(SYS, {"resolution": "x"}), "resolution='x'"),
    (env_args(SYS, {"resolution": 1000000000}), "resolution="),
    (env_args(SYS, {"batch": 0}), "batch=0"),
    (env_args(SYS, {"workload": 5}), "workload="),
    (env_args(SYS, {"workload": "nonet"}), "workload='nonet'"),
    (env_args(SYS, {"targets": {"latency_s": "fast"}}), "latency_s.target='fast'"),
    (env_args(SYS, {"targets": {"latency_s": -1}}), "latency_s.target=-1"),
    (env_args(SYS, {"targets": {"speed": 1}}), "metric='speed'"),
    (env_args(SYS, {"weights": {"latency_s": -1}}), "latency_s.weight=-1"),
    (env_args(SYS, {"weights": {"utilization": 1}}), "weights metric='utilization'"),
    (env_args(SYS, {"reward": "constrained", "quality": "speed"}), "metric='speed'"),
    (env_args(SYS, {"reward": "pareto", "metrics": ["latency_s", "utilization"]}),
     "utilization.reference"),
    (env_args(SYS, {"render_mode": "human"}), "render_mode='human'"),
    # DRAM-v0 environment arguments
    (env_args(DRAM, {"interval_ns": -1}), "interval_ns=-1"),
    (env_args(DRAM, {"interval_ns": "x"}), "interval_ns='x'"),
    (env_args(DRAM, {"n_requests": 0}), "n_requests=0"),
    (env_args(DRAM, {"n_requests": 100000000}), "n_requests=100000000"),
    (env_args(DRAM, {"n_requests": 2.5}), "n_requests=2.5"),
    (env_args(DRAM, {"read_fraction": 1.5}), "read_fraction=1.5"),
    (env_args(DRAM, {"read_fraction": "x"}), "read_fraction='x'"),
    (env_args(DRAM, {"trace_seed": -1}), "trace_seed=-1"),
    (env_args(DRAM, {"clock_mhz": "fast"}), "clock_mhz='fast'"),
    (env_args(DRAM, {"clock_mhz": 0}), "clock_mhz=0"),
    (env_args(DRAM, {"channels": 0}), "channels=0"),
    (env_args(DRAM, {"memspec": "DDR5-6400"}), "DDR5-6400"),
    (env_args(DRAM, {"mapping": "XYZ"}), "XYZ"),
    (env_args(DRAM, {"mcconfig": "missing.json"}), "missing.json"),
    (env_args(DRAM, {"preset": "nope"}), "preset='nope'"),
    (env_args(DRAM, {"injection": "sometimes"}), "sometimes"),
    (env_args(DRAM, {"workload": "app.trace"}), "no file 'app.trace' exists"),
    (env_args(DRAM, {"workload": 7}), "workload=7"),
    (env_args(DRAM, {"metrics": "latency_ns"}), "metrics='latency_ns'"),
    (env_args(DRAM, {"targets": "fast"}), "targets='fast'"),
    (env_args(DRAM, {"rewrd": "target"}), "env argument='rewrd'"),
    # DRAM-v0 flags
    (["eval", DRAM, "--trace", "missing.stl"], "--trace='missing.stl'"),
    (["eval", DRAM, "--mcconfig", "missing.json"], "--mcconfig='missing.json'"),
    (["eval", SYS, "--memspec", "DDR4-2400"], "--memspec='DDR4-2400'"),
    (["eval", SYS, "--trace", "x.stl"], "--trace='x.stl'"),
    (["eval", DRAM, "--trace-format", "stl"], "--trace-format='stl'"),
    (["eval", DRAM, "--injection", "sometimes"], "--injection"),
    (["eval", DRAM, "--dram-preset", "nope"], "--dram-preset"),
    (["eval", DRAM, "--trace-format", "csv"], "--trace-format"),
    # Accelerator-v0 flags and files
    (["eval", ACC, "--layer", "{bad"], "--layer="),
    (["eval", ACC, "--layer", '{"M": 8}'], "--layer="),
    (["eval", ACC, "--layer", '{"M": 0, "C": 8}'], "--layer M=0"),
    (["eval", ACC, "--layer", '{"M": "x", "C": 8}'], "--layer M='x'"),
    (["eval", ACC, "--layer", '{"M": 1000000000, "C": 8}'], "layer.M=1000000000"),
    (["eval", ACC, "--layer", '{"M": 8, "C": 8, "Z": 1}'], "--layer="),
    (["eval", SYS, "--preset", "eyeriss_like"], "--preset='eyeriss_like'"),
    (["eval", ACC, "--timeloop-arch", "missing.yaml"], "--timeloop-arch='missing.yaml'"),
    (["eval", ACC, "--ert", "x.yaml"], "--ert='x.yaml'"),
    (["eval", ACC, "--preset", "eyeriss_like", "--design", '{"pe_x": 4}'], "--design="),
    (["eval", ACC, "--network", "nonet"], "workload='nonet'"),
    (["eval", ACC, "--mapper-objective", "speed"], "--mapper-objective"),
    (["eval", ACC, "--layer", '{"M": 8, "C": 8}', "--network", "resnet18"], "--network="),
    (["eval", ACC, "--preset", "nope"], "--preset"),
    (env_args(ACC, {"mapper_objective": "speed"}), "speed"),
    (env_args(ACC, {"mapper_budget": 0}), "mapper_budget=0"),
    (env_args(ACC, {"mapper_budget": "many"}), "mapper_budget='many'"),
    # run
    (["run", SYS, "--budget", "0"], "--budget"),
    (["run", SYS, "--budget", "x"], "--budget"),
    (["run", SYS, "--budget", "1e12"], "--budget"),
    (["run", SYS, "--budget", "1000000000000"], "--budget=1000000000000"),
    (["run", SYS, "--seed", "-1"], "--seed"),
    (["run", SYS, "--agent", "sa"], "--agent"),
    (["run", SYS, "--agent-args", "{bad"], "--agent-args="),
    (["run", SYS, "--agent-args", '{"population": 2.5}'], "population=2.5"),
    (["run", SYS, "--agent-args", '{"populaton": 8}'], "agent args"),
    (["run", SYS, "--agent-args", '{"mutation": 2}'], "mutation=2"),
    (["run", SYS, "--env-args", '{"rewrd": 1}'], "env argument='rewrd'"),
    (["run", SYS, "--env-args", '{"targets": "fast"}'], "targets='fast'"),
    (["run", SYS, "--out", "/dev/null/x"], "/dev/null/x"),
    (["run", SYS, "--workers", "0"], "--workers"),
    (["run", SYS, "--backend", "slurm"], "--backend"),
    # sweep
    (["sweep", "missing.yaml"], "missing.yaml"),
    (["sweep", "{root}/sweep_badyaml.yaml"], "valid YAML"),
    (["sweep", "{root}/sweep_list.yaml"], "a YAML mapping"),
    (["sweep", "{root}/sweep_key.yaml"], "sweep key='budgets'"),
    (["sweep", "{root}/sweep_budget.yaml"], "budget=0"),
    (["sweep", "{root}/sweep_seeds.yaml"], "seeds=[]"),
    (["sweep", "{root}/sweep_seeds_text.yaml"], "seeds='x'"),
    (["sweep", "{root}/sweep_env.yaml"], "environments id='archgym/Nope-v0'"),
    (["sweep", "{root}/sweep_agent.yaml"], "agents name='sa'"),
    (["sweep", "{root}/sweep_grid.yaml"], "args/grid"),
    (["sweep", "{root}/sweep_env_grid.yaml"], "environments grid"),
    (["sweep", "{root}/sweep_env_args.yaml"], "env argument='rewrd'"),
    (["sweep", "{root}/sweep_agent_args.yaml"], "agent args"),
    (["sweep", "{root}/sweep_entry.yaml"], "environments="),
    (["sweep", "{root}/sweep_empty.yaml"], "environments=[]"),
    (["sweep", "{root}/sweep_targets.yaml"], "targets='fast'"),
    (["sweep", "{root}/sweep_key.yaml", "--workers", "0"], "--workers"),
    # report
    (["report", "{root}/missing"], "is not a directory of runs"),
    (["report", "{root}/empty"], "no evaluations.jsonl found"),
    (["report", "{root}/run", "--reward-target", "2"], "--reward-target=2.0"),
    (["report", "{root}/run", "--reward-target", "-1"], "--reward-target=-1.0"),
    (["report", "{root}/run", "--reward-target", "nan"], "--reward-target=nan"),
    (["report", "{root}/run", "--reward-target", "x"], "--reward-target"),
    (["report", "{root}/run", "--out", "{root}/plain.txt"], "is a file"),
    (["report", "{root}/run", "--out", "{root}/demo"], "holds a demo, not a report"),
    (["report", "{root}/corrupt"], "line 2 is not an evaluation row"),
    (["report", "{root}/described"], "is not a run description"),
    # output directories that hold something else
    (["run", SYS, "--agent", "random", "--budget", "4", "--out", "{root}/demo"],
     "holds a demo, not a run"),
    (["run", SYS, "--agent", "random", "--budget", "4", "--out", "{root}/plain.txt"],
     "is a file"),
    (["run", SYS, "--agent", "ga", "--budget", "4", "--out", "{root}/run"],
     "holds a run with agent='random' (here 'ga')"),
    (["sweep", "{root}/sweep_ok.yaml", "--out", "{root}/run"], "), not a sweep"),
    (["demo", "--budget", "0"], "--budget"),
    (["demo", "--seed", "x"], "--seed"),
    (["demo", "--out", "{root}/run"], "holds a run (random on archgym/Systolic-v0"),
    # the command itself
    ([], "the following arguments are required"),
    (["bench"], "invalid choice"),
    (["eval"], "the following arguments are required"),
]
FILE_CASES = [
    (["eval", ACC, "--timeloop-arch", "{root}/mesh.yaml"], "PE meshX='fourteen'"),
    (["eval", ACC, "--timeloop-arch", "{root}/class.yaml"], "class='SRAMM'"),
    (["eval", ACC, "--timeloop-arch", "{root}/version.yaml"], "architecture version=0.3"),
    (["eval", ACC, "--timeloop-arch", "{root}/key.yaml"], "sparse"),
    (["eval", ACC, "--timeloop-arch", "{root}/depth.yaml"], "depth=-4"),
    (["eval", ACC, "--timeloop-arch", "{root}/notyaml.yaml"], "valid YAML"),
    (["eval", ACC, "--timeloop-arch", "{root}/mesh.yaml", "--preset", "eyeriss_like"],
     "--preset="),
    (["eval", ACC, "--preset", "eyeriss_like", "--timeloop-problem", "{root}/problem_m.yaml"],
     "M='x'"),
    (["eval", ACC, "--preset", "eyeriss_like", "--timeloop-problem",
      "{root}/problem_none.yaml"], "problem="),
    (["eval", ACC, "--preset", "eyeriss_like", "--timeloop-problem",
      "{root}/problem_key.yaml"], "Z"),
    (["eval", DRAM, "--trace", "{root}/bad.stl"], "line 2"),
    (["eval", DRAM, "--trace", "{root}/bad.trace"], "line 2"),
    (["eval", DRAM, "--mcconfig", "{root}/bad_mcconfig.json"], "Lottery"),
    (["eval", DRAM, "--mcconfig", "{root}/notjson.json"], "mcconfig file="),
    (["eval", DRAM, "--memspec", "{root}/notjson.json"], "notjson.json"),
]


def run_in_process(argv, capsys):
    """`archgym ARGV` as the console script runs it: the exit code and stderr's lines."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own errors
        code = stop.code
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("argv, message", CASES + FILE_CASES)
def test_bad_input_exits_2_with_one_line(argv, message, where, capsys):
    argv = [a.replace("{root}", str(where)) for a in argv]
    code, lines = run_in_process(argv, capsys)
    assert code == 2, lines
    assert len(lines) == 1 and message in lines[0], lines
    assert "Traceback" not in lines[0]


def test_the_sweep_covers_at_least_100_cases():
    assert len(CASES) + len(FILE_CASES) >= 100


@pytest.mark.parametrize("argv, message", [
    (env_args(DRAM, {"clock_mhz": "fast"}), "clock_mhz='fast'"),
    (["eval", ACC, "--timeloop-arch", "{root}/mesh.yaml"], "PE meshX='fourteen'"),
    (["report", "{root}/run", "--reward-target", "2"], "--reward-target=2.0"),
    (["run", SYS, "--budget", "1000000000000"], "--allow-large"),
])
def test_bad_input_in_a_real_process(argv, message, where):
    argv = [a.replace("{root}", str(where)) for a in argv]
    proc = subprocess.run(CLI + argv, capture_output=True, text=True)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and message in lines[0], proc.stderr


def test_allow_large_lifts_a_limit(capsys):
    # the limit is lifted, so the next check of the arguments speaks
    code, lines = run_in_process(["eval", DRAM, "--allow-large", "--env-args",
                                  '{"n_requests": 5000001, "read_fraction": 2}'], capsys)
    assert code == 2 and "read_fraction=2" in lines[0]
