/* texture_score_spectrum.c - the spectrum part of the texture score (texture_score.c): Welch
 * log power spectra (Hann windows on an even grid, DC excluded) and their RMS difference. */
#include "synth/texture_score_internal.h"

#include <float.h>
#include <string.h>

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

/* Both spectra distances (candidate, noise) into d[2]. */
gc_status gc_ts_spectra(gc_context *ctx, ts_mem *m, int64_t w, int64_t maxw, double d[2])
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
