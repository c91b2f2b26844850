/* corr_shape.c - argument validation and rank dispatch for xcorr2/conv2/xcorr3/conv3,
 * following torch.xcorr2 & co: see the rank table in gramconv.h. */
#include "ops/corr/corr.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *gc_corr_name(const gc_corr_desc *d)
{
    if (d->spatial_dims == 2)
        return d->kind == GC_CORR_KIND_CONV ? "conv2" : "xcorr2";
    return d->kind == GC_CORR_KIND_CONV ? "conv3" : "xcorr3";
}

static void gc_shape_str(const gc_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < t->rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? "x%lld" : "%lld", (long long)t->dims[i]);
    if (t->rank == 0)
        snprintf(buf, n, "scalar");
}

/* The descriptor's fields: known kinds, modes, methods and boundaries, a finite fill. */
static gc_status gc_corr_check_desc(gc_context *ctx, const gc_corr_desc *desc)
{
    if (desc->kind != GC_CORR_KIND_XCORR && desc->kind != GC_CORR_KIND_CONV)
        return gc_fail(ctx, GC_ERR_ARG, "unknown correlation kind %d", (int)desc->kind);
    if (desc->spatial_dims != 2 && desc->spatial_dims != 3)
        return gc_fail(ctx, GC_ERR_ARG, "spatial_dims must be 2 or 3, not %d", desc->spatial_dims);
    if (desc->mode != GC_MODE_VALID && desc->mode != GC_MODE_FULL && desc->mode != GC_MODE_SAME)
        return gc_fail(ctx, GC_ERR_ARG, "unknown mode %d", (int)desc->mode);
    if (desc->method != GC_CORR_METHOD_AUTO && desc->method != GC_CORR_METHOD_DIRECT &&
        desc->method != GC_CORR_METHOD_FFT)
        return gc_fail(ctx, GC_ERR_ARG, "unknown method %d", (int)desc->method);
    if ((unsigned)desc->boundary > (unsigned)GC_BOUNDARY_REPLICATE)
        return gc_fail(ctx, GC_ERR_ARG, "unknown boundary %d", (int)desc->boundary);
    if (!isfinite(desc->fill_value))
        return gc_fail(ctx, GC_ERR_ARG, "fill value must be finite");
    return GC_OK;
}

/* The caller's output against the problem p (its out_dims, r of them): dtype, shape, no
 * overlap with the inputs or itself; fills p's output strides and pointer. */
static gc_status gc_corr_check_output(gc_context *ctx, const char *op, const gc_tensor *input,
                                      const gc_tensor *kernel, const gc_tensor *output,
                                      int sd, int r, gc_corr_problem *p)
{
    gc_status st = gc_tensor_check(ctx, output, "output");
    if (st != GC_OK)
        return st;
    if (output->dtype != p->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: output is %s but input is %s", op,
                       gc_dtype_name(output->dtype), gc_dtype_name(p->dtype));
    int same = output->rank == r;
    for (int i = 0; same && i < r; i++)
        same = output->dims[i] == p->out_dims[i];
    if (!same) {
        char os[96];
        gc_shape_str(output, os, sizeof os);
        return gc_fail(ctx, GC_ERR_SHAPE, "%s: output is %s, expected %dD of the shape from gc_corr_shape",
                       op, os, r);
    }
    if (gc_tensor_overlap(output, input) || gc_tensor_overlap(output, kernel))
        return gc_fail(ctx, GC_ERR_ALIAS, "%s: output overlaps an input", op);
    if (gc_tensor_self_overlaps(output))
        return gc_fail(ctx, GC_ERR_LAYOUT, "%s: output has overlapping (broadcast) strides", op);
    p->out_s[0] = p->pairing != GC_PAIR_SINGLE ? output->strides[0] : 0;
    const int oo = r - sd;
    for (int d = 0; d < 3; d++) {
        const int sdim = d - (3 - sd);
        p->out_s[1 + d] = sdim < 0 ? 0 : output->strides[oo + sdim];
    }
    p->out = output->data;
    return GC_OK;
}

gc_status gc_corr_prepare(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                          const gc_tensor *kernel, const gc_tensor *output, gc_corr_problem *p)
{
    gc_clear_error(ctx);
    if (!desc || !p)
        return gc_fail(ctx, GC_ERR_NULL, "NULL descriptor");
    memset(p, 0, sizeof *p);
    gc_status st = gc_corr_check_desc(ctx, desc);
    if (st != GC_OK)
        return st;
    const char *op = gc_corr_name(desc);
    st = gc_tensor_check(ctx, input, "input");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, kernel, "kernel");
    if (st != GC_OK)
        return st;
    if (input->dtype != kernel->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s: input is %s but kernel is %s", op,
                       gc_dtype_name(input->dtype), gc_dtype_name(kernel->dtype));
    const int sd = desc->spatial_dims;
    const int ri = input->rank, rk = kernel->rank;
    char is[96], ks[96];
    gc_shape_str(input, is, sizeof is);
    gc_shape_str(kernel, ks, sizeof ks);
    if (ri == sd && rk == sd) {
        p->pairing = GC_PAIR_SINGLE;
        p->nin = p->nout = 1;
    } else if (ri == sd + 1 && rk == sd + 1) {
        p->pairing = GC_PAIR_PLANEWISE;
        if (input->dims[0] != kernel->dims[0])
            return gc_fail(ctx, GC_ERR_SHAPE,
                           "%s: input has %lld planes but kernel has %lld (input %s, kernel %s)",
                           op, (long long)input->dims[0], (long long)kernel->dims[0], is, ks);
        p->nin = p->nout = input->dims[0];
    } else if (ri == sd + 1 && rk == sd + 2) {
        p->pairing = GC_PAIR_SUM;
        if (input->dims[0] != kernel->dims[1])
            return gc_fail(ctx, GC_ERR_SHAPE,
                           "%s: input has %lld planes but kernel expects %lld (input %s, kernel %s)",
                           op, (long long)input->dims[0], (long long)kernel->dims[1], is, ks);
        p->nin = input->dims[0];
        p->nout = kernel->dims[0];
    } else {
        return gc_fail(ctx, GC_ERR_RANK,
                       "%s: unsupported ranks: input %dD (%s) with kernel %dD (%s); expected "
                       "%dD/%dD, %dD/%dD or %dD/%dD",
                       op, ri, is, rk, ks, sd, sd, sd + 1, sd + 1, sd + 1, sd + 2);
    }
    for (int i = 0; i < ri; i++)
        if (input->dims[i] == 0)
            return gc_fail(ctx, GC_ERR_EMPTY, "%s: input %s has an empty dimension", op, is);
    for (int i = 0; i < rk; i++)
        if (kernel->dims[i] == 0)
            return gc_fail(ctx, GC_ERR_EMPTY, "%s: kernel %s has an empty dimension", op, ks);

    p->flip = desc->kind == GC_CORR_KIND_CONV;
    p->dtype = input->dtype;
    const int io = ri - sd, ko = rk - sd; /* index of the first spatial dim */
    for (int d = 0; d < 3; d++) {
        const int sdim = d - (3 - sd); /* spatial dim index, < 0 for the fake depth */
        p->n[d] = sdim < 0 ? 1 : input->dims[io + sdim];
        p->k[d] = sdim < 0 ? 1 : kernel->dims[ko + sdim];
        p->in_s[1 + d] = sdim < 0 ? 0 : input->strides[io + sdim];
        p->k_s[2 + d] = sdim < 0 ? 0 : kernel->strides[ko + sdim];
        const int64_t n = p->n[d], k = p->k[d];
        switch (desc->mode) {
        case GC_MODE_VALID:
            if (k > n)
                return gc_fail(ctx, GC_ERR_SHAPE,
                               "%s: kernel %s is larger than input %s in mode V (use F or S)", op,
                               ks, is);
            p->o[d] = n - k + 1;
            p->pad[d] = 0;
            break;
        case GC_MODE_FULL:
            if (!gc_add_ok(n, k - 1, &p->o[d]))
                return gc_fail(ctx, GC_ERR_OVERFLOW, "%s: output size overflows", op);
            p->pad[d] = k - 1;
            break;
        case GC_MODE_SAME:
            p->o[d] = n;
            p->pad[d] = p->flip ? k / 2 : (k - 1) / 2;
            break;
        }
    }
    p->in_s[0] = ri == sd + 1 ? input->strides[0] : 0;
    if (p->pairing == GC_PAIR_SUM) {
        p->k_s[0] = kernel->strides[0];
        p->k_s[1] = kernel->strides[1];
    } else if (p->pairing == GC_PAIR_PLANEWISE) {
        p->k_s[0] = kernel->strides[0]; /* kernel j serves output j; k_s[1] stays 0 */
    }
    p->in = input->data;
    p->ker = kernel->data;
    /* mode V reads nothing outside the input: the boundary does not matter there */
    if (desc->mode != GC_MODE_VALID) {
        p->boundary = desc->boundary;
        p->fill = desc->boundary == GC_BOUNDARY_FILL ? desc->fill_value : 0.0;
    }

    /* the output shape: planes (if any) then the spatial dims */
    int r = 0;
    if (p->pairing != GC_PAIR_SINGLE)
        p->out_dims[r++] = p->nout;
    for (int d = 3 - sd; d < 3; d++)
        p->out_dims[r++] = p->o[d];
    p->out_rank = r;
    int64_t total = 1;
    for (int i = 0; i < r; i++)
        if (!gc_mul_ok(total, p->out_dims[i], &total))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "%s: output element count overflows", op);

    if (!output)
        return GC_OK;
    return gc_corr_check_output(ctx, op, input, kernel, output, sd, r, p);
}

gc_status gc_corr_shape(gc_context *ctx, const gc_corr_desc *desc, const gc_tensor *input,
                        const gc_tensor *kernel, int *out_rank, int64_t *out_dims)
{
    if (!out_rank || !out_dims)
        return gc_fail(ctx, GC_ERR_NULL, "NULL output shape pointer");
    gc_corr_problem p;
    gc_status st = gc_corr_prepare(ctx, desc, input, kernel, NULL, &p);
    if (st != GC_OK)
        return st;
    *out_rank = p.out_rank;
    for (int i = 0; i < GC_MAX_RANK; i++)
        out_dims[i] = i < p.out_rank ? p.out_dims[i] : 0;
    return GC_OK;
}
