/* texture_score_swd.c - the sliced Wasserstein part of the texture score (texture_score.c):
 * Laplacian pyramids of the three images, p x p x C neighbourhoods drawn at each level,
 * projected on random unit directions in parallel blocks, sorted, compared by W1. */
#include "synth/texture_score_internal.h"

#include <string.h>

/* ---- Laplacian pyramid ------------------------------------------------------------------- */

/* Mirror index, the edge not repeated (... c b | a b c | b a ...), periodic beyond. */
static int64_t ts_reflect(int64_t i, int64_t n)
{
    if (n == 1)
        return 0;
    const int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

/* taps[5 x + k] = reflect(x + k - 2, n) for x in [0, n). */
static void ts_taps(int64_t n, int64_t *taps)
{
    for (int64_t x = 0; x < n; x++)
        for (int k = 0; k < 5; k++)
            taps[5 * x + k] = ts_reflect(x + k - 2, n);
}

static const double ts_binom[5] = {1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16};

/* One image's pyramid, built a level at a time: `cur` holds the current Gaussian level
 * (C x h x w) and, after ts_pyr_step, the Laplacian level; `other` receives the next Gaussian
 * level. The two buffers swap roles after every level (the first is C x H x W, the second
 * C x ceil(H/2) x ceil(W/2), so each is large enough whenever it is used). */
typedef struct ts_pyr {
    int64_t c, h, w;
    double *cur, *other;
} ts_pyr;

/* Scratch for a pyramid step: a plane of the level-0 size and tap tables. */
typedef struct ts_pyr_scratch {
    double *plane;
    int64_t *taps_h, *taps_w;
} ts_pyr_scratch;

/* next = downsample-by-2 (even pixels) of the [1,4,6,4,1]/16 blur of cur, reflect borders;
 * then cur -= upsample(next) (zeros inserted, blurred with twice the kernel): cur becomes the
 * Laplacian level. Returns the next level's size in *h2, *w2. */
static void ts_pyr_step(ts_pyr *p, const ts_pyr_scratch *s, int64_t *h2_out, int64_t *w2_out)
{
    const int64_t h = p->h, w = p->w, h2 = (h + 1) / 2, w2 = (w + 1) / 2;
    ts_taps(h, s->taps_h);
    ts_taps(w, s->taps_w);
    double *t = s->plane;
    for (int64_t c = 0; c < p->c; c++) {
        double *g = p->cur + c * h * w;
        double *nx = p->other + c * h2 * w2;
        /* blur along x at the even columns: t is h x w2 */
        for (int64_t y = 0; y < h; y++) {
            const double *row = g + y * w;
            for (int64_t x2 = 0; x2 < w2; x2++) {
                const int64_t *tp = s->taps_w + 5 * (2 * x2);
                double v = 0.0;
                for (int k = 0; k < 5; k++)
                    v += ts_binom[k] * row[tp[k]];
                t[y * w2 + x2] = v;
            }
        }
        /* blur along y at the even rows */
        for (int64_t y2 = 0; y2 < h2; y2++) {
            const int64_t *tp = s->taps_h + 5 * (2 * y2);
            double *o = nx + y2 * w2;
            for (int64_t x2 = 0; x2 < w2; x2++)
                o[x2] = 0.0;
            for (int k = 0; k < 5; k++) {
                const double *r = t + tp[k] * w2;
                for (int64_t x2 = 0; x2 < w2; x2++)
                    o[x2] += ts_binom[k] * r[x2];
            }
        }
        /* upsample: along x on the even rows of the zero-inserted h x w image (the odd rows are
         * zero): t is h2 x w, row y2 standing for row 2 y2 */
        for (int64_t y2 = 0; y2 < h2; y2++) {
            const double *row = nx + y2 * w2;
            for (int64_t x = 0; x < w; x++) {
                const int64_t *tp = s->taps_w + 5 * x;
                double v = 0.0;
                for (int k = 0; k < 5; k++)
                    if ((tp[k] & 1) == 0)
                        v += 2.0 * ts_binom[k] * row[tp[k] / 2];
                t[y2 * w + x] = v;
            }
        }
        /* along y, subtracted from the Gaussian level */
        for (int64_t y = 0; y < h; y++) {
            const int64_t *tp = s->taps_h + 5 * y;
            double *o = g + y * w;
            for (int k = 0; k < 5; k++) {
                if (tp[k] & 1)
                    continue;
                const double f = 2.0 * ts_binom[k];
                const double *r = t + (tp[k] / 2) * w;
                for (int64_t x = 0; x < w; x++)
                    o[x] -= f * r[x];
            }
        }
    }
    *h2_out = h2;
    *w2_out = w2;
}

/* ---- descriptors ------------------------------------------------------------------------- */

/* The n x D matrix (D = C p p, index (c p + i) p + j) of the p x p x C neighbourhoods of the
 * level (C x h x w) at the valid top-left positions, all of them if there are at most `maxn`,
 * else `maxn` of them chosen by selection sampling (Knuth's algorithm S: each position in turn
 * is taken with probability needed / remaining) from the stream `rng`. */
static int64_t ts_gather(const double *lev, int64_t C, int64_t h, int64_t w, int64_t p,
                         int64_t maxn, uint64_t rng, double *X)
{
    const int64_t ny = h - p + 1, nx = w - p + 1, total = ny * nx, D = C * p * p;
    const int64_t want = total < maxn ? total : maxn;
    int64_t n = 0;
    for (int64_t pos = 0; pos < total && n < want; pos++) {
        if (want < total && (double)(total - pos) * ts_uniform(&rng) >= (double)(want - n))
            continue;
        const int64_t y = pos / nx, x = pos % nx;
        double *d = X + n * D;
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < p; i++) {
                const double *src = lev + (c * h + y + i) * w + x;
                for (int64_t j = 0; j < p; j++)
                    *d++ = src[j];
            }
        n++;
    }
    return n;
}

/* ---- sorting: LSD radix sort of doubles through order-preserving 64-bit keys ------------- */

static uint64_t ts_key(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | 0x8000000000000000ull;
}

static double ts_unkey(uint64_t k)
{
    const uint64_t u = (k >> 63) ? k & 0x7fffffffffffffffull : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* LSD radix sort of a[0..n) on the bytes of bits [lo, lo + 32) of the keys, a byte per pass
 * (a pass is skipped when every key has the same byte there); b is scratch of n keys. Returns
 * the array that holds the result (a or b). */
static uint64_t *ts_radix32(uint64_t *a, uint64_t *b, int64_t n, int lo)
{
    uint32_t count[4][256];
    memset(count, 0, sizeof count);
    for (int64_t i = 0; i < n; i++)
        for (int d = 0; d < 4; d++)
            count[d][(a[i] >> (lo + 8 * d)) & 255]++;
    for (int d = 0; d < 4; d++) {
        const int shift = lo + 8 * d;
        uint32_t *cnt = count[d];
        if (cnt[(a[0] >> shift) & 255] == (uint32_t)n)
            continue;
        uint32_t sum = 0;
        for (int j = 0; j < 256; j++) {
            const uint32_t c = cnt[j];
            cnt[j] = sum;
            sum += c;
        }
        for (int64_t i = 0; i < n; i++)
            b[cnt[(a[i] >> shift) & 255]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    return a;
}

/* Sort v[0..n) ascending; a and b are scratch of n keys each. The keys are sorted on their top
 * 32 bits, then each run of keys with equal top 32 bits (rare, short unless many values are
 * nearly equal) on the low 32 bits: by insertion up to 32 keys, by radix passes beyond. */
static void ts_sort(double *v, int64_t n, uint64_t *a, uint64_t *b)
{
    for (int64_t i = 0; i < n; i++)
        a[i] = ts_key(v[i]);
    uint64_t *s = ts_radix32(a, b, n, 32);
    uint64_t *t = s == a ? b : a;
    for (int64_t i = 0; i < n;) {
        int64_t j = i + 1;
        while (j < n && (s[j] >> 32) == (s[i] >> 32))
            j++;
        if (j - i > 32) {
            const uint64_t *r = ts_radix32(s + i, t + i, j - i, 0);
            if (r != s + i)
                memcpy(s + i, r, (size_t)(j - i) * sizeof *s);
        } else {
            for (int64_t q = i + 1; q < j; q++) {
                const uint64_t k = s[q];
                int64_t z = q;
                while (z > i && s[z - 1] > k) {
                    s[z] = s[z - 1];
                    z--;
                }
                s[z] = k;
            }
        }
        i = j;
    }
    for (int64_t i = 0; i < n; i++)
        v[i] = ts_unkey(s[i]);
}

/* Value at quantile (i + 0.5) / q of the sorted list s[0..n), by linear interpolation at
 * position (i + 0.5) n / q - 0.5 (exactly s[i] when n == q). */
static double ts_quantile(const double *s, int64_t n, int64_t i, int64_t q)
{
    if (n == q)
        return s[i];
    double t = ((double)i + 0.5) * (double)n / (double)q - 0.5;
    if (t <= 0.0)
        return s[0];
    if (t >= (double)(n - 1))
        return s[n - 1];
    const int64_t j = (int64_t)t;
    const double f = t - (double)j;
    return s[j] + f * (s[j + 1] - s[j]);
}

/* Mean |a - b| over q = min(na, nb) quantiles of two sorted lists. */
static double ts_w1(const double *a, int64_t na, const double *b, int64_t nb)
{
    const int64_t q = na < nb ? na : nb;
    double s = 0.0;
    for (int64_t i = 0; i < q; i++)
        s += fabs(ts_quantile(a, na, i, q) - ts_quantile(b, nb, i, q));
    return s / (double)q;
}

/* ---- projections, per block of directions ------------------------------------------------ */

typedef struct ts_swd_job {
    int64_t D, ndir;
    const double *ut;       /* [blocks][D][TS_KB] unit directions, zero-padded */
    const double *X[TS_NIMG];
    int64_t n[TS_NIMG];
    double *scratch;        /* per thread: stride doubles */
    int64_t stride;
    double *dist;           /* [2][ndir]: sample vs candidate, sample vs noise */
    void (*project)(const double *, int64_t, int64_t, const double *, double *, int64_t);
} ts_swd_job;

static void ts_swd_task(int64_t task, int thread, void *arg)
{
    ts_swd_job *J = arg;
    double *P[TS_NIMG];
    double *base = J->scratch + (int64_t)thread * J->stride;
    int64_t nmax = 0;
    for (int i = 0; i < TS_NIMG; i++) {
        P[i] = base;
        base += TS_KB * J->n[i];
        if (J->n[i] > nmax)
            nmax = J->n[i];
    }
    uint64_t *ka = (uint64_t *)base, *kb = ka + nmax;
    const double *ut = J->ut + task * J->D * TS_KB;
    for (int i = 0; i < TS_NIMG; i++)
        J->project(J->X[i], J->n[i], J->D, ut, P[i], J->n[i]);
    for (int k = 0; k < TS_KB; k++) {
        const int64_t dir = task * TS_KB + k;
        if (dir >= J->ndir)
            break;
        for (int i = 0; i < TS_NIMG; i++)
            ts_sort(P[i] + k * J->n[i], J->n[i], ka, kb);
        const double *s = P[TS_SAMPLE] + k * J->n[TS_SAMPLE];
        J->dist[dir] = ts_w1(s, J->n[TS_SAMPLE], P[TS_CANDIDATE] + k * J->n[TS_CANDIDATE],
                             J->n[TS_CANDIDATE]);
        J->dist[J->ndir + dir] =
            ts_w1(s, J->n[TS_SAMPLE], P[TS_NOISE] + k * J->n[TS_NOISE], J->n[TS_NOISE]);
    }
}

/* The ndir unit directions of dimension D into ut: Gaussian vectors normalised, in blocks of
 * TS_KB (d-major within a block), zero-padded to whole blocks. */
static void ts_directions(double *ut, int64_t ndir, int64_t nblocks, int64_t D, uint64_t seed)
{
    memset(ut, 0, (size_t)(nblocks * D * TS_KB) * sizeof(double));
    ts_gauss g = {ts_stream_seed(seed, TS_STREAM_DIRECTIONS, 0), 0.0, 0};
    for (int64_t k = 0; k < ndir; k++) {
        double *u = ut + (k / TS_KB) * D * TS_KB + k % TS_KB;
        double nrm = 0.0;
        for (int64_t e = 0; e < D; e++) {
            const double z = ts_gauss_next(&g);
            u[e * TS_KB] = z;
            nrm += z * z;
        }
        if (nrm > 0.0) {
            nrm = 1.0 / sqrt(nrm);
            for (int64_t e = 0; e < D; e++)
                u[e * TS_KB] *= nrm;
        } else {
            u[0] = 1.0;
        }
    }
}

/* The descriptors of all three images (n[i] rows of D = C p p) normalised by the sample's
 * per-channel mean and deviation (a deviation of 0 counts as 1). */
static void ts_normalise(double *const X[TS_NIMG], const int64_t n[TS_NIMG], int64_t C,
                         int64_t p, int64_t D)
{
    for (int64_t c = 0; c < C; c++) {
        const int64_t e0 = c * p * p, e1 = e0 + p * p;
        double s = 0.0;
        for (int64_t r = 0; r < n[0]; r++)
            for (int64_t e = e0; e < e1; e++)
                s += X[0][r * D + e];
        const double cnt = (double)(n[0] * p * p), mean = s / cnt;
        double q = 0.0;
        for (int64_t r = 0; r < n[0]; r++)
            for (int64_t e = e0; e < e1; e++) {
                const double v = X[0][r * D + e] - mean;
                q += v * v;
            }
        double sd = sqrt(q / cnt);
        if (!(sd > 0.0))
            sd = 1.0;
        const double inv = 1.0 / sd;
        for (int i = 0; i < TS_NIMG; i++)
            for (int64_t r = 0; r < n[i]; r++)
                for (int64_t e = e0; e < e1; e++)
                    X[i][r * D + e] = (X[i][r * D + e] - mean) * inv;
    }
}

/* The sliced Wasserstein distances (candidate, noise) into d[2], levels into *levels. The
 * images in m->img are consumed (they become pyramid levels). */
gc_status gc_ts_swd(gc_context *ctx, const gc_texture_score_desc *desc, ts_mem *m, double d[2],
                    int *levels)
{
    const int64_t C = m->img[0].c, p = desc->patch, D = C * p * p;
    const int64_t ndir = desc->directions, nblocks = (ndir + TS_KB - 1) / TS_KB;
    const int64_t minside = p > desc->min_level_size ? p : desc->min_level_size;
    /* levels: the largest L with both images' smaller side at level L-1 >= minside */
    int L = 1;
    {
        int64_t hs = m->img[0].h, ws = m->img[0].w, hc = m->img[1].h, wc = m->img[1].w;
        for (;;) {
            hs = (hs + 1) / 2, ws = (ws + 1) / 2, hc = (hc + 1) / 2, wc = (wc + 1) / 2;
            if (hs < minside || ws < minside || hc < minside || wc < minside || L >= 62)
                break;
            L++;
        }
    }
    *levels = L;
    int64_t hmax = 0, wmax = 0, nmax[TS_NIMG];
    gc_status st = GC_OK;
    ts_pyr pyr[TS_NIMG];
    for (int i = 0; i < TS_NIMG; i++) {
        const ts_image *im = &m->img[i];
        hmax = im->h > hmax ? im->h : hmax;
        wmax = im->w > wmax ? im->w : wmax;
        const int64_t total = (im->h - p + 1) * (im->w - p + 1);
        nmax[i] = total < desc->max_descriptors ? total : desc->max_descriptors;
        if (st == GC_OK)
            st = ts_alloc_doubles(ctx, im->c * ((im->h + 1) / 2) * ((im->w + 1) / 2), &m->half[i]);
        if (st == GC_OK)
            st = ts_alloc_doubles(ctx, nmax[i] * D, &m->X[i]);
        pyr[i] = (ts_pyr){im->c, im->h, im->w, im->p, m->half[i]};
    }
    if (st == GC_OK)
        st = ts_alloc_doubles(ctx, hmax * wmax, &m->plane);
    if (st == GC_OK) {
        void *t = NULL;
        st = gc_alloc(ctx, 5 * (hmax + wmax), sizeof(int64_t), &t);
        m->taps = t;
    }
    if (st == GC_OK)
        st = ts_alloc_doubles(ctx, nblocks * D * TS_KB, &m->ut);
    if (st == GC_OK)
        st = ts_alloc_doubles(ctx, 2 * ndir, &m->dist);
    const int64_t nthreads = gc_context_threads(ctx) < nblocks ? gc_context_threads(ctx) : nblocks;
    const int64_t big = nmax[0] > nmax[1] ? (nmax[0] > nmax[2] ? nmax[0] : nmax[2])
                                          : (nmax[1] > nmax[2] ? nmax[1] : nmax[2]);
    const int64_t stride = TS_KB * (nmax[0] + nmax[1] + nmax[2]) + 2 * big;
    if (st == GC_OK)
        st = ts_alloc_doubles(ctx, nthreads * stride, &m->scratch);
    if (st != GC_OK)
        return st;

    ts_directions(m->ut, ndir, nblocks, D, desc->seed);

    ts_pyr_scratch sc = {m->plane, m->taps, m->taps + 5 * hmax};
    double sum[2] = {0.0, 0.0};
    for (int l = 0; l < L; l++) {
        int64_t n[TS_NIMG];
        for (int i = 0; i < TS_NIMG; i++) {
            ts_pyr *py = &pyr[i];
            int64_t h2 = 0, w2 = 0;
            if (l + 1 < L)
                ts_pyr_step(py, &sc, &h2, &w2);
            const int role = i == TS_SAMPLE ? TS_SAMPLE : TS_CANDIDATE;
            n[i] = ts_gather(py->cur, C, py->h, py->w, p, desc->max_descriptors,
                             ts_stream_seed(desc->seed, TS_STREAM_DRAW, (uint64_t)(2 * l + role)),
                             m->X[i]);
            if (l + 1 < L) {
                double *t = py->cur;
                py->cur = py->other;
                py->other = t;
                py->h = h2;
                py->w = w2;
            }
        }
        /* normalise all three by the sample's per-channel mean and deviation */
        ts_normalise(m->X, n, C, p, D);
        ts_swd_job job = {D, ndir, m->ut, {m->X[0], m->X[1], m->X[2]}, {n[0], n[1], n[2]},
                          m->scratch, stride, m->dist, gc_ts_project_f64_scalar};
#if defined(GC_HAVE_AVX2)
        if (gc_context_isa(ctx) >= GC_ISA_AVX2)
            job.project = gc_ts_project_f64_avx2;
#endif
        if ((st = gc_parallel_for(ctx, (int)nthreads, nblocks, ts_swd_task, &job)) != GC_OK)
            return st;
        double lc = 0.0, ln = 0.0;
        for (int64_t k = 0; k < ndir; k++) {
            lc += m->dist[k];
            ln += m->dist[ndir + k];
        }
        sum[0] += lc / (double)ndir;
        sum[1] += ln / (double)ndir;
    }
    d[0] = sum[0] / (double)L;
    d[1] = sum[1] / (double)L;
    return GC_OK;
}
