/* tile_gram.c - the streaming Gram (gc_gram_accum_*): bands of columns into a float64 M x M
 * accumulator with the sum order of gc_gram_forward's one-part path (see gramconv.h):
 * chunks of KC consecutive columns of the flattened matrix, a chunk that straddles bands
 * staged in an M x KC buffer until complete, each chunk packed into panels of L rows and run
 * through the packed SYRK kernels (gram.h) tile by tile, exactly as gram.c does. Threads take
 * column tiles (each accumulator element is written by one task, in chunk order), so the
 * result does not depend on the thread count.
 *
 * Shapes: band M x k' (or M x h x w, k' = h*w); accumulator acc[j*mpad + i] for i >= j
 * (i, j < mpad = M rounded up to L); stage M x KC (row stride KC); pack npanels x KC x L. */
#include "ops/gram/gram.h"
#include "tile/tile.h"

#include <math.h>
#include <string.h>

struct gc_gram_accum {
    gc_context *ctx;
    gc_gram_kernels kern;
    gc_dtype dtype;
    size_t esz;
    int64_t m, k, done;        /* rows, columns in all, columns added in this pass */
    int64_t L, NR, KC, mpad, npanels, ncols;
    double alpha;              /* norm * scale */
    gc_gram_pass pass;
    int exported;              /* gc_gram_accum_partial was called: `done` lives in the vector */
    double *acc;               /* mpad * mpad + 1 (the last slot: the column count) */
    double *mparts;            /* m * 8 + 1 (centring) */
    double *mu;                /* m (centring) */
    char *stage;               /* m * KC elements */
    int64_t fill;              /* columns in stage */
    char *pack;                /* npanels * KC * L packed elements */
};

static size_t gc_al64(size_t n) { return (n + 63) & ~(size_t)63; }

typedef struct gc_accum_plan {
    int64_t m, L, NR, KC, mpad, npanels, ncols;
    gc_gram_kernels kern;
} gc_accum_plan;

static gc_status gc_accum_plan_for(gc_context *ctx, const gc_gram_desc *desc, gc_dtype dtype,
                                   int64_t m, gc_accum_plan *pl, uint64_t *bytes)
{
    if (!desc)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum: NULL descriptor");
    if (dtype != GC_DTYPE_F32 && dtype != GC_DTYPE_F64)
        return gc_fail(ctx, GC_ERR_DTYPE, "gram_accum: unknown dtype %d", (int)dtype);
    if (desc->norm != GC_GRAM_NORM_NONE && desc->norm != GC_GRAM_NORM_HW &&
        desc->norm != GC_GRAM_NORM_CHW)
        return gc_fail(ctx, GC_ERR_ARG, "gram_accum: unknown norm %d", (int)desc->norm);
    if (!isfinite(desc->scale))
        return gc_fail(ctx, GC_ERR_ARG, "gram_accum: scale must be finite");
    if (desc->precision != GC_PRECISION_DEFAULT && desc->precision != GC_PRECISION_BF16)
        return gc_fail(ctx, GC_ERR_ARG, "gram_accum: unknown precision %d", (int)desc->precision);
    if (m <= 0)
        return gc_fail(ctx, GC_ERR_EMPTY, "gram_accum: %lld rows; expected at least 1",
                       (long long)m);
    if (m > ((int64_t)1 << 24))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "gram_accum: %lld rows make too large a Gram",
                       (long long)m);
    pl->kern = gc_gram_fwd_kernels_for(gc_context_isa(ctx), dtype);
    if (desc->precision == GC_PRECISION_BF16) {
        if (dtype != GC_DTYPE_F32)
            return gc_fail(ctx, GC_ERR_DTYPE, "gram_accum: bf16 precision takes float32 input");
        if (!gc_gram_bf16_kernels(ctx, &pl->kern))
            return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                           "gram: bf16 precision needs AVX512-BF16 (this CPU, build or ISA "
                           "setting has none)");
    }
    pl->m = m;
    pl->L = pl->kern.L, pl->NR = pl->kern.NR;
    pl->npanels = (m + pl->L - 1) / pl->L;
    pl->mpad = pl->npanels * pl->L;
    pl->ncols = pl->mpad / pl->NR;
    pl->KC = gc_gram_chunk_cols(&pl->kern, pl->mpad);
    const size_t esz = gc_dtype_size(dtype);
    uint64_t b = sizeof(struct gc_gram_accum) + 64;
    b += gc_al64(((size_t)pl->mpad * (size_t)pl->mpad + 1) * sizeof(double));
    if (desc->center)
        b += gc_al64(((size_t)m * 8 + 1) * sizeof(double)) + gc_al64((size_t)m * sizeof(double));
    b += gc_al64((size_t)m * (size_t)pl->KC * esz);
    b += gc_al64((size_t)pl->mpad * (size_t)pl->KC * (size_t)pl->kern.pesz);
    *bytes = b;
    return GC_OK;
}

gc_status gc_gram_accum_bytes(gc_context *ctx, const gc_gram_desc *desc, gc_dtype dtype,
                              int64_t m, uint64_t *bytes)
{
    gc_clear_error(ctx);
    if (!bytes)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum_bytes: bytes is NULL");
    gc_accum_plan pl;
    return gc_accum_plan_for(ctx, desc, dtype, m, &pl, bytes);
}

void gc_gram_accum_free(gc_gram_accum *a)
{
    if (!a)
        return;
    gc_context *ctx = a->ctx;
    gc_free(ctx, a->pack);
    gc_free(ctx, a->stage);
    gc_free(ctx, a->mu);
    gc_free(ctx, a->mparts);
    gc_free(ctx, a->acc);
    gc_free(ctx, a);
}

gc_status gc_gram_accum_create(gc_context *ctx, const gc_gram_desc *desc, gc_dtype dtype,
                               int64_t m, int64_t k, gc_gram_accum **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum_create: out is NULL");
    *out = NULL;
    gc_accum_plan pl;
    uint64_t bytes;
    gc_status st = gc_accum_plan_for(ctx, desc, dtype, m, &pl, &bytes);
    if (st != GC_OK)
        return st;
    if (k <= 0)
        return gc_fail(ctx, GC_ERR_EMPTY, "gram_accum_create: %lld columns; expected at least 1",
                       (long long)k);
    gc_gram_accum *a;
    if ((st = gc_alloc(ctx, 1, sizeof *a, (void **)&a)) != GC_OK)
        return st;
    memset(a, 0, sizeof *a);
    a->ctx = ctx;
    a->kern = pl.kern;
    a->dtype = dtype;
    a->esz = gc_dtype_size(dtype);
    a->m = m, a->k = k;
    a->L = pl.L, a->NR = pl.NR, a->KC = pl.KC, a->mpad = pl.mpad, a->npanels = pl.npanels;
    a->ncols = pl.ncols;
    double norm = 1.0; /* the same arithmetic as gc_gram_prepare */
    if (desc->norm == GC_GRAM_NORM_HW)
        norm = 1.0 / (double)k;
    else if (desc->norm == GC_GRAM_NORM_CHW)
        norm = 1.0 / ((double)m * (double)k);
    a->alpha = norm * desc->scale;
    a->pass = desc->center ? GC_GRAM_PASS_MEANS : GC_GRAM_PASS_PRODUCTS;
    st = gc_alloc(ctx, a->mpad * a->mpad + 1, sizeof(double), (void **)&a->acc);
    if (st == GC_OK && desc->center)
        st = gc_alloc(ctx, m * 8 + 1, sizeof(double), (void **)&a->mparts);
    if (st == GC_OK && desc->center)
        st = gc_alloc(ctx, m, sizeof(double), (void **)&a->mu);
    if (st == GC_OK)
        st = gc_alloc(ctx, m * a->KC, a->esz, (void **)&a->stage);
    if (st == GC_OK)
        st = gc_alloc(ctx, a->mpad * a->KC, (size_t)a->kern.pesz, (void **)&a->pack);
    if (st != GC_OK) {
        gc_gram_accum_free(a);
        return st;
    }
    memset(a->acc, 0, (size_t)(a->mpad * a->mpad + 1) * sizeof(double));
    if (a->mparts)
        memset(a->mparts, 0, (size_t)(m * 8 + 1) * sizeof(double));
    *out = a;
    return GC_OK;
}

gc_gram_pass gc_gram_accum_pass(const gc_gram_accum *a)
{
    return a ? a->pass : GC_GRAM_PASS_PRODUCTS;
}

/* ---- one chunk of kc columns -------------------------------------------------------------- */

typedef struct gc_chunk_job {
    gc_gram_accum *a;
    int64_t kc;
} gc_chunk_job;

/* Column tile c against every panel from its own down (gram.c's gc_fwd_task, one chunk). */
static void gc_chunk_task(int64_t c, int thread, void *arg)
{
    (void)thread;
    const gc_chunk_job *job = arg;
    gc_gram_accum *a = job->a;
    const int64_t L = a->L, NR = a->NR, P = a->npanels, ps = a->KC * L;
    const int64_t pesz = a->kern.pesz;
    const int64_t q = c * NR / L;
    const char *bp = a->pack + (size_t)(q * ps * pesz + (c * NR - q * L) * a->kern.colb);
    const int64_t VM = a->kern.vmax;
    for (int64_t pg = q; pg < P; pg += VM) {
        const int v = (int)(P - pg < VM ? P - pg : VM);
        a->kern.syrk(job->kc, v, a->pack + (size_t)(pg * ps * pesz), ps, bp,
                     a->acc + c * NR * a->mpad + pg * L, a->mpad);
    }
}

/* Portable transpose-pack (gram.c's gc_pack_generic): dst[k*L + r] = src[r*lds + k] - mu[r]. */
static void gc_accum_pack_generic(const gc_gram_accum *a, int64_t kc, int64_t rows,
                                  const char *src, int64_t lds, const double *mu, char *dst)
{
    const int64_t L = a->L;
    for (int64_t r = 0; r < L; r++)
        for (int64_t k = 0; k < kc; k++) {
            if (a->esz == 4) {
                const float m = r < rows && mu ? (float)mu[r] : 0.0f;
                ((float *)dst)[k * L + r] = r < rows ? ((const float *)src)[r * lds + k] - m : 0.0f;
            } else {
                const double m = r < rows && mu ? mu[r] : 0.0;
                ((double *)dst)[k * L + r] = r < rows ? ((const double *)src)[r * lds + k] - m : 0.0;
            }
        }
}

/* Pack kc columns (row i at src + i*lds elements, contiguous k) and run the SYRK tiles. */
static gc_status gc_accum_chunk(gc_gram_accum *a, const char *src, int64_t lds, int64_t kc)
{
    const int64_t L = a->L, ps = a->KC * L;
    for (int64_t pi = 0; pi < a->npanels; pi++) {
        const int64_t i0 = pi * L;
        const int64_t rows = a->m - i0 < L ? a->m - i0 : L;
        const char *s = src + (size_t)(i0 * lds) * a->esz;
        const double *mu = a->mu ? a->mu + i0 : NULL;
        char *dst = a->pack + (size_t)(pi * ps * a->kern.pesz);
        if (a->kern.pack)
            a->kern.pack(kc, rows, s, lds, mu, dst);
        else
            gc_accum_pack_generic(a, kc, rows, s, lds, mu, dst);
    }
    gc_chunk_job job = {a, kc};
    int T = gc_context_threads(a->ctx);
    if ((int64_t)T > a->ncols)
        T = (int)a->ncols;
    return gc_parallel_for(a->ctx, T, a->ncols, gc_chunk_task, &job);
}

/* ---- adding bands -------------------------------------------------------------------------- */

/* The band as M rows of kb columns: element (i, k) at off(i, k). */
typedef struct gc_band_view {
    const char *data;
    int64_t kb, w, s_row, s_h, s_w;   /* k = y*w + x; offset = i*s_row + y*s_h + x*s_w */
} gc_band_view;

static inline int64_t gc_band_off(const gc_band_view *b, int64_t i, int64_t k)
{
    return i * b->s_row + (k / b->w) * b->s_h + (k % b->w) * b->s_w;
}

/* Uniform stride along k, or -1. */
static int64_t gc_band_kstride(const gc_band_view *b)
{
    if (b->kb == 1)
        return 1;
    if (b->kb == b->w)
        return b->s_w;
    if (b->w == 1)
        return b->s_h;
    return b->s_h == b->w * b->s_w ? b->s_w : -1;
}

static void gc_accum_means(gc_gram_accum *a, const gc_band_view *b)
{
    for (int64_t i = 0; i < a->m; i++) {
        double *part = a->mparts + i * 8;
        for (int64_t k = 0; k < b->kb; k++) {
            const int64_t off = gc_band_off(b, i, k);
            const double x = a->esz == 4 ? (double)((const float *)b->data)[off]
                                         : ((const double *)b->data)[off];
            part[(a->done + k) & 7] += x;
        }
    }
}

static gc_status gc_accum_products(gc_gram_accum *a, const gc_band_view *b)
{
    const int64_t ks = gc_band_kstride(b);
    int64_t k = 0;
    gc_status st = GC_OK;
    while (k < b->kb && st == GC_OK) {
        if (a->fill == 0 && ks == 1 && b->kb - k >= a->KC) {
            /* a whole chunk straight from the band (rows i at s_row apart, k contiguous) */
            const char *src = b->data + (size_t)gc_band_off(b, 0, k) * a->esz;
            st = gc_accum_chunk(a, src, b->s_row, a->KC);
            k += a->KC;
            continue;
        }
        int64_t n = a->KC - a->fill;
        if (n > b->kb - k)
            n = b->kb - k;
        for (int64_t i = 0; i < a->m; i++)
            for (int64_t c = 0; c < n; c++) {
                const int64_t off = gc_band_off(b, i, k + c);
                char *dst = a->stage + (size_t)(i * a->KC + a->fill + c) * a->esz;
                memcpy(dst, b->data + (size_t)off * a->esz, a->esz);
            }
        a->fill += n;
        k += n;
        if (a->fill == a->KC) {
            st = gc_accum_chunk(a, a->stage, a->KC, a->KC);
            a->fill = 0;
        }
    }
    return st;
}

gc_status gc_gram_accum_add(gc_context *ctx, gc_gram_accum *a, const gc_tensor *band)
{
    gc_clear_error(ctx);
    if (!a || !band)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum_add: NULL accumulator or band");
    gc_status st = gc_tensor_check(ctx, band, "band");
    if (st != GC_OK)
        return st;
    if (band->dtype != a->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "gram_accum_add: band is %s, the accumulator %s",
                       gc_dtype_name(band->dtype), gc_dtype_name(a->dtype));
    if (band->rank != 2 && band->rank != 3)
        return gc_fail(ctx, GC_ERR_RANK, "gram_accum_add: band is %dD; expected M x k or M x h x w",
                       band->rank);
    if (band->dims[0] != a->m)
        return gc_fail(ctx, GC_ERR_SHAPE, "gram_accum_add: band has %lld rows, the accumulator %lld",
                       (long long)band->dims[0], (long long)a->m);
    gc_band_view b = {band->data, 0, 0, band->strides[0], 0, 0};
    if (band->rank == 2) {
        b.kb = band->dims[1], b.w = band->dims[1] ? band->dims[1] : 1, b.s_w = band->strides[1];
    } else {
        if (!gc_mul_ok(band->dims[1], band->dims[2], &b.kb))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "gram_accum_add: band size overflows");
        b.w = band->dims[2] ? band->dims[2] : 1, b.s_h = band->strides[1], b.s_w = band->strides[2];
    }
    if (a->exported) {
        a->done = (int64_t)(a->pass == GC_GRAM_PASS_MEANS ? a->mparts[a->m * 8]
                                                           : a->acc[a->mpad * a->mpad]);
        a->exported = 0;
    }
    if (b.kb > a->k - a->done)
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "gram_accum_add: %lld more columns would pass the %lld declared (%lld in)",
                       (long long)b.kb, (long long)a->k, (long long)a->done);
    if (b.kb == 0)
        return GC_OK;
    if (a->pass == GC_GRAM_PASS_MEANS)
        gc_accum_means(a, &b);
    else if ((st = gc_accum_products(a, &b)) != GC_OK)
        return st;
    a->done += b.kb;
    return GC_OK;
}

gc_status gc_gram_accum_partial(gc_context *ctx, gc_gram_accum *a, double **sums, int64_t *count)
{
    gc_clear_error(ctx);
    if (!a || !sums || !count)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum_partial: NULL argument");
    if (a->exported) { /* again: the vector already holds everything */
        *sums = a->pass == GC_GRAM_PASS_MEANS ? a->mparts : a->acc;
        *count = a->pass == GC_GRAM_PASS_MEANS ? a->m * 8 + 1 : a->mpad * a->mpad + 1;
        return GC_OK;
    }
    if (a->pass == GC_GRAM_PASS_MEANS) {
        a->mparts[a->m * 8] = (double)a->done;
        *sums = a->mparts;
        *count = a->m * 8 + 1;
    } else {
        if (a->fill > 0) {
            gc_status st = gc_accum_chunk(a, a->stage, a->KC, a->fill);
            if (st != GC_OK)
                return st;
            a->fill = 0;
        }
        a->acc[a->mpad * a->mpad] = (double)a->done;
        *sums = a->acc;
        *count = a->mpad * a->mpad + 1;
    }
    a->exported = 1;
    return GC_OK;
}

/* The column count of this pass (read back from the vector once it was exported). */
static int64_t gc_accum_done(const gc_gram_accum *a, const double *vec, int64_t slot)
{
    if (!a->exported)
        return a->done;
    const double d = vec[slot];
    return d >= 0 && d <= 9.0e15 ? (int64_t)d : -1;
}

gc_status gc_gram_accum_end_means(gc_context *ctx, gc_gram_accum *a)
{
    gc_clear_error(ctx);
    if (!a)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum_end_means: NULL accumulator");
    if (a->pass != GC_GRAM_PASS_MEANS)
        return gc_fail(ctx, GC_ERR_ARG, "gram_accum_end_means: not in the means pass (no centring, "
                       "or already ended)");
    const int64_t done = gc_accum_done(a, a->mparts, a->m * 8);
    if (done != a->k)
        return gc_fail(ctx, GC_ERR_SHAPE, "gram_accum_end_means: %lld of %lld columns added",
                       (long long)done, (long long)a->k);
    for (int64_t i = 0; i < a->m; i++) {
        const double *p = a->mparts + i * 8;
        const double s = ((p[0] + p[1]) + (p[2] + p[3])) + ((p[4] + p[5]) + (p[6] + p[7]));
        a->mu[i] = s / (double)a->k;
    }
    a->pass = GC_GRAM_PASS_PRODUCTS;
    a->done = 0;
    a->exported = 0;
    return GC_OK;
}

gc_status gc_gram_accum_finish(gc_context *ctx, gc_gram_accum *a, gc_tensor *output)
{
    gc_clear_error(ctx);
    if (!a || !output)
        return gc_fail(ctx, GC_ERR_NULL, "gram_accum_finish: NULL accumulator or output");
    if (a->pass != GC_GRAM_PASS_PRODUCTS)
        return gc_fail(ctx, GC_ERR_ARG, "gram_accum_finish: the means pass has not ended");
    gc_status st = gc_tensor_check(ctx, output, "output");
    if (st != GC_OK)
        return st;
    if (output->dtype != a->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "gram_accum_finish: output is %s, the accumulator %s",
                       gc_dtype_name(output->dtype), gc_dtype_name(a->dtype));
    if (output->rank != 2 || output->dims[0] != a->m || output->dims[1] != a->m)
        return gc_fail(ctx, GC_ERR_SHAPE, "gram_accum_finish: output must be %lldx%lld",
                       (long long)a->m, (long long)a->m);
    if (gc_tensor_self_overlaps(output))
        return gc_fail(ctx, GC_ERR_LAYOUT, "gram_accum_finish: output has broadcast strides");
    if (!a->exported && a->fill > 0) {
        if ((st = gc_accum_chunk(a, a->stage, a->KC, a->fill)) != GC_OK)
            return st;
        a->fill = 0;
    }
    const int64_t done = gc_accum_done(a, a->acc, a->mpad * a->mpad);
    if (done != a->k)
        return gc_fail(ctx, GC_ERR_SHAPE, "gram_accum_finish: %lld of %lld columns added",
                       (long long)done, (long long)a->k);
    const int64_t s0 = output->strides[0], s1 = output->strides[1];
    for (int64_t i = 0; i < a->m; i++)
        for (int64_t j = 0; j <= i; j++) {
            const double v = a->acc[j * a->mpad + i] * a->alpha;
            if (a->esz == 4) {
                ((float *)output->data)[i * s0 + j * s1] = (float)v;
                ((float *)output->data)[j * s0 + i * s1] = (float)v;
            } else {
                ((double *)output->data)[i * s0 + j * s1] = v;
                ((double *)output->data)[j * s0 + i * s1] = v;
            }
        }
    return GC_OK;
}
