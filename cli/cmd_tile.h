/* cmd_tile.h - the gram paths for inputs larger than memory (cmd_tile.c) and across MPI ranks
 * (cmd_mpi.c, built with GC_HAVE_MPI). */
#ifndef GC_CLI_CMD_TILE_H
#define GC_CLI_CMD_TILE_H

#include "cli.h"

/* A byte count: digits with an optional K, M, G or T suffix (powers of 1024; "KB", "KiB" also
 * taken, any case), at least 1, at most 2^62. */
int cli_parse_bytes(const char *s, const char *what, uint64_t *out, cli_err *err);
/* 1 when this process was started by mpirun/mpiexec with more than one rank (Open MPI, MPICH,
 * PMIx environment variables). */
int cli_mpi_launched(void);
/* `gram` with --max-memory, or under mpirun: streamed from the file in bands (one process) or
 * one slice per rank (MPI). Reports its own errors; returns the exit code. */
int cli_gram_big(gc_context *ctx, const cli_command *cmd, const cli_gram_opts *o);
/* The MPI path (cmd_mpi.c); only in builds with GC_HAVE_MPI. */
int cli_gram_mpi(gc_context *ctx, const cli_command *cmd, const cli_gram_opts *o);

#endif
