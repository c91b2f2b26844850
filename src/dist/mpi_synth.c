/* mpi_synth.c - texture synthesis with the image split by rows over MPI ranks
 * (gc_mpi_synth_run). Rank r of P owns rows [H r / P, H (r+1) / P) of the C x H x W image:
 *   - its optimiser (gc_optimizer, as gc_synth_run's) holds only those rows (C x rows x W):
 *     the L-BFGS history, direction and gradient split with the image; every dot product
 *     or norm the optimiser takes is a local sum combined by the reduction hook
 *     (gc_optimizer_set_reduce): the P partials are gathered (MPI_Allgather) and every rank
 *     adds them in rank order, so every rank gets bitwise the same value and takes the same
 *     branches (step size, history updates, stop tests);
 *   - per evaluation: the ranks' rows are gathered into the whole image (MPI_Allgatherv:
 *     each rank's bands need rows beyond its own, and the circular padding wraps); each rank
 *     computes the features of its own output rows band by band (tile_synth.c) and the Gram
 *     partial sums are added (MPI_Allreduce per style layer); the image gradient, whose
 *     band contributions reach a halo beyond the rank's rows, is summed and split in one
 *     MPI_Reduce_scatter, so each rank receives the summed gradient of its own rows only;
 *     the total-variation term is added on the rank's rows; the loss is rank 0's (broadcast:
 *     the optimiser's branches never see a rank-local value);
 *   - the loop is gc_synth_run's (synth/synth_loop.c) with this evaluation, the start image
 *     broadcast from rank 0, the whole image gathered after each step, progress called on
 *     rank 0 and its stop broadcast.
 * Memory per rank: the image-sized buffers (whole image, its gradient before the reduction,
 * a staging copy: 3 C H W elements) plus the optimiser state of its rows (1/P of the
 * one-process state) plus its bands' buffers (max_memory). Equal to the one-process
 * gc_synth_tiled_run within float rounding (P = 1: bitwise). */
#include "dist/mpi_util.h"
#include "synth/synth_loop.h"
#include "tile/tile.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* One rank's view of the split run. */
typedef struct gc_ms {
    gc_context *ctx;
    MPI_Comm comm;
    int rank, size;
    gc_synth_tiled *t;
    int64_t C, H, W;
    int *counts, *displs;   /* elements of each rank's part (C x rows x W) and its offset */
    gc_tensor stage;        /* C x H x W elements, the parts one after another (rank order) */
    gc_tensor xloc;         /* this rank's rows: the optimiser's iterate */
    const void *fresh;      /* the local point whose rows the whole image holds now */
    double *gath;           /* P x 4 partials gathered by the reduction hook */
    gc_ts_reduce red;
} gc_ms;

static int64_t gc_ms_row(const gc_ms *m, int r) { return m->H * r / m->size; }

/* The Gram partial sums of the style layers: allreduced. */
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

/* The optimiser's reductions: every rank gathers the P partials and combines them in rank
 * order (sum, or max with NaN winning), so the result is bitwise the same everywhere. */
static gc_status gc_ms_reduce(void *user, gc_reduce_op op, double *v, int n)
{
    gc_ms *m = user;
    if (n < 1 || n > 4)
        return gc_fail(m->ctx, GC_ERR_ARG, "mpi synth: %d values to reduce (1..4)", n);
    if (MPI_Allgather(v, n, MPI_DOUBLE, m->gath, n, MPI_DOUBLE, m->comm) != MPI_SUCCESS)
        return gc_fail(m->ctx, GC_ERR_IO, "mpi synth: MPI_Allgather failed");
    for (int i = 0; i < n; i++) {
        double acc = m->gath[i];
        for (int r = 1; r < m->size; r++) {
            const double x = m->gath[(int64_t)r * n + i];
            if (op == GC_REDUCE_OP_SUM)
                acc += x;
            else if (x > acc || isnan(x))
                acc = isnan(acc) ? acc : x;
        }
        v[i] = acc;
    }
    return GC_OK;
}

/* Copy between the whole image (C x H x W) and the staging buffer (the parts in rank order,
 * each C x rows x W): to_stage 1 packs, 0 unpacks. */
static void gc_ms_stage(gc_ms *m, gc_tensor *whole, int to_stage)
{
    const size_t esz = gc_dtype_size(whole->dtype);
    char *img = whole->data, *stg = m->stage.data;
    for (int r = 0; r < m->size; r++) {
        const int64_t y0 = gc_ms_row(m, r), rows = gc_ms_row(m, r + 1) - y0;
        for (int64_t c = 0; c < m->C; c++) {
            char *a = img + (size_t)((c * m->H + y0) * m->W) * esz;
            char *b = stg + (size_t)(m->displs[r] + c * rows * m->W) * esz;
            const size_t len = (size_t)(rows * m->W) * esz;
            if (to_stage)
                memcpy(b, a, len);
            else
                memcpy(a, b, len);
        }
    }
}

/* The whole image from the ranks' rows (local: this rank's C x rows x W). */
static gc_status gc_ms_gather(gc_ms *m, const void *local)
{
    const MPI_Datatype ty = gc_mpi_type(m->xloc.dtype);
    if (MPI_Allgatherv(local, m->counts[m->rank], ty, m->stage.data, m->counts, m->displs, ty,
                       m->comm) != MPI_SUCCESS)
        return gc_fail(m->ctx, GC_ERR_IO, "mpi synth: MPI_Allgatherv failed");
    gc_ms_stage(m, gc_synth_tiled_x(m->t), 0);
    return GC_OK;
}

/* The loop's evaluation (synth/synth_loop.c) on this rank: x and grad are this rank's rows.
 * With grad (the optimiser's call): the summed gradient of the rows and the total-variation
 * gradient on them; without (the loss at the result): the loss only. Every rank returns the
 * same status and rank 0's loss. */
static gc_status gc_ms_eval(gc_context *ctx, void *user, const gc_tensor *x, double *loss,
                            gc_tensor *grad)
{
    gc_ms *m = user;
    gc_status st = GC_OK;
    if (x->data != m->fresh)
        st = gc_ms_gather(m, x->data);
    if (grad)
        m->fresh = NULL; /* the optimiser moves x after this evaluation */
    gc_tensor *whole = gc_synth_tiled_x(m->t), *gimg = gc_synth_tiled_grad(m->t);
    double f = 0.0;
    if (st == GC_OK)
        st = gc_synth_tiled_eval_part(ctx, m->t, whole, &m->red, &f, grad != NULL);
    if ((st = gc_mpi_agree(ctx, m->comm, st)) != GC_OK)
        return st;
    if (grad) {
        gc_ms_stage(m, gimg, 1);
        const MPI_Datatype ty = gc_mpi_type(grad->dtype);
        if (MPI_Reduce_scatter(m->stage.data, grad->data, m->counts, ty, MPI_SUM, m->comm) !=
            MPI_SUCCESS)
            return gc_fail(ctx, GC_ERR_IO, "mpi synth: MPI_Reduce_scatter failed");
    }
    if (gc_synth_tiled_desc(m->t)->tv_weight > 0.0)
        f += gc_synth_tiled_tv(m->t, whole, m->red.row0, m->red.row1, grad ? grad->data : NULL);
    MPI_Bcast(&f, 1, MPI_DOUBLE, 0, m->comm);
    *loss = f;
    return GC_OK;
}

/* The loop's start: rank 0's start image in every rank's whole image, this rank's rows of it
 * in the iterate. */
static gc_status gc_ms_start(gc_context *ctx, void *user)
{
    (void)ctx;
    gc_ms *m = user;
    gc_tensor *x = gc_synth_tiled_x(m->t);
    const size_t esz = gc_dtype_size(x->dtype);
    MPI_Bcast(x->data, (int)(m->C * m->H * m->W), gc_mpi_type(x->dtype), 0, m->comm);
    gc_ms_stage(m, x, 1);
    memcpy(m->xloc.data, (char *)m->stage.data + (size_t)m->displs[m->rank] * esz,
           (size_t)m->counts[m->rank] * esz);
    m->fresh = m->xloc.data;
    return GC_OK;
}

/* After each step: the whole image from the ranks' updated rows (for progress and the next
 * evaluation). */
static gc_status gc_ms_stepped(gc_context *ctx, void *user)
{
    gc_ms *m = user;
    gc_status st = gc_mpi_agree(ctx, m->comm, gc_ms_gather(m, m->xloc.data));
    if (st == GC_OK)
        m->fresh = m->xloc.data;
    return st;
}

/* Rank 0's stop decision (it alone calls progress), for every rank. */
static int gc_ms_agree_stop(void *user, int stop)
{
    gc_ms *m = user;
    MPI_Bcast(&stop, 1, MPI_INT, 0, m->comm);
    return stop;
}

static double gc_ms_clock(void) { return MPI_Wtime(); }

static void gc_ms_free(gc_ms *m)
{
    gc_free(m->ctx, m->counts);
    gc_free(m->ctx, m->displs);
    gc_free(m->ctx, m->gath);
    gc_tensor_free(&m->stage);
    gc_tensor_free(&m->xloc);
    gc_synth_tiled_free(m->t);
}

/* Everything a rank needs, allocated once; the start image (rank 0's) in every rank's
 * whole image and this rank's rows in xloc. */
static gc_status gc_ms_setup(gc_ms *m, const gc_synth_net *net, const gc_synth_desc *desc,
                             const gc_tensor *target_grams, uint64_t max_memory, gc_tensor *image)
{
    gc_context *ctx = m->ctx;
    gc_status st = gc_synth_tiled_create_part(ctx, net, desc, target_grams, max_memory, 0, &m->t);
    if (st == GC_OK && !image)
        st = gc_fail(ctx, GC_ERR_NULL, "mpi synth: image is NULL");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, image, "image");
    gc_tensor *x = st == GC_OK ? gc_synth_tiled_x(m->t) : NULL;
    if (st == GC_OK && (image->rank != 3 || image->dims[0] != x->dims[0] ||
                        image->dims[1] != x->dims[1] || image->dims[2] != x->dims[2] ||
                        image->dtype != x->dtype))
        st = gc_fail(ctx, GC_ERR_SHAPE, "mpi synth: the image must be %lld x %lld x %lld %s",
                     (long long)x->dims[0], (long long)x->dims[1], (long long)x->dims[2],
                     gc_dtype_name(x->dtype));
    if (st != GC_OK)
        return st;
    m->C = x->dims[0], m->H = x->dims[1], m->W = x->dims[2];
    if (m->H < m->size)
        return gc_fail(ctx, GC_ERR_ARG, "mpi synth: %d ranks for %lld rows: at most one rank "
                       "per row", m->size, (long long)m->H);
    if (m->C * m->H * m->W > INT_MAX)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "mpi synth: the image (%lld elements) exceeds one "
                       "MPI message", (long long)(m->C * m->H * m->W));
    if ((st = gc_alloc(ctx, m->size, sizeof(int), (void **)&m->counts)) != GC_OK ||
        (st = gc_alloc(ctx, m->size, sizeof(int), (void **)&m->displs)) != GC_OK ||
        (st = gc_alloc(ctx, (int64_t)m->size * 4, sizeof(double), (void **)&m->gath)) != GC_OK)
        return st;
    int64_t off = 0;
    for (int r = 0; r < m->size; r++) {
        m->counts[r] = (int)(m->C * (gc_ms_row(m, r + 1) - gc_ms_row(m, r)) * m->W);
        m->displs[r] = (int)off;
        off += m->counts[r];
    }
    const int64_t y0 = gc_ms_row(m, m->rank), y1 = gc_ms_row(m, m->rank + 1);
    const int64_t ld[3] = {m->C, y1 - y0, m->W};
    if ((st = gc_tensor_create(ctx, &m->stage, x->dtype, 3, x->dims)) != GC_OK ||
        (st = gc_tensor_create(ctx, &m->xloc, x->dtype, 3, ld)) != GC_OK)
        return st;
    m->red = (gc_ts_reduce){gc_ms_sum, &m->comm, y0, y1};
    if ((st = gc_tensor_copy(image, x)) != GC_OK)
        return st;
    return GC_OK;
}

gc_status gc_mpi_synth_run(gc_context *ctx, MPI_Comm comm, const gc_synth_net *net,
                           const gc_synth_desc *desc, const gc_tensor *target_grams,
                           uint64_t max_memory, gc_tensor *image, gc_synth_stats *stats)
{
    gc_clear_error(ctx);
    gc_ms m;
    memset(&m, 0, sizeof m);
    m.ctx = ctx;
    m.comm = comm;
    MPI_Comm_rank(comm, &m.rank);
    MPI_Comm_size(comm, &m.size);
    gc_optimizer *opt = NULL;
    gc_status st = gc_ms_setup(&m, net, desc, target_grams, max_memory, image);
    if (st == GC_OK)
        st = gc_synth_make_optimizer(ctx, desc, m.xloc.dtype, m.counts[m.rank], &opt);
    if (st == GC_OK)
        st = gc_optimizer_set_reduce(ctx, opt, gc_ms_reduce, &m);
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK) {
        gc_optimizer_free(opt);
        gc_ms_free(&m);
        return st;
    }
    gc_synth_loop loop;
    memset(&loop, 0, sizeof loop);
    loop.opt = opt;
    loop.x = &m.xloc;
    loop.eval = gc_ms_eval;
    loop.start = gc_ms_start;
    loop.stepped = gc_ms_stepped;
    loop.agree_stop = gc_ms_agree_stop;
    loop.clock = gc_ms_clock;
    loop.user = &m;
    loop.iters = desc->iters;
    loop.progress = desc->progress;
    loop.progress_user = desc->progress_user;
    loop.report = m.rank == 0;
    loop.shown = gc_synth_tiled_x(m.t);
    st = gc_synth_loop_run(ctx, &loop, stats);
    if (st == GC_OK)
        st = gc_tensor_copy(gc_synth_tiled_x(m.t), image);
    gc_optimizer_free(opt);
    gc_ms_free(&m);
    return gc_mpi_agree(ctx, comm, st);
}
