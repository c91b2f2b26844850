/* test_corr.c - xcorr2/conv2/xcorr3/conv3: known answers (the seed), optimised vs reference
 * sweeps on every ISA path, identities, SciPy 'same' goldens, thread-count reproducibility
 * and every refusal. */
#include "gc_test.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const gc_dtype dtypes[2] = {GC_DTYPE_F32, GC_DTYPE_F64};

static double at(const gc_tensor *t, const int64_t *idx)
{
    int64_t off = 0;
    for (int i = 0; i < t->rank; i++)
        off += idx[i] * t->strides[i];
    return t->dtype == GC_DTYPE_F32 ? ((float *)t->data)[off] : ((double *)t->data)[off];
}

static void make(gc_tensor *t, gc_dtype dt, int rank, const int64_t *dims, const double *vals)
{
    GC_CHECK_OK(gc_tensor_create(NULL, t, dt, rank, dims));
    int64_t n = 0;
    gc_tensor_numel(t, &n);
    for (int64_t i = 0; vals && i < n; i++) {
        if (dt == GC_DTYPE_F32)
            ((float *)t->data)[i] = (float)vals[i];
        else
            ((double *)t->data)[i] = vals[i];
    }
}

/* Run desc with the optimised path into a fresh (poisoned) output; returns its status. */
static gc_status run_op(gc_context *ctx, const gc_corr_desc *d, const gc_tensor *in,
                        const gc_tensor *k, gc_tensor *out, int reference)
{
    int rank;
    int64_t dims[GC_MAX_RANK];
    gc_status st = gc_corr_shape(ctx, d, in, k, &rank, dims);
    if (st != GC_OK)
        return st;
    st = gc_tensor_create(ctx, out, in->dtype, rank, dims);
    if (st != GC_OK)
        return st;
    gc_test_poison(out);
    return reference ? gc_corr_reference(ctx, d, in, k, out) : gc_corr(ctx, d, in, k, out);
}

/* ---- the seed's example ------------------------------------------------------------- */

static void test_seed_known_answers(void)
{
    const double in_v[] = {1, 5, 3, 4}, k_v[] = {5, 6, 7, 8};
    const double xf[] = {8, 47, 35, 30, 88, 53, 18, 39, 20};
    const double cf[] = {5, 31, 30, 22, 81, 64, 21, 52, 32};
    const int64_t d2[] = {2, 2};
    for (int di = 0; di < 2; di++)
        for (int ref = 0; ref < 2; ref++) {
            gc_tensor in, k, out;
            make(&in, dtypes[di], 2, d2, in_v);
            make(&k, dtypes[di], 2, d2, k_v);
            gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_VALID};
            GC_CHECK_OK(run_op(NULL, &d, &in, &k, &out, ref));
            GC_CHECK(out.rank == 2 && out.dims[0] == 1 && out.dims[1] == 1);
            GC_CHECK(at(&out, (int64_t[]){0, 0}) == 88.0);
            gc_tensor_free(&out);
            d.kind = GC_CORR_KIND_CONV;
            GC_CHECK_OK(run_op(NULL, &d, &in, &k, &out, ref));
            GC_CHECK(at(&out, (int64_t[]){0, 0}) == 81.0);
            gc_tensor_free(&out);
            for (int kind = 0; kind < 2; kind++) {
                d.kind = kind ? GC_CORR_KIND_CONV : GC_CORR_KIND_XCORR;
                d.mode = GC_MODE_FULL;
                GC_CHECK_OK(run_op(NULL, &d, &in, &k, &out, ref));
                GC_CHECK(out.dims[0] == 3 && out.dims[1] == 3);
                for (int64_t y = 0; y < 3; y++)
                    for (int64_t x = 0; x < 3; x++)
                        GC_CHECK(at(&out, (int64_t[]){y, x}) == (kind ? cf : xf)[y * 3 + x]);
                gc_tensor_free(&out);
            }
            gc_tensor_free(&in);
            gc_tensor_free(&k);
        }
}

/* The seed's example through the 3-D ops (depth 1) and the 3Dx4D pairing. */
static void test_seed_through_3d_ops(void)
{
    const double in_v[] = {1, 5, 3, 4}, k_v[] = {5, 6, 7, 8};
    gc_tensor in, k, out;
    make(&in, GC_DTYPE_F64, 3, (int64_t[]){1, 2, 2}, in_v);
    make(&k, GC_DTYPE_F64, 3, (int64_t[]){1, 2, 2}, k_v);
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F64, 3, (int64_t[]){1, 1, 1}));
    GC_CHECK_OK(gc_xcorr3(NULL, &in, &k, GC_MODE_VALID, &out));
    GC_CHECK(((double *)out.data)[0] == 88.0);
    GC_CHECK_OK(gc_conv3(NULL, &in, &k, GC_MODE_VALID, &out));
    GC_CHECK(((double *)out.data)[0] == 81.0);
    /* the same tensors read by the 2-D ops as 1 plane x 2 x 2 */
    GC_CHECK_OK(gc_xcorr2(NULL, &in, &k, GC_MODE_VALID, &out));
    GC_CHECK(((double *)out.data)[0] == 88.0);
    gc_tensor_free(&out);
    gc_tensor_free(&k);
    /* 1 x 1 x 2 x 2 kernel: nn.SpatialConvolution(1,1,2,2) */
    make(&k, GC_DTYPE_F64, 4, (int64_t[]){1, 1, 2, 2}, k_v);
    GC_CHECK_OK(gc_tensor_create(NULL, &out, GC_DTYPE_F64, 3, (int64_t[]){1, 1, 1}));
    GC_CHECK_OK(gc_xcorr2(NULL, &in, &k, GC_MODE_VALID, &out));
    GC_CHECK(((double *)out.data)[0] == 88.0);
    gc_tensor_free(&out);
    gc_tensor_free(&k);
    gc_tensor_free(&in);
}

/* ---- optimised vs reference ---------------------------------------------------------- */

/* Compare gc_corr on every ISA path up to the detected one with the reference. With
 * integer data every partial sum is exact in float32 (|sum| < 2^24), so results must match
 * exactly; with real data the bound is the classic (n+1) eps sum|terms| per element, where
 * sum|terms| is the reference run on |input| and |kernel|. */
static void abs_copy(const gc_tensor *src, gc_tensor *dst)
{
    GC_CHECK_OK(gc_tensor_contiguous(NULL, src, dst));
    int64_t n;
    gc_tensor_numel(dst, &n);
    for (int64_t i = 0; i < n; i++) {
        if (dst->dtype == GC_DTYPE_F32)
            ((float *)dst->data)[i] = fabsf(((float *)dst->data)[i]);
        else
            ((double *)dst->data)[i] = fabs(((double *)dst->data)[i]);
    }
}

static int check_against_reference(const gc_corr_desc *d, const gc_tensor *in, const gc_tensor *k,
                                   int integers, int threads, const char *label)
{
    int bad = 0;
    gc_tensor ref, absin, absk, absref;
    if (run_op(NULL, d, in, k, &ref, 1) != GC_OK) {
        GC_CHECK_MSG(0, "reference failed for %s", label);
        return 1;
    }
    abs_copy(in, &absin);
    abs_copy(k, &absk);
    GC_CHECK_OK(run_op(NULL, d, &absin, &absk, &absref, 1));
    int64_t nterms = 1;
    for (int i = 0; i < k->rank; i++)
        nterms *= k->dims[i];
    if (k->rank == in->rank) /* plane-wise: one plane's kernel per output */
        nterms /= k->dims[0] > 0 && k->rank == d->spatial_dims + 1 ? k->dims[0] : 1;
    else if (k->rank == in->rank + 1)
        nterms /= k->dims[0];
    const double eps = in->dtype == GC_DTYPE_F32 ? FLT_EPSILON : DBL_EPSILON;
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, threads));
    for (int isa = GC_ISA_SCALAR; isa <= (int)gc_isa_detect(); isa++) {
        GC_CHECK_OK(gc_context_set_isa(ctx, (gc_isa)isa));
        gc_tensor out;
        gc_status st = run_op(ctx, d, in, k, &out, 0);
        GC_CHECK_MSG(st == GC_OK, "%s isa %s: %s", label, gc_isa_name((gc_isa)isa),
                     gc_context_last_error(ctx));
        if (st != GC_OK) {
            bad++;
            continue;
        }
        int64_t n;
        gc_tensor_numel(&out, &n);
        for (int64_t e = 0; e < n; e++) {
            double o = out.dtype == GC_DTYPE_F32 ? ((float *)out.data)[e] : ((double *)out.data)[e];
            double r = ref.dtype == GC_DTYPE_F32 ? ((float *)ref.data)[e] : ((double *)ref.data)[e];
            double a = absref.dtype == GC_DTYPE_F32 ? ((float *)absref.data)[e]
                                                     : ((double *)absref.data)[e];
            double tol = integers ? 0.0 : (double)(nterms + 2) * eps * a;
            if (!(fabs(o - r) <= tol)) {
                GC_CHECK_MSG(0, "%s isa %s: element %lld got %.17g want %.17g (tol %.3g)", label,
                             gc_isa_name((gc_isa)isa), (long long)e, o, r, tol);
                bad++;
                break;
            }
        }
        gc_tensor_free(&out);
    }
    gc_context_free(ctx);
    gc_tensor_free(&ref);
    gc_tensor_free(&absin);
    gc_tensor_free(&absk);
    gc_tensor_free(&absref);
    return bad;
}

static void test_sweep_2d_single(void)
{
    const int64_t sizes[] = {1, 2, 3, 5, 8, 13, 16, 17, 31, 33, 40};
    const int ns = (int)(sizeof sizes / sizeof sizes[0]);
    gc_rng rng = {42};
    int failures = 0;
    for (int a = 0; a < ns && failures < 5; a++)
        for (int b = 0; b < ns && failures < 5; b++) {
            const int64_t h = sizes[a], w = sizes[(b * 7 + a) % ns];
            const int64_t kh_list[] = {1, 2, 3, (h + 1) / 2, h, h + 3};
            for (int ki = 0; ki < 6 && failures < 5; ki++) {
                const int64_t kh = kh_list[ki], kw = kh_list[(ki + b) % 6] + (w > 20 ? 2 : 0);
                for (int mode = 0; mode < 3; mode++) {
                    if (mode == GC_MODE_VALID && (kh > h || kw > w))
                        continue;
                    const int di = (a + b + ki + mode) & 1, integers = (a + ki) & 1;
                    gc_tensor in, k;
                    GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 2, (int64_t[]){h, w}));
                    GC_CHECK_OK(gc_tensor_create(NULL, &k, dtypes[di], 2, (int64_t[]){kh, kw}));
                    gc_test_fill(&in, &rng, integers);
                    gc_test_fill(&k, &rng, integers);
                    gc_corr_desc d = {.kind = (gc_corr_kind)(ki & 1), .spatial_dims = 2, .mode = (gc_mode)mode};
                    char label[128];
                    snprintf(label, sizeof label, "2d %lldx%lld k %lldx%lld mode %d kind %d %s",
                             (long long)h, (long long)w, (long long)kh, (long long)kw, mode, ki & 1,
                             gc_dtype_name(dtypes[di]));
                    failures += check_against_reference(&d, &in, &k, integers, 1 + (a & 1), label);
                    gc_tensor_free(&in);
                    gc_tensor_free(&k);
                }
            }
        }
}

/* Multi-plane pairings, 3-D ops, and non-contiguous inputs/outputs. */
static void test_sweep_planes_and_3d(void)
{
    gc_rng rng = {7};
    struct { int sd; int64_t p, q, n[3], k[3]; } cases[] = {
        {2, 3, 5, {1, 9, 11}, {1, 3, 3}},  {2, 4, 9, {1, 17, 16}, {1, 3, 5}},
        {2, 1, 1, {1, 7, 33}, {1, 7, 7}},  {2, 6, 3, {1, 20, 37}, {1, 2, 4}},
        {3, 2, 3, {4, 6, 7}, {2, 3, 2}},   {3, 3, 2, {5, 5, 18}, {3, 1, 3}},
        {3, 1, 1, {3, 3, 3}, {3, 3, 3}},   {2, 5, 13, {1, 6, 19}, {1, 6, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int pairing = 0; pairing < 2; pairing++)
            for (int mode = 0; mode < 3; mode++) {
                const int sd = cases[c].sd;
                const gc_dtype dt = dtypes[(c + (size_t)mode) & 1];
                int64_t idims[4], kdims[5];
                int ri = 0, rk = 0;
                idims[ri++] = cases[c].p;
                if (pairing == 1)
                    kdims[rk++] = cases[c].q;
                kdims[rk++] = cases[c].p;
                for (int s = 3 - sd; s < 3; s++) {
                    idims[ri++] = cases[c].n[s];
                    kdims[rk++] = cases[c].k[s];
                }
                /* input as a transposed view of a bigger buffer: last two dims swapped */
                gc_tensor big, in, k;
                int64_t bdims[4];
                memcpy(bdims, idims, sizeof bdims);
                bdims[ri - 1] = idims[ri - 2];
                bdims[ri - 2] = idims[ri - 1] + 3;
                GC_CHECK_OK(gc_tensor_create(NULL, &big, dt, ri, bdims));
                gc_test_fill(&big, &rng, (int)(c & 1));
                gc_tensor nar;
                GC_CHECK_OK(gc_tensor_narrow(&big, ri - 2, 1, idims[ri - 1], &nar));
                GC_CHECK_OK(gc_tensor_transpose(&nar, ri - 2, ri - 1, &in));
                GC_CHECK_OK(gc_tensor_create(NULL, &k, dt, rk, kdims));
                gc_test_fill(&k, &rng, (int)(c & 1));
                gc_corr_desc d = {.kind = (gc_corr_kind)(c & 1), .spatial_dims = sd, .mode = (gc_mode)mode};
                char label[128];
                snprintf(label, sizeof label, "case %zu pairing %d mode %d", c, pairing, mode);
                check_against_reference(&d, &in, &k, (int)(c & 1), 2, label);

                /* strided output: write into every other column of a wider buffer */
                int orank;
                int64_t odims[GC_MAX_RANK];
                GC_CHECK_OK(gc_corr_shape(NULL, &d, &in, &k, &orank, odims));
                gc_tensor obig, out, ref;
                int64_t obd[GC_MAX_RANK];
                memcpy(obd, odims, sizeof obd);
                obd[orank - 1] = odims[orank - 1] * 2;
                GC_CHECK_OK(gc_tensor_create(NULL, &obig, dt, orank, obd));
                out = obig;
                out.owned_ = NULL;
                out.dims[orank - 1] = odims[orank - 1];
                out.strides[orank - 1] = 2;
                gc_test_poison(&out);
                GC_CHECK_OK(gc_corr(NULL, &d, &in, &k, &out));
                GC_CHECK_OK(run_op(NULL, &d, &in, &k, &ref, 1));
                const double diff = gc_test_max_abs_diff(&out, &ref);
                GC_CHECK_MSG(diff <= (dt == GC_DTYPE_F32 ? 1e-4 : 1e-12), "%s strided out diff %g",
                             label, diff);
                gc_tensor_free(&ref);
                gc_tensor_free(&obig);
                gc_tensor_free(&k);
                gc_tensor_free(&big);
            }
}

/* Bigger shapes like the benchmarks' (tile edges of the SIMD kernels), fewer of them. */
static void test_large_shapes(void)
{
    gc_rng rng = {99};
    struct { int64_t p, q, h, w, kh, kw; int mode; } cases[] = {
        {1, 0, 67, 131, 3, 3, GC_MODE_VALID}, {1, 0, 45, 100, 7, 7, GC_MODE_FULL},
        {1, 0, 29, 77, 5, 5, GC_MODE_SAME},   {8, 9, 23, 58, 3, 3, GC_MODE_VALID},
        {5, 7, 12, 35, 3, 3, GC_MODE_FULL},   {3, 4, 15, 64, 11, 13, GC_MODE_SAME},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int di = 0; di < 2; di++) {
            gc_tensor in, k;
            if (cases[c].q == 0) {
                GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 2, (int64_t[]){cases[c].h, cases[c].w}));
                GC_CHECK_OK(gc_tensor_create(NULL, &k, dtypes[di], 2, (int64_t[]){cases[c].kh, cases[c].kw}));
            } else {
                GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 3,
                                             (int64_t[]){cases[c].p, cases[c].h, cases[c].w}));
                GC_CHECK_OK(gc_tensor_create(NULL, &k, dtypes[di], 4,
                                             (int64_t[]){cases[c].q, cases[c].p, cases[c].kh, cases[c].kw}));
            }
            gc_test_fill(&in, &rng, di);
            gc_test_fill(&k, &rng, di);
            gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = (gc_mode)cases[c].mode};
            char label[64];
            snprintf(label, sizeof label, "large case %zu %s", c, gc_dtype_name(dtypes[di]));
            check_against_reference(&d, &in, &k, di, 2, label);
            gc_tensor_free(&in);
            gc_tensor_free(&k);
        }
}

/* The same result, bit for bit, for every thread count. */
static void test_threads_bitwise(void)
{
    gc_rng rng = {5};
    gc_tensor in, k, first;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F32, 3, (int64_t[]){6, 37, 41}));
    GC_CHECK_OK(gc_tensor_create(NULL, &k, GC_DTYPE_F32, 4, (int64_t[]){7, 6, 3, 4}));
    gc_test_fill(&in, &rng, 0);
    gc_test_fill(&k, &rng, 0);
    gc_corr_desc d = {.kind = GC_CORR_KIND_CONV, .spatial_dims = 2, .mode = GC_MODE_FULL};
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    GC_CHECK_OK(gc_context_set_threads(ctx, 1));
    GC_CHECK_OK(run_op(ctx, &d, &in, &k, &first, 0));
    const int counts[] = {2, 3, 4, 7, 64};
    for (int i = 0; i < 5; i++) {
        gc_tensor out;
        GC_CHECK_OK(gc_context_set_threads(ctx, counts[i]));
        GC_CHECK_OK(run_op(ctx, &d, &in, &k, &out, 0));
        int64_t n;
        gc_tensor_numel(&out, &n);
        GC_CHECK_MSG(memcmp(out.data, first.data, (size_t)n * 4) == 0, "threads %d differ", counts[i]);
        gc_tensor_free(&out);
    }
    gc_context_free(ctx);
    gc_tensor_free(&first);
    gc_tensor_free(&in);
    gc_tensor_free(&k);
}

/* ---- identities -------------------------------------------------------------------- */

/* conv(in, k) == xcorr(in, rot180(k)); 3Dx4D == sum of 2Dx2D; full xcorr == valid xcorr of
 * the input zero-padded by k-1 on each side. Integer data: all exact. */
static void test_identities(void)
{
    gc_rng rng = {11};
    const int64_t P = 3, Q = 2, H = 9, W = 12, KH = 4, KW = 3;
    gc_tensor in, k, krot;
    GC_CHECK_OK(gc_tensor_create(NULL, &in, GC_DTYPE_F64, 3, (int64_t[]){P, H, W}));
    GC_CHECK_OK(gc_tensor_create(NULL, &k, GC_DTYPE_F64, 4, (int64_t[]){Q, P, KH, KW}));
    GC_CHECK_OK(gc_tensor_create(NULL, &krot, GC_DTYPE_F64, 4, (int64_t[]){Q, P, KH, KW}));
    gc_test_fill(&in, &rng, 1);
    gc_test_fill(&k, &rng, 1);
    double *kv = k.data, *kr = krot.data;
    for (int64_t j = 0; j < Q * P; j++)
        for (int64_t a = 0; a < KH; a++)
            for (int64_t b = 0; b < KW; b++)
                kr[j * KH * KW + a * KW + b] = kv[j * KH * KW + (KH - 1 - a) * KW + (KW - 1 - b)];
    for (int mode = 0; mode < 3; mode++) {
        gc_corr_desc dc = {.kind = GC_CORR_KIND_CONV, .spatial_dims = 2, .mode = (gc_mode)mode}, dx = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = (gc_mode)mode};
        gc_tensor oc, ox;
        GC_CHECK_OK(run_op(NULL, &dc, &in, &k, &oc, 0));
        GC_CHECK_OK(run_op(NULL, &dx, &in, &krot, &ox, 0));
        if (mode != GC_MODE_SAME) /* 'same' crops conv and xcorr differently for even k */
            GC_CHECK(gc_test_max_abs_diff(&oc, &ox) == 0.0);
        gc_tensor_free(&oc);
        gc_tensor_free(&ox);
    }
    /* 3Dx4D as sums of 2Dx2D */
    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_FULL};
    gc_tensor sum;
    GC_CHECK_OK(run_op(NULL, &d, &in, &k, &sum, 0));
    for (int64_t j = 0; j < Q; j++) {
        double *acc = calloc((size_t)((H + KH - 1) * (W + KW - 1)), sizeof(double));
        for (int64_t i = 0; i < P; i++) {
            gc_tensor in2, k2, o2;
            GC_CHECK_OK(gc_tensor_wrap(&in2, GC_DTYPE_F64, 2, (int64_t[]){H, W}, NULL,
                                       (double *)in.data + i * H * W));
            GC_CHECK_OK(gc_tensor_wrap(&k2, GC_DTYPE_F64, 2, (int64_t[]){KH, KW}, NULL,
                                       kv + (j * P + i) * KH * KW));
            GC_CHECK_OK(run_op(NULL, &d, &in2, &k2, &o2, 0));
            for (int64_t e = 0; e < (H + KH - 1) * (W + KW - 1); e++)
                acc[e] += ((double *)o2.data)[e];
            gc_tensor_free(&o2);
        }
        double worst = 0;
        for (int64_t e = 0; e < (H + KH - 1) * (W + KW - 1); e++)
            worst = fmax(worst, fabs(acc[e] - ((double *)sum.data)[j * (H + KH - 1) * (W + KW - 1) + e]));
        GC_CHECK(worst == 0.0);
        free(acc);
    }
    gc_tensor_free(&sum);
    /* full == valid of padded input (plane 0, kernel [0][0]) */
    gc_tensor pad, in0, k0, of, ov;
    const int64_t PH = H + 2 * (KH - 1), PW = W + 2 * (KW - 1);
    GC_CHECK_OK(gc_tensor_create(NULL, &pad, GC_DTYPE_F64, 2, (int64_t[]){PH, PW}));
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++)
            ((double *)pad.data)[(y + KH - 1) * PW + x + KW - 1] = ((double *)in.data)[y * W + x];
    GC_CHECK_OK(gc_tensor_wrap(&in0, GC_DTYPE_F64, 2, (int64_t[]){H, W}, NULL, in.data));
    GC_CHECK_OK(gc_tensor_wrap(&k0, GC_DTYPE_F64, 2, (int64_t[]){KH, KW}, NULL, kv));
    gc_corr_desc dv = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_VALID};
    GC_CHECK_OK(run_op(NULL, &d, &in0, &k0, &of, 0));
    GC_CHECK_OK(run_op(NULL, &dv, &pad, &k0, &ov, 0));
    GC_CHECK(gc_test_max_abs_diff(&of, &ov) == 0.0);
    gc_tensor_free(&of);
    gc_tensor_free(&ov);
    gc_tensor_free(&pad);
    gc_tensor_free(&in);
    gc_tensor_free(&k);
    gc_tensor_free(&krot);
}

/* ---- SciPy golden files for 'same' ------------------------------------------------- */

static void test_scipy_same_golden(void)
{
    /* made by tests/golden/make_golden_corr.py: input 7x8, kernels of every parity */
    const char *names[][3] = {
        {"corr_same_in.npy", "corr_same_k33.npy", "corr_same_xcorr_k33.npy"},
        {"corr_same_in.npy", "corr_same_k24.npy", "corr_same_xcorr_k24.npy"},
        {"corr_same_in.npy", "corr_same_k43.npy", "corr_same_xcorr_k43.npy"},
        {"corr_same_in.npy", "corr_same_k33.npy", "corr_same_conv_k33.npy"},
        {"corr_same_in.npy", "corr_same_k24.npy", "corr_same_conv_k24.npy"},
        {"corr_same_in.npy", "corr_same_k43.npy", "corr_same_conv_k43.npy"},
        {"corr_same_in.npy", "corr_same_k910.npy", "corr_same_xcorr_k910.npy"},
        {"corr_same_in.npy", "corr_same_k910.npy", "corr_same_conv_k910.npy"},
    };
    for (size_t c = 0; c < sizeof names / sizeof names[0]; c++) {
        gc_tensor in = {0}, k = {0}, want = {0}, out = {0};
        GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(names[c][0]), &in));
        GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(names[c][1]), &k));
        GC_CHECK_OK(gc_npy_read(NULL, gc_test_golden(names[c][2]), &want));
        if (in.rank != 2 || k.rank != 2 || want.rank != 2) {
            GC_CHECK_MSG(0, "golden %s unreadable", names[c][2]);
            gc_tensor_free(&in); gc_tensor_free(&k); gc_tensor_free(&want);
            continue;
        }
        gc_corr_desc d = {.kind = strstr(names[c][2], "conv") ? GC_CORR_KIND_CONV : GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_SAME};
        for (int ref = 0; ref < 2; ref++) {
            GC_CHECK_OK(run_op(NULL, &d, &in, &k, &out, ref));
            GC_CHECK_MSG(gc_test_max_abs_diff(&out, &want) <= 1e-12, "%s ref %d", names[c][2], ref);
            gc_tensor_free(&out);
        }
        gc_tensor_free(&in);
        gc_tensor_free(&k);
        gc_tensor_free(&want);
    }
}

/* ---- refusals -------------------------------------------------------------------- */

static void test_refusals(void)
{
    gc_context *ctx;
    GC_CHECK_OK(gc_context_create(&ctx));
    gc_tensor a2, a3, k2, k3, k4, k5, out, f32, big;
    make(&a2, GC_DTYPE_F64, 2, (int64_t[]){4, 5}, NULL);
    make(&a3, GC_DTYPE_F64, 3, (int64_t[]){2, 4, 5}, NULL);
    make(&k2, GC_DTYPE_F64, 2, (int64_t[]){2, 2}, NULL);
    make(&k3, GC_DTYPE_F64, 3, (int64_t[]){3, 2, 2}, NULL);
    make(&k4, GC_DTYPE_F64, 4, (int64_t[]){2, 3, 2, 2}, NULL);
    make(&k5, GC_DTYPE_F64, 5, (int64_t[]){1, 1, 1, 1, 1}, NULL);
    make(&f32, GC_DTYPE_F32, 2, (int64_t[]){2, 2}, NULL);
    make(&big, GC_DTYPE_F64, 2, (int64_t[]){5, 2}, NULL);
    make(&out, GC_DTYPE_F64, 2, (int64_t[]){3, 4}, NULL);
    int r;
    int64_t dims[GC_MAX_RANK];
    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_VALID};
    /* rank pairings */
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a2, &k3, &r, dims), GC_ERR_RANK);
    GC_CHECK(strstr(gc_context_last_error(ctx), "xcorr2") != NULL);
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a2, &k4, &r, dims), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a3, &k2, &r, dims), GC_ERR_RANK);
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a3, &k5, &r, dims), GC_ERR_RANK);
    /* plane mismatch: 2 planes vs 3 */
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a3, &k3, &r, dims), GC_ERR_SHAPE);
    GC_CHECK(strstr(gc_context_last_error(ctx), "planes") != NULL);
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a3, &k4, &r, dims), GC_ERR_SHAPE);
    /* V with a kernel larger than the input; F accepts it */
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a2, &big, &r, dims), GC_ERR_SHAPE);
    d.mode = GC_MODE_FULL;
    GC_CHECK_OK(gc_corr_shape(ctx, &d, &a2, &big, &r, dims));
    GC_CHECK(r == 2 && dims[0] == 8 && dims[1] == 6);
    d.mode = GC_MODE_SAME;
    GC_CHECK_OK(gc_corr_shape(ctx, &d, &a2, &big, &r, dims));
    GC_CHECK(r == 2 && dims[0] == 4 && dims[1] == 5);
    d.mode = GC_MODE_VALID;
    /* 3-D ops on 2-D operands */
    gc_corr_desc d3 = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 3, .mode = GC_MODE_VALID};
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d3, &a2, &k2, &r, dims), GC_ERR_RANK);
    /* dtype mismatch */
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a2, &f32, &r, dims), GC_ERR_DTYPE);
    /* empty dims */
    gc_tensor e;
    make(&e, GC_DTYPE_F64, 2, (int64_t[]){0, 5}, NULL);
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &e, &k2, &r, dims), GC_ERR_EMPTY);
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &a2, &e, &r, dims), GC_ERR_EMPTY);
    gc_tensor_free(&e);
    /* bad enums and NULLs */
    gc_corr_desc bad = {.kind = (gc_corr_kind)7, .spatial_dims = 2, .mode = GC_MODE_VALID};
    GC_CHECK_STATUS(gc_corr_shape(ctx, &bad, &a2, &k2, &r, dims), GC_ERR_ARG);
    bad = (gc_corr_desc){.kind = GC_CORR_KIND_XCORR, .spatial_dims = 4, .mode = GC_MODE_VALID};
    GC_CHECK_STATUS(gc_corr_shape(ctx, &bad, &a2, &k2, &r, dims), GC_ERR_ARG);
    bad = (gc_corr_desc){.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = (gc_mode)9};
    GC_CHECK_STATUS(gc_corr_shape(ctx, &bad, &a2, &k2, &r, dims), GC_ERR_ARG);
    GC_CHECK_STATUS(gc_corr_shape(ctx, NULL, &a2, &k2, &r, dims), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, NULL, &k2, &r, dims), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_corr(ctx, &d, &a2, &k2, NULL), GC_ERR_NULL);
    GC_CHECK_STATUS(gc_xcorr2(NULL, &a2, NULL, GC_MODE_VALID, &out), GC_ERR_NULL);
    /* wrong output shape / dtype */
    gc_tensor o2;
    make(&o2, GC_DTYPE_F64, 2, (int64_t[]){3, 3}, NULL);
    GC_CHECK_STATUS(gc_corr(ctx, &d, &a2, &k2, &o2), GC_ERR_SHAPE);
    gc_tensor_free(&o2);
    make(&o2, GC_DTYPE_F32, 2, (int64_t[]){3, 4}, NULL);
    GC_CHECK_STATUS(gc_corr(ctx, &d, &a2, &k2, &o2), GC_ERR_DTYPE);
    gc_tensor_free(&o2);
    /* output aliasing the input */
    gc_tensor alias;
    GC_CHECK_OK(gc_tensor_wrap(&alias, GC_DTYPE_F64, 2, (int64_t[]){3, 4}, NULL, a2.data));
    GC_CHECK_STATUS(gc_corr(ctx, &d, &a2, &k2, &alias), GC_ERR_ALIAS);
    GC_CHECK_OK(gc_tensor_wrap(&alias, GC_DTYPE_F64, 2, (int64_t[]){3, 4}, NULL, k2.data));
    GC_CHECK_STATUS(gc_corr(ctx, &d, &a2, &k2, &alias), GC_ERR_ALIAS);
    /* broadcast (stride 0) output */
    GC_CHECK_OK(gc_tensor_wrap(&alias, GC_DTYPE_F64, 2, (int64_t[]){3, 4}, (int64_t[]){0, 1}, out.data));
    GC_CHECK_STATUS(gc_corr(ctx, &d, &a2, &k2, &alias), GC_ERR_LAYOUT);
    /* a descriptor whose dims overflow when multiplied */
    gc_tensor lie = a2;
    lie.owned_ = NULL;
    lie.dims[0] = INT64_MAX / 2;
    lie.dims[1] = 4;
    GC_CHECK_STATUS(gc_corr_shape(ctx, &d, &lie, &k2, &r, dims), GC_ERR_OVERFLOW);
    /* the valid call still works after all that */
    GC_CHECK_OK(gc_corr(ctx, &d, &a2, &k2, &out));
    GC_CHECK(gc_context_last_error(ctx)[0] == '\0');
    gc_tensor *all[] = {&a2, &a3, &k2, &k3, &k4, &k5, &out, &f32, &big};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        gc_tensor_free(all[i]);
    gc_context_free(ctx);
}

/* NaN and Inf propagate like IEEE arithmetic: no crash, NaN exactly where it should be. */
static void test_nan_inf(void)
{
    gc_tensor in, k, out;
    make(&in, GC_DTYPE_F32, 2, (int64_t[]){5, 40}, NULL);
    make(&k, GC_DTYPE_F32, 2, (int64_t[]){3, 3}, NULL);
    ((float *)k.data)[4] = 1.0f;
    ((float *)in.data)[2 * 40 + 20] = NAN;
    ((float *)in.data)[3 * 40 + 30] = INFINITY;
    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = GC_MODE_VALID};
    GC_CHECK_OK(run_op(NULL, &d, &in, &k, &out, 0));
    const float *o = out.data; /* 3 x 38; centre tap => out[y][x] = in[y+1][x+1] * 1 + zeros */
    GC_CHECK(isnan(o[1 * 38 + 19]));
    GC_CHECK(isnan(o[1 * 38 + 18]) && isnan(o[0 * 38 + 19])); /* 0 * NaN taps */
    GC_CHECK(isinf(o[2 * 38 + 29]) && o[2 * 38 + 29] > 0); /* Inf * 1 */
    GC_CHECK(isnan(o[1 * 38 + 29]));                        /* Inf * 0 */
    GC_CHECK(o[0 * 38 + 0] == 0.0f);
    gc_tensor_free(&out);
    gc_tensor_free(&in);
    gc_tensor_free(&k);
}

/* The driver's column split (modes F and S, rows wide enough, one plane or plane-wise:
 * interior columns read the input in place, edge columns zero-padded copies) and the banded stream for kernels taller than 8
 * rows (1024-wide float32 and 512-wide float64 rows: 4 KiB apart), against the reference on
 * every ISA, with row-strided views, multi-plane sums, 3-D terms and a strided output. */
static void test_wide_split_and_tall(void)
{
    gc_rng rng = {2024};
    struct { int sd; int64_t p, q, d, h, w, kd, kh, kw; int mode; int view; } cases[] = {
        {2, 1, 0, 1, 9, 150, 1, 3, 3, GC_MODE_FULL, 0},
        {2, 1, 0, 1, 14, 261, 1, 5, 7, GC_MODE_SAME, 1},
        {2, 1, 0, 1, 8, 140, 1, 2, 9, GC_MODE_FULL, 2},
        {2, 1, 0, 1, 7, 300, 1, 4, 1, GC_MODE_SAME, 0},
        {2, 3, 2, 1, 10, 170, 1, 3, 5, GC_MODE_FULL, 1},
        {2, 2, 0, 1, 7, 200, 1, 3, 4, GC_MODE_SAME, 2},
        {3, 2, 0, 3, 6, 140, 2, 3, 3, GC_MODE_FULL, 0},
        {3, 2, 2, 3, 6, 140, 2, 3, 3, GC_MODE_FULL, 0},
        {2, 1, 0, 1, 21, 1024, 1, 9, 3, GC_MODE_VALID, 0},
        {2, 1, 0, 1, 23, 1024, 1, 11, 2, GC_MODE_FULL, 0},
        {2, 1, 0, 1, 27, 1024, 1, 15, 1, GC_MODE_SAME, 0},
        {2, 1, 0, 1, 30, 512, 1, 17, 2, GC_MODE_VALID, 0},
        {2, 1, 0, 1, 17, 512, 1, 10, 3, GC_MODE_FULL, 1},
        {2, 3, 1, 1, 20, 512, 1, 9, 2, GC_MODE_VALID, 0},
        {2, 2, 0, 1, 16, 1024, 1, 12, 1, GC_MODE_SAME, 0},
        {3, 1, 0, 3, 14, 300, 2, 9, 2, GC_MODE_FULL, 0},
        /* one edge only (S with kw = 2), and kernels wider than the interior's edge rows */
        {2, 1, 0, 1, 9, 200, 1, 3, 2, GC_MODE_SAME, 1},
        {2, 1, 0, 1, 6, 400, 1, 2, 270, GC_MODE_FULL, 0},
        {2, 2, 0, 1, 7, 300, 1, 2, 120, GC_MODE_SAME, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        /* the tall 1024-wide cases in float32, the 512-wide ones in float64 */
        const gc_dtype dt = cases[c].w == 1024 ? GC_DTYPE_F32 : cases[c].w == 512 ? GC_DTYPE_F64
                                                                                  : dtypes[c & 1];
        const int sd = cases[c].sd, integers = (int)(c % 3 == 0);
        int64_t idims[4], kdims[5];
        int ri = 0, rk = 0;
        if (cases[c].p > 1 || cases[c].q > 0)
            idims[ri++] = cases[c].p;
        if (cases[c].q > 0)
            kdims[rk++] = cases[c].q;
        if (cases[c].p > 1 || cases[c].q > 0)
            kdims[rk++] = cases[c].p;
        if (sd == 3) {
            idims[ri++] = cases[c].d;
            kdims[rk++] = cases[c].kd;
        }
        idims[ri++] = cases[c].h;
        idims[ri++] = cases[c].w;
        kdims[rk++] = cases[c].kh;
        kdims[rk++] = cases[c].kw;
        /* view 1: columns 3.. of wider rows (row stride != width); view 2: every other row */
        gc_tensor big, in, k;
        int64_t bdims[4];
        memcpy(bdims, idims, sizeof bdims);
        if (cases[c].view == 1)
            bdims[ri - 1] += 5;
        if (cases[c].view == 2)
            bdims[ri - 2] *= 2;
        GC_CHECK_OK(gc_tensor_create(NULL, &big, dt, ri, bdims));
        gc_test_fill(&big, &rng, integers);
        in = big;
        in.owned_ = NULL;
        if (cases[c].view == 1)
            in.data = (char *)big.data + 3 * gc_dtype_size(dt);
        if (cases[c].view == 2)
            in.strides[ri - 2] *= 2;
        memcpy(in.dims, idims, sizeof(int64_t) * (size_t)ri);
        GC_CHECK_OK(gc_tensor_create(NULL, &k, dt, rk, kdims));
        gc_test_fill(&k, &rng, integers);
        gc_corr_desc d = {.kind = (gc_corr_kind)(c & 1), .spatial_dims = sd,
                          .mode = (gc_mode)cases[c].mode, .method = GC_CORR_METHOD_DIRECT};
        char label[128];
        snprintf(label, sizeof label, "wide/tall case %zu (%lldx%lld k %lldx%lld mode %d)", c,
                 (long long)cases[c].h, (long long)cases[c].w, (long long)cases[c].kh,
                 (long long)cases[c].kw, cases[c].mode);
        check_against_reference(&d, &in, &k, integers, 1 + (int)(c & 1), label);

        /* same bits for 1 and 3 threads, and into a column-strided output */
        gc_context *ctx;
        GC_CHECK_OK(gc_context_create(&ctx));
        gc_tensor o1, o3;
        GC_CHECK_OK(gc_context_set_threads(ctx, 1));
        GC_CHECK_OK(run_op(ctx, &d, &in, &k, &o1, 0));
        GC_CHECK_OK(gc_context_set_threads(ctx, 3));
        GC_CHECK_OK(run_op(ctx, &d, &in, &k, &o3, 0));
        int64_t n;
        gc_tensor_numel(&o1, &n);
        GC_CHECK_MSG(memcmp(o1.data, o3.data, (size_t)n * gc_dtype_size(dt)) == 0,
                     "%s: 1 and 3 threads differ", label);
        gc_tensor obig, os;
        int64_t obd[GC_MAX_RANK];
        memcpy(obd, o1.dims, sizeof obd);
        obd[o1.rank - 1] *= 2;
        GC_CHECK_OK(gc_tensor_create(NULL, &obig, dt, o1.rank, obd));
        os = obig;
        os.owned_ = NULL;
        os.dims[o1.rank - 1] = o1.dims[o1.rank - 1];
        os.strides[o1.rank - 1] = 2;
        gc_test_poison(&os);
        GC_CHECK_OK(gc_corr(ctx, &d, &in, &k, &os));
        GC_CHECK_MSG(gc_test_max_abs_diff(&os, &o1) == 0.0, "%s: strided output differs", label);
        gc_tensor_free(&obig);
        gc_tensor_free(&o1);
        gc_tensor_free(&o3);
        gc_context_free(ctx);
        gc_tensor_free(&k);
        gc_tensor_free(&big);
    }
}

/* The FFT method with a boundary other than zeros where no output reads outside the input
 * (1x1 kernel in every mode, any kernel in V): the boundary is moot and the FFT path runs
 * (it used to answer GC_ERR_INTERNAL). */
static void test_fft_boundary_moot(void)
{
    if (!gc_fft_available()) {
        gc_test_skip("no FFTW in this build");
        return;
    }
    gc_rng rng = {31};
    const gc_boundary bs[] = {GC_BOUNDARY_WRAP, GC_BOUNDARY_SYMM, GC_BOUNDARY_REFLECT,
                              GC_BOUNDARY_REPLICATE, GC_BOUNDARY_FILL};
    for (int di = 0; di < 2; di++)
        for (int bi = 0; bi < 5; bi++)
            for (int mode = 0; mode < 3; mode++)
                for (int big = 0; big < 2; big++) {
                    if (big && mode != GC_MODE_VALID)
                        continue;
                    gc_tensor in, k, fft, dir;
                    GC_CHECK_OK(gc_tensor_create(NULL, &in, dtypes[di], 2, (int64_t[]){20, 30}));
                    GC_CHECK_OK(gc_tensor_create(NULL, &k, dtypes[di], 2,
                                                 big ? (int64_t[]){3, 4} : (int64_t[]){1, 1}));
                    gc_test_fill(&in, &rng, 0);
                    gc_test_fill(&k, &rng, 0);
                    gc_corr_desc d = {.kind = GC_CORR_KIND_XCORR, .spatial_dims = 2, .mode = (gc_mode)mode,
                                      .method = GC_CORR_METHOD_FFT, .boundary = bs[bi],
                                      .fill_value = bi == 4 ? 1.5 : 0.0};
                    gc_context *ctx;
                    GC_CHECK_OK(gc_context_create(&ctx));
                    gc_status st = run_op(ctx, &d, &in, &k, &fft, 0);
                    GC_CHECK_MSG(st == GC_OK, "fft boundary %d mode %d big %d: %s", bi, mode, big,
                                 gc_context_last_error(ctx));
                    d.method = GC_CORR_METHOD_DIRECT;
                    GC_CHECK_OK(run_op(ctx, &d, &in, &k, &dir, 0));
                    if (st == GC_OK) {
                        const double diff = gc_test_max_abs_diff(&fft, &dir);
                        GC_CHECK_MSG(diff <= (di == 0 ? 1e-5 : 1e-13), "fft boundary %d mode %d: diff %g",
                                     bi, mode, diff);
                        gc_tensor_free(&fft);
                    }
                    gc_tensor_free(&dir);
                    gc_context_free(ctx);
                    gc_tensor_free(&in);
                    gc_tensor_free(&k);
                }
}

GC_TEST_TABLE(gc_tests_corr) = {
    {"corr_seed_known_answers", test_seed_known_answers},
    {"corr_seed_through_3d_ops", test_seed_through_3d_ops},
    {"corr_sweep_2d_single", test_sweep_2d_single},
    {"corr_sweep_planes_and_3d", test_sweep_planes_and_3d},
    {"corr_large_shapes", test_large_shapes},
    {"corr_threads_bitwise", test_threads_bitwise},
    {"corr_identities", test_identities},
    {"corr_scipy_same_golden", test_scipy_same_golden},
    {"corr_refusals", test_refusals},
    {"corr_nan_inf", test_nan_inf},
    {"corr_wide_split_and_tall", test_wide_split_and_tall},
    {"corr_fft_boundary_moot", test_fft_boundary_moot},
    {NULL, NULL},
};
