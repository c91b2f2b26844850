/* conv2d_wgrad.c - SpatialConvolution accGradParameters on the optimised path:
 *   gw[o][c][a][b] += scale * sum_{n,y,x} gout[n][o][y][x] * P(in)[n][g*Cg+c][y*sh+a*dh-pt][x*sw+b*dw-pl]
 *   gb[o]          += scale * sum_{n,y,x} gout[n][o][y][x]
 * One task per output channel o (so each gw[o] is written by one thread, in a fixed order).
 * Each (n, y) row contributes a dot product over the valid x range; the dot keeps 8 lanes of
 * partial sums in the tensor's dtype (vectorisable without reassociation) and the rows are
 * summed in float64. */
#include "conv2d.h"

#define GC_LANES 8

static double gc_dot_f32(const float *g, const float *in, int64_t n, int64_t in_stride)
{
    float lane[GC_LANES] = {0};
    int64_t x = 0;
    if (in_stride == 1)
        for (; x + GC_LANES <= n; x += GC_LANES)
            for (int l = 0; l < GC_LANES; l++)
                lane[l] += g[x + l] * in[x + l];
    double s = 0.0;
    for (; x < n; x++)
        s += (double)g[x] * in[x * in_stride];
    for (int l = 0; l < GC_LANES; l++)
        s += lane[l];
    return s;
}

static double gc_dot_f64(const double *g, const double *in, int64_t n, int64_t in_stride)
{
    double lane[GC_LANES] = {0};
    int64_t x = 0;
    if (in_stride == 1)
        for (; x + GC_LANES <= n; x += GC_LANES)
            for (int l = 0; l < GC_LANES; l++)
                lane[l] += g[x + l] * in[x + l];
    double s = 0.0;
    for (; x < n; x++)
        s += g[x] * in[x * in_stride];
    for (int l = 0; l < GC_LANES; l++)
        s += lane[l];
    return s;
}

typedef struct {
    const gc_conv2d_problem *p;
    const char *in, *gout;
    double scale;
    char *gw, *gb;
    int64_t gw_s[4], gb_s;
} gc_wgrad_arg;

/* sum over x of gout_row[x] * P(in_row)[x*sw + off] for one row pair. */
static double gc_wgrad_row(const gc_conv2d_problem *p, const char *grow, int64_t gstride,
                           const char *irow, int64_t istride, int64_t off)
{
    const size_t esz = gc_dtype_size(p->dtype);
    if (p->pmode == GC_PADDING_ZEROS && gstride == 1) {
        /* valid x: 0 <= x*sw + off < W */
        int64_t lo = off >= 0 ? 0 : (-off + p->sw - 1) / p->sw;
        int64_t hi = p->W - 1 - off < 0 ? 0 : (p->W - 1 - off) / p->sw + 1;
        if (hi > p->OW)
            hi = p->OW;
        if (hi <= lo)
            return 0.0;
        const char *a = grow + (size_t)lo * esz;
        const char *b = irow + (size_t)((lo * p->sw + off) * istride) * esz;
        return p->dtype == GC_DTYPE_F32
                   ? gc_dot_f32((const float *)a, (const float *)b, hi - lo, p->sw * istride)
                   : gc_dot_f64((const double *)a, (const double *)b, hi - lo, p->sw * istride);
    }
    double s = 0.0;
    for (int64_t x = 0; x < p->OW; x++) {
        const int64_t ix = gc_pad_index(x * p->sw + off, p->W, p->pmode);
        if (ix >= 0)
            s += gc_load(grow, p->dtype, x * gstride) * gc_load(irow, p->dtype, ix * istride);
    }
    return s;
}

static void gc_wgrad_task(int64_t o, int thread, void *argp)
{
    (void)thread;
    const gc_wgrad_arg *w = argp;
    const gc_conv2d_problem *p = w->p;
    const size_t esz = gc_dtype_size(p->dtype);
    const int64_t g = o / p->Og;
    for (int64_t c = 0; c < p->Cg; c++)
        for (int64_t a = 0; a < p->KH; a++)
            for (int64_t b = 0; b < p->KW; b++) {
                double acc = 0.0;
                for (int64_t n = 0; n < p->N; n++)
                    for (int64_t y = 0; y < p->OH; y++) {
                        const int64_t iy = gc_pad_index(y * p->sh + a * p->dh - p->pt, p->H, p->pmode);
                        if (iy < 0)
                            continue;
                        const char *grow = w->gout + (size_t)(n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2]) * esz;
                        const char *irow = w->in + (size_t)(n * p->in_s[0] + (g * p->Cg + c) * p->in_s[1] + iy * p->in_s[2]) * esz;
                        acc += gc_wgrad_row(p, grow, p->out_s[3], irow, p->in_s[3], b * p->dw - p->pl);
                    }
                const int64_t off = o * w->gw_s[0] + c * w->gw_s[1] + a * w->gw_s[2] + b * w->gw_s[3];
                gc_store(w->gw, p->dtype, off, gc_load(w->gw, p->dtype, off) + w->scale * acc);
            }
    if (w->gb) {
        double s = 0.0;
        for (int64_t n = 0; n < p->N; n++)
            for (int64_t y = 0; y < p->OH; y++)
                for (int64_t x = 0; x < p->OW; x++)
                    s += gc_load(w->gout, p->dtype, n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2] + x * p->out_s[3]);
        gc_store(w->gb, p->dtype, o * w->gb_s, gc_load(w->gb, p->dtype, o * w->gb_s) + w->scale * s);
    }
}

gc_status gc_conv2d_wgrad(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                          const void *gout, double scale, void *gw, const int64_t gw_s[4],
                          void *gb, int64_t gb_s)
{
    gc_wgrad_arg w = {.p = p, .in = in, .gout = gout, .scale = scale, .gw = gw, .gb = gb, .gb_s = gb_s};
    for (int i = 0; i < 4; i++)
        w.gw_s[i] = gw_s[i];
    return gc_parallel_for(ctx, gc_context_threads(ctx), p->O, gc_wgrad_task, &w);
}
