/* cmd_mpi.c - `mpirun -np P gramconv gram INPUT.npy [...] -o G.npy`: each rank reads its own
 * slice of INPUT by file offsets and streams it into a Gram accumulator; the partial sums
 * are reduced on rank 0 (gc_mpi_gram_npy), which writes G.npy. Only rank 0 prints errors
 * (every rank learns of any failure, so all exit with the same code). Built only with
 * GC_HAVE_MPI (CMake option GC_WITH_MPI). */
#include "cmd_tile.h"

#if defined(GC_HAVE_MPI)
#include "gramconv_mpi.h"

#include <stdio.h>

int cli_gram_mpi(gc_context *ctx, const cli_command *cmd, const cli_gram_opts *o)
{
    int inited = 0, rank = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return cli_error(CLI_FAIL, "%s: MPI_Init failed", cmd->name);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    gc_tensor g = {0};
    gc_status st = gc_mpi_gram_npy(ctx, MPI_COMM_WORLD, &o->desc, o->input, o->max_memory, 0, &g);
    int rc = CLI_OK;
    if (st != GC_OK) {
        rc = CLI_FAIL;
        if (rank == 0) {
            char q[64], prefix[160];
            if (st == GC_ERR_IO || st == GC_ERR_FORMAT || st == GC_ERR_DTYPE)
                snprintf(prefix, sizeof prefix, "cannot read input '%s'",
                         cli_quote(o->input, q, sizeof q));
            else
                snprintf(prefix, sizeof prefix, "%s", cmd->name);
            cli_lib_error(ctx, st, prefix);
        }
    } else if (rank == 0) {
        st = gc_npy_write(ctx, o->output, &g);
        if (st != GC_OK) {
            char q[64], prefix[160];
            snprintf(prefix, sizeof prefix, "cannot write '%s'", cli_quote(o->output, q, sizeof q));
            rc = cli_lib_error(ctx, st, prefix);
        }
    }
    gc_tensor_free(&g);
    /* every rank exits with rank 0's verdict on the write */
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!inited)
        MPI_Finalize();
    return rc;
}
#endif
