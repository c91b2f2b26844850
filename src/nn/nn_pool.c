/* nn_pool.c - nn.SpatialMaxPooling and nn.SpatialAveragePooling, Torch7's semantics (see
 * "Pooling" in gramconv.h), plain loops over strided input. */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

gc_pool2d_desc gc_pool2d_desc_default(int64_t kh, int64_t kw)
{
    gc_pool2d_desc d = {{kh, kw}, {kh, kw}, {0, 0}, 0, 1};
    return d;
}

/* Output size along one dim: floor (or ceil) ((n + 2p - k) / s) + 1, minus the last window
 * if it would start at or past n + p. 0 if the kernel does not fit the padded input. */
static int64_t gc_pool_out(int64_t n, int64_t k, int64_t s, int64_t p, int ceil_mode)
{
    const int64_t span = n + 2 * p - k;
    if (span < 0)
        return 0;
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if ((o - 1) * s >= n + p)
        o--;
    return o;
}

/* The input as N x C x H x W (N = 1 for rank 3) with strides. */
typedef struct gc_pool_geom {
    int64_t n, c, h, w, oh, ow;
    int64_t s[4];
} gc_pool_geom;

static void gc_pool_geom_of(const gc_module *m, const gc_tensor *x, gc_pool_geom *g)
{
    const int r4 = x->rank == 4;
    g->n = r4 ? x->dims[0] : 1;
    g->c = x->dims[r4];
    g->h = x->dims[r4 + 1];
    g->w = x->dims[r4 + 2];
    g->s[0] = r4 ? x->strides[0] : 0;
    g->s[1] = x->strides[r4];
    g->s[2] = x->strides[r4 + 1];
    g->s[3] = x->strides[r4 + 2];
    const gc_pool2d_desc *d = &m->pool;
    g->oh = gc_pool_out(g->h, d->kernel[0], d->stride[0], d->pad[0], d->ceil_mode);
    g->ow = gc_pool_out(g->w, d->kernel[1], d->stride[1], d->pad[1], d->ceil_mode);
}

static gc_status gc_pool_plan(gc_context *ctx, gc_module *m, const gc_value *in)
{
    gc_status st = gc_nn_want_tensor(ctx, m, in, "input");
    if (st != GC_OK)
        return st;
    const gc_tensor *x = &in->t[0];
    if (x->rank != 3 && x->rank != 4)
        return gc_fail(ctx, GC_ERR_RANK, "%s: input is %dD; expected C x H x W or N x C x H x W",
                       m->ops->name, x->rank);
    gc_pool_geom g;
    gc_pool_geom_of(m, x, &g);
    if (g.oh < 1 || g.ow < 1)
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "%s: the %lldx%lld kernel does not fit the %lldx%lld input with padding "
                       "%lldx%lld",
                       m->ops->name, (long long)m->pool.kernel[0], (long long)m->pool.kernel[1],
                       (long long)g.h, (long long)g.w, (long long)m->pool.pad[0],
                       (long long)m->pool.pad[1]);
    int64_t od[4];
    memcpy(od, x->dims, sizeof od);
    od[x->rank - 2] = g.oh;
    od[x->rank - 1] = g.ow;
    st = gc_nn_buffer(ctx, &m->out_buf[0], x->dtype, x->rank, od);
    if (st == GC_OK)
        st = gc_nn_buffer(ctx, &m->gin_buf[0], x->dtype, x->rank, x->dims);
    if (st == GC_OK && m->kind == GC_NN_MAX_POOL) /* nout * 8 fits: the output exists */
        st = gc_nn_block_reserve(ctx, &m->aux,
                                 (size_t)gc_nn_numel(&m->out_buf[0]) * sizeof(int64_t));
    if (st == GC_OK)
        gc_nn_set_tensor(&m->output, &m->out_buf[0]);
    return st;
}

/* Window of output (oy, ox), clipped to the input: rows [*y0, *y1), columns [*x0, *x1). The
 * unclipped window clipped to the padded input has *padded elements (average pooling). */
static void gc_pool_window(const gc_pool2d_desc *d, const gc_pool_geom *g, int64_t oy, int64_t ox,
                           int64_t *y0, int64_t *y1, int64_t *x0, int64_t *x1, int64_t *padded)
{
    int64_t hs = oy * d->stride[0] - d->pad[0], ws = ox * d->stride[1] - d->pad[1];
    int64_t he = hs + d->kernel[0], we = ws + d->kernel[1];
    if (he > g->h + d->pad[0])
        he = g->h + d->pad[0];
    if (we > g->w + d->pad[1])
        we = g->w + d->pad[1];
    *padded = (he - hs) * (we - ws);
    *y0 = hs < 0 ? 0 : hs;
    *x0 = ws < 0 ? 0 : ws;
    *y1 = he > g->h ? g->h : he;
    *x1 = we > g->w ? g->w : we;
}

/* Window kernels over rows [y0, y1) and columns [x0, x1) of one plane (strides sy, sx), one
 * per dtype: the maximum (first in row-major order; a NaN wins, as Torch7) with its index
 * y * w + x, the float64 sum, and grad[y * w + x] += v on a contiguous plane of width w. */
static double gc_win_max_f32(const float *p, int64_t sy, int64_t sx, int64_t y0, int64_t y1,
                             int64_t x0, int64_t x1, int64_t w, int64_t *at)
{
    double best = -INFINITY;
    *at = y0 * w + x0;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++) {
            const double v = p[y * sy + x * sx];
            if (v > best || isnan(v)) {
                best = v;
                *at = y * w + x;
            }
        }
    return best;
}
static double gc_win_max_f64(const double *p, int64_t sy, int64_t sx, int64_t y0, int64_t y1,
                             int64_t x0, int64_t x1, int64_t w, int64_t *at)
{
    double best = -INFINITY;
    *at = y0 * w + x0;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++) {
            const double v = p[y * sy + x * sx];
            if (v > best || isnan(v)) {
                best = v;
                *at = y * w + x;
            }
        }
    return best;
}
static double gc_win_sum_f32(const float *p, int64_t sy, int64_t sx, int64_t y0, int64_t y1,
                             int64_t x0, int64_t x1)
{
    double sum = 0.0;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++)
            sum += p[y * sy + x * sx];
    return sum;
}
static double gc_win_sum_f64(const double *p, int64_t sy, int64_t sx, int64_t y0, int64_t y1,
                             int64_t x0, int64_t x1)
{
    double sum = 0.0;
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++)
            sum += p[y * sy + x * sx];
    return sum;
}
static void gc_win_add_f32(float *g, int64_t w, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                           double v)
{
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++)
            g[y * w + x] = (float)((double)g[y * w + x] + v);
}
static void gc_win_add_f64(double *g, int64_t w, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                           double v)
{
    for (int64_t y = y0; y < y1; y++)
        for (int64_t x = x0; x < x1; x++)
            g[y * w + x] += v;
}

/* out[n][c][oy][ox] = max over the clipped window; argmax (y * W + x) into m->aux. */
static gc_status gc_maxpool_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    (void)ctx;
    const gc_tensor *x = &in->t[0];
    gc_pool_geom g;
    gc_pool_geom_of(m, x, &g);
    gc_tensor *o = &m->out_buf[0];
    int64_t *arg = m->aux.p;
    int64_t e = 0;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++) {
            const int64_t base = n * g.s[0] + c * g.s[1];
            for (int64_t oy = 0; oy < g.oh; oy++)
                for (int64_t ox = 0; ox < g.ow; ox++, e++) {
                    int64_t y0, y1, x0, x1, padded;
                    gc_pool_window(&m->pool, &g, oy, ox, &y0, &y1, &x0, &x1, &padded);
                    const double best =
                        x->dtype == GC_DTYPE_F32
                            ? gc_win_max_f32((const float *)x->data + base, g.s[2], g.s[3], y0,
                                             y1, x0, x1, g.w, &arg[e])
                            : gc_win_max_f64((const double *)x->data + base, g.s[2], g.s[3], y0,
                                             y1, x0, x1, g.w, &arg[e]);
                    gc_store(o->data, o->dtype, e, best);
                }
        }
    gc_nn_set_tensor(&m->output, o);
    return GC_OK;
}

/* grad_output at (n, c, oy, ox) with any strides. */
static double gc_pool_gout(const gc_tensor *g, int64_t n, int64_t c, int64_t oy, int64_t ox)
{
    const int r4 = g->rank == 4;
    const int64_t off = (r4 ? n * g->strides[0] : 0) + c * g->strides[r4] +
                        oy * g->strides[r4 + 1] + ox * g->strides[r4 + 2];
    return gc_load(g->data, g->dtype, off);
}

/* grad_input[argmax of each window] += grad_output */
static gc_status gc_maxpool_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                           const gc_value *gout)
{
    (void)ctx;
    gc_pool_geom g;
    gc_pool_geom_of(m, &in->t[0], &g);
    gc_tensor *gi = &m->gin_buf[0];
    const int64_t *arg = m->aux.p;
    memset(gi->data, 0, (size_t)gc_nn_numel(gi) * gc_dtype_size(gi->dtype));
    int64_t e = 0;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++) {
            const int64_t plane = (n * g.c + c) * g.h * g.w;
            for (int64_t oy = 0; oy < g.oh; oy++)
                for (int64_t ox = 0; ox < g.ow; ox++, e++) {
                    const int64_t at = plane + arg[e];
                    const double v = gc_pool_gout(&gout->t[0], n, c, oy, ox);
                    gc_store(gi->data, gi->dtype, at, gc_load(gi->data, gi->dtype, at) + v);
                }
        }
    gc_nn_set_tensor(&m->grad_input, gi);
    return GC_OK;
}

static double gc_avg_divisor(const gc_module *m, int64_t y0, int64_t y1, int64_t x0, int64_t x1,
                             int64_t padded)
{
    return (double)(m->pool.count_include_pad ? padded : (y1 - y0) * (x1 - x0));
}

/* out = (sum over the clipped window) / divisor (count_include_pad: see gramconv.h) */
static gc_status gc_avgpool_forward(gc_context *ctx, gc_module *m, const gc_value *in)
{
    (void)ctx;
    const gc_tensor *x = &in->t[0];
    gc_pool_geom g;
    gc_pool_geom_of(m, x, &g);
    gc_tensor *o = &m->out_buf[0];
    int64_t e = 0;
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++) {
            const int64_t base = n * g.s[0] + c * g.s[1];
            for (int64_t oy = 0; oy < g.oh; oy++)
                for (int64_t ox = 0; ox < g.ow; ox++, e++) {
                    int64_t y0, y1, x0, x1, padded;
                    gc_pool_window(&m->pool, &g, oy, ox, &y0, &y1, &x0, &x1, &padded);
                    const double sum =
                        x->dtype == GC_DTYPE_F32
                            ? gc_win_sum_f32((const float *)x->data + base, g.s[2], g.s[3], y0,
                                             y1, x0, x1)
                            : gc_win_sum_f64((const double *)x->data + base, g.s[2], g.s[3], y0,
                                             y1, x0, x1);
                    gc_store(o->data, o->dtype, e, sum / gc_avg_divisor(m, y0, y1, x0, x1, padded));
                }
        }
    gc_nn_set_tensor(&m->output, o);
    return GC_OK;
}

/* grad_input[y][x] += grad_output / divisor over every window holding (y, x) */
static gc_status gc_avgpool_backward_input(gc_context *ctx, gc_module *m, const gc_value *in,
                                           const gc_value *gout)
{
    (void)ctx;
    gc_pool_geom g;
    gc_pool_geom_of(m, &in->t[0], &g);
    gc_tensor *gi = &m->gin_buf[0];
    memset(gi->data, 0, (size_t)gc_nn_numel(gi) * gc_dtype_size(gi->dtype));
    for (int64_t n = 0; n < g.n; n++)
        for (int64_t c = 0; c < g.c; c++) {
            const int64_t plane = (n * g.c + c) * g.h * g.w;
            for (int64_t oy = 0; oy < g.oh; oy++)
                for (int64_t ox = 0; ox < g.ow; ox++) {
                    int64_t y0, y1, x0, x1, padded;
                    gc_pool_window(&m->pool, &g, oy, ox, &y0, &y1, &x0, &x1, &padded);
                    const double v = gc_pool_gout(&gout->t[0], n, c, oy, ox) /
                                     gc_avg_divisor(m, y0, y1, x0, x1, padded);
                    if (gi->dtype == GC_DTYPE_F32)
                        gc_win_add_f32((float *)gi->data + plane, g.w, y0, y1, x0, x1, v);
                    else
                        gc_win_add_f64((double *)gi->data + plane, g.w, y0, y1, x0, x1, v);
                }
        }
    gc_nn_set_tensor(&m->grad_input, gi);
    return GC_OK;
}

const gc_module_ops gc_nn_max_pool_ops = {"nn.SpatialMaxPooling", gc_pool_plan,
                                          gc_maxpool_forward, gc_maxpool_backward_input, NULL};
const gc_module_ops gc_nn_avg_pool_ops = {"nn.SpatialAveragePooling", gc_pool_plan,
                                          gc_avgpool_forward, gc_avgpool_backward_input, NULL};

static gc_status gc_pool_create(gc_context *ctx, const gc_pool2d_desc *desc, gc_nn_kind kind,
                                const gc_module_ops *ops, const char *op, gc_module **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "%s: out is NULL", op);
    *out = NULL;
    if (!desc)
        return gc_fail(ctx, GC_ERR_NULL, "%s: desc is NULL", op);
    for (int i = 0; i < 2; i++) {
        const int64_t k = desc->kernel[i], s = desc->stride[i], p = desc->pad[i];
        if (k < 1 || s < 1 || p < 0 || k > (1ll << 31) || s > (1ll << 31))
            return gc_fail(ctx, GC_ERR_ARG,
                           "%s: kernel %lld, stride %lld, pad %lld (need kernel, stride >= 1, "
                           "pad >= 0)",
                           op, (long long)k, (long long)s, (long long)p);
        if (p > k / 2)
            return gc_fail(ctx, GC_ERR_ARG,
                           "%s: pad %lld exceeds half the kernel %lld (as Torch7 requires)", op,
                           (long long)p, (long long)k);
    }
    gc_status st = gc_nn_module_new(ctx, kind, ops, out);
    if (st == GC_OK) {
        (*out)->pool = *desc;
        (*out)->pool.ceil_mode = desc->ceil_mode != 0;
        (*out)->pool.count_include_pad = desc->count_include_pad != 0;
    }
    return st;
}

gc_status gc_spatial_max_pooling_create(gc_context *ctx, const gc_pool2d_desc *desc,
                                        gc_module **out)
{
    return gc_pool_create(ctx, desc, GC_NN_MAX_POOL, &gc_nn_max_pool_ops,
                          "spatial_max_pooling_create", out);
}

gc_status gc_spatial_average_pooling_create(gc_context *ctx, const gc_pool2d_desc *desc,
                                            gc_module **out)
{
    return gc_pool_create(ctx, desc, GC_NN_AVG_POOL, &gc_nn_avg_pool_ops,
                          "spatial_average_pooling_create", out);
}
