/* mpi_synth.c - texture synthesis with the feature maps split by rows over MPI ranks
 * (gc_mpi_synth_run): every rank holds the whole image and the whole optimiser state (an
 * image-sized problem, C = 3 channels), computes the features of its own rows only, band by
 * band (tile_synth.c), and the ranks add
 *   - per style layer, the float64 Gram partial sums (MPI_Allreduce, mpad^2 + 1 doubles), so
 *     every rank has the whole G, the same loss and the same dL/dG;
 *   - the image gradient (MPI_Allreduce of C x H x W, the net's dtype): each rank's bands
 *     contribute to their own rows and their halos (the circular padding wraps).
 * The L-BFGS step then runs on every rank from the same iterate and gradient, so the
 * optimiser states agree without being exchanged; rank 0's new iterate is broadcast after each
 * step so that a last-bit difference between the ranks' allreduced sums cannot drift. */
#include "mpi_util.h"
#include "tile.h"

#include <limits.h>
#include <string.h>
#include <time.h>

static gc_status gc_ms_sum(gc_context *ctx, void *user, gc_status st, double *v, int64_t n)
{
    MPI_Comm comm = *(MPI_Comm *)user;
    if (st == GC_OK && n > INT_MAX)
        st = gc_fail(ctx, GC_ERR_OVERFLOW, "mpi synth: %lld sums exceed one message", (long long)n);
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK)
        return st;
    if (MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_SUM, comm) != MPI_SUCCESS)
        return gc_fail(ctx, GC_ERR_IO, "mpi synth: MPI_Allreduce failed");
    return GC_OK;
}

static gc_status gc_ms_sum_grad(gc_context *ctx, void *user, gc_status st, gc_tensor *g)
{
    MPI_Comm comm = *(MPI_Comm *)user;
    const int64_t n = g->dims[0] * g->dims[1] * g->dims[2];
    if (st == GC_OK && n > INT_MAX)
        st = gc_fail(ctx, GC_ERR_OVERFLOW, "mpi synth: the image gradient exceeds one message");
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK)
        return st;
    if (MPI_Allreduce(MPI_IN_PLACE, g->data, (int)n, gc_mpi_type(g->dtype), MPI_SUM, comm) !=
        MPI_SUCCESS)
        return gc_fail(ctx, GC_ERR_IO, "mpi synth: MPI_Allreduce failed");
    return GC_OK;
}

gc_status gc_mpi_synth_run(gc_context *ctx, MPI_Comm comm, const gc_synth_net *net,
                           const gc_synth_desc *desc, const gc_tensor *target_grams,
                           uint64_t max_memory, gc_tensor *image, gc_synth_stats *stats)
{
    gc_clear_error(ctx);
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    gc_synth_tiled *t = NULL;
    gc_status st = gc_synth_tiled_create(ctx, net, desc, target_grams, max_memory, &t);
    if (st == GC_OK && !image)
        st = gc_fail(ctx, GC_ERR_NULL, "mpi synth: image is NULL");
    gc_tensor *x = t ? gc_synth_tiled_x(t) : NULL, *g = t ? gc_synth_tiled_grad(t) : NULL;
    if (st == GC_OK && (image->rank != 3 || image->dims[0] != x->dims[0] ||
                        image->dims[1] != x->dims[1] || image->dims[2] != x->dims[2] ||
                        image->dtype != x->dtype))
        st = gc_fail(ctx, GC_ERR_SHAPE, "mpi synth: the image must be %lld x %lld x %lld",
                     (long long)x->dims[0], (long long)x->dims[1], (long long)x->dims[2]);
    if (st == GC_OK)
        st = gc_tensor_copy(image, x);
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK) {
        gc_synth_tiled_free(t);
        return st;
    }
    gc_synth_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    const double t0 = MPI_Wtime();
    const int64_t H = x->dims[1];
    gc_ts_reduce red = {gc_ms_sum, gc_ms_sum_grad, &comm, H * rank / size, H * (rank + 1) / size};
    /* one rank's start image for all (bitwise the same iterate everywhere) */
    MPI_Bcast(x->data, (int)(x->dims[0] * x->dims[1] * x->dims[2]), gc_mpi_type(x->dtype), 0, comm);
    double f = 0.0;
    st = gc_synth_tiled_eval_part(ctx, t, x, &red, &f, 1);
    stats->evals = 1;
    stats->initial_loss = stats->final_loss = f;
    gc_synth_optim *opt = gc_synth_tiled_optim(t);
    for (int64_t it = 1; it <= gc_synth_tiled_iters(t) && st == GC_OK; it++) {
        int done = 0;
        st = gc_mpi_agree(ctx, comm, gc_synth_optim_step(ctx, opt, x->data, f, g->data, &done));
        if (st != GC_OK)
            break;
        /* rank 0's iterate and verdict are the ones: the ranks' steps agree to the last bit
         * when the allreduced gradients do, and this makes sure of it */
        MPI_Bcast(&done, 1, MPI_INT, 0, comm);
        MPI_Bcast(x->data, (int)(x->dims[0] * x->dims[1] * x->dims[2]), gc_mpi_type(x->dtype), 0,
                  comm);
        if (done)
            break;
        if ((st = gc_synth_tiled_eval_part(ctx, t, x, &red, &f, 1)) != GC_OK)
            break;
        stats->evals++;
        stats->iters = it;
        stats->final_loss = f;
        stats->seconds = MPI_Wtime() - t0;
        if (desc->progress && rank == 0) {
            gc_synth_progress p = {it, desc->iters, f, stats->initial_loss, stats->seconds, x};
            desc->progress(&p, desc->progress_user);
        }
    }
    stats->seconds = MPI_Wtime() - t0;
    if (st == GC_OK)
        st = gc_tensor_copy(x, image);
    gc_synth_tiled_free(t);
    return gc_mpi_agree(ctx, comm, st);
}
