/* mpi_gram.c - the Gram of a .npy file over MPI ranks (gc_mpi_gram_npy): each rank streams its
 * own column slice of every item into a gc_gram_accum (tile_gram.c), the float64 partial
 * sums (M x M padded, plus the column count) are added with MPI_Reduce on the root, which
 * finishes G. Centring: the row-sum parts (M x 8) are added with MPI_Allreduce first, so
 * every rank centres with the same means. Communication per item: (mpad^2 + 1) doubles
 * reduced (+ 8M + 1 for centring). */
#include "dist/mpi_util.h"

#include <limits.h>
#include <string.h>

gc_status gc_mpi_agree(gc_context *ctx, MPI_Comm comm, gc_status st)
{
    int mine = (int)st, worst = 0;
    if (MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, comm) != MPI_SUCCESS)
        return gc_fail(ctx, GC_ERR_IO, "mpi: MPI_Allreduce of the status failed");
    if (st == GC_OK && worst != GC_OK)
        return gc_fail(ctx, (gc_status)worst, "mpi: another rank failed (%s)",
                       gc_status_str((gc_status)worst));
    return st;
}

MPI_Datatype gc_mpi_type(gc_dtype dt) { return dt == GC_DTYPE_F32 ? MPI_FLOAT : MPI_DOUBLE; }

/* Sum the partial vector over comm: on every rank (all != 0) or on root. */
static gc_status gc_mpi_sum_partial(gc_context *ctx, MPI_Comm comm, gc_gram_accum *acc, int all,
                                    int root)
{
    double *v = NULL;
    int64_t n = 0;
    gc_status st = gc_gram_accum_partial(ctx, acc, &v, &n);
    if (st == GC_OK && n > INT_MAX)
        st = gc_fail(ctx, GC_ERR_OVERFLOW, "mpi gram: %lld sums exceed one MPI message",
                     (long long)n);
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK)
        return st;
    int rank = 0, rc;
    MPI_Comm_rank(comm, &rank);
    if (all)
        rc = MPI_Allreduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_SUM, comm);
    else if (rank == root)
        rc = MPI_Reduce(MPI_IN_PLACE, v, (int)n, MPI_DOUBLE, MPI_SUM, root, comm);
    else
        rc = MPI_Reduce(v, NULL, (int)n, MPI_DOUBLE, MPI_SUM, root, comm);
    return rc == MPI_SUCCESS ? GC_OK : gc_fail(ctx, GC_ERR_IO, "mpi gram: reduction failed");
}

gc_status gc_mpi_gram_npy(gc_context *ctx, MPI_Comm comm, const gc_gram_desc *desc,
                          const char *path, uint64_t max_memory, int root, gc_tensor *output)
{
    gc_clear_error(ctx);
    if (!output)
        return gc_fail(ctx, GC_ERR_NULL, "mpi gram: output is NULL");
    memset(output, 0, sizeof *output);
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    gc_status st = GC_OK;
    if (!desc || !path)
        st = gc_fail(ctx, GC_ERR_NULL, "mpi gram: NULL descriptor or path");
    else if (root < 0 || root >= size)
        st = gc_fail(ctx, GC_ERR_ARG, "mpi gram: root %d is not a rank of %d", root, size);
    gc_npy_file *f = NULL;
    if (st == GC_OK)
        st = gc_npy_open(ctx, path, &f);
    int64_t n = 0, m = 0, k = 0, w = 1;
    gc_dtype dt = GC_DTYPE_F32;
    int r = 0;
    int64_t d[GC_MAX_RANK];
    if (st == GC_OK) {
        gc_npy_file_shape(f, &dt, &r, d);
        st = gc_gram_npy_layout(ctx, f, &n, &m, &k, &w);
    }
    /* this rank's columns: whole rows of the flattened pixels when there are enough */
    int64_t k0 = 0, k1 = 0;
    const int64_t hrows = k / (w > 0 ? w : 1);
    if (w > 1 && hrows >= size) {
        k0 = hrows * rank / size * w;
        k1 = hrows * (rank + 1) / size * w;
    } else {
        k0 = k * rank / size;
        k1 = k * (rank + 1) / size;
    }
    uint64_t acc_bytes = 0;
    if (st == GC_OK)
        st = gc_gram_accum_bytes(ctx, desc, dt, m, &acc_bytes);
    const size_t esz = gc_dtype_size(dt);
    int64_t band = k1 - k0 > 0 ? k1 - k0 : 1;
    if (st == GC_OK && max_memory) {
        const uint64_t out_bytes = rank == root ? (uint64_t)n * (uint64_t)m * (uint64_t)m * esz : 0;
        const uint64_t fixed = out_bytes + acc_bytes + 256, col = (uint64_t)m * esz;
        if (max_memory < fixed + col)
            st = gc_fail(ctx, GC_ERR_LIMIT, "gram: a memory budget of %llu bytes is too small: "
                         "the %lldx%lld result, the accumulator and one column need %llu",
                         (unsigned long long)max_memory, (long long)m, (long long)m,
                         (unsigned long long)(fixed + col));
        else {
            uint64_t c = (max_memory - fixed) / col;
            if (c >= (uint64_t)w && w > 1)
                c -= c % (uint64_t)w;
            if (c < (uint64_t)band)
                band = (int64_t)c;
        }
    }
    gc_tensor g = {0};
    if (st == GC_OK && rank == root) {
        const int64_t gd[3] = {n, m, m};
        st = r == 4 ? gc_tensor_create(ctx, &g, dt, 3, gd) : gc_tensor_create(ctx, &g, dt, 2, gd + 1);
    }
    st = gc_mpi_agree(ctx, comm, st);
    for (int64_t b = 0; b < n && st == GC_OK; b++) {
        gc_gram_accum *acc = NULL;
        st = gc_mpi_agree(ctx, comm, gc_gram_accum_create(ctx, desc, dt, m, k, &acc));
        if (st == GC_OK && gc_gram_accum_pass(acc) == GC_GRAM_PASS_MEANS) {
            st = gc_gram_accum_add_npy(ctx, acc, f, b, k0, k1, band);
            if (st != GC_OK)
                gc_mpi_agree(ctx, comm, st); /* matches the agreement inside the sum */
            else
                st = gc_mpi_sum_partial(ctx, comm, acc, 1, root);
            if (st == GC_OK)
                st = gc_gram_accum_end_means(ctx, acc);
            st = gc_mpi_agree(ctx, comm, st);
        }
        if (st == GC_OK) {
            st = gc_gram_accum_add_npy(ctx, acc, f, b, k0, k1, band);
            if (st != GC_OK)
                gc_mpi_agree(ctx, comm, st); /* the partial's own agreement will not run */
            else
                st = gc_mpi_sum_partial(ctx, comm, acc, 0, root);
        }
        if (st == GC_OK && rank == root) {
            gc_tensor gb;
            const int64_t md[2] = {m, m};
            const int64_t ms[2] = {r == 4 ? g.strides[1] : g.strides[0],
                                   r == 4 ? g.strides[2] : g.strides[1]};
            st = gc_tensor_wrap(&gb, dt, 2, md, ms,
                                (char *)g.data + (size_t)(r == 4 ? b * g.strides[0] : 0) * esz);
            if (st == GC_OK)
                st = gc_gram_accum_finish(ctx, acc, &gb);
        }
        gc_gram_accum_free(acc);
        st = gc_mpi_agree(ctx, comm, st);
    }
    gc_npy_close(f);
    if (st != GC_OK) {
        gc_tensor_free(&g);
        return st;
    }
    *output = g;
    return GC_OK;
}
