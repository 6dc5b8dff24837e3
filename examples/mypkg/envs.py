"""A design environment another package registers with Gymnasium (README, "Command line")."""

import gymnasium

from archgym_env import Categorical, DesignEnv, DesignSpace, Goal, Objective, PowerOfTwo
from simulators.systolic import SystolicArray
from simulators.workloads import Gemm

# Two free parameters; the rest of what the systolic model takes is fixed.
SPACE = DesignSpace((PowerOfTwo("rows", 8, 64), PowerOfTwo("cols", 8, 64),
                     Categorical("dataflow", ("os",)), Categorical("ifmap_sram_kb", (64,)),
                     Categorical("filter_sram_kb", (64,)), Categorical("ofmap_sram_kb", (64,)),
                     Categorical("dram_bandwidth_words", (8,))))


def make_tiny_env() -> DesignEnv:
    objective = Objective("pareto", (Goal("latency_s", "min", reference=3e-4),
                                     Goal("area_mm2", "min", reference=3.0)))
    return DesignEnv(SPACE, SystolicArray(), Gemm(256, 256, 256), objective)


gymnasium.register("mypkg/Tiny-v0", entry_point="mypkg.envs:make_tiny_env")
