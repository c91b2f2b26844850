/* texture_score.c - network-free texture distances (gramconv.h, section score):
 *
 *   swd       sliced Wasserstein distance between patch x patch x C neighbourhoods of the
 *             Laplacian-pyramid levels of the sample and the candidate (Karras et al., 2018),
 *             every level normalised by the sample's per-channel statistics;
 *   spectrum  RMS difference of Welch log power spectra (Hann windows, DC excluded);
 *
 * each also against Gaussian noise with the sample's per-channel mean and standard deviation.
 * docs/SYNTH.md ("Scoring a texture") is the specification; this file follows it step by step.
 *
 * Everything is computed in float64. The only parallel part is the projection and sorting,
 * split over blocks of directions: each direction's distance is computed whole by one thread
 * and the distances are summed afterwards in direction order, so the result has the same bits
 * for any thread count. The projection kernels (scalar here, AVX2 in texture_score_avx2.c)
 * round every product and sum in one order, so every ISA gives the same bits too. The
 * pyramid, the descriptor draws, the noise image and the spectra are sequential. */
#include "kernels/ts_project.h"

#include "base/internal.h"

#include <float.h>
#include <math.h>
#include <string.h>

#define TS_PI 3.14159265358979323846
#define TS_KB GC_TS_KB

/* Seed streams derived from desc.seed (ts_stream_seed). */
enum { TS_STREAM_DIRECTIONS = 1, TS_STREAM_NOISE = 2, TS_STREAM_DRAW = 3 };
/* Roles in a comparison; the noise image takes the candidate's draw. */
enum { TS_SAMPLE = 0, TS_CANDIDATE = 1, TS_NOISE = 2, TS_NIMG = 3 };

/* ---- random numbers: splitmix64 ---------------------------------------------------------- */

static uint64_t ts_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static double ts_uniform(uint64_t *s)
{
    return (double)(ts_splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* The starting state of stream `stream`, item `index` (a level, a role) of `seed`. */
static uint64_t ts_stream_seed(uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t s = seed ^ (0xd1b54a32d192ed03ull * (stream * 0x10000ull + index + 1));
    return ts_splitmix(&s);
}

/* Standard normal numbers by Box-Muller, both values of a pair used in turn. */
typedef struct ts_gauss {
    uint64_t s;
    double spare;
    int has_spare;
} ts_gauss;

static double ts_gauss_next(ts_gauss *g)
{
    if (g->has_spare) {
        g->has_spare = 0;
        return g->spare;
    }
    const double u1 = 1.0 - ts_uniform(&g->s); /* (0, 1] */
    const double u2 = ts_uniform(&g->s);
    const double r = sqrt(-2.0 * log(u1));
    g->spare = r * sin(2.0 * TS_PI * u2);
    g->has_spare = 1;
    return r * cos(2.0 * TS_PI * u2);
}

/* ---- images ------------------------------------------------------------------------------ */

/* A C x H x W float64 image, C-contiguous. */
typedef struct ts_image {
    int64_t c, h, w;
    double *p;
} ts_image;

/* Copy a validated C x H x W tensor (any strides) into dst->p, refusing NaN and Inf. */
static gc_status ts_load(gc_context *ctx, const gc_tensor *t, const char *what, ts_image *dst)
{
    const int64_t C = t->dims[0], H = t->dims[1], W = t->dims[2];
    for (int64_t c = 0; c < C; c++)
        for (int64_t y = 0; y < H; y++)
            for (int64_t x = 0; x < W; x++) {
                const double v =
                    gc_load(t->data, t->dtype, c * t->strides[0] + y * t->strides[1] + x * t->strides[2]);
                if (!isfinite(v))
                    return gc_fail(ctx, GC_ERR_ARG,
                                   "texture_score: the %s has a non-finite value (%g) at "
                                   "channel %lld, row %lld, column %lld",
                                   what, v, (long long)c, (long long)y, (long long)x);
                dst->p[(c * H + y) * W + x] = v;
            }
    return GC_OK;
}

/* Per-channel mean and population standard deviation (two passes). */
static void ts_channel_stats(const ts_image *im, double *mean, double *sd)
{
    const int64_t n = im->h * im->w;
    for (int64_t c = 0; c < im->c; c++) {
        const double *p = im->p + c * n;
        double s = 0.0;
        for (int64_t i = 0; i < n; i++)
            s += p[i];
        const double m = s / (double)n;
        double q = 0.0;
        for (int64_t i = 0; i < n; i++)
            q += (p[i] - m) * (p[i] - m);
        mean[c] = m;
        sd[c] = sqrt(q / (double)n);
    }
}

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

/* ---- power spectra ----------------------------------------------------------------------- */

/* Window top-left positions along one axis of length n for a window of side w: the stride
 * w/2 gives cnt = (n - w) / (w/2) + 1 of them; `g` <= cnt are spread evenly over [0, n - w]
 * (g == 1: the middle). */
static int64_t ts_window_pos(int64_t n, int64_t w, int64_t g, int64_t i)
{
    if (g == 1)
        return (n - w) / 2;
    return i * (n - w) / (g - 1);
}

/* How many windows along y and x: all positions at stride w/2, or, when there are more than
 * maxw, fewer: the axis with more positions loses one at a time until gy * gx <= maxw. */
static void ts_window_grid(int64_t h, int64_t wd, int64_t w, int64_t maxw, int64_t *gy,
                           int64_t *gx)
{
    int64_t a = (h - w) / (w / 2) + 1, b = (wd - w) / (w / 2) + 1;
    while (a * b > maxw) {
        if (a >= b)
            a--;
        else
            b--;
    }
    *gy = a;
    *gx = b;
}

typedef struct ts_dft {
    int64_t w, nk;          /* window side, nk = w/2 + 1 frequencies kept along x */
    double *hann;           /* w */
    double *rc, *rs;        /* w x nk: cos / sin(2 pi j k / w), row j, column k */
    double *tc, *ts;        /* w: cos / sin(2 pi m / w) */
    double *win;            /* w x w window */
    double *re, *im;        /* w x nk row transforms */
    double *fre, *fim;      /* nk row accumulators */
} ts_dft;

/* Average |DFT|^2 of the mean-removed, Hann-weighted windows of each channel into
 * P (C x w x w). */
static void ts_spectrum(const ts_image *im, int64_t maxw, ts_dft *F, double *P)
{
    const int64_t w = F->w, nk = F->nk;
    int64_t gy, gx;
    ts_window_grid(im->h, im->w, w, maxw, &gy, &gx);
    memset(P, 0, (size_t)(im->c * w * w) * sizeof *P);
    for (int64_t c = 0; c < im->c; c++) {
        double *pc = P + c * w * w;
        for (int64_t iy = 0; iy < gy; iy++)
            for (int64_t ix = 0; ix < gx; ix++) {
                const int64_t y0 = ts_window_pos(im->h, w, gy, iy);
                const int64_t x0 = ts_window_pos(im->w, w, gx, ix);
                const double *src = im->p + (c * im->h + y0) * im->w + x0;
                double s = 0.0;
                for (int64_t y = 0; y < w; y++)
                    for (int64_t x = 0; x < w; x++)
                        s += src[y * im->w + x];
                const double m = s / (double)(w * w);
                for (int64_t y = 0; y < w; y++)
                    for (int64_t x = 0; x < w; x++)
                        F->win[y * w + x] = (src[y * im->w + x] - m) * F->hann[y] * F->hann[x];
                /* rows: R[y][k] = sum_j win[y][j] e^{-2 pi i j k / w}, k in [0, w/2] */
                for (int64_t y = 0; y < w; y++) {
                    double *re = F->re + y * nk, *imr = F->im + y * nk;
                    for (int64_t k = 0; k < nk; k++)
                        re[k] = imr[k] = 0.0;
                    for (int64_t j = 0; j < w; j++) {
                        const double v = F->win[y * w + j];
                        const double *cr = F->rc + j * nk, *sr = F->rs + j * nk;
                        for (int64_t k = 0; k < nk; k++) {
                            re[k] += v * cr[k];
                            imr[k] -= v * sr[k];
                        }
                    }
                }
                /* columns: F[ky][k] = sum_y R[y][k] e^{-2 pi i ky y / w} */
                for (int64_t ky = 0; ky < w; ky++) {
                    double *fr = F->fre, *fi = F->fim;
                    for (int64_t k = 0; k < nk; k++)
                        fr[k] = fi[k] = 0.0;
                    for (int64_t y = 0; y < w; y++) {
                        const int64_t m2 = (ky * y) % w;
                        const double co = F->tc[m2], si = F->ts[m2];
                        const double *re = F->re + y * nk, *imr = F->im + y * nk;
                        for (int64_t k = 0; k < nk; k++) {
                            /* (re + i im)(co - i si) */
                            fr[k] += re[k] * co + imr[k] * si;
                            fi[k] += imr[k] * co - re[k] * si;
                        }
                    }
                    for (int64_t k = 0; k < nk; k++)
                        pc[ky * w + k] += fr[k] * fr[k] + fi[k] * fi[k];
                }
            }
        const double inv = 1.0 / (double)(gy * gx);
        for (int64_t ky = 0; ky < w; ky++)
            for (int64_t k = 0; k < nk; k++)
                pc[ky * w + k] *= inv;
        /* a real window's power is symmetric: P[ky][kx] = P[-ky][-kx] */
        for (int64_t ky = 0; ky < w; ky++)
            for (int64_t k = nk; k < w; k++)
                pc[ky * w + k] = pc[((w - ky) % w) * w + (w - k)];
    }
}

/* sqrt of the mean over channels and non-DC bins of (log(a + eps) - log(b + eps))^2. */
static double ts_spectrum_distance(const double *a, const double *b, int64_t C, int64_t w,
                                   double eps)
{
    double s = 0.0;
    for (int64_t c = 0; c < C; c++)
        for (int64_t i = 1; i < w * w; i++) {
            const double d = log(a[c * w * w + i] + eps) - log(b[c * w * w + i] + eps);
            s += d * d;
        }
    return sqrt(s / (double)(C * (w * w - 1)));
}

/* ---- the call ---------------------------------------------------------------------------- */

gc_texture_score_desc gc_texture_score_desc_default(void)
{
    gc_texture_score_desc d;
    memset(&d, 0, sizeof d);
    d.patch = 7;
    d.directions = 256;
    d.max_descriptors = 4096;
    d.min_level_size = 16;
    d.spectrum_window = 64;
    d.max_windows = 64;
    d.seed = 0;
    return d;
}

static gc_status ts_check_image(gc_context *ctx, const gc_tensor *t, const char *what)
{
    if (!t)
        return gc_fail(ctx, GC_ERR_NULL, "texture_score: the %s is NULL", what);
    gc_status st = gc_tensor_check(ctx, t, what);
    if (st != GC_OK)
        return st;
    if (t->rank != 3)
        return gc_fail(ctx, GC_ERR_RANK, "texture_score: the %s must be C x H x W (rank 3), not "
                                         "rank %d", what, t->rank);
    if (t->dims[0] < 1 || t->dims[0] > 4)
        return gc_fail(ctx, GC_ERR_SHAPE, "texture_score: the %s has %lld channels (1..4 taken)",
                       what, (long long)t->dims[0]);
    int64_t n;
    if (!gc_mul_ok(t->dims[0], t->dims[1], &n) || !gc_mul_ok(n, t->dims[2], &n))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "texture_score: the %s's size overflows", what);
    return GC_OK;
}

static gc_status ts_check_desc(gc_context *ctx, const gc_texture_score_desc *d)
{
    if (d->patch < 1 || d->patch > 32)
        return gc_fail(ctx, GC_ERR_ARG, "texture_score: patch %d is not in 1..32", d->patch);
    if (d->directions < 1 || d->directions > 65536)
        return gc_fail(ctx, GC_ERR_ARG, "texture_score: directions %d is not in 1..65536",
                       d->directions);
    if (d->max_descriptors < 1 || d->max_descriptors > ((int64_t)1 << 24))
        return gc_fail(ctx, GC_ERR_ARG, "texture_score: max_descriptors %lld is not in 1..2^24",
                       (long long)d->max_descriptors);
    if (d->min_level_size < 1)
        return gc_fail(ctx, GC_ERR_ARG, "texture_score: min_level_size %d is not >= 1",
                       d->min_level_size);
    if (d->spectrum_window < 8 || d->spectrum_window > 1024 || d->spectrum_window % 2)
        return gc_fail(ctx, GC_ERR_ARG,
                       "texture_score: spectrum_window %d is not an even number in 8..1024",
                       d->spectrum_window);
    if (d->max_windows < 1 || d->max_windows > ((int64_t)1 << 20))
        return gc_fail(ctx, GC_ERR_ARG, "texture_score: max_windows %lld is not in 1..2^20",
                       (long long)d->max_windows);
    return GC_OK;
}

/* Every allocation of one call, freed together. */
typedef struct ts_mem {
    ts_image img[TS_NIMG];      /* sample, candidate, noise (pyramid buffer A) */
    double *half[TS_NIMG];      /* pyramid buffer B */
    double *plane;
    int64_t *taps;
    double *X[TS_NIMG];         /* descriptors */
    double *ut;                 /* directions */
    double *scratch;            /* per-thread projections and sort keys */
    double *dist;               /* per-direction distances */
    double *spec[TS_NIMG];      /* power spectra */
    double *dft;                /* ts_dft's arrays */
} ts_mem;

static void ts_mem_free(gc_context *ctx, ts_mem *m)
{
    for (int i = 0; i < TS_NIMG; i++) {
        gc_free(ctx, m->img[i].p);
        gc_free(ctx, m->half[i]);
        gc_free(ctx, m->X[i]);
        gc_free(ctx, m->spec[i]);
    }
    gc_free(ctx, m->plane);
    gc_free(ctx, m->taps);
    gc_free(ctx, m->ut);
    gc_free(ctx, m->scratch);
    gc_free(ctx, m->dist);
    gc_free(ctx, m->dft);
}

static gc_status ts_alloc_doubles(gc_context *ctx, int64_t n, double **out)
{
    void *p = NULL;
    gc_status st = gc_alloc(ctx, n, sizeof(double), &p);
    *out = p;
    return st;
}

/* Both spectra distances (candidate, noise) into d[2]. */
static gc_status ts_spectra(gc_context *ctx, ts_mem *m, int64_t w, int64_t maxw, double d[2])
{
    const int64_t C = m->img[0].c, nk = w / 2 + 1;
    gc_status st = GC_OK;
    for (int i = 0; i < TS_NIMG && st == GC_OK; i++)
        st = ts_alloc_doubles(ctx, C * w * w, &m->spec[i]);
    if (st == GC_OK)
        st = ts_alloc_doubles(ctx, w + 4 * w * nk + 2 * w + w * w + 2 * nk, &m->dft);
    if (st != GC_OK)
        return st;
    ts_dft F;
    F.w = w;
    F.nk = nk;
    F.hann = m->dft;
    F.rc = F.hann + w;
    F.rs = F.rc + w * nk;
    F.tc = F.rs + w * nk;
    F.ts = F.tc + w;
    F.win = F.ts + w;
    F.re = F.win + w * w;
    F.im = F.re + w * nk;
    F.fre = F.im + w * nk;
    F.fim = F.fre + nk;
    for (int64_t i = 0; i < w; i++) {
        F.hann[i] = 0.5 - 0.5 * cos(2.0 * TS_PI * (double)i / (double)w); /* periodic Hann */
        F.tc[i] = cos(2.0 * TS_PI * (double)i / (double)w);
        F.ts[i] = sin(2.0 * TS_PI * (double)i / (double)w);
    }
    for (int64_t j = 0; j < w; j++)
        for (int64_t k = 0; k < nk; k++) {
            F.rc[j * nk + k] = F.tc[(j * k) % w];
            F.rs[j * nk + k] = F.ts[(j * k) % w];
        }
    for (int i = 0; i < TS_NIMG; i++)
        ts_spectrum(&m->img[i], maxw, &F, m->spec[i]);
    /* eps: 1e-12 of the sample's mean power over channels and non-DC bins */
    double s = 0.0;
    for (int64_t c = 0; c < C; c++)
        for (int64_t b = 1; b < w * w; b++)
            s += m->spec[TS_SAMPLE][c * w * w + b];
    double eps = 1e-12 * s / (double)(C * (w * w - 1));
    if (!(eps > 0.0))
        eps = DBL_MIN; /* no sample window varies: keep the logarithms finite */
    d[0] = ts_spectrum_distance(m->spec[TS_CANDIDATE], m->spec[TS_SAMPLE], C, w, eps);
    d[1] = ts_spectrum_distance(m->spec[TS_NOISE], m->spec[TS_SAMPLE], C, w, eps);
    return GC_OK;
}

/* The sliced Wasserstein distances (candidate, noise) into d[2], levels into *levels. The
 * images in m->img are consumed (they become pyramid levels). */
static gc_status ts_swd(gc_context *ctx, const gc_texture_score_desc *desc, ts_mem *m,
                        double d[2], int *levels)
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

    /* directions: Gaussian vectors normalised, in blocks of TS_KB (d-major within a block) */
    memset(m->ut, 0, (size_t)(nblocks * D * TS_KB) * sizeof(double));
    ts_gauss g = {ts_stream_seed(desc->seed, TS_STREAM_DIRECTIONS, 0), 0.0, 0};
    for (int64_t k = 0; k < ndir; k++) {
        double *u = m->ut + (k / TS_KB) * D * TS_KB + k % TS_KB;
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
        for (int64_t c = 0; c < C; c++) {
            const int64_t e0 = c * p * p, e1 = e0 + p * p;
            double s = 0.0;
            for (int64_t r = 0; r < n[0]; r++)
                for (int64_t e = e0; e < e1; e++)
                    s += m->X[0][r * D + e];
            const double cnt = (double)(n[0] * p * p), mean = s / cnt;
            double q = 0.0;
            for (int64_t r = 0; r < n[0]; r++)
                for (int64_t e = e0; e < e1; e++) {
                    const double v = m->X[0][r * D + e] - mean;
                    q += v * v;
                }
            double sd = sqrt(q / cnt);
            if (!(sd > 0.0))
                sd = 1.0;
            const double inv = 1.0 / sd;
            for (int i = 0; i < TS_NIMG; i++)
                for (int64_t r = 0; r < n[i]; r++)
                    for (int64_t e = e0; e < e1; e++)
                        m->X[i][r * D + e] = (m->X[i][r * D + e] - mean) * inv;
        }
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

gc_status gc_texture_score_compute(gc_context *ctx, const gc_texture_score_desc *desc,
                                   const gc_tensor *sample, const gc_tensor *candidate,
                                   gc_texture_score *out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "texture_score: out is NULL");
    memset(out, 0, sizeof *out);
    const gc_texture_score_desc dflt = gc_texture_score_desc_default();
    if (!desc)
        desc = &dflt;
    gc_status st = ts_check_desc(ctx, desc);
    if (st == GC_OK)
        st = ts_check_image(ctx, sample, "sample");
    if (st == GC_OK)
        st = ts_check_image(ctx, candidate, "candidate");
    if (st != GC_OK)
        return st;
    if (sample->dims[0] != candidate->dims[0])
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "texture_score: the sample has %lld channels and the candidate %lld "
                       "(they must match)",
                       (long long)sample->dims[0], (long long)candidate->dims[0]);
    const int64_t minside = desc->patch > 8 ? desc->patch : 8;
    const gc_tensor *t2[2] = {sample, candidate};
    for (int i = 0; i < 2; i++)
        if (t2[i]->dims[1] < minside || t2[i]->dims[2] < minside)
            return gc_fail(ctx, GC_ERR_SHAPE,
                           "texture_score: the %s is %lld x %lld (W x H); each side must be at "
                           "least %lld (8, and the patch side)",
                           i ? "candidate" : "sample", (long long)t2[i]->dims[2],
                           (long long)t2[i]->dims[1], (long long)minside);
    /* the spectrum window: at most the smallest side of the two images, even */
    int64_t win = desc->spectrum_window;
    for (int i = 0; i < 2; i++)
        for (int a = 1; a <= 2; a++)
            if (t2[i]->dims[a] < win)
                win = t2[i]->dims[a] & ~(int64_t)1;

    const int64_t C = sample->dims[0];
    ts_mem m;
    memset(&m, 0, sizeof m);
    for (int i = 0; i < TS_NIMG; i++) {
        const gc_tensor *t = i == TS_SAMPLE ? sample : candidate; /* noise: the candidate's size */
        m.img[i] = (ts_image){C, t->dims[1], t->dims[2], NULL};
        if (st == GC_OK)
            st = ts_alloc_doubles(ctx, C * t->dims[1] * t->dims[2], &m.img[i].p);
    }
    if (st == GC_OK)
        st = ts_load(ctx, sample, "sample", &m.img[TS_SAMPLE]);
    if (st == GC_OK)
        st = ts_load(ctx, candidate, "candidate", &m.img[TS_CANDIDATE]);
    double mean[4], sd[4];
    if (st == GC_OK) {
        ts_channel_stats(&m.img[TS_SAMPLE], mean, sd);
        int varies = 0;
        for (int64_t c = 0; c < C; c++)
            varies |= sd[c] > 0.0;
        if (!varies)
            st = gc_fail(ctx, GC_ERR_ARG,
                         "texture_score: the sample is constant: there is no texture to compare "
                         "with");
    }
    if (st == GC_OK) {
        /* noise: the sample's per-channel mean and deviation, candidate's size, not clipped */
        ts_image *nz = &m.img[TS_NOISE];
        ts_gauss g = {ts_stream_seed(desc->seed, TS_STREAM_NOISE, 0), 0.0, 0};
        const int64_t plane = nz->h * nz->w;
        for (int64_t c = 0; c < C; c++)
            for (int64_t i = 0; i < plane; i++)
                nz->p[c * plane + i] = mean[c] + sd[c] * ts_gauss_next(&g);
    }
    double spec[2] = {0.0, 0.0}, swd[2] = {0.0, 0.0};
    int levels = 0;
    if (st == GC_OK)
        st = ts_spectra(ctx, &m, win, desc->max_windows, spec);
    if (st == GC_OK)
        st = ts_swd(ctx, desc, &m, swd, &levels);
    ts_mem_free(ctx, &m);
    if (st != GC_OK)
        return st;
    if (!(swd[1] > 0.0) || !(spec[1] > 0.0))
        return gc_fail(ctx, GC_ERR_ARG,
                       "texture_score: the noise reference is at distance 0 from the sample "
                       "(the sample has no variation the score can see)");
    out->swd = swd[0];
    out->swd_noise = swd[1];
    out->swd_rel = swd[0] / swd[1];
    out->spectrum = spec[0];
    out->spectrum_noise = spec[1];
    out->spectrum_rel = spec[0] / spec[1];
    out->levels = levels;
    return GC_OK;
}
