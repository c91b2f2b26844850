/* texture_score_internal.h - what the parts of the texture score share (texture_score.c: the
 * public entry; texture_score_swd.c: the pyramid and neighbourhood SWD;
 * texture_score_spectrum.c: the power spectra): the seed streams, the images, the
 * allocations of one call. Not for other folders. */
#ifndef GC_TEXTURE_SCORE_INTERNAL_H
#define GC_TEXTURE_SCORE_INTERNAL_H

#include "kernels/ts_project.h"

#include "base/internal.h"

#include <math.h>

#define TS_PI 3.14159265358979323846
#define TS_KB GC_TS_KB

/* Seed streams derived from desc.seed (ts_stream_seed). */
enum { TS_STREAM_DIRECTIONS = 1, TS_STREAM_NOISE = 2, TS_STREAM_DRAW = 3 };
/* Roles in a comparison; the noise image takes the candidate's draw. */
enum { TS_SAMPLE = 0, TS_CANDIDATE = 1, TS_NOISE = 2, TS_NIMG = 3 };

/* ---- random numbers: splitmix64 ---------------------------------------------------------- */

static inline uint64_t ts_splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1), 53 bits. */
static inline double ts_uniform(uint64_t *s)
{
    return (double)(ts_splitmix(s) >> 11) * (1.0 / 9007199254740992.0);
}

/* The starting state of stream `stream`, item `index` (a level, a role) of `seed`. */
static inline uint64_t ts_stream_seed(uint64_t seed, uint64_t stream, uint64_t index)
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

static inline double ts_gauss_next(ts_gauss *g)
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

static inline gc_status ts_alloc_doubles(gc_context *ctx, int64_t n, double **out)
{
    void *p = NULL;
    gc_status st = gc_alloc(ctx, n, sizeof(double), &p);
    *out = p;
    return st;
}

/* Both spectra distances (candidate, noise) into d[2] (texture_score_spectrum.c). */
gc_status gc_ts_spectra(gc_context *ctx, ts_mem *m, int64_t w, int64_t maxw, double d[2]);
/* The sliced Wasserstein distances (candidate, noise) into d[2], levels into *levels
 * (texture_score_swd.c). The images in m->img are consumed (they become pyramid levels). */
gc_status gc_ts_swd(gc_context *ctx, const gc_texture_score_desc *desc, ts_mem *m, double d[2],
                    int *levels);

#endif
