"""Memory traces: DRAMSys `.stl` and Ramulator files, and seeded generators."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulators.errors import InvalidArgumentError

INJECTION_MODES = ("timestamped", "saturating")
TRACE_FORMATS = ("stl", "ramulator")
GENERATORS = ("streaming", "random", "strided", "hotset", "mixed", "cloud")


@dataclass(frozen=True, eq=False)
class Trace:
    """Requests in arrival order: byte address, write flag, arrival time (ns)."""

    address: np.ndarray  # uint64
    is_write: np.ndarray  # bool
    arrival_ns: np.ndarray  # float64, non-decreasing

    def __post_init__(self):
        n = len(self.address)
        if n == 0 or len(self.is_write) != n or len(self.arrival_ns) != n:
            raise InvalidArgumentError("trace", n, "a non-empty trace with one address, "
                                       "direction and time per request")
        if np.any(np.diff(self.arrival_ns) < 0) or np.any(self.arrival_ns < 0):
            raise InvalidArgumentError("trace times", "decreasing or negative",
                                       "non-decreasing times >= 0")

    def __len__(self) -> int:
        return len(self.address)


@dataclass(frozen=True)
class DRAMWorkload:
    """A trace and how it is injected: at its times (`timestamped`) or whenever the
    controller has room (`saturating`, Ramulator's DRAM mode)."""

    trace: Trace
    injection: str = "timestamped"
    name: str = "trace"

    def __post_init__(self):
        if self.injection not in INJECTION_MODES:
            raise InvalidArgumentError("injection", self.injection, ", ".join(INJECTION_MODES))


def _make(addresses, writes, times) -> Trace:
    return Trace(np.asarray(addresses, dtype=np.uint64), np.asarray(writes, dtype=bool),
                 np.asarray(times, dtype=np.float64))


def read_stl(path: str | Path, clock_mhz: float = 1000.0) -> Trace:
    """A DRAMSys trace-player file: `cycle:<tab>read|write<tab>0xADDR[<tab>data]` with
    cycles of a `clock_mhz` trace clock; `#` starts a comment. A time earlier than the one
    before it is sent at once (as DRAMSys' player does with time stamps in the past)."""
    addresses, writes, times = [], [], []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            stamp, rest = line.split(":", 1)
            command, address = rest.split()[:2]
            if command.lower() not in ("read", "write"):
                raise ValueError(command)
            times.append(float(stamp) * 1e3 / clock_mhz)
            writes.append(command.lower() == "write")
            addresses.append(int(address, 16))
        except ValueError:
            raise InvalidArgumentError(f"{path} line {number}", line,
                                       "'cycle:<tab>read|write<tab>0xADDR'") from None
    return _make(addresses, writes, np.maximum.accumulate(np.asarray(times, np.float64))
                 if times else times)


def read_ramulator(path: str | Path) -> Trace:
    """A Ramulator DRAM-mode trace: `0xADDR R|W` per line (at most 16 hex digits, the 0x
    optional); every request at time 0. Parsed by numpy over the file's bytes; a malformed
    file is re-read line by line to name its first bad line."""
    data = Path(path).read_bytes()
    parsed = _parse_ramulator(np.frombuffer(data, np.uint8))
    if parsed is not None:
        return _make(parsed[0], parsed[1], np.zeros(len(parsed[0])))
    for number, line in enumerate(data.decode(errors="replace").splitlines(), 1):
        parts = line.split()
        try:
            if parts and (len(parts) != 2 or parts[1] not in ("R", "W")
                          or not 0 <= int(parts[0], 16) < 1 << 64):
                raise ValueError(line)
        except ValueError:
            raise InvalidArgumentError(f"{path} line {number}", line, "'0xADDR R|W'") from None
    raise InvalidArgumentError(f"trace {path}", "its content",
                               "lines of '0xADDR R|W', at least one, plain hex digits")


_HEX = np.full(256, 255, np.uint8)
_WORD = np.ones(256, np.int8)  # 0 at the whitespace bytes that split words
_WORD[np.frombuffer(b" \t\r\n\v\f", np.uint8)] = 0
for _digits, _first in ((b"0123456789", 0), (b"abcdef", 10), (b"ABCDEF", 10)):
    _HEX[np.frombuffer(_digits, np.uint8)] = np.arange(_first, _first + len(_digits))


def _parse_ramulator(b: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(addresses, write flags) of a Ramulator trace's bytes, or None if malformed."""
    pad = np.zeros(1, np.int8)
    edges = np.diff(np.concatenate((pad, _WORD[b], pad)))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if len(starts) == 0 or len(starts) % 2:
        return None
    line = np.searchsorted(np.flatnonzero(b == ord("\n")), starts)
    if np.any(line[0::2] != line[1::2]) or np.any(np.diff(line[0::2]) <= 0):
        return None  # not two words on every non-empty line
    kind_at = starts[1::2]
    kind = b[kind_at]
    if np.any(ends[1::2] - kind_at != 1) or np.any((kind != ord("R")) & (kind != ord("W"))):
        return None
    first, end = starts[0::2], ends[0::2]
    prefixed = (end - first >= 3) & (b[first] == ord("0")) & (b[np.minimum(first + 1, len(b) - 1)]
                                                              | 0x20 == ord("x"))
    first = first + 2 * prefixed
    n_digits = end - first
    if np.any(n_digits < 1) or np.any(n_digits > 16):
        return None
    inside = np.zeros(len(b) + 1, np.int8)  # +1 from a number's first digit to its end
    inside[first], inside[end] = 1, -1
    at = np.flatnonzero(np.cumsum(inside[:-1], dtype=np.int8))
    digits = _HEX[b[at]]
    if np.any(digits == 255):
        return None
    shift = 4 * (np.repeat(end, n_digits) - 1 - at)
    values = digits.astype(np.uint64) << shift.astype(np.uint64)
    offsets = np.concatenate(([0], np.cumsum(n_digits)[:-1]))
    return np.add.reduceat(values, offsets), kind == ord("W")


def read_trace(path: str | Path, trace_format: str | None = None,
               clock_mhz: float = 1000.0) -> Trace:
    """A trace file; the format defaults from the suffix (`.stl`, else Ramulator)."""
    trace_format = trace_format or ("stl" if str(path).endswith(".stl") else "ramulator")
    if trace_format not in TRACE_FORMATS:
        raise InvalidArgumentError("trace format", trace_format, ", ".join(TRACE_FORMATS))
    return read_stl(path, clock_mhz) if trace_format == "stl" else read_ramulator(path)


def generate(kind: str, n_requests: int = 10_000, seed: int = 0, read_fraction: float = 1.0,
             interval_ns: float = 2.0, footprint_bytes: int = 1 << 30, line_bytes: int = 64,
             stride_bytes: int = 4096, hot_lines: int = 1024, hot_fraction: float = 0.9) -> Trace:
    """A seeded synthetic trace.

    kinds: `streaming` (consecutive lines), `random` (uniform over the footprint), `strided`
    (every `stride_bytes`), `hotset` (`hot_fraction` of requests to `hot_lines` lines, the rest
    random), `mixed` (half streaming, half random, interleaved in runs), `cloud` (bursts of
    streaming and random runs separated by idle gaps, with exponential inter-arrival times).
    Requests are reads with probability `read_fraction`; without bursts they arrive every
    `interval_ns`.
    """
    if kind not in GENERATORS:
        raise InvalidArgumentError("trace kind", kind, ", ".join(GENERATORS))
    if not (isinstance(n_requests, int) and n_requests >= 1):
        raise InvalidArgumentError("n_requests", n_requests, "an integer >= 1")
    if not 0.0 <= read_fraction <= 1.0:
        raise InvalidArgumentError("read_fraction", read_fraction, "a fraction in [0, 1]")
    rng = np.random.default_rng(seed)
    lines = max(footprint_bytes // line_bytes, 1)
    index = np.arange(n_requests, dtype=np.int64)
    times = index * float(interval_ns)
    if kind == "streaming":
        line = index % lines
    elif kind == "random":
        line = rng.integers(0, lines, n_requests)
    elif kind == "strided":
        line = (index * max(stride_bytes // line_bytes, 1)) % lines
    elif kind == "hotset":
        hot = rng.integers(0, lines, max(hot_lines, 1))
        line = np.where(rng.random(n_requests) < hot_fraction,
                        hot[rng.integers(0, len(hot), n_requests)],
                        rng.integers(0, lines, n_requests))
    else:
        run = 64  # requests per run of one access pattern
        run_id = index // run
        coin = rng.random(run_id[-1] + 1)[run_id] < 0.5
        streaming = (run_id % 2 == 0) if kind == "mixed" else coin
        base = rng.integers(0, lines, run_id[-1] + 1)[run_id]
        line = np.where(streaming, (base + index % run) % lines, rng.integers(0, lines, n_requests))
        if kind == "cloud":  # bursts: busy runs at 4x the rate, idle gaps of ~8 runs' time
            gaps = rng.exponential(interval_ns / 4, n_requests)
            idle = (index % run == 0) * rng.exponential(8 * run * interval_ns, n_requests)
            times = np.cumsum(gaps + idle)
            times -= times[0]  # the first request at 0 exactly
    writes = rng.random(n_requests) >= read_fraction
    return _make(line.astype(np.uint64) * np.uint64(line_bytes), writes, times)
