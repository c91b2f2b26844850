/* mpi_halo.c - rows of a row-split tensor moved between ranks (gc_mpi_rows_gather) and the
 * distributed conv2d passes built on it and on the band calls of tile_conv2d.c.
 *
 * gc_mpi_rows_gather: every rank publishes [own0, own1, need0, need1) (MPI_Allgather of four
 * int64); rank p sends rank q the rows own_p ∩ need_q, packed (N x C x rows x W, contiguous),
 * in one message; the rows a rank owns and needs itself are copied. Each message is
 * N*C*rows*W elements: for a convolution's halo, rows = the halo height dh*(KH-1) (+ stride
 * slack) on each side. */
#include "ops/conv2d/conv2d.h"
#include "dist/mpi_util.h"
#include "tile/tile.h"

#include <limits.h>
#include <string.h>

typedef struct gc_rowspan { int64_t own0, own1, need0, need1; } gc_rowspan;

static int64_t gc_max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t gc_min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Copy rows [r0, r1) (global) of t, whose first row is global row t0, to/from a packed buffer
 * (N x C x (r1-r0) x W). */
static void gc_rows_pack(const gc_tensor *t, int64_t t0, int64_t r0, int64_t r1, void *buf,
                         int unpack)
{
    const int o = t->rank == 4 ? 1 : 0;
    const int64_t n = t->rank == 4 ? t->dims[0] : 1, c = t->dims[o], w = t->dims[o + 2];
    const int64_t sn = t->rank == 4 ? t->strides[0] : 0, sc = t->strides[o], sy = t->strides[o + 1],
                  sx = t->strides[o + 2];
    const size_t esz = gc_dtype_size(t->dtype);
    char *b = buf;
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < c; j++)
            for (int64_t y = r0; y < r1; y++)
                for (int64_t x = 0; x < w; x++) {
                    char *e = (char *)t->data + (size_t)(i * sn + j * sc + (y - t0) * sy + x * sx) * esz;
                    if (unpack)
                        memcpy(e, b, esz);
                    else
                        memcpy(b, e, esz);
                    b += esz;
                }
}

/* Every rank checks the same facts in `all` (size spans): owned ranges disjoint, every
 * needed row owned by some rank. */
static gc_status gc_rows_check_spans(gc_context *ctx, const gc_rowspan *all, int size)
{
    gc_status st = GC_OK;
    for (int p = 0; p < size && st == GC_OK; p++)
        for (int q = p + 1; q < size && st == GC_OK; q++)
            if (gc_max64(all[p].own0, all[q].own0) < gc_min64(all[p].own1, all[q].own1))
                st = gc_fail(ctx, GC_ERR_SHAPE, "mpi rows_gather: ranks %d and %d both own rows "
                             "from %lld", p, q, (long long)gc_max64(all[p].own0, all[q].own0));
    for (int p = 0; p < size && st == GC_OK; p++) {
        int64_t covered = 0;
        for (int q = 0; q < size; q++)
            covered += gc_max64(0, gc_min64(all[q].own1, all[p].need1) -
                                       gc_max64(all[q].own0, all[p].need0));
        if (covered != all[p].need1 - all[p].need0)
            st = gc_fail(ctx, GC_ERR_SHAPE, "mpi rows_gather: rank %d needs rows [%lld, %lld), "
                         "not all owned by a rank", p, (long long)all[p].need0,
                         (long long)all[p].need1);
    }
    return st;
}

/* Rows [c0, c1) (global) from own (first row own0) into out (first row need0): the rows a
 * rank owns and needs itself. */
static void gc_rows_copy_own(const gc_tensor *own, int64_t own0, gc_tensor *out, int64_t need0,
                             int64_t c0, int64_t c1)
{
    const int o = own->rank == 4 ? 1 : 0;
    const int64_t nn = own->rank == 4 ? own->dims[0] : 1;
    for (int64_t i = 0; i < nn; i++)
        for (int64_t j = 0; j < own->dims[o]; j++)
            for (int64_t y = c0; y < c1; y++)
                for (int64_t x = 0; x < own->dims[o + 2]; x++) {
                    const int64_t so = (own->rank == 4 ? i * own->strides[0] : 0) +
                                       j * own->strides[o] + (y - own0) * own->strides[o + 1] +
                                       x * own->strides[o + 2];
                    const int64_t doff = (out->rank == 4 ? i * out->strides[0] : 0) +
                                         j * out->strides[o] + (y - need0) * out->strides[o + 1] +
                                         x * out->strides[o + 2];
                    gc_store(out->data, out->dtype, doff, gc_load(own->data, own->dtype, so));
                }
}

gc_status gc_mpi_rows_gather(gc_context *ctx, MPI_Comm comm, const gc_tensor *own, int64_t own0,
                             int64_t need0, int64_t need1, gc_tensor *out)
{
    gc_clear_error(ctx);
    int rank = 0, size = 1;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    gc_status st = GC_OK;
    if (!own || !out)
        st = gc_fail(ctx, GC_ERR_NULL, "mpi rows_gather: NULL tensor");
    else if (size > 1024)
        st = gc_fail(ctx, GC_ERR_UNSUPPORTED, "mpi rows_gather: more than 1024 ranks");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, own, "own");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, out, "out");
    const int o = own && own->rank == 4 ? 1 : 0;
    if (st == GC_OK) {
        int same = (own->rank == 3 || own->rank == 4) && out->rank == own->rank &&
                   out->dtype == own->dtype && gc_tensor_is_contiguous(out);
        for (int i = 0; same && i < own->rank; i++)
            if (i != o + 1)
                same = out->dims[i] == own->dims[i];
        if (!same)
            st = gc_fail(ctx, GC_ERR_SHAPE, "mpi rows_gather: own and out must be (N x) C x rows x W "
                         "of one dtype, out contiguous");
        else if (own0 < 0 || need0 < 0 || need1 < need0 || out->dims[o + 1] != need1 - need0)
            st = gc_fail(ctx, GC_ERR_SHAPE, "mpi rows_gather: out has %lld rows for [%lld, %lld)",
                         (long long)out->dims[o + 1], (long long)need0, (long long)need1);
    }
    gc_rowspan mine = {0, 0, 0, 0};
    if (st == GC_OK)
        mine = (gc_rowspan){own0, own0 + own->dims[o + 1], need0, need1};
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK)
        return st;
    gc_rowspan *all = NULL;
    if ((st = gc_mpi_agree(ctx, comm, gc_alloc(ctx, size, sizeof *all, (void **)&all))) != GC_OK) {
        gc_free(ctx, all);
        return st;
    }
    MPI_Allgather(&mine, 4, MPI_INT64_T, all, 4, MPI_INT64_T, comm);
    /* every rank checks the same facts: owned ranges disjoint, every needed row owned */
    if (st == GC_OK)
        st = gc_rows_check_spans(ctx, all, size);
    /* buffers: one per peer, sends then receives */
    const int64_t n = own->rank == 4 ? own->dims[0] : 1;
    const int64_t plane = n * own->dims[o] * own->dims[o + 2];
    const size_t esz = gc_dtype_size(own->dtype);
    int64_t total = 0;
    for (int q = 0; q < size && st == GC_OK; q++) {
        if (q == rank)
            continue;
        const int64_t s = gc_max64(0, gc_min64(mine.own1, all[q].need1) - gc_max64(mine.own0, all[q].need0));
        const int64_t r = gc_max64(0, gc_min64(all[q].own1, need1) - gc_max64(all[q].own0, need0));
        if ((s * plane > INT_MAX) || (r * plane > INT_MAX))
            st = gc_fail(ctx, GC_ERR_OVERFLOW, "mpi rows_gather: a message exceeds 2^31 elements");
        total += (s + r) * plane;
    }
    char *buf = NULL;
    MPI_Request *req = NULL;
    if (st == GC_OK)
        st = gc_alloc(ctx, total > 0 ? total : 1, esz, (void **)&buf);
    if (st == GC_OK)
        st = gc_alloc(ctx, 2 * (int64_t)size, sizeof *req, (void **)&req);
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK) {
        gc_free(ctx, req);
        gc_free(ctx, buf);
        gc_free(ctx, all);
        return st;
    }
    const MPI_Datatype mt = gc_mpi_type(own->dtype);
    int nreq = 0;
    char *cur = buf;
    char *rbuf[1024];
    int64_t rlo[1024], rhi[1024];
    int nrecv = 0;
    for (int q = 0; q < size; q++) {
        if (q == rank)
            continue;
        const int64_t r0 = gc_max64(all[q].own0, need0), r1 = gc_min64(all[q].own1, need1);
        if (r1 > r0) {
            MPI_Irecv(cur, (int)((r1 - r0) * plane), mt, q, 0x6c, comm, &req[nreq++]);
            rbuf[nrecv] = cur, rlo[nrecv] = r0, rhi[nrecv] = r1, nrecv++;
            cur += (size_t)((r1 - r0) * plane) * esz;
        }
    }
    for (int q = 0; q < size; q++) {
        if (q == rank)
            continue;
        const int64_t s0 = gc_max64(mine.own0, all[q].need0), s1 = gc_min64(mine.own1, all[q].need1);
        if (s1 > s0) {
            gc_rows_pack(own, own0, s0, s1, cur, 0);
            MPI_Isend(cur, (int)((s1 - s0) * plane), mt, q, 0x6c, comm, &req[nreq++]);
            cur += (size_t)((s1 - s0) * plane) * esz;
        }
    }
    /* the rows this rank owns and needs itself: copied */
    const int64_t c0 = gc_max64(mine.own0, need0), c1 = gc_min64(mine.own1, need1);
    gc_rows_copy_own(own, own0, out, need0, c0, c1);
    int rc = MPI_Waitall(nreq, req, MPI_STATUSES_IGNORE);
    for (int i = 0; i < nrecv; i++)
        gc_rows_pack(out, need0, rlo[i], rhi[i], rbuf[i], 1);
    gc_free(ctx, req);
    gc_free(ctx, buf);
    gc_free(ctx, all);
    st = rc == MPI_SUCCESS ? GC_OK : gc_fail(ctx, GC_ERR_IO, "mpi rows_gather: messages failed");
    return gc_mpi_agree(ctx, comm, st);
}

/* Rows [*lo, *hi) of the input that output rows [oy0, oy1) read, padding-mode sources
 * included (reflect, replicate, circular map padded rows onto real ones). */
static gc_status gc_mpi_fwd_need(gc_context *ctx, const gc_conv2d_desc *desc, int64_t h,
                                 int64_t kh, int64_t oy0, int64_t oy1, int64_t *lo, int64_t *hi)
{
    *lo = *hi = 0;
    if (oy1 <= oy0)
        return GC_OK;
    int64_t a, b;
    gc_status st = gc_conv2d_rows_needed(ctx, desc, h, kh, oy0, oy1, &a, &b);
    if (st != GC_OK)
        return st;
    const int64_t span = desc->dilation[0] * (kh - 1);
    const int64_t pt = desc->same_padding ? span / 2 : desc->pad[0];
    const int64_t p0 = oy0 * desc->stride[0], p1 = (oy1 - 1) * desc->stride[0] + span + 1;
    for (int64_t p = p0; p < p1 && desc->padding_mode != GC_BOUNDARY_FILL; p++) {
        const int64_t y = gc_pad_index(p - pt, h, desc->padding_mode);
        if (y >= 0 && y < a)
            a = y;
        if (y >= 0 && y + 1 > b)
            b = y + 1;
    }
    *lo = a, *hi = b;
    return GC_OK;
}

gc_status gc_mpi_conv2d_forward(gc_context *ctx, MPI_Comm comm, const gc_conv2d_desc *desc,
                                int64_t h, const gc_tensor *input_own, int64_t in0,
                                const gc_tensor *weight, const gc_tensor *bias, int64_t oy0,
                                gc_tensor *output_own)
{
    gc_clear_error(ctx);
    gc_status st = GC_OK;
    if (!desc || !input_own || !weight || !output_own)
        st = gc_fail(ctx, GC_ERR_NULL, "mpi conv2d_forward: NULL argument");
    const int o = input_own && input_own->rank == 4 ? 1 : 0;
    int64_t lo = 0, hi = 0, ob = 0;
    if (st == GC_OK && (output_own->rank != input_own->rank || weight->rank != 4))
        st = gc_fail(ctx, GC_ERR_RANK, "mpi conv2d_forward: input, output ranks differ");
    if (st == GC_OK) {
        ob = output_own->dims[o + 1];
        st = gc_mpi_fwd_need(ctx, desc, h, weight->dims[2], oy0, oy0 + ob, &lo, &hi);
    }
    gc_tensor rows = {0};
    if (st == GC_OK) {
        int64_t d[4];
        for (int i = 0; i < input_own->rank; i++)
            d[i] = input_own->dims[i];
        d[o + 1] = hi - lo;
        st = gc_tensor_create(ctx, &rows, input_own->dtype, input_own->rank, d);
    }
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK) {
        gc_tensor_free(&rows);
        return st;
    }
    st = gc_mpi_rows_gather(ctx, comm, input_own, in0, lo, hi, &rows);
    if (st == GC_OK && ob > 0)
        st = gc_conv2d_forward_band(ctx, desc, h, &rows, lo, weight, bias, oy0, output_own);
    gc_tensor_free(&rows);
    return gc_mpi_agree(ctx, comm, st);
}

gc_status gc_mpi_conv2d_backward_input(gc_context *ctx, MPI_Comm comm, const gc_conv2d_desc *desc,
                                       int64_t h, const gc_tensor *grad_output_own, int64_t go0,
                                       const gc_tensor *weight, int64_t in0,
                                       gc_tensor *grad_input_own)
{
    gc_clear_error(ctx);
    gc_status st = GC_OK;
    if (!desc || !grad_output_own || !weight || !grad_input_own)
        st = gc_fail(ctx, GC_ERR_NULL, "mpi conv2d_backward_input: NULL argument");
    const int o = grad_input_own && grad_input_own->rank == 4 ? 1 : 0;
    int64_t lo = 0, hi = 0, ib = 0;
    if (st == GC_OK && (grad_output_own->rank != grad_input_own->rank || weight->rank != 4))
        st = gc_fail(ctx, GC_ERR_RANK, "mpi conv2d_backward_input: ranks differ");
    if (st == GC_OK) {
        ib = grad_input_own->dims[o + 1];
        st = gc_conv2d_rows_feeding(ctx, desc, h, weight->dims[2], in0, in0 + ib, &lo, &hi);
    }
    gc_tensor rows = {0};
    if (st == GC_OK) {
        int64_t d[4];
        for (int i = 0; i < grad_output_own->rank; i++)
            d[i] = grad_output_own->dims[i];
        d[o + 1] = hi - lo;
        st = gc_tensor_create(ctx, &rows, grad_output_own->dtype, grad_output_own->rank, d);
    }
    if ((st = gc_mpi_agree(ctx, comm, st)) != GC_OK) {
        gc_tensor_free(&rows);
        return st;
    }
    st = gc_mpi_rows_gather(ctx, comm, grad_output_own, go0, lo, hi, &rows);
    if (st == GC_OK && ib > 0)
        st = gc_conv2d_backward_input_band(ctx, desc, h, &rows, lo, weight, in0, grad_input_own);
    gc_tensor_free(&rows);
    return gc_mpi_agree(ctx, comm, st);
}
