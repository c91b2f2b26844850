/* nn_criterion.c - criteria: nn.MSECriterion, the style loss (fused gc_gram_style_loss), the
 * content loss and total variation (neural-style's ContentLoss and TVLoss). */
#include "nn/nn.h"

#include <math.h>
#include <string.h>

typedef enum gc_crit_kind { GC_CRIT_MSE, GC_CRIT_STYLE, GC_CRIT_CONTENT, GC_CRIT_TV } gc_crit_kind;

struct gc_criterion {
    gc_crit_kind kind;
    const char *name;
    double weight;           /* content, style, tv; mse: 1 */
    int size_average;        /* mse */
    gc_gram_desc gram;       /* style */
    gc_nn_sig sig;           /* input signature the buffers are sized for */
    gc_tensor gin, ws;       /* grad_input; style: G-shaped workspace */
    gc_nn_cache cache;       /* the Gram call's scratch */
    gc_allocator self_alloc;
};

static gc_status gc_crit_new(gc_context *ctx, gc_crit_kind kind, const char *name, double weight,
                             gc_criterion **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "%s: out is NULL", name);
    *out = NULL;
    if (!isfinite(weight))
        return gc_fail(ctx, GC_ERR_ARG, "%s: weight must be finite", name);
    gc_criterion *c = NULL;
    gc_status st = gc_alloc(ctx, 1, sizeof *c, (void **)&c);
    if (st != GC_OK)
        return st;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->name = name;
    c->weight = weight;
    c->gram = gc_gram_desc_default();
    c->self_alloc = *gc_ctx_allocator(ctx);
    *out = c;
    return GC_OK;
}

gc_status gc_mse_criterion_create(gc_context *ctx, int size_average, gc_criterion **out)
{
    gc_status st = gc_crit_new(ctx, GC_CRIT_MSE, "nn.MSECriterion", 1.0, out);
    if (st == GC_OK)
        (*out)->size_average = size_average != 0;
    return st;
}

gc_status gc_content_loss_create(gc_context *ctx, double weight, gc_criterion **out)
{
    gc_status st = gc_crit_new(ctx, GC_CRIT_CONTENT, "ContentLoss", weight, out);
    if (st == GC_OK)
        (*out)->size_average = 1;
    return st;
}

gc_status gc_tv_loss_create(gc_context *ctx, double weight, gc_criterion **out)
{
    return gc_crit_new(ctx, GC_CRIT_TV, "TVLoss", weight, out);
}

gc_status gc_style_loss_create(gc_context *ctx, const gc_gram_desc *desc, double weight,
                               gc_criterion **out)
{
    gc_gram_desc d = desc ? *desc : gc_gram_desc_default();
    gc_module *probe = NULL;
    gc_status st = gc_gram_matrix_create(ctx, &d, &probe); /* validates the descriptor */
    gc_module_free(probe);
    if (st == GC_OK)
        st = gc_crit_new(ctx, GC_CRIT_STYLE, "StyleLoss", weight, out);
    else if (out)
        *out = NULL;
    if (st == GC_OK)
        (*out)->gram = d;
    return st;
}

void gc_criterion_free(gc_criterion *c)
{
    if (!c)
        return;
    gc_tensor_free(&c->gin);
    gc_tensor_free(&c->ws);
    gc_nn_cache_release(&c->cache);
    gc_allocator a = c->self_alloc;
    a.free(c, a.user);
}

const char *gc_criterion_name(const gc_criterion *c) { return c ? c->name : "(null)"; }

static int gc_same_shape(const gc_tensor *a, const gc_tensor *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return 0;
    return 1;
}

/* Validate (input, target) and size the buffers for the input's signature. */
static gc_status gc_crit_prepare(gc_context *ctx, gc_criterion *c, const gc_tensor *x,
                                 const gc_tensor *t)
{
    gc_clear_error(ctx);
    if (!c || !x)
        return gc_fail(ctx, GC_ERR_NULL, "criterion: criterion or input is NULL");
    gc_status st = gc_tensor_check(ctx, x, "input");
    if (st != GC_OK)
        return st;
    if (x->dtype != GC_DTYPE_F32 && x->dtype != GC_DTYPE_F64)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: input must be float32 or float64", c->name);
    if (c->kind == GC_CRIT_TV) {
        if (x->rank != 3 && x->rank != 4)
            return gc_fail(ctx, GC_ERR_RANK,
                           "%s: input is %dD; expected C x H x W or N x C x H x W", c->name,
                           x->rank);
    } else {
        if (!t)
            return gc_fail(ctx, GC_ERR_NULL, "%s: target is NULL", c->name);
        st = gc_tensor_check(ctx, t, "target");
        if (st != GC_OK)
            return st;
        if (t->dtype != x->dtype)
            return gc_fail(ctx, GC_ERR_DTYPE, "%s: target is %s, input %s", c->name,
                           gc_dtype_name(t->dtype), gc_dtype_name(x->dtype));
        if (c->kind != GC_CRIT_STYLE && !gc_same_shape(x, t))
            return gc_fail(ctx, GC_ERR_SHAPE, "%s: target and input shapes differ", c->name);
        if (c->kind != GC_CRIT_STYLE && gc_nn_numel(x) == 0)
            return gc_fail(ctx, GC_ERR_EMPTY, "%s: the input is empty", c->name);
    }
    gc_value v = gc_value_tensor(x);
    if (gc_nn_sig_match(&c->sig, &v))
        return GC_OK;
    c->sig.valid = 0;
    st = gc_nn_buffer(ctx, &c->gin, x->dtype, x->rank, x->dims);
    if (st == GC_OK && c->kind == GC_CRIT_STYLE) {
        int rank;
        int64_t dims[GC_MAX_RANK];
        st = gc_gram_shape(ctx, &c->gram, x, &rank, dims);
        if (st == GC_OK)
            st = gc_nn_buffer(ctx, &c->ws, x->dtype, rank, dims);
    }
    if (st == GC_OK)
        gc_nn_sig_of(&v, &c->sig);
    return st;
}

/* loss of (x - t)^2 terms: sum (or mean) times weight; grad (if non-NULL) = its gradient. */
static double gc_crit_squares(const gc_criterion *c, const gc_tensor *x, const gc_tensor *t,
                              gc_tensor *grad)
{
    const int64_t n = gc_nn_numel(x);
    const int cx = gc_tensor_is_contiguous(x), ct = gc_tensor_is_contiguous(t);
    const double f = (c->size_average ? 1.0 / (double)n : 1.0) * c->weight;
    double sum = 0.0;
    for (int64_t e = 0; e < n; e++) {
        const double d = gc_load(x->data, x->dtype, cx ? e : gc_nn_offset(x, e)) -
                         gc_load(t->data, t->dtype, ct ? e : gc_nn_offset(t, e));
        sum += d * d;
        if (grad)
            gc_store(grad->data, grad->dtype, e, 2.0 * f * d);
    }
    return f * sum;
}

/* TV: weight/2 * sum over planes, y < H-1, x < W-1 of dx^2 + dy^2 with dx = v[y][x] -
 * v[y][x+1], dy = v[y][x] - v[y+1][x]; grad[y][x] += dx + dy, grad[y][x+1] -= dx,
 * grad[y+1][x] -= dy (times weight). */
static double gc_crit_tv(const gc_criterion *c, const gc_tensor *x, gc_tensor *grad)
{
    const int r4 = x->rank == 4;
    const int64_t nb = r4 ? x->dims[0] : 1, nc = x->dims[r4], h = x->dims[r4 + 1],
                  w = x->dims[r4 + 2];
    const int64_t sn = r4 ? x->strides[0] : 0, sc = x->strides[r4], sy = x->strides[r4 + 1],
                  sx = x->strides[r4 + 2];
    if (grad)
        memset(grad->data, 0, (size_t)gc_nn_numel(grad) * gc_dtype_size(grad->dtype));
    double sum = 0.0;
    for (int64_t b = 0; b < nb; b++)
        for (int64_t ch = 0; ch < nc; ch++) {
            const int64_t base = b * sn + ch * sc, gbase = (b * nc + ch) * h * w;
            for (int64_t y = 0; y + 1 < h; y++)
                for (int64_t xx = 0; xx + 1 < w; xx++) {
                    const int64_t o = base + y * sy + xx * sx;
                    const double v = gc_load(x->data, x->dtype, o);
                    const double dx = v - gc_load(x->data, x->dtype, o + sx);
                    const double dy = v - gc_load(x->data, x->dtype, o + sy);
                    sum += dx * dx + dy * dy;
                    if (grad) {
                        const int64_t g = gbase + y * w + xx;
                        gc_store(grad->data, grad->dtype, g,
                                 gc_load(grad->data, grad->dtype, g) + c->weight * (dx + dy));
                        gc_store(grad->data, grad->dtype, g + 1,
                                 gc_load(grad->data, grad->dtype, g + 1) - c->weight * dx);
                        gc_store(grad->data, grad->dtype, g + w,
                                 gc_load(grad->data, grad->dtype, g + w) - c->weight * dy);
                    }
                }
        }
    return 0.5 * c->weight * sum;
}

static gc_status gc_crit_run(gc_context *ctx, gc_criterion *c, const gc_tensor *x,
                             const gc_tensor *t, double *loss, gc_tensor *grad)
{
    if (c->kind == GC_CRIT_STYLE) {
        gc_allocator saved;
        gc_nn_call_begin(ctx, &c->cache, &saved);
        gc_status st = gc_gram_style_loss(ctx, &c->gram, x, t, c->weight, loss, grad, &c->ws);
        gc_nn_call_end(ctx, &saved);
        return st;
    }
    *loss = c->kind == GC_CRIT_TV ? gc_crit_tv(c, x, grad) : gc_crit_squares(c, x, t, grad);
    return GC_OK;
}

gc_status gc_criterion_forward(gc_context *ctx, gc_criterion *c, const gc_tensor *input,
                               const gc_tensor *target, double *loss)
{
    gc_status st = gc_crit_prepare(ctx, c, input, target);
    if (st == GC_OK && !loss)
        st = gc_fail(ctx, GC_ERR_NULL, "%s: loss is NULL", c->name);
    return st == GC_OK ? gc_crit_run(ctx, c, input, target, loss, NULL) : st;
}

gc_status gc_criterion_backward(gc_context *ctx, gc_criterion *c, const gc_tensor *input,
                                const gc_tensor *target, const gc_tensor **grad_input)
{
    gc_status st = gc_crit_prepare(ctx, c, input, target);
    if (st == GC_OK && !grad_input)
        st = gc_fail(ctx, GC_ERR_NULL, "%s: grad_input is NULL", c->name);
    double loss = 0.0;
    if (st == GC_OK)
        st = gc_crit_run(ctx, c, input, target, &loss, &c->gin);
    if (grad_input)
        *grad_input = st == GC_OK ? &c->gin : NULL;
    return st;
}
