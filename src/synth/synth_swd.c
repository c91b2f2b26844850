/* synth_swd.c - the sliced Wasserstein feature loss of texture synthesis (Heitz, Vanhoey,
 * Chambon & Belcour, "A Sliced Wasserstein Loss for Neural Texture Synthesis", CVPR 2021).
 *
 * For style layer l with features F (C_l x N, N = H_l W_l of the image being synthesised):
 * D = C_l fixed random unit directions d_1..d_D (Gaussian by Box-Muller from the splitmix64
 * generator, seeded by a constant mixed with l, normalised and rounded to float32: the same on
 * every machine and for every net), projections p_k = d_k^T F (N values each).
 *
 * Target: the style image's features (valid padding, as the Gram targets) projected on the
 * same directions and sorted; Q = min(N_t, 4096) quantiles per direction are kept (the sorted
 * values read at (q + 0.5) / Q, linearly interpolated), so the memory does not grow with the
 * sample. A blend of several style images averages the quantile functions with their weights
 * (the 1-D Wasserstein barycentre of each projection); every image after the first is read at
 * the first one's Q quantiles.
 *
 *   Loss_l = (1 / (D N)) sum_k sum_i (sort(p_k)_i - t_k((i + 0.5) / N))^2 / s_l
 *
 * t_k the target quantile function (linear between the Q stored quantiles at (q + 0.5) / Q,
 * constant beyond the first and last), s_l = the mean of t_k^2 over k and q (1 if 0): scale-free
 * like the Gram terms. The synthesis adds style_weight * (1/|style|) sum_l Loss_l.
 *
 * Gradient: dLoss/dp_k[idx(i)] = 2 (sort(p_k)_i - t_k(...)) / (D N s_l), idx(i) the element at
 * rank i; dLoss/dF = sum_k d_k (dLoss/dp_k)^T, ADDED into the caller's gradient.
 *
 * Sorting: a stable LSD radix sort (4 passes of 8 bits) of (the projection rounded to float32,
 * made order-preserving as a uint32; the element's index) pairs, so ties go by index and the
 * result is deterministic. The features are projected on 4 directions per pass, and each is
 * sorted on its own: scratch of O(N) (4 N doubles of projections, 4 N of their gradients, 2 N
 * sort pairs), made once by gc_synth_swd_init; an evaluation allocates nothing, and it runs on
 * one thread in a fixed order, so its bytes do not depend on the thread count. */
#include "synth/synth.h"

#include <math.h>
#include <string.h>

#define GC_SWD_MAX_QUANTILES 4096
#define GC_SWD_SEED 0x9c5a1f3b7d2e4860ull

/* ---- scratch and sorting ---------------------------------------------------------------- */

#define GC_SWD_B GC_SYNTH_SWD_BLOCK
#define GC_SWD_TILE 256 /* positions per tile of the blocked projection and scatter */

static void gc_swd_release(const gc_allocator *a, void **p)
{
    if (*p)
        a->free(*p, a->user);
    *p = NULL;
}

static void gc_swd_scratch_free(const gc_allocator *a, gc_synth_swd_scratch *sc)
{
    gc_swd_release(a, (void **)&sc->proj);
    gc_swd_release(a, (void **)&sc->grad);
    gc_swd_release(a, (void **)&sc->kv);
    gc_swd_release(a, (void **)&sc->kv2);
    sc->n = 0;
}

static gc_status gc_swd_scratch_make(gc_context *ctx, int64_t n, int with_grad,
                                     gc_synth_swd_scratch *sc)
{
    memset(sc, 0, sizeof *sc);
    if (n > (int64_t)UINT32_MAX)
        return gc_fail(ctx, GC_ERR_LIMIT, "synth: %lld feature positions are too many for the "
                       "sliced Wasserstein loss (at most 2^32 - 1)", (long long)n);
    const int64_t m = n ? n : 1;
    gc_status st = gc_alloc(ctx, GC_SWD_B * m, sizeof(double), (void **)&sc->proj);
    if (st == GC_OK && with_grad)
        st = gc_alloc(ctx, GC_SWD_B * m, sizeof(double), (void **)&sc->grad);
    if (st == GC_OK)
        st = gc_alloc(ctx, m, sizeof(uint64_t), (void **)&sc->kv);
    if (st == GC_OK)
        st = gc_alloc(ctx, m, sizeof(uint64_t), (void **)&sc->kv2);
    if (st != GC_OK)
        gc_swd_scratch_free(gc_ctx_allocator(ctx), sc);
    else
        sc->n = n;
    return st;
}

/* A float32 rounding of v as a uint32 in the same order (negatives reversed). */
static inline uint32_t gc_swd_key(double v)
{
    const float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

/* Sort the n values p: returns (key << 32 | index) pairs in increasing order of the keys,
 * equal keys by index (a stable LSD radix sort on the key's 4 bytes; the indices start in
 * order). The index of rank i is the low 32 bits of element i. */
static const uint64_t *gc_swd_sort(gc_synth_swd_scratch *sc, const double *p, int64_t n)
{
    uint64_t *a = sc->kv, *b = sc->kv2;
    uint32_t count[4][256];
    memset(count, 0, sizeof count);
    for (int64_t i = 0; i < n; i++) {
        const uint32_t k = gc_swd_key(p[i]);
        a[i] = (uint64_t)k << 32 | (uint64_t)i;
        count[0][k & 255]++;
        count[1][(k >> 8) & 255]++;
        count[2][(k >> 16) & 255]++;
        count[3][k >> 24]++;
    }
    for (int pass = 0; pass < 4 && n > 1; pass++) {
        const int shift = 32 + 8 * pass;
        if (count[pass][(a[0] >> shift) & 255] == (uint32_t)n)
            continue; /* every key has this byte: the pass would not move anything */
        uint32_t off[256], sum = 0;
        for (int v = 0; v < 256; v++) {
            off[v] = sum;
            sum += count[pass][v];
        }
        for (int64_t i = 0; i < n; i++)
            b[off[(a[i] >> shift) & 255]++] = a[i];
        uint64_t *t = a;
        a = b, b = t;
    }
    return a;
}

/* p[b] = d_b^T F for the nb (<= BLOCK) directions d (nb x C) and the features F (C x n,
 * contiguous, feat's dtype); p: nb x n. Each value sums over c in increasing order. */
static void gc_swd_project(const gc_tensor *feat, const double *d, int nb, int64_t C, int64_t n,
                           double *p)
{
    double acc[GC_SWD_B][GC_SWD_TILE];
    for (int64_t i0 = 0; i0 < n; i0 += GC_SWD_TILE) {
        const int64_t m = n - i0 < GC_SWD_TILE ? n - i0 : GC_SWD_TILE;
        for (int b = 0; b < nb; b++)
            memset(acc[b], 0, (size_t)m * sizeof(double));
        for (int64_t c = 0; c < C; c++) {
            if (feat->dtype == GC_DTYPE_F32) {
                const float *f = (const float *)feat->data + c * n + i0;
                for (int b = 0; b < nb; b++) {
                    const double dc = d[b * C + c];
                    double *ab = acc[b];
                    for (int64_t i = 0; i < m; i++)
                        ab[i] += dc * (double)f[i];
                }
            } else {
                const double *f = (const double *)feat->data + c * n + i0;
                for (int b = 0; b < nb; b++) {
                    const double dc = d[b * C + c];
                    double *ab = acc[b];
                    for (int64_t i = 0; i < m; i++)
                        ab[i] += dc * f[i];
                }
            }
        }
        for (int b = 0; b < nb; b++)
            memcpy(p + b * n + i0, acc[b], (size_t)m * sizeof(double));
    }
}

/* grad (C x n, contiguous, its dtype) += sum_b d_b gp_b^T for nb directions (gp: nb x n), the
 * block's terms summed in double in increasing b before they are added. */
static void gc_swd_scatter(gc_tensor *grad, const double *d, int nb, int64_t C, int64_t n,
                           const double *gp)
{
    double acc[GC_SWD_TILE];
    for (int64_t i0 = 0; i0 < n; i0 += GC_SWD_TILE) {
        const int64_t m = n - i0 < GC_SWD_TILE ? n - i0 : GC_SWD_TILE;
        for (int64_t c = 0; c < C; c++) {
            const double d0 = d[c];
            const double *g0 = gp + i0;
            for (int64_t i = 0; i < m; i++)
                acc[i] = d0 * g0[i];
            for (int b = 1; b < nb; b++) {
                const double db = d[b * C + c];
                const double *gb = gp + b * n + i0;
                for (int64_t i = 0; i < m; i++)
                    acc[i] += db * gb[i];
            }
            if (grad->dtype == GC_DTYPE_F32) {
                float *g = (float *)grad->data + c * n + i0;
                for (int64_t i = 0; i < m; i++)
                    g[i] = (float)((double)g[i] + acc[i]);
            } else {
                double *g = (double *)grad->data + c * n + i0;
                for (int64_t i = 0; i < m; i++)
                    g[i] += acc[i];
            }
        }
    }
}

/* The value at quantile (r + 0.5) / n of m sorted values, given ratio = m / n: linear between
 * the points (j + 0.5) / m, constant beyond the ends. v(j) reads the j-th smallest. */
#define GC_SWD_QUANTILE(out, ratio, m, r, V)                                                    \
    do {                                                                                         \
        double pos_ = ((double)(r) + 0.5) * (ratio) - 0.5;                                      \
        if (pos_ < 0.0)                                                                          \
            pos_ = 0.0;                                                                          \
        if (pos_ > (double)((m) - 1))                                                            \
            pos_ = (double)((m) - 1);                                                            \
        const int64_t j0_ = (int64_t)pos_, j1_ = j0_ + 1 < (m) ? j0_ + 1 : j0_;                  \
        const double t_ = pos_ - (double)j0_;                                                    \
        (out) = t_ == 0.0 ? V(j0_) : V(j0_) * (1.0 - t_) + V(j1_) * t_;                          \
    } while (0)

/* ---- the object ------------------------------------------------------------------------- */

gc_status gc_synth_swd_init(gc_context *ctx, gc_synth_swd *sw, const gc_synth_plan *plan,
                            uint32_t style)
{
    memset(sw, 0, sizeof *sw);
    sw->alloc = *gc_ctx_allocator(ctx);
    sw->style = style;
    const gc_synth_net *net = plan->net;
    int64_t nmax = 0;
    gc_status st = GC_OK;
    for (int l = 0; l < net->nlayers && st == GC_OK; l++) {
        if (!(style >> l & 1))
            continue;
        int64_t dims[3];
        gc_synth_plan_layer_dims(plan, l, dims);
        const int64_t C = dims[0], n = dims[1] * dims[2];
        nmax = n > nmax ? n : nmax;
        sw->D[l] = C;
        sw->snorm[l] = 1.0;
        if ((st = gc_alloc(ctx, C * C, sizeof(double), (void **)&sw->dirs[l])) != GC_OK)
            break;
        /* D = C unit directions: Gaussian (Box-Muller), normalised, rounded to float32 */
        uint64_t rng = GC_SWD_SEED ^ ((uint64_t)(l + 1) * 0xd1b54a32d192ed03ull);
        for (int64_t k = 0; k < C; k++) {
            double *d = sw->dirs[l] + k * C, norm = 0.0;
            while (!(norm > 0.0)) {
                for (int64_t c = 0; c < C; c += 2) {
                    const double u1 = 1.0 - gc_synth_rng_uniform(&rng); /* (0, 1] */
                    const double u2 = gc_synth_rng_uniform(&rng);
                    const double r = sqrt(-2.0 * log(u1)), a = 6.283185307179586 * u2;
                    d[c] = r * cos(a);
                    if (c + 1 < C)
                        d[c + 1] = r * sin(a);
                }
                norm = 0.0;
                for (int64_t c = 0; c < C; c++)
                    norm += d[c] * d[c];
            }
            norm = sqrt(norm);
            for (int64_t c = 0; c < C; c++)
                d[c] = (double)(float)(d[c] / norm);
        }
    }
    if (st == GC_OK)
        st = gc_swd_scratch_make(ctx, nmax, 1, &sw->scratch);
    if (st != GC_OK)
        gc_synth_swd_free(sw);
    return st;
}

void gc_synth_swd_free(gc_synth_swd *sw)
{
    if (!sw || !sw->alloc.free)
        return;
    const gc_allocator a = sw->alloc;
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++) {
        gc_swd_release(&a, (void **)&sw->dirs[l]);
        gc_swd_release(&a, (void **)&sw->quant[l]);
        gc_swd_release(&a, (void **)&sw->next[l]);
    }
    gc_swd_scratch_free(&a, &sw->scratch);
    memset(sw, 0, sizeof *sw);
}

/* ---- targets ---------------------------------------------------------------------------- */

typedef struct gc_swd_measure_arg {
    gc_synth_swd *sw;
    gc_synth_swd_scratch *sc;
} gc_swd_measure_arg;

static gc_status gc_swd_measure_tap(gc_context *ctx, void *user, int layer, const gc_tensor *feat,
                                    gc_tensor *grad, double *loss)
{
    (void)ctx;
    (void)grad;
    (void)loss;
    gc_swd_measure_arg *a = user;
    gc_synth_swd *sw = a->sw;
    const int64_t C = feat->dims[0], n = feat->dims[1] * feat->dims[2];
    const int64_t D = sw->D[layer], Q = sw->Q[layer];
    const double ratio = (double)n / (double)Q;
    for (int64_t k0 = 0; k0 < D; k0 += GC_SWD_B) {
        const int nb = D - k0 < GC_SWD_B ? (int)(D - k0) : GC_SWD_B;
        gc_swd_project(feat, sw->dirs[layer] + k0 * C, nb, C, n, a->sc->proj);
        for (int b = 0; b < nb; b++) {
            const double *p = a->sc->proj + b * n;
            const uint64_t *ord = gc_swd_sort(a->sc, p, n);
            double *q = sw->next[layer] + (k0 + b) * Q;
#define GC_SWD_V(j) p[(uint32_t)ord[j]]
            for (int64_t j = 0; j < Q; j++)
                GC_SWD_QUANTILE(q[j], ratio, n, j, GC_SWD_V);
#undef GC_SWD_V
        }
    }
    return GC_OK;
}

gc_status gc_synth_swd_measure(gc_context *ctx, gc_synth_swd *sw, const gc_synth_net *net,
                               const gc_tensor *image)
{
    gc_synth_plan plan;
    gc_status st = gc_synth_plan_init(ctx, net, image->dims[1], image->dims[2], 1, sw->style,
                                      &plan);
    if (st != GC_OK)
        return st;
    int64_t nmax = 0;
    for (int l = 0; l < net->nlayers && st == GC_OK; l++) {
        if (!(sw->style >> l & 1))
            continue;
        int64_t dims[3];
        gc_synth_plan_layer_dims(&plan, l, dims);
        const int64_t n = dims[1] * dims[2];
        if (n < 1)
            st = gc_fail(ctx, GC_ERR_SHAPE, "synth: the style image leaves no features on "
                         "layer %s", net->names[l]);
        nmax = n > nmax ? n : nmax;
        if (!sw->images) /* the first image sets the quantiles every later one is read at */
            sw->Q[l] = n < GC_SWD_MAX_QUANTILES ? n : GC_SWD_MAX_QUANTILES;
        if (st == GC_OK)
            st = gc_alloc(ctx, sw->D[l] * sw->Q[l], sizeof(double), (void **)&sw->next[l]);
    }
    gc_synth_swd_scratch sc;
    memset(&sc, 0, sizeof sc);
    if (st == GC_OK)
        st = gc_swd_scratch_make(ctx, nmax, 0, &sc);
    if (st == GC_OK) {
        gc_swd_measure_arg arg = {sw, &sc};
        double unused = 0.0;
        st = gc_synth_plan_eval(ctx, &plan, image, sw->style, gc_swd_measure_tap, &arg, &unused,
                                NULL);
    }
    gc_swd_scratch_free(gc_ctx_allocator(ctx), &sc);
    gc_synth_plan_free(&plan);
    if (st != GC_OK)
        gc_synth_swd_discard(sw);
    return st;
}

void gc_synth_swd_discard(gc_synth_swd *sw)
{
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++)
        gc_swd_release(&sw->alloc, (void **)&sw->next[l]);
}

void gc_synth_swd_commit(gc_synth_swd *sw, double weight, double total)
{
    for (int l = 0; l < GC_SYNTH_MAX_LAYERS; l++) {
        if (!(sw->style >> l & 1) || !sw->next[l])
            continue;
        const int64_t m = sw->D[l] * sw->Q[l];
        if (!sw->quant[l]) {
            sw->quant[l] = sw->next[l]; /* the first image: its quantiles as they are */
            sw->next[l] = NULL;
        } else {
            double *q = sw->quant[l];
            const double *v = sw->next[l];
            for (int64_t i = 0; i < m; i++)
                q[i] = (q[i] * total + weight * v[i]) / (total + weight);
            gc_swd_release(&sw->alloc, (void **)&sw->next[l]);
        }
        double s = 0.0;
        for (int64_t i = 0; i < m; i++)
            s += sw->quant[l][i] * sw->quant[l][i];
        s = m ? s / (double)m : 0.0;
        sw->snorm[l] = s > 0.0 && isfinite(s) ? s : 1.0;
    }
    sw->images++;
}

/* ---- the loss --------------------------------------------------------------------------- */

gc_status gc_synth_swd_loss(gc_synth_swd *sw, int layer, const gc_tensor *feat, double weight,
                            double *loss, gc_tensor *grad)
{
    const int64_t C = feat->dims[0], n = feat->dims[1] * feat->dims[2];
    const int64_t D = sw->D[layer], Q = sw->Q[layer];
    if (n < 1 || !sw->quant[layer])
        return GC_OK;
    gc_synth_swd_scratch *sc = &sw->scratch;
    const double k2 = 2.0 * weight / ((double)D * (double)n * sw->snorm[layer]);
    const double ratio = (double)Q / (double)n;
    double sum = 0.0;
    for (int64_t k0 = 0; k0 < D; k0 += GC_SWD_B) {
        const int nb = D - k0 < GC_SWD_B ? (int)(D - k0) : GC_SWD_B;
        const double *d = sw->dirs[layer] + k0 * C;
        gc_swd_project(feat, d, nb, C, n, sc->proj);
        for (int b = 0; b < nb; b++) {
            const double *p = sc->proj + b * n, *t = sw->quant[layer] + (k0 + b) * Q;
            double *gp = grad ? sc->grad + b * n : NULL;
            const uint64_t *ord = gc_swd_sort(sc, p, n);
#define GC_SWD_T(j) t[j]
            for (int64_t i = 0; i < n; i++) {
                const uint32_t e = (uint32_t)ord[i];
                double ti;
                GC_SWD_QUANTILE(ti, ratio, Q, i, GC_SWD_T);
                const double diff = p[e] - ti;
                sum += diff * diff;
                if (gp)
                    gp[e] = k2 * diff;
            }
#undef GC_SWD_T
        }
        if (grad)
            gc_swd_scatter(grad, d, nb, C, n, sc->grad);
    }
    *loss += weight * sum / ((double)D * (double)n * sw->snorm[layer]);
    return GC_OK;
}
