"""An independent, pure-Python JEDEC timing checker that replays a recorded command trace.

It keeps the time of the last command of each kind per bank, per bank group and per channel,
and checks every new command against the minimum distances of JESD79-4 / JESD209-4 (as the
spec's fields and derived delays give them), bank state (ACT to a closed bank, column
commands to the open row, refresh with all banks closed), the four-activate window, the
data bus (no two bursts overlap) and one column command per request."""

from __future__ import annotations

from simulators.dram import kernel as k
from simulators.dram.memspec import MemSpec

NEVER = -(10**12)


def check_commands(commands, spec: MemSpec, bank, row, is_write) -> list[str]:
    """Every violation in the trace (an empty list when the trace is legal)."""
    bad: list[str] = []
    per_group = spec.banks // spec.bank_groups
    open_row = [None] * spec.banks
    closed_at = [NEVER] * spec.banks  # when the bank's last precharge took effect
    closed_rp = [spec.rp] * spec.banks
    last = {name: [NEVER] * spec.banks for name in ("act", "rd", "wr", "ref_end")}
    acts: list[tuple[int, int]] = []  # (time, bank) of ACT and REFPB
    cas: list[tuple[int, int, bool]] = []  # (time, bank, write)
    last_pre_any = last_refpb = last_cmd = NEVER
    served = [0] * len(bank)

    def need(ok: bool, t: int, what: str) -> None:
        if not ok:
            bad.append(f"cycle {t}: {what}")

    def check_precharge(t: int, b: int) -> None:
        need(open_row[b] is not None, t, f"PRE to closed bank {b}")
        need(t - last["act"][b] >= spec.ras, t, f"tRAS bank {b}")
        need(t - last["rd"][b] >= spec.rd_to_pre, t, f"RD-to-PRE bank {b}")
        need(t - last["wr"][b] >= spec.wr_to_pre, t, f"WR-to-PRE bank {b}")

    def activate_like(t: int, b: int) -> None:
        g = b // per_group
        need(open_row[b] is None, t, f"ACT/REFPB to open bank {b}")
        need(t - last["act"][b] >= spec.rc, t, f"tRC bank {b}")
        need(t >= closed_at[b] + closed_rp[b], t, f"tRP bank {b}")
        need(t >= last["ref_end"][b], t, f"tRFC bank {b}")
        for t_other, other in reversed(acts):
            if other // per_group == g and other != b:
                need(t - t_other >= spec.rrd_l, t, f"tRRD_L bank {b}")
                break
        for t_other, other in reversed(acts):
            if other // per_group != g:
                need(t - t_other >= spec.rrd_s, t, f"tRRD_S bank {b}")
                break
        if len(acts) >= 4:
            need(t - acts[-4][0] >= spec.faw, t, "tFAW: a fifth activation in the window")
        acts.append((t, b))

    def column(t: int, b: int, write: bool) -> None:
        g = b // per_group
        need(t - last["act"][b] >= spec.rcd, t, f"tRCD bank {b}")
        for t_prev, b_prev, w_prev in reversed(cas):
            same = b_prev // per_group == g
            if w_prev == write:
                need(t - t_prev >= (spec.ccd_l if same else spec.ccd_s), t, "tCCD")
            elif write:
                need(t - t_prev >= spec.rd_to_wr, t, "RD-to-WR")
            else:
                need(t - t_prev >= spec.wr_to_rd(same), t, "WR-to-RD (tWTR)")
            if t - t_prev > 200:
                break
        cas.append((t, b, write))

    for t, cmd, b, r_row, req in (tuple(int(v) for v in c) for c in commands):
        need(t > last_cmd, t, "two commands in one cycle")
        last_cmd = t
        if cmd == k.ACT:
            activate_like(t, b)
            open_row[b] = r_row
            last["act"][b] = t
        elif cmd == k.PRE:
            check_precharge(t, b)
            need(t - last_pre_any >= spec.ppd, t, "tPPD")
            last_pre_any = t
            open_row[b], closed_at[b], closed_rp[b] = None, t, spec.rp
        elif cmd == k.PREA:
            for x in range(spec.banks):
                if open_row[x] is not None:
                    check_precharge(t, x)
                    open_row[x], closed_at[x], closed_rp[x] = None, t, spec.rp_all
            last_pre_any = t
        elif cmd in (k.RD, k.RDA, k.WR, k.WRA):
            write = cmd in (k.WR, k.WRA)
            need(0 <= req < len(bank), t, f"column command for unknown request {req}")
            served[req] += 1
            need(bank[req] == b and row[req] == r_row and is_write[req] == write, t,
                 f"request {req} served at the wrong place or direction")
            need(open_row[b] == row[req], t, f"column command to bank {b} without row {r_row}")
            column(t, b, write)
            last["wr" if write else "rd"][b] = t
            if cmd in (k.RDA, k.WRA):
                to_pre = spec.wr_to_pre if write else spec.rd_to_pre
                open_row[b] = None
                closed_at[b] = max(t + to_pre, last["act"][b] + spec.ras)
                closed_rp[b] = spec.rp
        elif cmd == k.REF:
            for x in range(spec.banks):
                need(open_row[x] is None, t, f"REF with bank {x} open")
                need(t >= closed_at[x] + closed_rp[x], t, f"tRP before REF, bank {x}")
                need(t - last["act"][x] >= spec.rc, t, f"tRC before REF, bank {x}")
                need(t >= last["ref_end"][x], t, "REF during a refresh")
                last["ref_end"][x] = t + spec.rfc
        elif cmd == k.REFPB:
            need(spec.has_per_bank_refresh, t, "REFPB on a standard without per-bank refresh")
            need(t - last_refpb >= spec.pbr2pbr, t, "tpbR2pbR")
            activate_like(t, b)
            last_refpb = t
            last["ref_end"][b] = t + spec.rfc_pb
        else:
            bad.append(f"cycle {t}: unknown command {cmd}")

    bursts = sorted((t + (spec.wl if w else spec.rl), w) for t, _, w in cas)
    for (a, _), (b2, _) in zip(bursts, bursts[1:], strict=False):
        need(b2 - a >= spec.burst_cycles, b2, "data bus: overlapping bursts")
    for req, count in enumerate(served):
        need(count == 1, -1, f"request {req} served {count} times")
    return bad
