"""Batch evaluation on Ray: a simulator whose batches are split across Ray workers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym

from agents.args import check_int
from archgym_env.env import DesignEnv
from simulators.base import Design, Metrics, Simulator
from simulators.errors import ArchGymError


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


def _evaluate_chunk(simulator: Simulator, designs: Sequence[Design],
                    workload: Any) -> list[Metrics]:
    return simulator.evaluate_batch(designs, workload)


class RayBatchSimulator:
    """`simulator` with each batch cut into `chunks` evaluated as Ray tasks; results come
    back in order and equal the local ones (simulators are stateless)."""

    def __init__(self, simulator: Simulator, chunks: int):
        check_int("workers", chunks, 1)
        self.simulator, self.chunks = simulator, chunks
        self.metric_names = simulator.metric_names
        self._remote = None
        self._stored: tuple | None = None  # (Ray session, workload, their object refs)

    def evaluate(self, design: Design, workload: Any) -> Metrics:
        return self.simulator.evaluate(design, workload)

    def evaluate_batch(self, designs: Sequence[Design], workload: Any) -> list[Metrics]:
        ray = _ray()
        if self._remote is None:
            self._remote = ray.remote(num_cpus=1)(_evaluate_chunk)
        size = -(-len(designs) // self.chunks)
        simulator, work = self._put(ray, workload)
        parts = ray.get([self._remote.remote(simulator, designs[i: i + size], work)
                         for i in range(0, len(designs), size)])
        return [metrics for part in parts for metrics in part]

    def _put(self, ray, workload: Any) -> tuple:
        """Object refs of the simulator and `workload`, put once per workload and Ray
        session (a restarted Ray no longer holds the old objects)."""
        context = ray.get_runtime_context()
        session = (context.get_node_id(), context.get_job_id())
        if self._stored is None or self._stored[0] != session or self._stored[1] is not workload:
            self._stored = (session, workload, (ray.put(self.simulator), ray.put(workload)))
        return self._stored[2]


def on_ray(env: gym.Env, workers: int) -> DesignEnv:
    """The same environment with its simulator's batches spread over `workers` Ray tasks."""
    design_env = env.unwrapped
    return design_env.copy_with(simulator=RayBatchSimulator(design_env.simulator, workers))
