"""`archgym/Systolic-v0`: size a SCALE-Sim-style systolic array for a DNN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from archgym_env.env import DesignEnv
from archgym_env.objective import budget_objective
from archgym_env.space import Categorical, DesignSpace, PowerOfTwo
from archgym_env.vector import BatchedDesignEnv
from simulators.systolic import DATAFLOWS, SystolicArray, as_gemms
from simulators.workloads import network

SYSTOLIC_SPACE = DesignSpace((
    PowerOfTwo("rows", 8, 256),
    PowerOfTwo("cols", 8, 256),
    Categorical("dataflow", DATAFLOWS),
    PowerOfTwo("ifmap_sram_kb", 16, 2048),
    PowerOfTwo("filter_sram_kb", 16, 2048),
    PowerOfTwo("ofmap_sram_kb", 16, 2048),
    PowerOfTwo("dram_bandwidth_words", 1, 64),
))

DEFAULT_METRICS = ("latency_s", "energy_pj", "area_mm2")
# ResNet-18 at 224x224, batch 1, 1 GHz: a 1 ms / 5 mJ / 10 mm^2 budget that 2,713 of the
# 387,072 designs (0.7%) meet, counted by enumeration.
DEFAULT_BUDGET = {"latency_s": 1e-3, "energy_pj": 5e9, "area_mm2": 10.0}


def make_systolic_env(workload: str | Any = "resnet18", resolution: int = 224, batch: int = 1,
                      reward: str = "target", metrics: Sequence[str] = DEFAULT_METRICS,
                      targets: Mapping[str, float] | None = None,
                      limits: Mapping[str, float] | None = None,
                      weights: Mapping[str, float] | None = None,
                      references: Mapping[str, float] | None = None,
                      quality: str | None = None, mode: str = "one_shot", max_steps: int = 1,
                      clock_ghz: float = 1.0, render_mode: str | None = None) -> DesignEnv:
    """Build the environment. A string workload names a built-in network; otherwise pass a
    Network, a Layer, a Gemm or a list of them. The budget above is the default target
    (target and weighted modes), limit (constrained mode, quality: utilization) and
    reference (pareto mode)."""
    simulator = SystolicArray(clock_ghz=clock_ghz)
    if isinstance(workload, str):
        workload = network(workload, resolution=resolution, batch=batch)
    as_gemms(workload)  # a bad workload fails here, not at the first step
    objective = budget_objective(reward, metrics, simulator.metrics, DEFAULT_BUDGET,
        "utilization", targets=targets, limits=limits, weights=weights,
        references=references, quality=quality)
    return DesignEnv(SYSTOLIC_SPACE, simulator, workload, objective, mode=mode,
                     max_steps=max_steps, render_mode=render_mode)


def make_systolic_vector_env(num_envs: int = 8, **kwargs: Any) -> BatchedDesignEnv:
    """`gymnasium.make_vec("archgym/Systolic-v0", num_envs)`: one simulator batch per step."""
    return BatchedDesignEnv(make_systolic_env(**kwargs), num_envs)
