"""The event-driven controller kernel: requests in, completion times and counters out.

One channel, one rank. Each loop iteration admits arriving requests into the scheduler
buffer, lets the refresh manager claim the banks it needs, and issues at most one command
(one command-bus slot per cycle): per bank the scheduler picks a request and the command it
needs next (ACT, PRE or a column command), and the command multiplexer issues the ready one
of the oldest request. When nothing is ready, time jumps to the next event (the earliest
timing constraint to expire, an arrival, a refresh deadline). Every JEDEC constraint is a
per-bank, per-bank-group or per-channel "not before" register raised by each command.

Scheduler `FrFcfsCap` is Ramulator 1's controller (src/Controller.h, src/Scheduler.h) instead:
one request admitted per cycle, each seen by the scheduler from the next cycle on (Main.cpp
run_dramtrace sends before Controller::tick advances clk); the oldest request over the whole
read or write queue whose first command is ready, a row hit to a row already hit more than
`cap` times since its ACT counting as not ready (Scheduler.h:180-193), else the oldest, which
issues only when ready; requests whose ACT issued leave the queue for a prioritized actq
(Controller.h:372-397, 449-453).

The arrays in (all length n): arrival cycle, flat bank, row, write flag. `timing` and
`config` are integer vectors indexed by the T_* and C_* positions of `layout`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulators.dram.layout import (
    ACT,
    ACTIVE_BANK_CYCLES,
    C_ARBITER,
    C_BANKS,
    C_BUF,
    C_BUFSIZE,
    C_DRAIN_HIGH,
    C_DRAIN_LOW,
    C_GROUPS,
    C_HIT_CAP,
    C_IN_ORDER,
    C_MAT,
    C_PAGE,
    C_POSTPONE,
    C_PULLIN,
    C_REFRESH,
    C_SATURATING,
    C_SCHED,
    CONFLICTS,
    END_CYCLE,
    EVENTS,
    HITS,
    MISSES,
    N_COUNTERS,
    PRE,
    PREA,
    RD,
    RDA,
    REF,
    REFPB,
    T_BURST,
    T_CCD_L,
    T_CCD_S,
    T_FAW,
    T_PBR2PBR,
    T_PPD,
    T_RAS,
    T_RC,
    T_RCD,
    T_RD2PRE,
    T_RD2WR,
    T_REFI,
    T_REFIPB,
    T_RFC,
    T_RFCPB,
    T_RL,
    T_RP,
    T_RPAB,
    T_RRD_L,
    T_RRD_S,
    T_WL,
    T_WR2PRE,
    T_WR2RD_L,
    T_WR2RD_S,
    WR,
    WRA,
)

PAGE_OPEN, PAGE_OPEN_ADAPTIVE, PAGE_CLOSED, PAGE_CLOSED_ADAPTIVE = range(4)
SCHED_FIFO, SCHED_FRFCFS, SCHED_FRFCFS_GRP, SCHED_FRFCFS_CAP = range(4)
BUF_BANKWISE, BUF_READWRITE, BUF_SHARED = range(3)
REFRESH_NONE, REFRESH_ALLBANK, REFRESH_PERBANK = range(3)
ARB_SIMPLE, ARB_FIFO, ARB_REORDER = range(3)

_NEVER = 1 << 62
FLOOR_RD, FLOOR_WR, FLOOR_PRE, FLOOR_ACT = range(4)
# FrFcfsCap's request classes per bank (the oldest of each is its candidate): activated
# requests (Ramulator's actq) to the open row reading / writing, or needing PRE/ACT; then
# the same three for the requests of the read or write queue.
CLS_ACT_RD, CLS_ACT_WR, CLS_ACT_OTHER, CLS_Q_RD, CLS_Q_WR, CLS_Q_OTHER, N_CLS = range(7)


@njit(cache=True)
def _record(rec, count, t, kind, bank, row, request):
    """Append one command to the trace, doubling its storage when full."""
    if count == rec.shape[0]:
        bigger = np.empty((2 * rec.shape[0], 5), np.int64)
        bigger[:count] = rec[:count]
        rec = bigger
    rec[count, 0] = t
    rec[count, 1] = kind
    rec[count, 2] = bank
    rec[count, 3] = row
    rec[count, 4] = request
    return rec


@njit(cache=True)
def _touch(touched, n_touched, is_touched, b):
    """Queue bank b for the scheduler's refresh of cached choices; the new queue length."""
    if is_touched[b]:
        return n_touched
    is_touched[b] = True
    touched[n_touched] = b
    return n_touched + 1


@njit(cache=True, nogil=True, error_model="numpy")
def simulate(arrival, bank, row, is_write, timing, config, record):
    """Returns (start, done, response, counters, commands[:count]); `commands` rows are
    (cycle, command, bank, row, request) when `record`, else empty."""
    n = arrival.shape[0]
    nb, ng = config[C_BANKS], config[C_GROUPS]
    per_group = nb // ng
    page, sched, buf_kind = config[C_PAGE], config[C_SCHED], config[C_BUF]
    size, refresh = config[C_BUFSIZE], config[C_REFRESH]
    saturating, arbiter, mat = config[C_SATURATING] != 0, config[C_ARBITER], config[C_MAT]
    in_order, cap = config[C_IN_ORDER] != 0, config[C_HIT_CAP]
    drain_high, drain_low = config[C_DRAIN_HIGH], config[C_DRAIN_LOW]
    t_rl, t_wl, t_burst, t_faw = timing[T_RL], timing[T_WL], timing[T_BURST], timing[T_FAW]
    group_of = np.arange(nb) // per_group
    period = timing[T_REFIPB] if refresh == REFRESH_PERBANK else timing[T_REFI]
    ramulator = sched == SCHED_FRFCFS_CAP

    start = np.full(n, -1, np.int64)
    done = np.full(n, -1, np.int64)
    resp = np.full(n, -1, np.int64)
    kind = np.full(n, -1, np.int64)  # HITS, MISSES or CONFLICTS, fixed by its first command
    counters = np.zeros(N_COUNTERS, np.int64)
    rec = np.empty((4 * n + 64 if record else 1, 5), np.int64)
    n_rec = 0

    open_row = np.full(nb, -1, np.int64)
    act_at = np.zeros(nb, np.int64)
    hits_since_act = np.zeros(nb, np.int64)
    bank_act = np.zeros(nb, np.int64)  # earliest ACT / PRE / RD / WR per bank
    bank_pre = np.zeros(nb, np.int64)
    bank_rd = np.zeros(nb, np.int64)
    bank_wr = np.zeros(nb, np.int64)
    group_act = np.zeros(ng, np.int64)
    group_rd = np.zeros(ng, np.int64)
    group_wr = np.zeros(ng, np.int64)
    any_act, any_pre, any_rd, any_wr = 0, 0, 0, 0
    faw = np.full(4, -_NEVER, np.int64)  # the last four ACT times, ring buffer
    faw_i = 0
    last_refpb = -_NEVER

    qcap = 2 * size if buf_kind == BUF_READWRITE else size
    if ramulator:  # activated requests leave the read/write queues: room for one per bank
        qcap += nb
    activated = np.zeros(n if ramulator else 1, np.bool_)
    cls = np.full((nb, N_CLS), -1, np.int64)
    queue = np.empty((nb, qcap), np.int64)  # request numbers, oldest first, per bank
    queue_row = np.empty((nb, qcap), np.int64)  # their rows and directions, kept beside
    queue_write = np.empty((nb, qcap), np.bool_)
    qlen = np.zeros(nb, np.int64)
    dirty = np.ones(nb, np.bool_)  # the bank's cached scheduler choice is stale
    cand_req = np.full(nb, -1, np.int64)
    cand_cmd = np.full(nb, -1, np.int64)
    stale = np.ones(nb, np.bool_)  # local_at needs recomputing
    touched = np.arange(nb)  # the banks with dirty or stale set
    is_touched = np.ones(nb, np.bool_)
    n_touched = nb
    local_at = np.zeros(nb, np.int64)
    floor_of = np.zeros(nb, np.int64)  # which channel-wide register also gates it
    floors = np.zeros(4, np.int64)
    buffered, buf_r, buf_w = 0, 0, 0
    pending = np.empty(max(mat, 1), np.int64)  # known response times not yet returned
    n_pending, returned, min_pending = 0, 0, _NEVER
    limit_active = arbiter != ARB_SIMPLE
    next_in, served, resp_ptr, last_resp, last_admit = 0, 0, 0, 0, -1
    write_mode, last_write = False, False
    in_refresh, refreshed, due, next_due = False, 0, 0, period
    t = 1 if ramulator else 0  # Ramulator's first tick schedules at clk 1
    while served < n:
        counters[EVENTS] += 1
        # -- admission, in trace order -------------------------------------------------
        while next_in < n:
            if not saturating and arrival[next_in] > t:
                break
            if (limit_active or ramulator) and last_admit >= t:
                break
            if limit_active:
                if next_in - returned >= mat and min_pending <= t:  # count returned responses
                    min_pending = _NEVER
                    i = 0
                    while i < n_pending:
                        if pending[i] <= t:
                            returned += 1
                            n_pending -= 1
                            pending[i] = pending[n_pending]
                        else:
                            min_pending = min(min_pending, pending[i])
                            i += 1
                if next_in - returned >= mat:
                    break
            b = bank[next_in]
            w = is_write[next_in]
            if buf_kind == BUF_BANKWISE and qlen[b] >= size:
                break
            if buf_kind == BUF_READWRITE and (buf_w if w else buf_r) >= size:
                break
            if buf_kind == BUF_SHARED and buffered >= size:
                break
            if qlen[b] >= qcap:
                break
            queue[b, qlen[b]] = next_in
            queue_row[b, qlen[b]] = row[next_in]
            queue_write[b, qlen[b]] = w
            qlen[b] += 1
            dirty[b] = True
            n_touched = _touch(touched, n_touched, is_touched, b)
            buffered += 1
            if w:
                buf_w += 1
            else:
                buf_r += 1
            # Ramulator stamps `arrive` at the clk before the tick that first schedules it
            start[next_in] = t - ramulator if saturating else arrival[next_in]
            last_admit = t
            next_in += 1

        # -- write drain (Ramulator write mode) -----------------------------------------
        only = -1  # -1: any request, 0: reads only, 1: writes only
        if drain_high > 0:
            # Ramulator drains every write once the trace is sent (Main.cpp:68, high mark 0)
            high = 0 if ramulator and next_in >= n else drain_high
            if not write_mode and (buf_w > high or (buf_r == 0 and buf_w > 0)):
                write_mode = True
                dirty.fill(True)
                for x in range(nb):
                    n_touched = _touch(touched, n_touched, is_touched, x)
            elif write_mode and (buf_w < drain_low or buf_w == 0) and buf_r > 0:
                write_mode = False
                dirty.fill(True)
                for x in range(nb):
                    n_touched = _touch(touched, n_touched, is_touched, x)
            only = 1 if write_mode else 0

        # -- refresh manager ----------------------------------------------------------------
        target = -1
        if refresh != REFRESH_NONE:
            while t >= next_due:  # refreshes due by t: floor(t / period)
                due += 1
                next_due += period
            debt = due - refreshed
            if refresh == REFRESH_PERBANK:
                target = refreshed % nb
            if not in_refresh:
                idle = buffered == 0 if refresh == REFRESH_ALLBANK else qlen[target] == 0
                if debt > config[C_POSTPONE] or (idle and debt > -config[C_PULLIN]):
                    in_refresh = True

        best_t, best_cmd, best_bank = _NEVER, -1, -1
        ready_req, ready_cmd, ready_bank = _NEVER, -1, -1
        if in_refresh:
            if refresh == REFRESH_ALLBANK:
                any_open = False
                at = any_pre
                for k in range(nb):
                    if open_row[k] >= 0:
                        any_open = True
                        at = max(at, bank_pre[k])
                if not any_open:
                    at = 0
                    for k in range(nb):
                        at = max(at, bank_act[k])
                best_t, best_cmd, best_bank = at, PREA if any_open else REF, -1
            elif open_row[target] >= 0:
                best_t, best_cmd, best_bank = max(bank_pre[target], any_pre), PRE, target
            else:
                g = target // per_group
                at = max(bank_act[target], group_act[g], any_act, faw[faw_i] + timing[T_FAW],
                         last_refpb + timing[T_PBR2PBR])
                best_t, best_cmd, best_bank = at, REFPB, target
            if best_t <= t:
                ready_req, ready_cmd, ready_bank = -1, best_cmd, best_bank

        # -- scheduler per bank, then the command multiplexer (oldest ready first) ---------
        if ramulator:
            refresh_cmd, refresh_bank = ready_cmd, ready_bank
            ready_req, ready_cmd, ready_bank = _NEVER, -1, -1
            for i in range(n_touched):
                is_touched[touched[i]] = False
            n_touched = 0
            act_old, act_ready, q_old, q_ready = _NEVER, _NEVER, _NEVER, _NEVER
            act_old_at, q_old_at = _NEVER, _NEVER
            act_bank, act_cls, q_bank, q_cls = -1, -1, -1, -1
            act_ready_bank, act_ready_cls, q_ready_bank, q_ready_cls = -1, -1, -1, -1
            for b in range(nb):
                if dirty[b]:
                    dirty[b] = False
                    cls[b, :] = -1
                    for p in range(qlen[b] - 1, -1, -1):  # oldest last: it wins
                        r = queue[b, p]
                        w = queue_write[b, p]
                        hit = open_row[b] == queue_row[b, p]
                        if activated[r]:
                            c = CLS_ACT_OTHER if not hit else CLS_ACT_WR if w else CLS_ACT_RD
                        elif only >= 0 and w != (only == 1):
                            continue
                        else:
                            c = CLS_Q_OTHER if not hit else CLS_Q_WR if w else CLS_Q_RD
                        cls[b, c] = r
                g = group_of[b]
                rd_at = max(bank_rd[b], group_rd[g], any_rd)
                wr_at = max(bank_wr[b], group_wr[g], any_wr)
                other_at = max(bank_pre[b], any_pre) if open_row[b] >= 0 else \
                    max(bank_act[b], group_act[g], any_act, faw[faw_i] + t_faw)
                capped = cap > 0 and hits_since_act[b] > cap  # Scheduler.h:184 (hits <= cap)
                for c in range(N_CLS):
                    r = cls[b, c]
                    if r < 0:
                        continue
                    kind_c = c % 3
                    at = rd_at if kind_c == 0 else wr_at if kind_c == 1 else other_at
                    if at > t:
                        best_t = min(best_t, at)
                    first_ready = at <= t and not (capped and kind_c < 2)
                    if c < CLS_Q_RD:
                        if r < act_old:
                            act_old, act_bank, act_cls, act_old_at = r, b, c, at
                        if first_ready and r < act_ready:
                            act_ready, act_ready_bank, act_ready_cls = r, b, c
                    else:
                        if r < q_old:
                            q_old, q_bank, q_cls, q_old_at = r, b, c, at
                        if first_ready and r < q_ready:
                            q_ready, q_ready_bank, q_ready_cls = r, b, c
            # heads: the oldest first-ready request, else the oldest (Scheduler.h:89-93)
            if act_ready < _NEVER:
                ready_req, ready_bank, c = act_ready, act_ready_bank, act_ready_cls
            elif act_old_at <= t:
                ready_req, ready_bank, c = act_old, act_bank, act_cls
            elif in_refresh:  # a refresh in otherq goes before the read/write queues
                c = -1
                if refresh_cmd >= 0:
                    ready_req, ready_cmd, ready_bank = -1, refresh_cmd, refresh_bank
            elif q_ready < _NEVER:
                ready_req, ready_bank, c = q_ready, q_ready_bank, q_ready_cls
            elif q_old_at <= t:
                ready_req, ready_bank, c = q_old, q_bank, q_cls
            else:
                c = -1
            if c >= 0:
                kind_c = c % 3
                ready_cmd = RD if kind_c == 0 else WR if kind_c == 1 else \
                    PRE if open_row[ready_bank] >= 0 else ACT
        elif ready_cmd < 0 and not (in_refresh and refresh == REFRESH_ALLBANK):
            floors[FLOOR_RD], floors[FLOOR_WR], floors[FLOOR_PRE] = any_rd, any_wr, any_pre
            floors[FLOOR_ACT] = max(any_act, faw[faw_i] + t_faw)
            blocked = target if in_refresh else -1
            for i in range(n_touched):  # banks whose cached choice or timing is stale
                b = touched[i]
                is_touched[b] = False
                if dirty[b]:  # the bank's queue or state changed: choose again
                    dirty[b] = False
                    stale[b] = True
                    chosen, first_hit, grp_hit = -1, -1, -1  # queue positions
                    for p in range(qlen[b]):
                        w = queue_write[b, p]
                        if only >= 0 and w != (only == 1):
                            continue
                        if chosen < 0:
                            chosen = p
                            if sched == SCHED_FIFO:
                                break
                        if open_row[b] == queue_row[b, p]:
                            if first_hit < 0:
                                first_hit = p
                            if grp_hit < 0 and w == last_write:
                                grp_hit = p
                    if sched != SCHED_FIFO and first_hit >= 0 and (cap == 0
                                                                  or hits_since_act[b] < cap):
                        chosen = grp_hit if sched == SCHED_FRFCFS_GRP and grp_hit >= 0 \
                            else first_hit
                    if chosen < 0:
                        cand_req[b], cand_cmd[b] = -1, -1
                    else:
                        cand_req[b] = queue[b, chosen]
                        if open_row[b] == queue_row[b, chosen]:
                            cand_cmd[b] = WR if queue_write[b, chosen] else RD
                        else:
                            cand_cmd[b] = PRE if open_row[b] >= 0 else ACT
                if stale[b]:  # bank and bank-group registers of the cached command
                    stale[b] = False
                    g, cmd = group_of[b], cand_cmd[b]
                    if cmd < 0:
                        local_at[b], floor_of[b] = _NEVER, FLOOR_RD
                    elif cmd == WR:
                        local_at[b], floor_of[b] = max(bank_wr[b], group_wr[g]), FLOOR_WR
                    elif cmd == RD:
                        local_at[b], floor_of[b] = max(bank_rd[b], group_rd[g]), FLOOR_RD
                    elif cmd == PRE:
                        local_at[b], floor_of[b] = bank_pre[b], FLOOR_PRE
                    else:
                        local_at[b], floor_of[b] = max(bank_act[b], group_act[g]), FLOOR_ACT
            n_touched = 0
            for b in range(nb):
                at = max(local_at[b], floors[floor_of[b]])
                if at <= t:
                    if cand_req[b] < ready_req and b != blocked:
                        ready_req, ready_cmd, ready_bank = cand_req[b], cand_cmd[b], b
                elif at < best_t:
                    best_t = at

        if ready_cmd < 0:  # nothing to issue now: jump to the next event
            nxt = best_t
            if next_in < n:
                if limit_active or ramulator:
                    nxt = min(nxt, t + 1) if last_admit >= t else nxt
                    if next_in - returned >= mat:  # blocked: wait for a response
                        nxt = min(nxt, max(min_pending, t + 1))
                if not saturating:
                    nxt = min(nxt, max(arrival[next_in], t + 1))
            if refresh != REFRESH_NONE and not in_refresh:
                nxt = min(nxt, next_due)
            t = max(nxt, t + 1) if nxt < _NEVER else t + 1
            continue

        # -- issue ------------------------------------------------------------------------
        b, cmd, r = ready_bank, ready_cmd, ready_req
        if b >= 0:
            dirty[b] = True
            first = group_of[b] * per_group
            for x in range(first, first + per_group):
                stale[x] = True
                n_touched = _touch(touched, n_touched, is_touched, x)
        else:
            dirty.fill(True)
            for x in range(nb):
                n_touched = _touch(touched, n_touched, is_touched, x)
        if record:
            shown = row[r] if cmd in (ACT, RD, WR) else open_row[b] if b >= 0 else -1
            rec = _record(rec, n_rec, t, cmd, b, shown, r)
            n_rec += 1
        if r >= 0 and kind[r] < 0:
            kind[r] = HITS if cmd in (RD, WR) else MISSES if cmd == ACT else CONFLICTS
            counters[kind[r]] += 1
        if cmd in (ACT, REFPB):
            g = b // per_group
            group_act[g] = max(group_act[g], t + timing[T_RRD_L])
            any_act = max(any_act, t + timing[T_RRD_S])
            faw[faw_i] = t
            faw_i = (faw_i + 1) & 3
            if cmd == ACT:
                if ramulator and not activated[r]:  # to actq, out of its queue
                    activated[r] = True
                    if is_write[r]:
                        buf_w -= 1
                    else:
                        buf_r -= 1
                open_row[b] = row[r]
                act_at[b] = t
                hits_since_act[b] = 0
                bank_rd[b] = max(bank_rd[b], t + timing[T_RCD])
                bank_wr[b] = max(bank_wr[b], t + timing[T_RCD])
                bank_pre[b] = max(bank_pre[b], t + timing[T_RAS])
                bank_act[b] = max(bank_act[b], t + timing[T_RC])
            else:
                bank_act[b] = max(bank_act[b], t + timing[T_RFCPB])
                last_refpb = t
                refreshed += 1
                in_refresh = False
        elif cmd == PRE:
            counters[ACTIVE_BANK_CYCLES] += t - act_at[b]
            open_row[b] = -1
            bank_act[b] = max(bank_act[b], t + timing[T_RP])
            any_pre = max(any_pre, t + timing[T_PPD])
        elif cmd == PREA:
            for k in range(nb):
                if open_row[k] >= 0:
                    counters[ACTIVE_BANK_CYCLES] += t - act_at[k]
                    open_row[k] = -1
                    bank_act[k] = max(bank_act[k], t + timing[T_RPAB])
            any_pre = max(any_pre, t + timing[T_PPD])
        elif cmd == REF:
            for k in range(nb):
                bank_act[k] = max(bank_act[k], t + timing[T_RFC])
            refreshed += 1
            in_refresh = False
        else:  # a column command for request r
            g = b // per_group
            write = is_write[r]
            for p in range(qlen[b]):
                if queue[b, p] == r:
                    for q in range(p, qlen[b] - 1):
                        queue[b, q] = queue[b, q + 1]
                        queue_row[b, q] = queue_row[b, q + 1]
                        queue_write[b, q] = queue_write[b, q + 1]
                    break
            qlen[b] -= 1
            buffered -= 1
            if write:
                buf_w -= 0 if ramulator and activated[r] else 1
                group_wr[g] = max(group_wr[g], t + timing[T_CCD_L])
                any_wr = max(any_wr, t + timing[T_CCD_S])
                group_rd[g] = max(group_rd[g], t + timing[T_WR2RD_L])
                any_rd = max(any_rd, t + timing[T_WR2RD_S])
                to_pre = timing[T_WR2PRE]
                done[r] = t + t_wl + t_burst
            else:
                buf_r -= 0 if ramulator and activated[r] else 1
                group_rd[g] = max(group_rd[g], t + timing[T_CCD_L])
                any_rd = max(any_rd, t + timing[T_CCD_S])
                any_wr = max(any_wr, t + timing[T_RD2WR])
                to_pre = timing[T_RD2PRE]
                done[r] = t + t_rl + t_burst
            bank_pre[b] = max(bank_pre[b], t + to_pre)
            hits_since_act[b] += 1
            if sched == SCHED_FRFCFS_GRP and write != last_write:
                dirty.fill(True)
                for x in range(nb):
                    n_touched = _touch(touched, n_touched, is_touched, x)
            last_write = write
            served += 1
            # page policy: close the row now (auto-precharge) or keep it open
            auto = page == PAGE_CLOSED
            if page in (PAGE_OPEN_ADAPTIVE, PAGE_CLOSED_ADAPTIVE):
                same, other = False, False
                for p in range(qlen[b]):
                    if queue_row[b, p] == open_row[b]:
                        same = True
                    else:
                        other = True
                auto = not same and (other or page == PAGE_CLOSED_ADAPTIVE)
            if auto:
                if record:
                    rec[n_rec - 1, 1] = WRA if write else RDA
                cmd = WRA if write else RDA
                closes = max(t + to_pre, act_at[b] + timing[T_RAS])
                counters[ACTIVE_BANK_CYCLES] += closes - act_at[b]
                open_row[b] = -1
                bank_act[b] = max(bank_act[b], closes + timing[T_RP])
            # responses: in completion order, or in request order (reorder buffer)
            if in_order:
                while resp_ptr < next_in and done[resp_ptr] >= 0:
                    last_resp = max(last_resp, done[resp_ptr])
                    resp[resp_ptr] = last_resp
                    if limit_active:
                        pending[n_pending] = last_resp
                        n_pending += 1
                        min_pending = min(min_pending, last_resp)
                    resp_ptr += 1
            else:
                resp[r] = done[r]
                if limit_active:
                    pending[n_pending] = done[r]
                    n_pending += 1
                    min_pending = min(min_pending, done[r])
        counters[cmd] += 1
        t += 1

    end = 0
    for i in range(n):
        end = max(end, resp[i])
    for k in range(nb):
        if open_row[k] >= 0:
            counters[ACTIVE_BANK_CYCLES] += max(end - act_at[k], 0)
    counters[END_CYCLE] = end
    return start, done, resp, counters, rec[:n_rec]
