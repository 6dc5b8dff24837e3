"""The controller kernel's interface, importable without numba: the position of each entry
of its timing and config vectors and of its counters, and its command codes."""

# timing vector
(T_RL, T_WL, T_BURST, T_RCD, T_RP, T_RPAB, T_RAS, T_RC, T_RFC, T_REFI, T_RFCPB, T_REFIPB,
 T_PBR2PBR, T_CCD_S, T_CCD_L, T_RRD_S, T_RRD_L, T_FAW, T_RD2PRE, T_WR2PRE, T_RD2WR,
 T_WR2RD_S, T_WR2RD_L, T_PPD, N_TIMING) = range(25)
# config vector
(C_PAGE, C_SCHED, C_BUF, C_BUFSIZE, C_IN_ORDER, C_REFRESH, C_POSTPONE, C_PULLIN, C_ARBITER,
 C_MAT, C_HIT_CAP, C_DRAIN_HIGH, C_DRAIN_LOW, C_SATURATING, C_BANKS, C_GROUPS, N_CONFIG) = range(17)
# commands (also the first counter indices)
ACT, PRE, PREA, RD, RDA, WR, WRA, REF, REFPB = range(9)
# further counters
HITS, MISSES, CONFLICTS, ACTIVE_BANK_CYCLES, END_CYCLE, EVENTS, N_COUNTERS = range(9, 16)
