"""SCALE-Sim 3.0.0's read buffer (memory/read_buffer.py) walked fold by fold in numba.

SCALE-Sim replays every demanded address against a window of half the SRAM that slides
forward (wrapping around) over the operand's prefetch order. The window only moves when
a demanded word is outside it, so the slides, and with them the DRAM reads and stalls,
follow from where each fold's demand starts and ends in that order: this walks those
points instead of the addresses. Used by `simulators.systolic` with accounting="scalesim"
(numba is imported only then).

Prefetch orders (systolic_compute_*.create_*_prefetch_mat): STREAMED and REPEATED
operands are blocks of T rows x `width` columns stacked and rolled out along diagonals
(the last block has only `used` real columns); a fold demands one block in that order.
A STATIONARY operand is a column-fold block of Sr rows x `width` after another, row by
row (the last `used` wide); a fold demands R rows of it, the last row first.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

STREAMED, STATIONARY, REPEATED = 0, 1, 2


@njit(cache=True)
def _ramp(x, width):
    """sum over columns c < width of max(x - c, 0)."""
    if x <= 0:
        return 0.0
    m = min(width, x)
    return m * x - m * (m - 1) / 2


@njit(cache=True)
def _before_diagonal(d, rows, width):
    """Entries (i, c) of a rows x width matrix with i + c < d."""
    return _ramp(d, width) - _ramp(d - rows, width)


@njit(cache=True)
def _real_position(i, c, top, T, width, used):
    """Real words before entry (i, c) in the diagonal roll-out of `top` full rows over a
    last block of T rows with `used` real columns (out of `width`)."""
    d = i + c
    before = _before_diagonal(d, top, width) + _before_diagonal(d - top, T, used)
    # Same diagonal, earlier in it: rows below (d - c', c') for c' < c that are real.
    lo = max(0.0, d - (top + T) + 1)
    full = max(0.0, min(c, width) - max(lo, d - top + 1))
    last = max(0.0, min(c, used, d - top + 1) - max(lo, d - (top + T) + 1))
    return before + full + last


@njit(cache=True)
def _advance(state, u, u_from, tau_from, tau_to, a_sets, p_sets, lines):
    """Slide the window (state: unwrapped first set, slides, largest lag) until it holds
    unwrapped set u, the demand moving from set u_from at cycle tau_from to u at tau_to;
    a slide is needed when the demand reaches the set past the window. Fetch k completes
    1 + k * (lines + 1) cycles in (read_buffer.new_prefetch chains fetches whatever the
    demand); the lag is how late the last of them is, the largest over the first and last
    slide (in between it is linear)."""
    start, slides, lag = state
    if u < start + a_sets:
        return state
    k = math.ceil((u - start - a_sets + 1) / p_sets)
    for i in (1, k):
        need = start + a_sets + (i - 1) * p_sets
        frac = min(max((need - u_from) / max(u - u_from, 1.0), 0.0), 1.0)
        lag = max(lag, 1 + (slides + i) * (lines + 1) - tau_from - (tau_to - tau_from) * frac)
    return (start + k * p_sets, slides + k, lag)


@njit(cache=True)
def _sweep(state, first, last, tau_from, tau_to, n_sets, a_sets, p_sets, lines):
    """Demand real words first..last in order: the first is found ahead of the window
    start (any copy the window holds is a hit), the rest follow it. Returns the state and
    the unwrapped set of the first word."""
    x0 = math.floor(first)
    u0 = state[0] + (x0 - state[0]) % n_sets
    state = _advance(state, u0, u0, tau_from, tau_from, a_sets, p_sets, lines)
    return _advance(state, u0 + math.floor(last) - x0, u0, tau_from, tau_to, a_sets, p_sets,
                    lines), u0


@njit(cache=True)
def _walk(kind, T, width, used, Sr, R, fr, fc, fold_cycles, real, words, bandwidth):
    """(slides, largest lag) of one operand of one GEMM."""
    set_words = math.ceil(words / 100)
    active = math.ceil(words * 0.5)
    n_sets = math.floor(real / set_words) + 1
    a_sets = min(math.ceil(active / set_words), n_sets)
    if n_sets <= a_sets:
        return 0.0, 0.0
    # At least one set: SCALE-Sim (whole KB) never has an empty prefetch half.
    p_sets = max(min(math.ceil((words - active) / set_words), n_sets - a_sets), 1)
    lines = math.ceil((words - active) / bandwidth)
    state = (0.0, 0.0, 0.0)
    geometry = (n_sets, a_sets, p_sets, lines)
    for ic in range(int(fc)):
        ir = 0.0
        while ir < fr:
            t0 = (ic * fr + ir) * fold_cycles
            if kind == STATIONARY:
                w = used if ic == fc - 1 else width
                top = min(Sr, (ir + 1) * R)
                first_row = ic * Sr * width + (top - 1) * w     # demanded first
                n_rows = top - ir * R
                t = 0.0
                while t < n_rows:
                    row = first_row - t * w
                    state, u = _sweep(state, row / set_words, (row + w - 1) / set_words,
                                      t0 + t, t0 + t, *geometry)
                    # The rows below are hits down to the first that starts before the
                    # window: skip to it.
                    offset = u - math.floor(row / set_words)    # wrapped -> unwrapped
                    lowest = (state[0] - offset) * set_words
                    t = max(t + 1, math.floor((first_row - lowest) / w) + 1)
                # The next folds' tiles (rows upward) are hits while they lie inside the
                # window: skip them.
                ir += 1
                base = ic * Sr * width
                if ir < fr and math.floor((base + ir * R * w) / set_words) + offset >= state[0]:
                    inside = ((state[0] + a_sets - offset) * set_words - base) // (R * w) - 1
                    ir = max(ir, min(inside, fr - 2) + 1)
                continue
            block, blocks = (ir, fr) if kind == STREAMED else (ic, fc)
            top = T * (blocks - 1)
            w = used if block == blocks - 1 else width
            first = math.floor(_real_position(block * T, 0.0, top, T, width, used) / set_words)
            last = _real_position((block + 1) * T - 1, w - 1, top, T, width, used)
            state, u = _sweep(state, first, last / set_words, t0, t0 + T + w - 2, *geometry)
            if kind == REPEATED:
                if u >= state[0]:
                    break                    # the block is inside: its repeats all hit
                ir += 1
                continue
            # Streamed blocks follow in order: those that start and end inside the window
            # are hits; skip them (binary search for the last that ends inside).
            ir += 1
            if ir >= fr or u - first + math.floor(
                    _real_position(ir * T, 0.0, top, T, width, used) / set_words) < state[0]:
                continue
            lo, hi = ir - 1, fr - 1
            while lo < hi:
                mid = math.ceil((lo + hi) / 2)
                wm = used if mid == fr - 1 else width
                end = math.floor(_real_position((mid + 1) * T - 1, wm - 1, top, T, width,
                                                used) / set_words)
                if u - first + end < state[0] + a_sets:
                    lo = mid
                else:
                    hi = mid - 1
            ir = lo + 1
    return state[1], max(state[2], 0.0)


@njit(cache=True)
def walk_all(kind, T, width, used, Sr, R, fr, fc, fold_cycles, real, words, bandwidth):
    """`_walk` over flat arrays of operands; returns slides and lags."""
    n = kind.shape[0]
    slides = np.zeros(n)
    lags = np.zeros(n)
    for i in range(n):
        slides[i], lags[i] = _walk(kind[i], T[i], width[i], used[i], Sr[i], R[i], fr[i],
                                   fc[i], fold_cycles[i], real[i], words[i], bandwidth[i])
    return slides, lags
