"""SCALE-Sim 3.0.0's read buffer (memory/read_buffer.py) walked fold by fold in numba.

SCALE-Sim replays every demanded address against a window of half the SRAM that slides
forward (wrapping around) over the operand's prefetch order. The window only moves when
a demanded word is outside it, so the slides, and with them the DRAM reads and stalls,
follow from where each fold's demand starts and ends in that order; this walks those
points instead of the addresses. Used by `simulators.systolic` with accounting="scalesim";
numba is imported only then.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

STREAMED, STATIONARY, REPEATED = 0, 1, 2


@njit(cache=True)
def _diag_position(d, rows, width):
    """Words before diagonal d in the diagonal roll-out of a rows x width matrix
    (systolic_compute_*.create_*_prefetch_mat): sum over columns of clip(d - c, 0, rows)."""
    def ramp(x):
        if x <= 0:
            return 0.0
        m = min(width, x)
        return m * x - m * (m - 1) / 2
    return ramp(d) - ramp(d - rows)


@njit(cache=True)
def _touch(state, x, tau_from, tau_to, n_sets, a_sets, p_sets, lines):
    """Move the window (state: unwrapped first set, slides, largest lag) ahead to set x,
    wrapping around; the slides are needed evenly between cycles tau_from and tau_to.
    Fetch k completes 1 + k * (lines + 1) cycles in (read_buffer.new_prefetch chains
    them whatever the demand)."""
    start, slides, lag = state
    u = start + (x - start) % n_sets
    if u < start + a_sets:
        return state
    k = math.ceil((u - start - a_sets + 1) / p_sets)
    for i in (1, k):
        lag = max(lag, 1 + (slides + i) * (lines + 1) - tau_from - (tau_to - tau_from) * i / k)
    return (start + k * p_sets, slides + k, lag)


@njit(cache=True)
def _walk(kind, T, width, Sr, R, fr, fc, fold_cycles, real, padded, words, bandwidth):
    """(slides, largest lag) of one operand of one GEMM."""
    set_words = math.ceil(words / 100)
    active = math.ceil(words * 0.5)
    n_sets = math.floor(real / set_words) + 1
    a_sets = min(math.ceil(active / set_words), n_sets)
    if n_sets <= a_sets:
        return 0.0, 0.0
    p_sets = min(math.ceil((words - active) / set_words), n_sets - a_sets)
    lines = math.ceil((words - active) / bandwidth)
    scale = real / padded / set_words            # padded words -> sets of real words
    state = (0.0, 0.0, 0.0)
    geometry = (n_sets, a_sets, p_sets, lines)

    fold = 0
    for ic in range(fc):
        for ir in range(fr):
            t0 = fold * fold_cycles
            fold += 1
            if kind == STATIONARY:
                top = min(Sr, (ir + 1) * R)
                base = ic * Sr * width
                for t in range(int(top - ir * R)):
                    row = top - 1 - t
                    x = math.floor((base + row * width) * scale)
                    state = _touch(state, x % n_sets, t0 + t, t0 + t, *geometry)
                    x1 = math.floor((base + row * width + width - 1) * scale) % n_sets
                    state = _touch(state, x1, t0 + t, t0 + t, *geometry)
            else:
                block, blocks = (ir, fr) if kind == STREAMED else (ic, fc)
                rows = T * blocks
                first = _diag_position(block * T, rows, width)
                d_end = (block + 1) * T + width - 2
                last = _diag_position(d_end, rows, width) + min(d_end, rows - 1) - (
                    (block + 1) * T - 1)
                x0 = math.floor(first * scale) % n_sets
                x1 = math.floor(last * scale) % n_sets
                state = _touch(state, x0, t0, t0, *geometry)
                state = _touch(state, x1, t0, t0 + T + width - 2, *geometry)
    return state[1], max(state[2], 0.0)


@njit(cache=True)
def walk_all(kind, T, width, Sr, R, fr, fc, fold_cycles, real, padded, words, bandwidth):
    """`_walk` over flat arrays of operands; returns slides and lags."""
    n = kind.shape[0]
    slides = np.zeros(n)
    lags = np.zeros(n)
    for i in range(n):
        slides[i], lags[i] = _walk(kind[i], T[i], width[i], Sr[i], R[i], fr[i], fc[i],
                                   fold_cycles[i], real[i], padded[i], words[i],
                                   bandwidth[i])
    return slides, lags
