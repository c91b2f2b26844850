/* gram_shape.c - argument validation for the Gram ops (see "Gram matrices" in gramconv.h). */
#include "ops/gram/gram.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

gc_gram_desc gc_gram_desc_default(void)
{
    gc_gram_desc d = {GC_GRAM_NORM_HW, 1.0, 0, GC_PRECISION_DEFAULT};
    return d;
}

static void gc_gram_shape_str(const gc_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? "x%lld" : "%lld", (long long)t->dims[i]);
    if (t->rank == 0)
        snprintf(buf, n, "scalar");
}

gc_status gc_gram_prepare(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                          const char *op, gc_gram_problem *p)
{
    gc_clear_error(ctx);
    if (!desc || !p)
        return gc_fail(ctx, GC_ERR_NULL, "%s: NULL descriptor", op);
    memset(p, 0, sizeof *p);
    if (desc->norm != GC_GRAM_NORM_NONE && desc->norm != GC_GRAM_NORM_HW &&
        desc->norm != GC_GRAM_NORM_CHW)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown norm %d", op, (int)desc->norm);
    if (!isfinite(desc->scale))
        return gc_fail(ctx, GC_ERR_ARG, "%s: scale must be finite", op);
    if (desc->precision != GC_PRECISION_DEFAULT && desc->precision != GC_PRECISION_BF16)
        return gc_fail(ctx, GC_ERR_ARG, "%s: unknown precision %d", op, (int)desc->precision);
    gc_status st = gc_tensor_check(ctx, input, "input");
    if (st != GC_OK)
        return st;
    char is[96];
    gc_gram_shape_str(input, is, sizeof is);
    const int r = input->rank;
    if (r < 2 || r > 4)
        return gc_fail(ctx, GC_ERR_RANK,
                       "%s: input is %dD (%s); expected M x K, C x H x W or N x C x H x W", op, r,
                       is);
    for (int i = 0; i < r; i++)
        if (input->dims[i] == 0)
            return gc_fail(ctx, GC_ERR_EMPTY, "%s: input %s has an empty dimension", op, is);
    if (desc->precision == GC_PRECISION_BF16) {
        if (input->dtype != GC_DTYPE_F32)
            return gc_fail(ctx, GC_ERR_DTYPE, "%s: bf16 precision takes float32 input, not %s", op,
                           gc_dtype_name(input->dtype));
        p->bf16 = 1;
    }
    p->dtype = input->dtype;
    p->in_rank = r;
    p->in = input->data;
    p->center = desc->center != 0;
    const int64_t *d = input->dims, *s = input->strides;
    if (r == 2) {
        p->n = 1, p->m = d[0], p->kh = 1, p->kw = d[1];
        p->in_s[0] = 0, p->in_s[1] = s[0], p->in_s[2] = 0, p->in_s[3] = s[1];
    } else if (r == 3) {
        p->n = 1, p->m = d[0], p->kh = d[1], p->kw = d[2];
        p->in_s[0] = 0, p->in_s[1] = s[0], p->in_s[2] = s[1], p->in_s[3] = s[2];
    } else {
        p->n = d[0], p->m = d[1], p->kh = d[2], p->kw = d[3];
        memcpy(p->in_s, s, sizeof p->in_s);
    }
    int64_t mk, mm, nmm;
    if (!gc_mul_ok(p->kh, p->kw, &p->k) || !gc_mul_ok(p->m, p->k, &mk) ||
        !gc_mul_ok(p->m, p->m, &mm) || !gc_mul_ok(p->n, mm, &nmm))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "%s: sizes of %s overflow", op, is);
    double norm = 1.0;
    if (desc->norm == GC_GRAM_NORM_HW)
        norm = 1.0 / (double)p->k;
    else if (desc->norm == GC_GRAM_NORM_CHW)
        norm = 1.0 / ((double)p->m * (double)p->k);
    p->alpha = norm * desc->scale;
    if (r == 4) {
        p->g_rank = 3;
        p->g_dims[0] = p->n, p->g_dims[1] = p->g_dims[2] = p->m;
    } else {
        p->g_rank = 2;
        p->g_dims[0] = p->g_dims[1] = p->m;
    }
    return GC_OK;
}

gc_status gc_gram_check_g(gc_context *ctx, const gc_gram_problem *p, const gc_tensor *t,
                          const char *op, const char *what, int writable, gc_gram_gview *v)
{
    gc_status st = gc_tensor_check(ctx, t, what);
    if (st != GC_OK)
        return st;
    if (t->dtype != p->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: %s is %s but input is %s", op, what,
                       gc_dtype_name(t->dtype), gc_dtype_name(p->dtype));
    int same = t->rank == p->g_rank;
    for (int i = 0; same && i < p->g_rank; i++)
        same = t->dims[i] == p->g_dims[i];
    if (!same) {
        char ts[96];
        gc_gram_shape_str(t, ts, sizeof ts);
        if (p->g_rank == 3)
            return gc_fail(ctx, GC_ERR_SHAPE, "%s: %s is %s, expected %lldx%lldx%lld", op, what, ts,
                           (long long)p->n, (long long)p->m, (long long)p->m);
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: %s is %s, expected %lldx%lld", op, what, ts,
                       (long long)p->m, (long long)p->m);
    }
    if (writable && gc_tensor_self_overlaps(t))
        return gc_fail(ctx, GC_ERR_LAYOUT, "%s: %s has overlapping (broadcast) strides", op, what);
    v->data = t->data;
    if (p->g_rank == 3) {
        v->s[0] = t->strides[0], v->s[1] = t->strides[1], v->s[2] = t->strides[2];
    } else {
        v->s[0] = 0, v->s[1] = t->strides[0], v->s[2] = t->strides[1];
    }
    return GC_OK;
}

gc_status gc_gram_check_like_input(gc_context *ctx, const gc_tensor *input, const gc_tensor *t,
                                   const char *op, const char *what)
{
    gc_status st = gc_tensor_check(ctx, t, what);
    if (st != GC_OK)
        return st;
    if (t->dtype != input->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: %s is %s but input is %s", op, what,
                       gc_dtype_name(t->dtype), gc_dtype_name(input->dtype));
    int same = t->rank == input->rank;
    for (int i = 0; same && i < t->rank; i++)
        same = t->dims[i] == input->dims[i];
    if (!same) {
        char ts[96], is[96];
        gc_gram_shape_str(t, ts, sizeof ts);
        gc_gram_shape_str(input, is, sizeof is);
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: %s is %s but input is %s", op, what, ts, is);
    }
    if (gc_tensor_self_overlaps(t))
        return gc_fail(ctx, GC_ERR_LAYOUT, "%s: %s has overlapping (broadcast) strides", op, what);
    return GC_OK;
}

gc_status gc_gram_shape(gc_context *ctx, const gc_gram_desc *desc, const gc_tensor *input,
                        int *out_rank, int64_t *out_dims)
{
    if (!out_rank || !out_dims)
        return gc_fail(ctx, GC_ERR_NULL, "gram_shape: NULL output shape pointer");
    gc_gram_problem p;
    gc_status st = gc_gram_prepare(ctx, desc, input, "gram_shape", &p);
    if (st != GC_OK)
        return st;
    *out_rank = p.g_rank;
    for (int i = 0; i < GC_MAX_RANK; i++)
        out_dims[i] = i < p.g_rank ? p.g_dims[i] : 0;
    return GC_OK;
}
