/* conv2d_ref.c - plain-loop references for SpatialConvolution, float64 sums, one thread:
 *   forward:  out[n][o][y][x] = b[o] + sum_{c,a,b} P(in)[n][g*Cg+c][y*sh+a*dh-pt][x*sw+b*dw-pl]
 *                                                  * w[o][c][a][b]        (g = o / Og)
 *   backward_input: the adjoint of forward w.r.t. in (padding modes route the gradient to the
 *                   source pixel the padded one copies);
 *   backward_weight: gw[o][c][a][b] += scale * sum_{n,y,x} gout[n][o][y][x] * P(in)[...],
 *                    gb[o] += scale * sum_{n,y,x} gout[n][o][y][x]. */
#include "ops/conv2d/conv2d.h"

#include <string.h>

/* Calls fn for every (n, o, y, x, c, a, b) whose padded input position maps to a real input
 * element, with the element offsets; the one loop nest all three references share. */
typedef void (*gc_conv_visit)(void *arg, int64_t in_off, int64_t w_off, int64_t out_off,
                              int64_t o, int64_t c, int64_t a, int64_t b);

static void gc_conv2d_walk(const gc_conv2d_problem *p, gc_conv_visit fn, void *arg)
{
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t o = 0; o < p->O; o++) {
            const int64_t g = o / p->Og;
            for (int64_t y = 0; y < p->OH; y++)
                for (int64_t x = 0; x < p->OW; x++) {
                    const int64_t out_off = n * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2] +
                                            x * p->out_s[3];
                    for (int64_t c = 0; c < p->Cg; c++)
                        for (int64_t a = 0; a < p->KH; a++) {
                            const int64_t iy = gc_pad_index(y * p->sh + a * p->dh - p->pt, p->H, p->pmode);
                            if (iy < 0)
                                continue;
                            for (int64_t b = 0; b < p->KW; b++) {
                                const int64_t ix = gc_pad_index(x * p->sw + b * p->dw - p->pl, p->W, p->pmode);
                                if (ix < 0)
                                    continue;
                                const int64_t in_off = n * p->in_s[0] + (g * p->Cg + c) * p->in_s[1] +
                                                       iy * p->in_s[2] + ix * p->in_s[3];
                                const int64_t w_off = o * p->w_s[0] + c * p->w_s[1] + a * p->w_s[2] +
                                                      b * p->w_s[3];
                                fn(arg, in_off, w_off, out_off, o, c, a, b);
                            }
                        }
                }
        }
}

/* Dense float64 accumulators indexed like the output / input / weight. */
typedef struct {
    const gc_conv2d_problem *p;
    const void *x, *y; /* the two operands read */
    double *acc;
    int64_t acc_s[4];
    int which; /* 0 forward, 1 backward input, 2 backward weight */
} gc_conv_ref_arg;

static void gc_conv_ref_visit(void *argp, int64_t in_off, int64_t w_off, int64_t out_off,
                              int64_t o, int64_t c, int64_t a, int64_t b)
{
    gc_conv_ref_arg *r = argp;
    const gc_dtype dt = r->p->dtype;
    switch (r->which) {
    case 0: /* x = in, y = w; acc indexed by out_off (dense copy of output strides) */
        r->acc[out_off] += gc_load(r->x, dt, in_off) * gc_load(r->y, dt, w_off);
        break;
    case 1: /* x = gout, y = w; acc indexed by in_off */
        r->acc[in_off] += gc_load(r->x, dt, out_off) * gc_load(r->y, dt, w_off);
        break;
    default: /* x = in, y = gout; acc = O x Cg x KH x KW dense */
        r->acc[((o * r->p->Cg + c) * r->p->KH + a) * r->p->KW + b] +=
            gc_load(r->y, dt, out_off) * gc_load(r->x, dt, in_off);
        break;
    }
}

/* Dense problem copy: the same geometry with C-contiguous offsets for the accumulated side. */
static void gc_dense_strides(int64_t d0, int64_t d1, int64_t d2, int64_t d3, int64_t s[4])
{
    (void)d0;
    s[3] = 1;
    s[2] = d3;
    s[1] = d2 * d3;
    s[0] = d1 * d2 * d3;
}

static gc_status gc_conv_ref_alloc(gc_context *ctx, int64_t n, double **acc)
{
    gc_status st = gc_alloc(ctx, n, sizeof(double), (void **)acc);
    if (st == GC_OK)
        memset(*acc, 0, (size_t)n * sizeof(double));
    return st;
}

gc_status gc_conv2d_forward_reference(gc_context *ctx, const gc_conv2d_problem *p, const void *in,
                                      const void *w, const void *bias, void *out)
{
    gc_conv2d_problem q = *p;
    gc_dense_strides(p->N, p->O, p->OH, p->OW, q.out_s);
    double *acc;
    const int64_t n = p->N * p->O * p->OH * p->OW;
    gc_status st = gc_conv_ref_alloc(ctx, n, &acc);
    if (st != GC_OK)
        return st;
    gc_conv_ref_arg r = {.p = &q, .x = in, .y = w, .acc = acc, .which = 0};
    gc_conv2d_walk(&q, gc_conv_ref_visit, &r);
    for (int64_t i = 0; i < p->N; i++)
        for (int64_t o = 0; o < p->O; o++)
            for (int64_t y = 0; y < p->OH; y++)
                for (int64_t x = 0; x < p->OW; x++) {
                    double v = acc[((i * p->O + o) * p->OH + y) * p->OW + x];
                    if (bias)
                        v += gc_load(bias, p->dtype, o * p->b_s);
                    gc_store(out, p->dtype, i * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2] + x * p->out_s[3], v);
                }
    gc_free(ctx, acc);
    return GC_OK;
}

gc_status gc_conv2d_backward_input_reference(gc_context *ctx, const gc_conv2d_problem *p,
                                             const void *gout, const void *w, void *gin)
{
    gc_conv2d_problem q = *p;
    gc_dense_strides(p->N, p->C, p->H, p->W, q.in_s);
    double *acc;
    const int64_t n = p->N * p->C * p->H * p->W;
    gc_status st = gc_conv_ref_alloc(ctx, n, &acc);
    if (st != GC_OK)
        return st;
    gc_conv_ref_arg r = {.p = &q, .x = gout, .y = w, .acc = acc, .which = 1};
    gc_conv2d_walk(&q, gc_conv_ref_visit, &r);
    for (int64_t i = 0; i < p->N; i++)
        for (int64_t c = 0; c < p->C; c++)
            for (int64_t y = 0; y < p->H; y++)
                for (int64_t x = 0; x < p->W; x++)
                    gc_store(gin, p->dtype, i * p->in_s[0] + c * p->in_s[1] + y * p->in_s[2] + x * p->in_s[3],
                             acc[((i * p->C + c) * p->H + y) * p->W + x]);
    gc_free(ctx, acc);
    return GC_OK;
}

gc_status gc_conv2d_backward_weight_reference(gc_context *ctx, const gc_conv2d_problem *p,
                                              const void *in, const void *gout, double scale,
                                              void *gw, void *gb, int64_t gw_s[4], int64_t gb_s)
{
    double *acc;
    const int64_t n = p->O * p->Cg * p->KH * p->KW;
    gc_status st = gc_conv_ref_alloc(ctx, n, &acc);
    if (st != GC_OK)
        return st;
    gc_conv_ref_arg r = {.p = p, .x = in, .y = gout, .acc = acc, .which = 2};
    gc_conv2d_walk(p, gc_conv_ref_visit, &r);
    for (int64_t o = 0; o < p->O; o++) {
        for (int64_t c = 0; c < p->Cg; c++)
            for (int64_t a = 0; a < p->KH; a++)
                for (int64_t b = 0; b < p->KW; b++) {
                    const int64_t off = o * gw_s[0] + c * gw_s[1] + a * gw_s[2] + b * gw_s[3];
                    gc_store(gw, p->dtype, off, gc_load(gw, p->dtype, off) +
                                                    scale * acc[((o * p->Cg + c) * p->KH + a) * p->KW + b]);
                }
        if (gb) {
            double s = 0.0;
            for (int64_t i = 0; i < p->N; i++)
                for (int64_t y = 0; y < p->OH; y++)
                    for (int64_t x = 0; x < p->OW; x++)
                        s += gc_load(gout, p->dtype, i * p->out_s[0] + o * p->out_s[1] + y * p->out_s[2] + x * p->out_s[3]);
            gc_store(gb, p->dtype, o * gb_s, gc_load(gb, p->dtype, o * gb_s) + scale * s);
        }
    }
    gc_free(ctx, acc);
    return GC_OK;
}
