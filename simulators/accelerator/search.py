"""The mapper's adaptive search compiled: many (layer, architecture) searches per call.

`run_engine` runs stages 2-3 of `simulators.accelerator.mapper` (sampling, then rounds of
mutating the best mappings) for every task without returning to Python: a task is one
layer on one mapper's architecture. Each task's search is deterministic for its seed and
independent of the other tasks in the call. Per task:

* Sampling and mutation draw from a SplitMix64 counter stream keyed by the seed
  (`keyed._mix`), with the distributions of `Mapper.sample` and `Mapper.mutate` (a loop
  order sorted by random keys plus the template's order keys is a random order of the
  free loops followed by the keyed ones, drawn here as a shuffle).
* A sample or mutant that overflows a level's capacity (the footprints `analysis._count`
  checks last, via the same `_footprint`) is repaired: loops move out until it fits
  (`_repair`; a sample as far as it takes, a mutant up to MUTANT_MOVES loops). Capacity
  thus steers samples to the edge of what fits, where reuse is highest, and turns a
  mutant that moved a factor into a full buffer into an exchange of factors (unrepaired,
  most samples and a third of the mutants were lost). One that cannot be repaired is
  invalid without being counted.
* Every mapping gets a 64-bit key of what the analysis reads: spatial choice, temporal
  factors, kept data spaces, and per level the order of the loops with a factor above 1
  (a unit loop changes no count). A mapping whose key was seen before takes the stored
  score; the rest go through the analysis' own per-mapping count (`analysis._count_one`,
  what `analysis._count` runs for each mapping of a batch), in place, so the search
  scores mappings with the analysis itself. Two mappings share a key with odds of about
  2^-64 per pair.
* The elites of a round are the best *distinct* valid mappings so far (a copy of a
  mapping would spend its neighbours on the same ground).

Numba's on-disk cache does not notice when a function of another file that a cached one
calls changes; `check_engine` compares the engine with `analysis.analyze_batch` once per
process and recompiles it on a mismatch.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simulators.accelerator.analysis import _count_one, _footprint, _work
from simulators.accelerator.architecture import RELEVANT
from simulators.accelerator.keyed import _mix
from simulators.jit import announce_compile

OBJECTIVE_CODES = {"energy": 0, "cycles": 1, "edp": 2, "dram_words": 3}
MUTANT_MOVES = 4  # loops an overflowing mutant may move out (`_repair`): a few keep it
                  # near its lineage, where a sample may take as many as it needs


@njit(cache=True, inline="always")
def _unit(counter):
    """The uniform in [0, 1) at position `counter` of a SplitMix64 stream."""
    return (_mix(counter) >> np.uint64(11)) * 2.0 ** -53


@njit(cache=True, inline="always")
def _smallest_prime_of(n):
    p = 2
    while p * p <= n:
        if n % p == 0:
            return p
        p += 1
    return n


@njit(cache=True)  # compiled by itself, so numba prunes its reference counting
def _key(t, perm, keep, r, choice):
    """A 64-bit hash of what the analysis reads of mapping r (module docstring)."""
    L = t.shape[1]
    largest = 0
    for lvl in range(L):
        for d in range(7):
            largest = max(largest, t[r, lvl, d])
    bits = 16 if largest < 2 ** 16 else (32 if largest < 2 ** 32 else 64)
    h = _mix(np.uint64(choice) ^ (np.uint64(bits) << np.uint64(56)))
    for lvl in range(L):
        word, shift = np.uint64(0), 0
        for x in range(3):
            if keep[r, lvl, x]:
                word |= np.uint64(1 << x)
        shift = 3
        for j in range(7):
            d = perm[r, lvl, j]
            nontrivial = t[r, lvl, d] > 1
            word |= np.uint64(((d + 1) * nontrivial) << shift)
            shift += 3 * nontrivial
        h = _mix(h ^ word)
        word, shift = np.uint64(0), 0  # the temporal factors, 64 // bits to a word
        for d in range(7):
            word |= np.uint64(t[r, lvl, d]) << np.uint64(shift)
            shift += bits
            if shift == 64 or d == 6:
                h = _mix(h ^ word)
                word, shift = np.uint64(0), 0
    return h


@njit(cache=True)  # compiled by itself: inlined at its four call sites, the search ran 10% slower
def _overflowing(t, keep, r, cx, cy, k, capacity, geo, ext):
    """The innermost level that cannot hold the footprint of mapping r on spatial choice
    k, as `analysis._count` checks it (same products in the same order, so the same
    floats), or 0 if every level holds it (DRAM, level 0, holds anything). Innermost
    first: a level's extents need only the levels inside it."""
    L = t.shape[1]
    for d in range(7):
        ext[L, d] = 1.0
    for lvl in range(L - 1, 0, -1):
        for d in range(7):
            ext[lvl, d] = ext[lvl + 1, d] * t[r, lvl, d] * (cx[k, lvl, d] * cy[k, lvl, d])
        used = 0.0
        for x in range(3):
            if keep[r, lvl, x]:
                used += _footprint(ext, lvl, x, geo[0], geo[1], geo[2], geo[3])
        if used > capacity[lvl]:
            return lvl
    return 0


@njit(cache=True, inline="always")
def _outer_free(fixed, lvl, d):
    """The nearest level outside lvl whose loop over d is free (-1: none)."""
    dst = lvl - 1
    while dst >= 0 and fixed[dst, d] != 0:
        dst -= 1
    return dst


@njit(cache=True, inline="always")
def _repair(t, keep, r, cx, cy, k, capacity, geo, ext, fixed, moves, counter, picks):
    """Mapping r on spatial choice k made to fit in at most `moves` moves: while a level
    overflows, a random free temporal loop at or inside it, over a dimension that indexes
    a data space the level keeps, moves out whole to the nearest outer level free in that
    dimension (its factor multiplies that level's). Returns the stream's counter and
    whether the mapping fits. Every move takes at least one prime factor one level out, so
    a mapping whose free loops hold n prime factors is settled within n(L-1) moves."""
    L = t.shape[1]
    for move in range(moves + 1):
        lvl = _overflowing(t, keep, r, cx, cy, k, capacity, geo, ext)
        if lvl == 0:
            return counter, True
        if move == moves:
            break
        n = 0  # picks[:n]: level * 7 + dimension of the loops that can move out
        for d in range(7):
            indexes = False  # a loop over d shrinks what the level keeps
            for x in range(3):
                indexes |= bool(RELEVANT[d, x]) & keep[r, lvl, x]
            if not indexes or _outer_free(fixed, lvl, d) < 0:
                continue
            for j in range(lvl, L):
                picks[n] = j * 7 + d
                n += (t[r, j, d] > 1) & (fixed[j, d] == 0)
        if n == 0:
            break
        counter += np.uint64(1)
        pick = picks[int(_unit(counter) * n)]
        src, dim = pick // 7, pick % 7
        t[r, _outer_free(fixed, lvl, dim), dim] *= t[r, src, dim]
        t[r, src, dim] = 1
    return counter, False


@njit(cache=True, inline="always")
def _sample_plan(cx, cy, bounds, fixed, base, primes, n_primes):
    """What every sample on spatial choice k starts from: base[k], the temporal factors
    fixed by the template where they divide what the spatial factors leave of the bounds,
    and per dimension d the prime factors left to place, ascending with repeats
    (primes[k, d, :n_primes[k, d]])."""
    L = cx.shape[1]
    for k in range(cx.shape[0]):
        for d in range(7):
            spread = 1
            for lvl in range(L):
                spread *= cx[k, lvl, d] * cy[k, lvl, d]
                base[k, lvl, d] = 1
            remaining = bounds[d] // spread if spread > 1 else bounds[d]
            for lvl in range(L):
                f = fixed[lvl, d]
                if f != 0 and remaining % f == 0:
                    base[k, lvl, d] = f
            for lvl in range(L):
                if base[k, lvl, d] > 1:
                    remaining //= base[k, lvl, d]
            n = 0
            while remaining > 1:
                p = _smallest_prime_of(remaining)
                remaining //= p
                primes[k, d, n] = p
                n += 1
            n_primes[k, d] = n


@njit(cache=True, inline="always")
def _sample(t, perm, keep, r, k, base, primes, n_primes, fixed, order, n_free, forced_keep,
            free_keep, counter, weights, cdf):
    """A random mapping on spatial choice k (`_sample_plan`'s base, primes and n_primes)
    into row r of t, perm, keep: each prime of the remaining bounds goes to a level drawn
    from per-mapping level weights (from all-at-DRAM to all-inside), the free loops of each
    level in random order outside the keyed ones, free keep choices random
    (`Mapper.sample`). Returns the stream's counter."""
    L = t.shape[1]
    for lvl in range(L):
        counter += np.uint64(1)
        u = _unit(counter)
        weights[lvl] = u * u
    counter += np.uint64(1)
    weights[0] += _unit(counter)
    for d in range(7):
        total = 0.0
        for lvl in range(L):
            t[r, lvl, d] = base[k, lvl, d]
            if fixed[lvl, d] == 0:
                total += weights[lvl]
            cdf[lvl] = total
        for j in range(n_primes[k, d]):
            lvl = 0
            if total > 0:  # the first level whose cumulative weight reaches u (branch-free)
                counter += np.uint64(1)
                u = _unit(counter) * total
                for i in range(L - 1):
                    lvl += cdf[i] < u
            t[r, lvl, d] *= primes[k, d, j]
    for lvl in range(L):
        for j in range(7):
            perm[r, lvl, j] = order[lvl, j]
        for j in range(n_free[lvl] - 1, 0, -1):  # Fisher-Yates over the free prefix
            counter += np.uint64(1)
            i = int(_unit(counter) * (j + 1))
            perm[r, lvl, i], perm[r, lvl, j] = perm[r, lvl, j], perm[r, lvl, i]
        for x in range(3):
            keep[r, lvl, x] = forced_keep[lvl, x]
            if free_keep[lvl, x]:
                counter += np.uint64(1)
                keep[r, lvl, x] = _unit(counter) < 0.5
    return counter


@njit(cache=True, inline="always")
def _mutate(t, perm, keep, r, fixed, is_free, free_keep, counter, picks):
    """Mapping r mutated in place, as `Mapper.mutate` but never a no-op move: a prime
    factor moved to another movable level (a second one half of the time), half of the
    time two free loops with factors above 1 of a level swapped, each free keep choice
    flipped with chance 1/(3L). Returns the stream's counter (`picks`: 8L integers of
    scratch). The picks are branch-free: data-dependent branches here cost more than the
    arithmetic."""
    L = t.shape[1]
    for move in range(2):
        counter += np.uint64(2)
        if move == 1 and _unit(counter - np.uint64(1)) >= 0.5:
            continue
        movable = 0  # picks[:movable]: the movable loops, level * 7 + dimension
        for lvl in range(L):
            for d in range(7):
                picks[movable] = lvl * 7 + d
                movable += (t[r, lvl, d] > 1) & (fixed[lvl, d] == 0)
        if movable == 0:
            continue
        pick = int(_unit(counter) * movable)
        src = picks[pick] // 7
        dim = picks[pick] - 7 * src
        targets = 0
        for lvl in range(L):
            targets += (fixed[lvl, dim] == 0) & (lvl != src)
        if targets == 0:
            continue
        counter += np.uint64(1)
        pick = int(_unit(counter) * targets)
        seen, dst = 0, 0
        for lvl in range(L):
            flag = (fixed[lvl, dim] == 0) & (lvl != src)
            dst += (flag & (seen == pick)) * lvl
            seen += flag
        f = t[r, src, dim]
        p = 2 if f & 1 == 0 else _smallest_prime_of(f)
        t[r, src, dim] = f >> 1 if p == 2 else f // p
        t[r, dst, dim] *= p
    counter += np.uint64(1)
    if _unit(counter) < 0.5:
        levels = 0  # picks[:levels]: the levels with two loops to swap, and their counts
        for lvl in range(L):
            swappable = 0
            for d in range(7):
                swappable += is_free[lvl, d] & (t[r, lvl, d] > 1)
            picks[levels], picks[7 * L + levels] = lvl, swappable
            levels += swappable >= 2
        if levels:
            counter += np.uint64(3)
            pick = int(_unit(counter - np.uint64(2)) * levels)
            lvl, n_swap = picks[pick], picks[7 * L + pick]
            a = int(_unit(counter - np.uint64(1)) * n_swap)
            b = int(_unit(counter) * (n_swap - 1))
            b += b >= a
            pa, pb, seen = 0, 0, 0
            for j in range(7):
                flag = is_free[lvl, perm[r, lvl, j]] & (t[r, lvl, perm[r, lvl, j]] > 1)
                pa += (flag & (seen == a)) * j
                pb += (flag & (seen == b)) * j
                seen += flag
            perm[r, lvl, pa], perm[r, lvl, pb] = perm[r, lvl, pb], perm[r, lvl, pa]
    for lvl in range(L):
        for x in range(3):
            if free_keep[lvl, x]:
                counter += np.uint64(1)
                if _unit(counter) < 1.0 / (3 * L):
                    keep[r, lvl, x] = not keep[r, lvl, x]
    return counter


@njit(cache=True, inline="always")
def _lookup(table_keys, table_used, key):
    """The slot holding key, or the empty slot where it goes (linear probing)."""
    mask = np.int64(table_keys.shape[0] - 1)
    slot = np.int64(key & np.uint64(mask))
    while table_used[slot] and table_keys[slot] != key:
        slot = (slot + np.int64(1)) & mask
    return slot


@njit(cache=True, inline="always")
def _copy_row(dst, i, src, j):
    """dst[i] = src[j] for 3-D arrays, as plain loops."""
    for a in range(dst.shape[1]):
        for b in range(dst.shape[2]):
            dst[i, a, b] = src[j, a, b]


@njit(cache=True, inline="always")
def _copy(t, perm, keep, i, src_t, src_perm, src_keep, j):
    """Mapping j of the src arrays into mapping i of t, perm, keep."""
    _copy_row(t, i, src_t, j)
    _copy_row(perm, i, src_perm, j)
    _copy_row(keep, i, src_keep, j)


@njit(cache=True, inline="always")
def _offer(et, eperm, ekeep, echoice, eslot, ekeys, escore, n_top, t, perm, keep, choice, r,
           key, value):
    """Mapping r (key, score value) into the top list (best first, distinct keys, at most
    len(escore); an equal score goes behind); returns the list's new length. Rank e's
    mapping is row eslot[e] of et, eperm, ekeep, echoice: a mapping is copied in once and
    never moved."""
    size = escore.shape[0]
    if not value < np.inf or (n_top == size and value >= escore[n_top - 1]):
        return n_top
    for e in range(n_top):
        if ekeys[e] == key:
            return n_top
    last = n_top if n_top < size else size - 1
    slot = n_top if n_top < size else eslot[last]  # a free row, or the dropped one's
    at = last
    while at > 0 and escore[at - 1] > value:
        at -= 1
    for e in range(last, at, -1):
        eslot[e], ekeys[e], escore[e] = eslot[e - 1], ekeys[e - 1], escore[e - 1]
    _copy(et, eperm, ekeep, slot, t, perm, keep, r)
    echoice[slot], eslot[at], ekeys[at], escore[at] = choice[r], slot, key, value
    return min(n_top + 1, size)


# error_model="numpy": no division raises, and without raising paths numba prunes the
# reference counting of the arrays the inlined helpers take (a sixth of the search's time).
@njit(cache=True, error_model="numpy")
def _search_tasks(first, last, bounds, geometry, groups, mac_energy, machine, choice_start,
                  choice_end, choices_x, choices_y, per_level, capacity, forced_keep,
                  forced_bypass, free_keep, fixed, order, n_free, is_free, budget,
                  rounds, elites, neighbours, objective, seed, out_t, out_perm, out_sx,
                  out_sy, out_keep, out_score, out_energy, out_cycles, out_counts):
    """Tasks first..last-1 of `run_engine`, one after another in one set of work arrays:
    each task's best mapping and counts into its row of the outputs.

    A task scores its `budget` samples, then runs `rounds` rounds: each starts one
    lineage at each of the `elites` best distinct mappings found so far, and takes
    `neighbours` steps in which every lineage tries a mutant of its mapping and moves to
    it if it scores better."""
    L = fixed.shape[1]
    n_max = max(budget, elites)  # mappings scored at once: the samples, or one per lineage
    size = 1
    while size < 2 * (budget + rounds * elites * neighbours):
        size *= 2
    # The mappings being scored; the best distinct ones so far (top); the lineages.
    t, perm = np.ones((n_max, L, 7), np.int64), np.zeros((n_max, L, 7), np.int64)
    keep, choice = np.zeros((n_max, L, 3), np.bool_), np.zeros(n_max, np.int64)
    keys, score = np.zeros(n_max, np.uint64), np.zeros(n_max)
    et, eperm = np.ones((elites, L, 7), np.int64), np.zeros((elites, L, 7), np.int64)
    ekeep, echoice = np.zeros((elites, L, 3), np.bool_), np.zeros(elites, np.int64)
    eslot, ekeys, escore = np.zeros(elites, np.int64), np.zeros(elites, np.uint64), \
        np.zeros(elites)
    lt, lperm = np.ones((elites, L, 7), np.int64), np.zeros((elites, L, 7), np.int64)
    lkeep, lchoice = np.zeros((elites, L, 3), np.bool_), np.zeros(elites, np.int64)
    lscore = np.zeros(elites)
    # Every key scored so far, with its score (NaN: being counted now, at row table_row of
    # the counts).
    table_keys, table_used = np.zeros(size, np.uint64), np.zeros(size, np.bool_)
    table_score, table_row = np.zeros(size), np.zeros(size, np.int64)
    # The counts of the new mappings of a step (`_count_one`'s outputs, one row each);
    # counted[r]: the row mapping r takes its score from (-1: none); source and slots:
    # each row's mapping and key slot.
    reads, fills = np.zeros((n_max, L, 3)), np.zeros((n_max, L, 3))
    updates, level_energy = np.zeros((n_max, L, 3)), np.zeros((n_max, L, 3))
    footprint, leakage = np.zeros((n_max, L)), np.zeros((n_max, L))
    compute_cycles = np.zeros(n_max)
    cycles, energy, macs = np.zeros(n_max), np.zeros(n_max), np.zeros(n_max)
    reason = np.zeros(n_max, np.int64)
    counted, source = np.zeros(n_max, np.int64), np.zeros(n_max, np.int64)
    slots, fits = np.zeros(n_max, np.int64), np.zeros(n_max, np.bool_)
    weights, cdf, picks = np.zeros(L), np.zeros(L), np.zeros(8 * L, np.int64)
    work = _work(L)
    ext = np.ones((L + 1, 7))
    # `_sample_plan`'s arrays, for the most spatial choices and the largest bound of a task.
    most, bits = 1, 1
    for i in range(first, last):
        most = max(most, choice_end[i] - choice_start[i])
        for d in range(7):
            while bounds[i, d] >> bits:
                bits += 1
    base, primes = np.ones((most, L, 7), np.int64), np.zeros((most, 7, bits), np.int64)
    n_primes = np.zeros((most, 7), np.int64)
    for i in range(first, last):
        table_used[:] = False
        m = machine[i]
        cx = choices_x[choice_start[i]:choice_end[i]]
        cy = choices_y[choice_start[i]:choice_end[i]]
        geo, bnd = geometry[i], bounds[i]
        bnd_f = bnd.astype(np.float64)
        # This machine's arrays, sliced once (a slice per mapping would cost more than
        # the mapping's arithmetic).
        fx, fk, frk, cap = fixed[m], forced_keep[m], free_keep[m], capacity[m]
        pl, fb = per_level[m], forced_bypass[m]
        order_m, n_free_m, is_free_m = order[m], n_free[m], is_free[m]
        _sample_plan(cx, cy, bnd, fx, base, primes, n_primes)
        counter = _mix(np.uint64(seed)) << np.uint64(20)  # this search's stream
        best = np.inf
        evaluated, valid, analyzed, n_top, n_lineages, step = 0, 0, 0, 0, 0, 0
        n = budget
        for r in range(n):
            counter += np.uint64(1)
            choice[r] = int(_unit(counter) * cx.shape[0])
            counter = _sample(t, perm, keep, r, choice[r], base, primes, n_primes, fx,
                              order_m, n_free_m, fk, frk, counter, weights, cdf)
            factors = 0
            for d in range(7):
                factors += n_primes[choice[r], d]
            counter, fits[r] = _repair(t, keep, r, cx, cy, choice[r], cap, geo, ext, fx,
                                       (L - 1) * factors, counter, picks)
        while True:
            # Score mappings 0..n-1: overflowing, seen before, or counted now.
            c = 0
            for r in range(n):
                counted[r] = -1
                if not fits[r]:
                    score[r] = np.inf
                    continue
                key = _key(t, perm, keep, r, choice[r])
                keys[r] = key
                slot = _lookup(table_keys, table_used, key)
                if table_used[slot]:
                    if np.isnan(table_score[slot]):
                        counted[r] = table_row[slot]
                    else:
                        score[r] = table_score[slot]
                    continue
                table_used[slot], table_keys[slot] = True, key
                table_score[slot], table_row[slot] = np.nan, c
                reason[c], compute_cycles[c], cycles[c], energy[c], macs[c] = _count_one(
                    t, cx, cy, perm, keep, r, choice[r], geo, bnd_f, groups[i],
                    mac_energy[i], pl, cap, fk, fb, reads, fills, updates, level_energy,
                    leakage, footprint, c, work)
                counted[r], source[c], slots[c] = c, r, slot
                c += 1
            analyzed += c
            for j in range(c):
                if reason[j] != 0:
                    value = np.inf  # the mapping does not fit: never the best
                elif objective == 0:
                    value = energy[j]
                elif objective == 1:
                    value = cycles[j]
                elif objective == 2:
                    value = energy[j] * cycles[j]
                else:
                    value = 0.0
                    for x in range(3):
                        value += reads[j, 0, x] + fills[j, 0, x] + updates[j, 0, x]
                table_score[slots[j]] = value
                if value < best:  # a counted row is a first occurrence, in row order
                    best = value
                    r = source[j]
                    _copy(out_t, out_perm, out_keep, i, t, perm, keep, r)
                    _copy_row(out_sx, i, cx, choice[r])
                    _copy_row(out_sy, i, cy, choice[r])
                    out_energy[i], out_cycles[i] = energy[j], cycles[j]
            for r in range(n):
                if counted[r] >= 0:
                    score[r] = table_score[slots[counted[r]]]
                if score[r] < np.inf:
                    valid += 1
                    n_top = _offer(et, eperm, ekeep, echoice, eslot, ekeys, escore, n_top, t,
                                   perm, keep, choice, r, keys[r], score[r])
            evaluated += n
            if step == rounds * neighbours:
                break
            if step > 0:  # the lineages move to the mutants that scored better
                for e in range(n):
                    if score[e] < lscore[e]:
                        _copy(lt, lperm, lkeep, e, t, perm, keep, e)
                        lchoice[e], lscore[e] = choice[e], score[e]
            if step % neighbours == 0:  # a round starts at the best distinct so far
                n_lineages = n_top
                for e in range(n_top):
                    _copy(lt, lperm, lkeep, e, et, eperm, ekeep, eslot[e])
                    lchoice[e], lscore[e] = echoice[eslot[e]], escore[e]
            if n_lineages == 0:
                break
            for e in range(n_lineages):
                _copy(t, perm, keep, e, lt, lperm, lkeep, e)
                choice[e] = lchoice[e]
                counter = _mutate(t, perm, keep, e, fx, is_free_m, frk, counter, picks)
                counter, fits[e] = _repair(t, keep, e, cx, cy, choice[e], cap, geo, ext, fx,
                                           MUTANT_MOVES, counter, picks)
            n = n_lineages
            step += 1
        out_score[i] = best
        out_counts[i, 0], out_counts[i, 1], out_counts[i, 2] = evaluated, valid, analyzed


@njit(cache=True, error_model="numpy", parallel=True)
def _search_parallel(chunks, bounds, geometry, groups, mac_energy, machine, choice_start,
                     choice_end, choices_x, choices_y, per_level, capacity, forced_keep,
                     forced_bypass, free_keep, fixed, order, n_free, is_free, budget,
                     rounds, elites, neighbours, objective, seed, out_t, out_perm, out_sx,
                     out_sy, out_keep, out_score, out_energy, out_cycles, out_counts):
    """`_search_tasks` over chunks of the tasks, one numba thread per chunk."""
    T = bounds.shape[0]
    for c in prange(chunks):
        _search_tasks(c * T // chunks, (c + 1) * T // chunks, bounds, geometry, groups,
                      mac_energy, machine, choice_start, choice_end, choices_x, choices_y,
                      per_level, capacity, forced_keep, forced_bypass, free_keep, fixed,
                      order, n_free, is_free, budget, rounds, elites, neighbours,
                      objective, seed, out_t, out_perm, out_sx, out_sy, out_keep, out_score,
                      out_energy, out_cycles, out_counts)


# Callees before callers, for `check_engine`.
_DISPATCHERS = (_unit, _smallest_prime_of, _key, _overflowing, _outer_free, _repair,
                _sample_plan, _sample, _mutate, _lookup, _copy_row, _copy, _offer,
                _search_tasks, _search_parallel)
_checked = False


def run_engine(bounds: np.ndarray, geometry: np.ndarray, groups: np.ndarray,
               mac_energy: np.ndarray, machine: np.ndarray, choice_start: np.ndarray,
               choice_end: np.ndarray, choices_x: np.ndarray, choices_y: np.ndarray,
               machines: tuple[np.ndarray, ...], settings: tuple[int, ...],
               threads: int) -> tuple[np.ndarray, ...]:
    """T searches. Task i maps the layer of bounds[i] (geometry: strides and dilations;
    groups; MAC energy) on machine[i], choosing among the spatial assignments
    choices_x/y[choice_start[i]:choice_end[i]]. `machines` stacks per machine the
    architecture's level costs, capacities, forced keep and bypass masks, then the
    mapper's free keep mask, fixed temporal factors, loop order (free loops first), free
    loop count and free-loop mask per level (`Mapper.machine`). `settings`: budget, rounds,
    elites, neighbours, objective code, seed. With threads > 1 the tasks are split among
    that many numba threads. Returns the best mapping's temporal factors, permutation,
    spatial x/y factors and keep masks per task, its score, energy and cycles (score inf:
    none valid), and per task the mappings tried, found valid, and analyzed (distinct
    ones that fit, which went through `analysis._count`)."""
    T, L = len(bounds), machines[5].shape[1]
    out = (np.ones((T, L, 7), np.int64), np.zeros((T, L, 7), np.int64),
           np.ones((T, L, 7), np.int64), np.ones((T, L, 7), np.int64),
           np.zeros((T, L, 3), np.bool_), np.full(T, np.inf), np.full(T, np.inf),
           np.full(T, np.inf), np.zeros((T, 3), np.int64))
    args = (bounds, geometry, groups, mac_energy, machine, choice_start, choice_end,
            choices_x, choices_y, *machines, *settings, *out)
    announce_compile(_search_parallel if threads > 1 else _search_tasks,
                     "the accelerator mapper's search")
    if threads > 1:
        _search_parallel(min(threads, T), *args)
    else:
        _search_tasks(0, T, *args)
    return out


def check_engine(found_energy: float, found_cycles: float, energy: float,
                 cycles: float) -> bool:
    """Once per process: True if the engine's energy and cycles of a mapping equal the
    analysis' (`energy`, `cycles`); otherwise the engine is recompiled (a stale on-disk
    cache of a function it calls) and False comes back so that the caller runs again."""
    global _checked
    _checked = True
    if found_energy == energy and found_cycles == cycles:
        return True
    for dispatcher in _DISPATCHERS:
        dispatcher.recompile()
    return False


def engine_checked() -> bool:
    return _checked
