/* nn_mm.c - nn.MM(transA, transB) over a pair of matrices or batches of matrices, and the
 * GramMatrix module on gc_gram_forward / gc_gram_backward. */
#include "nn/nn.h"

#include <string.h>

/* ---- MM ----------------------------------------------------------------------------------
 * One strided product, float64 sums in increasing k (plain loops: the nn layer's MM is for
 * building small networks such as the seed's; the Gram op is the fast path):
 *   out[i*os0 + j*os1] = sum_{k < K} x[i*xs0 + k*xs1] * y[k*ys0 + j*ys1]     i < M, j < N */
typedef struct gc_mm_operand {
    const void *p;
    int64_t s0, s1;
} gc_mm_operand;

static void gc_mm_run_f32(int64_t M, int64_t N, int64_t K, gc_mm_operand x, gc_mm_operand y,
                          float *out, int64_t os0, int64_t os1, double *acc)
{
    const float *xp = x.p, *yp = y.p;
    if (y.s1 == 1 && y.s0 != 1) { /* rows of y contiguous: acc[j] += x[i][k] y[k][j] */
        for (int64_t i = 0; i < M; i++) {
            for (int64_t j = 0; j < N; j++)
                acc[j] = 0.0;
            for (int64_t k = 0; k < K; k++) {
                const double xv = (double)xp[i * x.s0 + k * x.s1];
                const float *yr = yp + k * y.s0;
                for (int64_t j = 0; j < N; j++)
                    acc[j] += xv * (double)yr[j];
            }
            for (int64_t j = 0; j < N; j++)
                out[i * os0 + j * os1] = (float)acc[j];
        }
        return;
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const float *xr = xp + i * x.s0, *yc = yp + j * y.s1;
            double sum = 0.0;
            for (int64_t k = 0; k < K; k++)
                sum += (double)xr[k * x.s1] * (double)yc[k * y.s0];
            out[i * os0 + j * os1] = (float)sum;
        }
}

static void gc_mm_run_f64(int64_t M, int64_t N, int64_t K, gc_mm_operand x, gc_mm_operand y,
                          double *out, int64_t os0, int64_t os1, double *acc)
{
    const double *xp = x.p, *yp = y.p;
    if (y.s1 == 1 && y.s0 != 1) { /* rows of y contiguous: acc[j] += x[i][k] y[k][j] */
        for (int64_t i = 0; i < M; i++) {
            for (int64_t j = 0; j < N; j++)
                acc[j] = 0.0;
            for (int64_t k = 0; k < K; k++) {
                const double xv = (double)xp[i * x.s0 + k * x.s1];
                const double *yr = yp + k * y.s0;
                for (int64_t j = 0; j < N; j++)
                    acc[j] += xv * (double)yr[j];
            }
            for (int64_t j = 0; j < N; j++)
                out[i * os0 + j * os1] = (double)acc[j];
        }
        return;
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            const double *xr = xp + i * x.s0, *yc = yp + j * y.s1;
            double sum = 0.0;
            for (int64_t k = 0; k < K; k++)
                sum += xr[k * x.s1] * yc[k * y.s0];
            out[i * os0 + j * os1] = sum;
        }
}

/* acc: N doubles of scratch. Both loop orders sum each element in increasing k. */
static void gc_mm_run(gc_dtype dt, int64_t M, int64_t N, int64_t K, gc_mm_operand x,
                      gc_mm_operand y, void *out, int64_t os0, int64_t os1, double *acc)
{
    if (dt == GC_DTYPE_F32)
        gc_mm_run_f32(M, N, K, x, y, out, os0, os1, acc);
    else
        gc_mm_run_f64(M, N, K, x, y, out, os0, os1, acc);
}

/* op(t) of batch item b as an operand (rows, cols strides), with its row/col counts. */
static gc_mm_operand gc_mm_op(const gc_tensor *t, int64_t b, int trans, int64_t *rows,
                              int64_t *cols)
{
    const int r = t->rank;
    const int64_t s0 = t->strides[r - 2], s1 = t->strides[r - 1];
    gc_mm_operand o;
    o.p = t->data; /* NULL while planning from shapes */
    if (o.p && r == 3)
        o.p = (const char *)t->data + b * t->strides[0] * (int64_t)gc_dtype_size(t->dtype);
    o.s0 = trans ? s1 : s0;
    o.s1 = trans ? s0 : s1;
    *rows = trans ? t->dims[r - 1] : t->dims[r - 2];
    *cols = trans ? t->dims[r - 2] : t->dims[r - 1];
    return o;
}

static gc_status gc_mm_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    if (!in->is_table || in->count != 2)
        return gc_fail(ctx, GC_ERR_ARG, "nn.MM: the input must be a table of two tensors");
    const gc_tensor *a = &in->t[0], *b = &in->t[1];
    if (a->dtype != b->dtype || (a->dtype != GC_DTYPE_F32 && a->dtype != GC_DTYPE_F64))
        return gc_fail(ctx, GC_ERR_DTYPE, "nn.MM: A and B must both be float32 or float64");
    if (a->rank != b->rank || (a->rank != 2 && a->rank != 3))
        return gc_fail(ctx, GC_ERR_RANK,
                       "nn.MM: A and B must both be matrices or both batches of them "
                       "(ranks %d and %d)",
                       a->rank, b->rank);
    if (a->rank == 3 && a->dims[0] != b->dims[0])
        return gc_fail(ctx, GC_ERR_SHAPE, "nn.MM: batch sizes %lld and %lld differ",
                       (long long)a->dims[0], (long long)b->dims[0]);
    int64_t ma, ka, kb, nb;
    (void)gc_mm_op(a, 0, m->trans_a, &ma, &ka);
    (void)gc_mm_op(b, 0, m->trans_b, &kb, &nb);
    if (ka != kb)
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "nn.MM: op(A) is %lld x %lld and op(B) %lld x %lld: inner sizes differ",
                       (long long)ma, (long long)ka, (long long)kb, (long long)nb);
    int64_t od[3];
    int r = 0;
    if (a->rank == 3)
        od[r++] = a->dims[0];
    od[r++] = ma;
    od[r++] = nb;
    gc_status st = gc_nn_buffer(ctx, &m->out_buf[0], a->dtype, r, od);
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->gin_buf[0], a->dtype, a->rank, a->dims);
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->gin_buf[1], b->dtype, b->rank, b->dims);
    const int64_t row = ka > nb ? ka : nb; /* the widest product's row of float64 sums */
    if (st == GC_OK && row > (int64_t)(SIZE_MAX / sizeof(double)))
        st = gc_fail(ctx, GC_ERR_OVERFLOW, "nn.MM: the row of sums overflows");
    if (st == GC_OK)
        st = gc_nn_block_reserve(ctx, &m->aux, (size_t)row * sizeof(double));
    if (st == GC_OK)
        gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return st;
}

static int64_t gc_mm_batches(const gc_tensor *a) { return a->rank == 3 ? a->dims[0] : 1; }

/* C[b] = op(A[b]) op(B[b]) */
static gc_status gc_mm_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    (void)ctx;
    const gc_tensor *a = &in->t[0], *b = &in->t[1];
    gc_tensor *c = &m->out_buf[0];
    for (int64_t bi = 0; bi < gc_mm_batches(a); bi++) {
        int64_t M, K, K2, N;
        gc_mm_operand x = gc_mm_op(a, bi, m->trans_a, &M, &K);
        gc_mm_operand y = gc_mm_op(b, bi, m->trans_b, &K2, &N);
        gc_mm_operand o = gc_mm_op(c, bi, 0, &M, &N);
        gc_mm_run(a->dtype, M, N, K, x, y, (void *)o.p, o.s0, o.s1, m->aux.p);
    }
    gc_nn_set_tensor(&m->output, c);
    return GC_OK;
}

/* d op(A) = dC op(B)^T  (M x K), d op(B) = op(A)^T dC  (K x N); written back through the
 * transposes into dA (A's shape) and dB (B's shape). */
static gc_status gc_mm_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                      const gc_value *gout)
{
    (void)ctx;
    const gc_tensor *a = &in->t[0], *b = &in->t[1], *dc = &gout->t[0];
    gc_tensor *da = &m->gin_buf[0], *db = &m->gin_buf[1];
    for (int64_t bi = 0; bi < gc_mm_batches(a); bi++) {
        int64_t M, K, K2, N, r0, r1;
        gc_mm_operand x = gc_mm_op(a, bi, m->trans_a, &M, &K);
        gc_mm_operand y = gc_mm_op(b, bi, m->trans_b, &K2, &N);
        gc_mm_operand g = gc_mm_op(dc, bi, 0, &r0, &r1);
        gc_mm_operand oa = gc_mm_op(da, bi, m->trans_a, &r0, &r1);
        gc_mm_operand ob = gc_mm_op(db, bi, m->trans_b, &r0, &r1);
        gc_mm_operand yt = {y.p, y.s1, y.s0}, xt = {x.p, x.s1, x.s0};
        gc_mm_run(a->dtype, M, K, N, g, yt, (void *)oa.p, oa.s0, oa.s1, m->aux.p);
        gc_mm_run(a->dtype, K, N, M, xt, g, (void *)ob.p, ob.s0, ob.s1, m->aux.p);
    }
    gc_value_table(&m->grad_input, 2, m->gin_buf);
    return GC_OK;
}

const gc_module_ops gc_nn_mm_ops = {"nn.MM", gc_mm_plan, gc_mm_forward, gc_mm_backward_input,
                                    NULL};

gc_status gc_mm_create(gc_context *ctx, int trans_a, int trans_b, gc_module **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "mm_create: out is NULL");
    *out = NULL;
    gc_status st = gc_nn_module_new(ctx, GC_NN_MM, &gc_nn_mm_ops, out);
    if (st == GC_OK) {
        (*out)->trans_a = trans_a != 0;
        (*out)->trans_b = trans_b != 0;
    }
    return st;
}

/* ---- GramMatrix --------------------------------------------------------------------------- */

/* gc_module_plan: run forward and backward once on zeros (the buffers and a temporary of
 * the input's shape) so that the Gram calls' scratch is in the caches before the first pass.
 * The scratch sizes depend on the shapes, threads and ISA, never on strides or values. */
static gc_status gc_gramm_warm(gc_context *ctx, gc_module *m)
{
    gc_tensor tmp = {0};
    const gc_tensor *x = &m->gin_buf[0];
    gc_status st = gc_tensor_create(ctx, &tmp, x->dtype, x->rank, x->dims);
    gc_allocator saved;
    if (st == GC_OK) {
        gc_nn_call_begin(ctx, &m->cache[0], &saved);
        st = gc_gram_forward(ctx, &m->gram, &tmp, &m->out_buf[0]);
        gc_nn_call_end(ctx, &saved);
    }
    if (st == GC_OK) {
        gc_nn_call_begin(ctx, &m->cache[1], &saved);
        st = gc_gram_backward(ctx, &m->gram, &tmp, &m->out_buf[0], &m->gin_buf[0]);
        gc_nn_call_end(ctx, &saved);
    }
    gc_tensor_free(&tmp);
    return st;
}

static gc_status gc_gramm_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_status st = gc_nn_want_tensor(ctx, m, in, "input");
    if (st != GC_OK)
        return st;
    const gc_tensor *x = &in->t[0];
    int rank = 0;
    int64_t dims[GC_MAX_RANK];
    gc_tensor probe = *x; /* the shape query validates data too: give it a non-NULL pointer */
    if (!probe.data)
        probe.data = &probe;
    st = gc_gram_shape(ctx, &m->gram, &probe, &rank, dims);
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->out_buf[0], x->dtype, rank, dims);
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->gin_buf[0], x->dtype, x->rank, x->dims);
    if (st == GC_OK)
        gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    if (st == GC_OK && m->explicit_plan)
        st = gc_gramm_warm(ctx, m);
    return st;
}

static gc_status gc_gramm_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_allocator saved;
    gc_nn_call_begin(ctx, &m->cache[0], &saved);
    gc_status st = gc_gram_forward(ctx, &m->gram, &in->t[0], &m->out_buf[0]);
    gc_nn_call_end(ctx, &saved);
    gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return st;
}

static gc_status gc_gramm_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                         const gc_value *gout)
{
    gc_allocator saved;
    gc_nn_call_begin(ctx, &m->cache[1], &saved);
    gc_status st = gc_gram_backward(ctx, &m->gram, &in->t[0], &gout->t[0], &m->gin_buf[0]);
    gc_nn_call_end(ctx, &saved);
    gc_nn_set_tensor(&m->grad_input, &m->gin_buf[0]);
    return st;
}

const gc_module_ops gc_nn_gram_ops = {"GramMatrix", gc_gramm_plan, gc_gramm_forward,
                                      gc_gramm_backward_input, NULL};

gc_status gc_gram_matrix_create(gc_context *ctx, const gc_gram_desc *desc, gc_module **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "gram_matrix_create: out is NULL");
    *out = NULL;
    gc_gram_desc d = desc ? *desc : gc_gram_desc_default();
    /* validate the descriptor now, on a 1 x 1 probe */
    double one = 1.0;
    int64_t dims[2] = {1, 1}, od[GC_MAX_RANK];
    int orank;
    gc_tensor probe;
    gc_tensor_wrap(&probe, GC_DTYPE_F64, 2, dims, NULL, &one);
    if (d.precision == GC_PRECISION_BF16)
        probe.dtype = GC_DTYPE_F32;
    gc_status st = gc_gram_shape(ctx, &d, &probe, &orank, od);
    if (st != GC_OK)
        return st;
    st = gc_nn_module_new(ctx, GC_NN_GRAM, &gc_nn_gram_ops, out);
    if (st == GC_OK)
        (*out)->gram = d;
    return st;
}
