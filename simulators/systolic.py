"""Analytic systolic-array model in the manner of SCALE-Sim.

Samajdar et al., "A Systematic Methodology for Characterizing Scalability of DNN
Accelerators using SCALE-Sim", ISPASS 2020. A layer is lowered to a GEMM by im2col and
mapped onto an R x C array by dataflow (Sec. III): the stationary operand spans
Sr x Sc, the streamed dimension has length T.

    dataflow  Sr               Sc               T
    os        ofmap pixels     filters          window (C/g*R*S)
    ws        window           filters          ofmap pixels
    is        window           ofmap pixels     filters

Folds are the ceil(Sr/R) x ceil(Sc/C) tiles of the stationary matrix. Compute cycles
follow SCALE-Sim 3.0.0's demand matrices (compute/systolic_compute_*.py):
every fold, partial ones included, is padded to the full array and takes
T + R + C - 2 cycles in os (T MACs per PE, operands skewed in over R - 1 and C - 1 cycles,
no preload, folds not overlapped) and 2R + C + T - 2 in ws and is (R cycles to load the
stationary tile, then the same R - 1 + C - 1 skew around T).

Memory, two accountings (`SystolicArray(accounting=...)`):

* "default": each operand has its own double-buffered SRAM (half holds the working set);
  folds are visited row folds outer, so a row fold's streamed slice serves every column
  fold; DRAM moves unique words: an operand re-streamed across folds is fetched once if
  its working set fits, else once per pass; partial sums spill and are read back. A layer
  takes max(compute cycles, DRAM words / bandwidth) cycles; the difference is stall.
* "scalesim": SCALE-Sim 3.0.0's own accounting (memory/read_buffer.py, write_buffer.py,
  double_buffered_scratchpad_mem.py; column folds outer), see `_scalesim_dram`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from simulators.base import (
    BatchResult,
    CostModel,
    Designs,
    Metric,
    batch_length,
    columns,
)
from simulators.errors import InvalidArgumentError, InvalidDesignError, check_positive
from simulators.workloads import Gemm, Layer, Network

DATAFLOWS = ("os", "ws", "is")
DESIGN_KEYS = ("rows", "cols", "dataflow", "ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb",
               "dram_bandwidth_words")

# Horowitz, "Computing's energy problem", ISSCC 2014, 45 nm 0.9 V energy/area table:
# 8b mult 0.2 pJ / 282 um^2; 32b add 0.1 pJ / 137 um^2 (int8 MAC, 32-bit accumulator).
MAC_ENERGY_PJ = 0.2 + 0.1
PE_AREA_UM2 = 282.0 + 137.0
# Same source: 32b DRAM read 640 pJ -> 20 pJ per bit.
DRAM_ENERGY_PJ_PER_BIT = 640.0 / 32
# Same source, 64b cache reads: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ; a power law through
# the 8 KB and 1 MB points (exponent log 10 / log 128) gives 19.3 pJ at 32 KB.
SRAM_ENERGY_PJ_64B_AT_8KB = 10.0
SRAM_ENERGY_EXPONENT = np.log(10.0) / np.log(128.0)
# Intel 45 nm 6T SRAM cell 0.346 um^2 (Mistry et al., IEDM 2007); 70% array efficiency
# (bitcells over macro area, an assumption typical of CACTI 45 nm macros).
SRAM_AREA_UM2_PER_BIT = 0.346 / 0.7


def sram_energy_pj_per_bit(size_kb: np.ndarray) -> np.ndarray:
    """Energy of one bit read or written in an SRAM of the given size."""
    return SRAM_ENERGY_PJ_64B_AT_8KB * (np.asarray(size_kb) / 8.0) ** SRAM_ENERGY_EXPONENT / 64


def as_gemms(workload: Network | Layer | Gemm | Sequence[Layer | Gemm]) -> list[tuple[Gemm, int]]:
    """(GEMM, unique input words) pairs of a workload; InvalidArgumentError for anything else."""
    if isinstance(workload, Network):
        workload = workload.layers
    if isinstance(workload, Layer | Gemm):
        workload = [workload]
    if isinstance(workload, str) or not isinstance(workload, Sequence):
        raise InvalidArgumentError("workload", workload,
                                   "a Network, Layer, Gemm or a sequence of them")
    out = []
    for item in workload:
        if isinstance(item, Layer):
            out.append((item.to_gemm(), item.N * (item.C // item.groups)
                        * item.input_height * item.input_width))
        elif isinstance(item, Gemm):
            out.append((item, item.rows * item.inner))
        else:
            raise InvalidArgumentError("workload", type(item).__name__,
                                       "a Network, Layer, Gemm or a sequence of them")
    if not out:
        raise InvalidArgumentError("workload", "[]", "at least one layer")
    return out


def _design_columns(designs: Designs) -> tuple[dict[str, np.ndarray], np.ndarray, list]:
    """Design values as (D, 1) float arrays (dataflow as its index in DATAFLOWS), the
    validity mask and a reason per design; a missing key raises InvalidDesignError."""
    try:
        raw = columns(designs, DESIGN_KEYS)
    except InvalidArgumentError as error:
        raise InvalidDesignError(error.name, None, "a value for every key of "
                                 + ", ".join(DESIGN_KEYS)) from None
    n = batch_length(designs)
    reasons: list[str | None] = [None] * n
    valid = np.ones(n, dtype=bool)
    cols: dict[str, np.ndarray] = {}
    for key in DESIGN_KEYS:
        values = np.asarray(raw[key]).reshape(n)
        if key == "dataflow":
            arr = np.full(n, -1.0)
            for code, name in enumerate(DATAFLOWS):
                arr[values == name] = code
            bad, allowed = arr < 0, ", ".join(DATAFLOWS)
        else:
            arr, bad = _numbers(values)
            whole = key.endswith("_kb") or np.equal(arr, np.round(arr))
            bad |= ~(np.isfinite(arr) & (arr > 0) & whole)
            allowed = "a positive number" if key.endswith("_kb") else "a positive integer"
        for i in np.flatnonzero(bad & valid):
            value = values[i].item() if isinstance(values[i], np.generic) else values[i]
            reasons[i] = str(InvalidDesignError(key, value, allowed))
        valid &= ~bad
        cols[key] = np.where(bad, 1.0, arr)[:, None]  # invalid rows compute on a stand-in
    return cols, valid, reasons


def _numbers(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`values` as floats and the mask of entries that are no number (bools, strings)."""
    if values.dtype.kind in "iuf":
        return values.astype(np.float64), np.zeros(len(values), dtype=bool)
    ok = np.array([isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)
                   for v in values], dtype=bool)
    return np.array([float(v) if k else np.nan for v, k in zip(values, ok, strict=True)],
                    dtype=np.float64), ~ok


@dataclass(frozen=True, eq=False)
class LoweredWorkload:
    """A workload lowered to GEMMs: rows, inner, cols, count and unique ifmap words per
    layer as read-only (1, L) float64 arrays (exact below 2**53), and the total MACs."""

    rows: np.ndarray
    inner: np.ndarray
    cols: np.ndarray
    count: np.ndarray
    ifmap_words: np.ndarray
    macs: float


ACCOUNTINGS = ("default", "scalesim")


def _folds(dataflow, R, C, rows, inner, cols):
    """Dataflow masks, the stationary Sr x Sc and streamed T of the mapping table above,
    and the row and column fold counts, all (D, L)."""
    os_, ws = dataflow == 0, dataflow == 1
    is_ = ~(os_ | ws)
    Sr = np.where(os_, rows, inner)
    Sc = np.where(is_, rows, cols)
    T = np.where(os_, inner, np.where(ws, rows, cols))
    return os_, ws, is_, Sr, Sc, T, -(-Sr // R), -(-Sc // C)


def _default_dram(f, R, lowered, sram_words):
    """Unique-word DRAM traffic (ifmap, filter, ofmap written, ofmap read): half of each
    SRAM (double buffering) holds the working set; an operand whose working set does not
    fit is fetched once per pass over it, and spilled partial sums are read back."""
    os_, ws, is_, Sr, Sc, T, fr, fc = f
    count, ifmap_words = lowered.count, lowered.ifmap_words
    filter_words, ofmap_words = lowered.inner * lowered.cols, lowered.rows * lowered.cols
    cap_if, cap_f, cap_of = (words / 2 for words in sram_words)
    streamed_fits = np.minimum(Sr, R) * T <= np.where(is_, cap_f, cap_if)
    streamed_passes = np.where(streamed_fits, 1, fc)
    filter_passes_os = np.where(Sc * T <= cap_f, 1, fr)
    psum_passes = np.where(Sc * T <= cap_of, 1, fr)
    ifmap_dram = np.where(is_, ifmap_words, ifmap_words * streamed_passes) * count
    filter_dram = np.where(os_, filter_words * filter_passes_os,
                           np.where(ws, filter_words, filter_words * streamed_passes)) * count
    ofmap_dram_w = np.where(os_, ofmap_words, ofmap_words * psum_passes) * count
    ofmap_dram_r = np.where(os_, 0, ofmap_words * (psum_passes - 1)) * count
    return ifmap_dram, filter_dram, ofmap_dram_w, ofmap_dram_r


def _scalesim_dram(f, R, C, bandwidth, sram_words, compute):
    """SCALE-Sim 3.0.0's DRAM reads of ifmap and filter, ofmap DRAM writes and stall
    cycles of one GEMM (scalesim's memory/read_buffer.py, write_buffer.py and
    double_buffered_scratchpad_mem.py; SCALE-Sim replays its demand matrices address by
    address, `simulators.scalesim_buffer` walks the same window fold by fold).

    What it reproduces:

    * Each operand has its own DRAM port of `bandwidth` words per cycle (the config's
      IfmapSRAMBankBandwidth, FilterSRAMBankBandwidth and Bandwidth, all set to it).
    * A read buffer fetches the operand's prefetch matrix: the im2col-expanded operand,
      duplicates included, partial folds padded to the full array, in SCALE-Sim's order
      (row or column fold blocks, rolled out along diagonals where the operand is skewed
      in). Fetches move whole lines of `bandwidth` words: the first fills the active half
      of the SRAM (at most the whole padded matrix), each later one the other half.
    * The buffer keeps a window of half the SRAM over that order (in sets of 1% of the
      SRAM); a demanded word outside it slides the window forward by half the SRAM and
      fetches again, wrapping around at the end, so a word behind the window costs a full
      circle of the operand. Column folds are outermost in every dataflow: a streamed
      operand is demanded once per column fold, os demands each filter block once per
      row fold in a row, the ws/is stationary tile is demanded last row first.
    * Fetch k of a port completes 1 + k * (lines + 1) cycles in, chained whatever the
      demand; a demand waits for the fetch it needs, and the waits of the three operands
      overlap (a cycle stalls for the longest), so the layer's stall is the largest lag of
      any fetch behind its need. The write buffer drains once its drain half is full, at
      `bandwidth` words a cycle.
    * Every partial sum (ws, is: one per row fold) is written to DRAM and never read back.

    Where it departs, and why:

    * SCALE-Sim counts R + C extra ofmap SRAM writes per os fold that move no data; the
      SRAM counts here are the words moved, as in the default accounting, except that no
      partial sum is read back from the ofmap SRAM.
    * A demanded word is looked up by its position in the prefetch order; SCALE-Sim finds
      any copy of an im2col duplicate that its window holds, which on conv layers with
      small SRAMs can spare it refetches (is dataflow, stationary ifmap, most of all).
    * SCALE-Sim adds a positive wait twice (read_buffer.service_reads); the lag it tracks
      then alternates around the true one and the sum evens out over a layer, so the lag
      is taken once. Where two ports stall in turn, SCALE-Sim's stalls add up more than
      the largest lag.
    * Within a fold the slides of a sweep are placed evenly between its first and last
      demand cycle; SCALE-Sim's cycle count is the index of the last cycle, one less than
      the count here.
    """
    from simulators.scalesim_buffer import REPEATED, STATIONARY, STREAMED, walk_all

    os_, ws, is_, Sr, Sc, T, fr, fc = f
    if_words, f_words, of_words = sram_words
    fold_cycles = compute / (fr * fc)
    # Per operand: kind, rows per block, block width, real columns of the last block,
    # real and padded words (systolic_compute_*.create_*_prefetch_mat).
    last_r, last_c = Sr - (fr - 1) * R, Sc - (fc - 1) * C
    streamed = (STREAMED, T, R, last_r, T * Sr, T * R * fr)
    stationary = (STATIONARY, T, C, last_c, Sr * Sc, Sr * C * fc)
    repeated = (REPEATED, T, C, last_c, T * Sc, T * C * fc)
    ifmap = [np.where(is_, a, b) for a, b in zip(stationary, streamed, strict=True)]
    filt = [np.where(os_, a, np.where(ws, b, c))
            for a, b, c in zip(repeated, stationary, streamed, strict=True)]
    shape = np.broadcast(compute, R).shape
    flat = lambda x: np.broadcast_to(np.asarray(x, dtype=np.float64), shape).ravel()  # noqa: E731
    reads, lags = [], []
    for (kind, rows, width, used, real, padded), words in ((ifmap, if_words),
                                                           (filt, f_words)):
        slides, lag = walk_all(flat(kind).astype(np.int64), flat(rows), flat(width),
                               flat(used), flat(Sr), flat(R), flat(fr), flat(fc),
                               flat(fold_cycles), flat(real), flat(words), flat(bandwidth))
        active = np.ceil(words * 0.5)
        first = np.minimum(np.ceil(active / bandwidth), np.ceil(padded / bandwidth))
        lines = np.ceil((words - active) / bandwidth)
        reads.append((first + slides.reshape(shape) * lines) * bandwidth)
        lags.append(lag.reshape(shape))
    ofmap_dram_w = np.where(os_, Sr * Sc, Sc * T * fr)
    # The write buffer starts draining once more than its drain half is written (evenly
    # over the layer), then moves `bandwidth` words a cycle; all but a full SRAM of the
    # writes must be out before the last cycle (write_buffer.service_writes).
    drain = of_words - np.ceil(of_words * 0.5)
    first_drain = compute * np.minimum(drain / ofmap_dram_w, 1)
    write_lag = first_drain + (ofmap_dram_w - of_words) / bandwidth - compute
    stall = np.maximum(np.maximum(lags[0], lags[1]), np.maximum(write_lag, 0))
    return reads[0], reads[1], ofmap_dram_w, np.ceil(stall)


class SystolicArray(CostModel):
    """SCALE-Sim-style systolic array: latency, traffic, energy and area of a workload.

    Args:
        clock_ghz: clock frequency used to turn cycles into seconds.
        word_bits: operand width in bits (SRAM sizes are in KB of such words).
        accounting: "default" (unique DRAM words over one shared DRAM bandwidth) or
            "scalesim" (SCALE-Sim 3.0.0's DRAM traffic and stalls; see the module doc).
    """

    version = "2"  # bump when the same inputs could give other numbers
    metrics = (
        Metric("latency_cycles", "cycles", "min", "cycles of all layers, stalls included"),
        Metric("latency_s", "s", "min", "latency_cycles at clock_ghz"),
        Metric("compute_cycles", "cycles", "min",
               "cycles the array computes (SCALE-Sim's padded folds)"),
        Metric("stall_cycles", "cycles", "min", "cycles waiting on DRAM beyond compute"),
        Metric("utilization", "fraction", "max", "MACs / (PEs x latency_cycles)"),
        Metric("energy_pj", "pJ", "min", "MAC, SRAM and DRAM energy (45 nm tables)"),
        Metric("power_mw", "mW", "min", "energy_pj / latency_s"),
        Metric("area_mm2", "mm2", "min", "PEs and SRAM cells (45 nm)"),
        Metric("edp_pj_s", "pJ*s", "min", "energy_pj x latency_s"),
        Metric("macs", "count", "min", "multiply-accumulates of the workload"),
        *(Metric(f"{operand}_{memory}_{access}_words", "words", "min",
                 f"{operand} words {'read from' if access == 'read' else 'written to'} "
                 f"{memory.upper()}")
          for memory in ("sram", "dram")
          for operand, access in (("ifmap", "read"), ("filter", "read"), ("ofmap", "write"),
                                  ("ofmap", "read"))),
    )

    def __init__(self, clock_ghz: float = 1.0, word_bits: int = 8,
                 accounting: str = "default"):
        check_positive("clock_ghz", clock_ghz)
        if word_bits not in (8, 16, 32):
            raise InvalidArgumentError("word_bits", word_bits, "8, 16 or 32")
        if accounting not in ACCOUNTINGS:
            raise InvalidArgumentError("accounting", accounting, ", ".join(ACCOUNTINGS))
        self.clock_ghz = clock_ghz
        self.word_bits = word_bits
        self.accounting = accounting

    def prepare(self, workload) -> LoweredWorkload:
        """A Network, Layer, Gemm or sequence of them lowered to GEMM arrays (a lowered
        workload comes back as is); InvalidArgumentError for anything else."""
        if isinstance(workload, LoweredWorkload):
            return workload
        pairs = as_gemms(workload)
        # float64 throughout: exact for integers below 2**53, and no silent int64 overflow.
        table = np.array([(g.rows, g.inner, g.cols, g.count, words) for g, words in pairs],
                         dtype=np.float64).T.copy()[:, None, :]
        table.setflags(write=False)
        macs = float(sum(g.rows * g.inner * g.cols * g.count for g, _ in pairs))
        return LoweredWorkload(*table, macs)

    def evaluate_batch(self, designs: Designs, workload) -> BatchResult:
        """Every design (dicts or columns) on one workload (raw or prepared) in one numpy
        pass (designs x layers); out-of-range values are invalid designs with a reason."""
        d, valid, reasons = _design_columns(designs)
        n = len(valid)
        lowered = self.prepare(workload)
        rows, inner, cols, count = lowered.rows, lowered.inner, lowered.cols, lowered.count
        macs = lowered.macs
        R, C = d["rows"], d["cols"]
        f = _folds(d["dataflow"], R, C, rows, inner, cols)
        os_, ws, is_, Sr, Sc, T, fr, fc = f
        fold_cycles = np.where(os_, T + R + C - 2, 2 * R + C + T - 2)
        compute = fr * fc * fold_cycles * count

        # SRAM traffic: stationary Sr x Sc once; streamed Sr x T once per column fold;
        # the Sc x T operand once per row fold (an input in os, partial sums otherwise).
        streamed = Sr * T * fc
        ifmap_sram = np.where(is_, Sr * Sc, streamed) * count
        filter_sram = np.where(os_, Sc * T * fr, np.where(ws, Sr * Sc, streamed)) * count
        ofmap_sram_w = np.where(os_, Sr * Sc, Sc * T * fr) * count
        words_per_kb = 8192 // self.word_bits
        sram_words = tuple(d[k] * words_per_kb for k in
                           ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb"))
        if self.accounting == "scalesim":
            ofmap_sram_r = np.zeros_like(compute)
            ifmap_dram, filter_dram, ofmap_dram_w, stall = _scalesim_dram(
                f, R, C, d["dram_bandwidth_words"], sram_words, compute / count)
            ifmap_dram, filter_dram, ofmap_dram_w = (x * count for x in
                                                     (ifmap_dram, filter_dram, ofmap_dram_w))
            ofmap_dram_r = np.zeros_like(compute)
            dram_words = ifmap_dram + filter_dram + ofmap_dram_w
            cycles = compute + stall * count
        else:
            ofmap_sram_r = np.where(os_, 0, Sc * T * (fr - 1)) * count
            ifmap_dram, filter_dram, ofmap_dram_w, ofmap_dram_r = _default_dram(
                f, R, lowered, sram_words)
            dram_words = ifmap_dram + filter_dram + ofmap_dram_w + ofmap_dram_r
            dram_cycles = -(-dram_words // d["dram_bandwidth_words"])
            cycles = np.maximum(compute, dram_cycles)

        total = lambda a: a.sum(axis=1).astype(np.float64)  # noqa: E731
        sram_pj_per_word = {k: sram_energy_pj_per_bit(d[k][:, 0]) * self.word_bits
                            for k in ("ifmap_sram_kb", "filter_sram_kb", "ofmap_sram_kb")}
        energy = (
            macs * MAC_ENERGY_PJ * (self.word_bits / 8)
            + total(ifmap_sram) * sram_pj_per_word["ifmap_sram_kb"]
            + total(filter_sram) * sram_pj_per_word["filter_sram_kb"]
            + total(ofmap_sram_w + ofmap_sram_r) * sram_pj_per_word["ofmap_sram_kb"]
            + total(dram_words) * DRAM_ENERGY_PJ_PER_BIT * self.word_bits
        )
        sram_bits = sum(d[k][:, 0] for k in ("ifmap_sram_kb", "filter_sram_kb",
                                              "ofmap_sram_kb")) * 8192
        n_pe = (R * C)[:, 0].astype(np.float64)
        area_mm2 = (n_pe * PE_AREA_UM2 + sram_bits * SRAM_AREA_UM2_PER_BIT) * 1e-6

        latency_cycles = total(cycles)
        latency_s = latency_cycles / (self.clock_ghz * 1e9)
        columns = {
            "latency_cycles": latency_cycles,
            "latency_s": latency_s,
            "compute_cycles": total(compute),
            "stall_cycles": total(cycles - compute),
            "utilization": macs / (n_pe * latency_cycles),
            "energy_pj": energy,
            "power_mw": energy * 1e-9 / latency_s,
            "area_mm2": area_mm2,
            "edp_pj_s": energy * latency_s,
            "macs": np.full(n, macs),
            "ifmap_sram_read_words": total(ifmap_sram),
            "filter_sram_read_words": total(filter_sram),
            "ofmap_sram_write_words": total(ofmap_sram_w),
            "ofmap_sram_read_words": total(ofmap_sram_r),
            "ifmap_dram_read_words": total(ifmap_dram),
            "filter_dram_read_words": total(filter_dram),
            "ofmap_dram_write_words": total(ofmap_dram_w),
            "ofmap_dram_read_words": total(ofmap_dram_r),
        }
        if not valid.all():
            columns = {k: np.where(valid, v, np.nan) for k, v in columns.items()}
        return BatchResult(columns, valid, reasons)
