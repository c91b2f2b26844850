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
 * result is deterministic. One direction at a time, single-threaded: scratch of O(N), made
 * once by gc_synth_swd_init; an evaluation allocates nothing, and its bytes do not depend on
 * the thread count. */
#include "synth.h"

#include <math.h>
#include <string.h>

#define GC_SWD_MAX_QUANTILES 4096
#define GC_SWD_SEED 0x9c5a1f3b7d2e4860ull

/* ---- scratch and sorting ---------------------------------------------------------------- */

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
    gc_swd_release(a, (void **)&sc->key);
    gc_swd_release(a, (void **)&sc->key2);
    gc_swd_release(a, (void **)&sc->idx);
    gc_swd_release(a, (void **)&sc->idx2);
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
    gc_status st = gc_alloc(ctx, m, sizeof(double), (void **)&sc->proj);
    if (st == GC_OK && with_grad)
        st = gc_alloc(ctx, m, sizeof(double), (void **)&sc->grad);
    if (st == GC_OK)
        st = gc_alloc(ctx, m, sizeof(uint32_t), (void **)&sc->key);
    if (st == GC_OK)
        st = gc_alloc(ctx, m, sizeof(uint32_t), (void **)&sc->key2);
    if (st == GC_OK)
        st = gc_alloc(ctx, m, sizeof(uint32_t), (void **)&sc->idx);
    if (st == GC_OK)
        st = gc_alloc(ctx, m, sizeof(uint32_t), (void **)&sc->idx2);
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

/* Sort the n projections in sc->proj: returns the indices in increasing order of the keys
 * (stable LSD radix sort; equal keys by index). */
static const uint32_t *gc_swd_sort(gc_synth_swd_scratch *sc, int64_t n)
{
    uint32_t *key = sc->key, *idx = sc->idx, *key2 = sc->key2, *idx2 = sc->idx2;
    uint32_t count[4][256];
    memset(count, 0, sizeof count);
    for (int64_t i = 0; i < n; i++) {
        const uint32_t k = gc_swd_key(sc->proj[i]);
        key[i] = k;
        idx[i] = (uint32_t)i;
        count[0][k & 255]++;
        count[1][(k >> 8) & 255]++;
        count[2][(k >> 16) & 255]++;
        count[3][k >> 24]++;
    }
    for (int pass = 0; pass < 4 && n > 1; pass++) {
        const int shift = 8 * pass;
        if (count[pass][(key[0] >> shift) & 255] == (uint32_t)n)
            continue; /* every key has this byte: the pass would not move anything */
        uint32_t off[256], sum = 0;
        for (int b = 0; b < 256; b++) {
            off[b] = sum;
            sum += count[pass][b];
        }
        for (int64_t i = 0; i < n; i++) {
            const uint32_t pos = off[(key[i] >> shift) & 255]++;
            key2[pos] = key[i];
            idx2[pos] = idx[i];
        }
        uint32_t *t = key;
        key = key2, key2 = t;
        t = idx;
        idx = idx2, idx2 = t;
    }
    return idx;
}

/* p = d^T F for features F (C x n, contiguous, feat's dtype). */
static void gc_swd_project(const gc_tensor *feat, const double *d, int64_t C, int64_t n,
                           double *p)
{
    memset(p, 0, (size_t)n * sizeof *p);
    for (int64_t c = 0; c < C; c++) {
        const double dc = d[c];
        if (dc == 0.0)
            continue;
        if (feat->dtype == GC_DTYPE_F32) {
            const float *f = (const float *)feat->data + c * n;
            for (int64_t i = 0; i < n; i++)
                p[i] += dc * (double)f[i];
        } else {
            const double *f = (const double *)feat->data + c * n;
            for (int64_t i = 0; i < n; i++)
                p[i] += dc * f[i];
        }
    }
}

/* grad (C x n, contiguous, its dtype) += d gp^T */
static void gc_swd_scatter(gc_tensor *grad, const double *d, int64_t C, int64_t n,
                           const double *gp)
{
    for (int64_t c = 0; c < C; c++) {
        const double dc = d[c];
        if (dc == 0.0)
            continue;
        if (grad->dtype == GC_DTYPE_F32) {
            float *g = (float *)grad->data + c * n;
            for (int64_t i = 0; i < n; i++)
                g[i] = (float)((double)g[i] + dc * gp[i]);
        } else {
            double *g = (double *)grad->data + c * n;
            for (int64_t i = 0; i < n; i++)
                g[i] += dc * gp[i];
        }
    }
}

/* The value at quantile (r + 0.5) / n of the m values v (read in the order ord, or directly
 * when ord is NULL): linear between the points (j + 0.5) / m, constant beyond the ends. */
static inline double gc_swd_quantile(const double *v, const uint32_t *ord, int64_t m, int64_t r,
                                     int64_t n)
{
    double pos = ((double)r + 0.5) * (double)m / (double)n - 0.5;
    if (pos < 0.0)
        pos = 0.0;
    if (pos > (double)(m - 1))
        pos = (double)(m - 1);
    const int64_t j0 = (int64_t)pos, j1 = j0 + 1 < m ? j0 + 1 : j0;
    const double t = pos - (double)j0;
    const double a = ord ? v[ord[j0]] : v[j0], b = ord ? v[ord[j1]] : v[j1];
    return t == 0.0 ? a : a * (1.0 - t) + b * t;
}

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
    for (int64_t k = 0; k < D; k++) {
        gc_swd_project(feat, sw->dirs[layer] + k * C, C, n, a->sc->proj);
        const uint32_t *ord = gc_swd_sort(a->sc, n);
        double *q = sw->next[layer] + k * Q;
        for (int64_t j = 0; j < Q; j++)
            q[j] = gc_swd_quantile(a->sc->proj, ord, n, j, Q);
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
    double sum = 0.0;
    for (int64_t k = 0; k < D; k++) {
        const double *d = sw->dirs[layer] + k * C, *t = sw->quant[layer] + k * Q;
        gc_swd_project(feat, d, C, n, sc->proj);
        const uint32_t *ord = gc_swd_sort(sc, n);
        for (int64_t i = 0; i < n; i++) {
            const uint32_t e = ord[i];
            const double diff = sc->proj[e] - gc_swd_quantile(t, NULL, Q, i, n);
            sum += diff * diff;
            if (grad)
                sc->grad[e] = k2 * diff;
        }
        if (grad)
            gc_swd_scatter(grad, d, C, n, sc->grad);
    }
    *loss += weight * sum / ((double)D * (double)n * sw->snorm[layer]);
    return GC_OK;
}
