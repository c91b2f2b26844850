/* texture_score.c - network-free texture distances (gramconv.h, "Texture scores"):
 *
 *   swd       sliced Wasserstein distance between patch x patch x C neighbourhoods of the
 *             Laplacian-pyramid levels of the sample and the candidate (Karras et al., 2018),
 *             every level normalised by the sample's per-channel statistics;
 *   spectrum  RMS difference of Welch log power spectra (Hann windows, DC excluded);
 *
 * each also against Gaussian noise with the sample's per-channel mean and standard deviation.
 * docs/SYNTH.md ("Scoring a texture") is the specification; these files follow it step by step.
 *
 * Everything is computed in float64. The only parallel part is the projection and sorting,
 * split over blocks of directions: each direction's distance is computed whole by one thread
 * and the distances are summed afterwards in direction order, so the result has the same bits
 * for any thread count. The projection kernels (kernels/scalar/, kernels/avx2/: ts_project_*.c)
 * round every product and sum in one order, so every ISA gives the same bits too. The
 * pyramid, the descriptor draws, the noise image and the spectra are sequential.
 *
 * This file holds the public entry (checks, loading, the noise image); the pyramid and the
 * SWD are in texture_score_swd.c, the spectra in texture_score_spectrum.c. */
#include "synth/texture_score_internal.h"

#include <math.h>
#include <string.h>

/* ---- images ------------------------------------------------------------------------------ */

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
        st = gc_ts_spectra(ctx, &m, win, desc->max_windows, spec);
    if (st == GC_OK)
        st = gc_ts_swd(ctx, desc, &m, swd, &levels);
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
