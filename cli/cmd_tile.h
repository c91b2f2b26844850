/* cmd_tile.h - the gram and texture paths for problems larger than memory (cmd_tile.c,
 * cmd_texture.c) and across MPI ranks (cmd_mpi.c, built with GC_HAVE_MPI). */
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

/* texture under mpirun (cmd_mpi.c, GC_HAVE_MPI only). begin: MPI_Init (if not done), this
 * rank and the ranks on this node; ranks other than 0 send stdout and stderr to /dev/null,
 * so only rank 0 prints. agree: the worst exit code over the ranks (a collective: every rank
 * must call it). end: agree, MPI_Finalize (if begin initialised MPI), the code to exit with.
 * run: gc_mpi_synth_run on MPI_COMM_WORLD. */
typedef struct cli_mpi_world {
    int rank, size, local_size, inited_here;
} cli_mpi_world;
int cli_mpi_begin(const cli_command *cmd, cli_mpi_world *w);
int cli_mpi_agree(int rc);
int cli_mpi_end(cli_mpi_world *w, int rc);
gc_status cli_mpi_texture_run(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *desc,
                              const gc_tensor *grams, uint64_t max_memory, gc_tensor *image,
                              gc_synth_stats *stats);

#endif
