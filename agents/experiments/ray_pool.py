"""Batch evaluation on Ray: a simulator whose batches are split across Ray workers."""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from typing import Any

import gymnasium as gym

from agents.args import check_int
from archgym_env.env import DesignEnv
from simulators.base import (
    BatchResult,
    CostModel,
    Design,
    Designs,
    Metrics,
    Simulator,
    batch_length,
)
from simulators.errors import ArchGymError

BACKENDS = ("local", "ray")  # where runs and sweeps evaluate: this process or Ray workers


def _ray():
    try:
        import ray
    except ImportError as error:
        raise ArchGymError(f"the ray backend needs Ray: pip install 'archgym[distributed]' "
                           f"({error})") from None
    return ray


def start_ray(workers: int, address: str | None = None) -> bool:
    """Connect to Ray (a local instance with `workers` CPUs, or the cluster at `address`);
    True when this call started it, so the caller shuts it down."""
    ray = _ray()
    if ray.is_initialized():
        return False
    ray.init(address=address, num_cpus=None if address else workers,
             include_dashboard=False, log_to_driver=False)
    return True


def _evaluate_chunk(simulator: Simulator, designs: Designs, workload: Any) -> BatchResult:
    return simulator.evaluate_batch(designs, workload)


class RayWorkload:
    """A workload prepared by the wrapped simulator, put into Ray (with the simulator)
    once per Ray session: a restarted Ray no longer holds the old objects."""

    def __init__(self, prepared: Any):
        self.prepared = prepared
        self._refs: tuple | None = None  # (Ray session, simulator ref, workload ref)

    def refs(self, ray, simulator: Simulator) -> tuple:
        context = ray.get_runtime_context()
        session = (context.get_node_id(), context.get_job_id())
        if self._refs is None or self._refs[0] != session:
            self._refs = (session, ray.put(simulator), ray.put(self.prepared))
        return self._refs[1:]


class RayBatchSimulator:
    """`simulator` with each batch cut into `chunks` evaluated as Ray tasks: the one batch
    call is forwarded whole (metrics, validity, reasons, details come back in order and
    equal the local ones; simulators are stateless), as are `metrics`, `metric_names` and
    `version`. `prepare` prepares locally; the prepared workload travels once per session."""

    def __init__(self, simulator: Simulator, chunks: int):
        check_int("workers", chunks, 1)
        self.simulator, self.chunks = simulator, chunks
        self.metrics, self.metric_names = simulator.metrics, simulator.metric_names
        self.version = simulator.version
        self._remote = None

    def prepare(self, workload: Any) -> RayWorkload:
        if isinstance(workload, RayWorkload):
            return workload
        return RayWorkload(self.simulator.prepare(workload))

    def evaluate(self, design: Design, workload: Any) -> Metrics:
        return CostModel.evaluate(self, design, workload)

    def evaluate_batch(self, designs: Designs, workload: Any) -> BatchResult:
        ray = _ray()
        if self._remote is None:
            self._remote = ray.remote(num_cpus=1)(_evaluate_chunk)
        n = batch_length(designs)
        size = max(-(-n // self.chunks), 1)
        simulator, work = self.prepare(workload).refs(ray, self.simulator)
        chunk = (lambda i: {k: v[i: i + size] for k, v in designs.items()}) \
            if isinstance(designs, MappingABC) else (lambda i: list(designs[i: i + size]))
        parts = ray.get([self._remote.remote(simulator, chunk(i), work)
                         for i in range(0, n, size)])
        return BatchResult.concat(parts, self.metric_names)


def on_ray(env: gym.Env, workers: int) -> DesignEnv:
    """The same environment with its simulator's batches spread over `workers` Ray tasks."""
    design_env = env.unwrapped
    return design_env.copy_with(simulator=RayBatchSimulator(design_env.simulator, workers))
