/* cmd_mpi.c - `mpirun -np P gramconv gram INPUT.npy [...] -o G.npy`: each rank reads its own
 * slice of INPUT by file offsets and streams it into a Gram accumulator; the partial sums
 * are reduced on rank 0 (gc_mpi_gram_npy), which writes G.npy. Only rank 0 prints errors
 * (every rank learns of any failure, so all exit with the same code). And the MPI side of
 * `mpirun -np P gramconv texture ...` (cmd_texture.c): start, agree, stop, run
 * (gc_mpi_synth_run). Built only with GC_HAVE_MPI (CMake option GC_WITH_MPI). */
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
        st = gc_npy_write(ctx, o->write_output ? o->write_output : o->output, &g);
        if (st != GC_OK) {
            char q[64], prefix[160];
            snprintf(prefix, sizeof prefix, "cannot write '%s'", cli_quote(o->output, q, sizeof q));
            rc = cli_lib_error(ctx, st, prefix);
        }
    }
    gc_tensor_free(&g);
    /* every rank exits with rank 0's verdict on the write */
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    cli_run_decided(); /* mpirun may stop this rank with SIGTERM from here on */
    if (!inited)
        MPI_Finalize();
    return rc;
}

int cli_mpi_begin(const cli_command *cmd, cli_mpi_world *w)
{
    int inited = 0;
    w->inited_here = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
            return cli_error(CLI_FAIL, "%s: MPI_Init failed", cmd->name);
        w->inited_here = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &w->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &w->size);
    MPI_Comm node;
    w->local_size = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &w->local_size);
        MPI_Comm_free(&node);
    }
    if (w->rank != 0) { /* one voice: rank 0's (every rank learns of any failure) */
        fflush(stdout);
        fflush(stderr);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_mpi_agree(int rc)
{
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

int cli_mpi_end(cli_mpi_world *w, int rc)
{
    rc = cli_mpi_agree(rc);
    cli_run_decided(); /* mpirun may stop this rank with SIGTERM from here on */
    if (w->inited_here)
        MPI_Finalize();
    return rc;
}

gc_status cli_mpi_texture_run(gc_context *ctx, const gc_synth_net *net, const gc_synth_desc *desc,
                              const gc_tensor *grams, uint64_t max_memory, gc_tensor *image,
                              gc_synth_stats *stats)
{
    return gc_mpi_synth_run(ctx, MPI_COMM_WORLD, net, desc, grams, max_memory, image, stats);
}
#endif
