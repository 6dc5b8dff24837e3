"""Torch on one thread, for models far too small to gain from more."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread inside the block. On a shared machine extra threads only
    contend: the REINFORCE controller's steps ran 13x and Optuna's GP sampler 4x slower
    on 2 busy cores with torch's default of one thread per core."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
