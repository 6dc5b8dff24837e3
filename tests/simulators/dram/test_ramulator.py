"""The `ramulator-ddr4` preset follows Ramulator 1's controller (CMU-SAFARI/ramulator,
src/Controller.h, src/Scheduler.h, src/Main.cpp), pinned on hand-built traces. Times are
DDR4-2400R cycles: tRCD = tRP = 16, tRAS 39, tRC 55, tCCD_L 6, tRTP 9, CL 16 + BL/2 4. Each
expectation was also checked against Ramulator 1 built from source (its printed command
trace and stats on the same traces)."""

from __future__ import annotations

import numpy as np

from simulators.dram import RAMULATOR_DDR4, DRAMSimulator, DRAMWorkload, Trace
from simulators.dram import kernel as k
from tests.simulators.dram.checker import check_commands
from tests.simulators.dram.test_kernel import address

SIM = DRAMSimulator("DDR4-2400", "RoBaRaCoCh", RAMULATOR_DDR4)
COLUMN = (k.RD, k.WR)


def _run(requests: list[tuple[int, int, int, bool]], design: dict | None = None):
    """(bank, row, 64-byte column, write) per request, in Ramulator's DRAM mode."""
    addresses = [address(SIM, b, r, 8 * c) for b, r, c, _ in requests]
    trace = Trace(np.array(addresses, np.uint64), np.array([w for *_, w in requests]),
                  np.zeros(len(requests)))
    result = SIM.run(design or {}, DRAMWorkload(trace, "saturating"), record=True)
    assert check_commands(result.commands, SIM.spec, result.bank, result.row,
                          result.is_write) == []
    return result


def test_a_row_hit_is_counted_at_the_requests_first_command():
    # Controller.h:409-441: hit / conflict / miss decided when the request's first command
    # issues. D arrives while row 1 is open (a conflict then) but its first command is the RD
    # after C's ACT opened row 2: a hit.
    result = _run([(0, 1, 0, False), (0, 1, 1, False), (0, 2, 0, False), (0, 2, 1, False)])
    c = result.counters
    assert (c[k.HITS], c[k.MISSES], c[k.CONFLICTS]) == (2, 1, 1)
    # One request sent per cycle, scheduled from the next tick (Main.cpp:53-74): A's ACT at
    # clk 1, RD at 17; B 6 later; C's PRE at tRAS, ACT tRP later; C (in actq, Controller.h:
    # 372-381, 449-453) reads before D.
    cmds = [(int(t), int(cmd), int(r)) for t, cmd, _, _, r in result.commands]
    assert cmds == [(1, k.ACT, 0), (17, k.RD, 0), (23, k.RD, 1), (40, k.PRE, 2),
                    (56, k.ACT, 2), (72, k.RD, 2), (78, k.RD, 3)]
    # latency = depart - arrive (request i sent at clk i), depart = RD clk + CL + BL/2
    # (Controller.h:319, 459-460)
    assert (result.response - result.start).tolist() == [37, 42, 90, 95]


def _runs_per_activation(result) -> list[int]:
    """Column commands between consecutive ACTs."""
    runs = []
    for cmd in result.commands[:, 1]:
        if cmd == k.ACT:
            runs.append(0)
        elif cmd in COLUMN:
            runs[-1] += 1
    return runs


def test_the_cap_demotes_hits_beyond_16_and_resets_at_each_activation():
    # Scheduler.h:180-193: a request is ready for FR-FCFS only while its row's hit count
    # is <= cap (16); RowTable counts column accesses since the row's ACT (Scheduler.h:295-
    # 304), erased at PRE. A row then gets 17 hits before the older conflicting request's
    # PRE goes, and the next row gets its own 17.
    a, b = [(0, 1, c, False) for c in range(21)], [(0, 2, c, False) for c in range(21)]
    result = _run([a[0], b[0], *a[1:], *b[1:]])
    assert _runs_per_activation(result) == [17, 17, 4, 4]
    assert _runs_per_activation(_run([a[0], b[0], *a[1:], *b[1:]], {"RowHitCap": 0})) \
        == [21, 21]


def test_writes_drain_above_int_08_of_the_queue_until_fewer_than_int_02_remain():
    # Controller.h:357-366: write mode when the write queue holds more than int(0.8 x 32) =
    # 25 (reads waiting), back to reads when it holds fewer than int(0.2 x 32) = 6. Reads
    # hit bank 1's open row every tCCD_L = 6 cycles from clk 17; the 26th write is sent at
    # clk 53 (two reads, then read/write pairs), so the RD at 53 goes first: 7 reads, then
    # 30 - 5 = 25 writes, then reads again. The reads after the pairs keep the read queue
    # full, so the trace is still being sent (its end drains every write, Main.cpp:68).
    reads = [(1, 1, c, False) for c in range(128)]
    writes = [(4, 1, c, True) for c in range(30)]
    pairs = [x for pair in zip(reads[2:32], writes, strict=True) for x in pair]
    result = _run([reads[0], reads[1], *pairs, *reads[32:]])
    column = [int(c) for c in result.commands[:, 1] if c in COLUMN]
    assert column[:7] == [k.RD] * 7 and column[7:32] == [k.WR] * 25 and column[32] == k.RD
