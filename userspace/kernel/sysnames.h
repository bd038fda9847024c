/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Syscall names, and the process-wide table that gives each syscall seen blocking a
 * small index into struct ops_bd's blk_ns[] (see breakdown.h).
 */
#ifndef OPSCOPE_SYSNAMES_H
#define OPSCOPE_SYSNAMES_H

/* Name of a syscall number on this architecture ("syscall_NNN" when unknown). The
 * returned string is static for known ones, else written into a thread-local buffer. */
const char *sysnames_of_nr(int nr);

/* Index in [1, OPS_BD_BLK-2] for syscall nr, assigned on first use (thread-safe);
 * OPS_BLK_OTHER when the table is full; OPS_BLK_NOSYS for nr < 0. */
int sysnames_blk_index(int nr);
/* Display name of a blk index: "(no syscall)", a syscall name, or "(other)"; NULL for an
 * index not assigned yet. */
const char *sysnames_name(int idx);
/* Syscall number behind a blk index, -1 for NOSYS/OTHER/unassigned. */
int sysnames_blk_nr(int idx);

#endif
