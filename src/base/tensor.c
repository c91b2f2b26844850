/* tensor.c - tensor descriptors: create, free, views, copies, validation. */
#include "base/internal.h"

#include <string.h>

size_t gc_dtype_size(gc_dtype dtype)
{
    switch (dtype) {
    case GC_DTYPE_F32: return 4;
    case GC_DTYPE_F64: return 8;
    }
    return 0;
}

const char *gc_dtype_name(gc_dtype dtype)
{
    switch (dtype) {
    case GC_DTYPE_F32: return "float32";
    case GC_DTYPE_F64: return "float64";
    }
    return "unknown";
}

static gc_status gc_dims_check(gc_context *ctx, int rank, const int64_t *dims, int64_t *count)
{
    if (rank < 0 || rank > GC_MAX_RANK)
        return gc_fail(ctx, GC_ERR_RANK, "rank %d is outside 0..%d", rank, GC_MAX_RANK);
    if (rank > 0 && !dims)
        return gc_fail(ctx, GC_ERR_NULL, "dims is NULL");
    /* n is the element count; span is the product of the nonzero dims, which
     * bounds every contiguous stride. Both must fit in 64 bits: a shape such as
     * (0, 2^32, 2^32) holds no element but its strides would still overflow. */
    int64_t n = 1, span = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return gc_fail(ctx, GC_ERR_SHAPE, "dimension %d is negative (%lld)", i, (long long)dims[i]);
        if (!gc_mul_ok(span, dims[i] > 0 ? dims[i] : 1, &span))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "shape overflows 64 bits");
        n *= dims[i]; /* n <= span, cannot overflow */
    }
    *count = n;
    return GC_OK;
}

gc_status gc_tensor_numel(const gc_tensor *t, int64_t *count)
{
    if (!t || !count)
        return GC_ERR_NULL;
    return gc_dims_check(NULL, t->rank, t->dims, count);
}

static void gc_contiguous_strides(int rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= dims[i] > 0 ? dims[i] : 1;
    }
}

gc_status gc_tensor_create(gc_context *ctx, gc_tensor *out, gc_dtype dtype, int rank,
                           const int64_t *dims)
{
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "output tensor is NULL");
    memset(out, 0, sizeof *out);
    if (gc_dtype_size(dtype) == 0)
        return gc_fail(ctx, GC_ERR_DTYPE, "unknown dtype %d", (int)dtype);
    int64_t n;
    gc_status st = gc_dims_check(ctx, rank, dims, &n);
    if (st != GC_OK)
        return st;
    void *p;
    st = gc_alloc(ctx, n, gc_dtype_size(dtype), &p);
    if (st != GC_OK)
        return st;
    memset(p, 0, (size_t)n * gc_dtype_size(dtype));
    out->dtype = dtype;
    out->rank = rank;
    for (int i = 0; i < rank; i++)
        out->dims[i] = dims[i];
    gc_contiguous_strides(rank, out->dims, out->strides);
    out->data = p;
    out->owned_ = p;
    out->alloc_ = *gc_ctx_allocator(ctx); /* a copy: the tensor may outlive ctx */
    return GC_OK;
}

void gc_tensor_free(gc_tensor *t)
{
    if (!t)
        return;
    if (t->owned_) {
        if (t->alloc_.free)
            t->alloc_.free(t->owned_, t->alloc_.user);
    }
    memset(t, 0, sizeof *t);
}

gc_status gc_tensor_wrap(gc_tensor *out, gc_dtype dtype, int rank, const int64_t *dims,
                         const int64_t *strides, void *data)
{
    if (!out)
        return GC_ERR_NULL;
    memset(out, 0, sizeof *out);
    if (gc_dtype_size(dtype) == 0)
        return GC_ERR_DTYPE;
    int64_t n;
    gc_status st = gc_dims_check(NULL, rank, dims, &n);
    if (st != GC_OK)
        return st;
    if (n > 0 && !data)
        return GC_ERR_NULL;
    out->dtype = dtype;
    out->rank = rank;
    for (int i = 0; i < rank; i++) {
        out->dims[i] = dims[i];
        if (strides && strides[i] < 0) {
            memset(out, 0, sizeof *out);
            return GC_ERR_LAYOUT;
        }
    }
    if (strides)
        memcpy(out->strides, strides, (size_t)rank * sizeof(int64_t));
    else
        gc_contiguous_strides(rank, out->dims, out->strides);
    out->data = data;
    uintptr_t lo, hi;
    gc_tensor_span(out, &lo, &hi);
    (void)lo;
    if (hi < lo) { /* span arithmetic wrapped around */
        memset(out, 0, sizeof *out);
        return GC_ERR_OVERFLOW;
    }
    return GC_OK;
}

gc_status gc_tensor_check(gc_context *ctx, const gc_tensor *t, const char *what)
{
    if (!t)
        return gc_fail(ctx, GC_ERR_NULL, "%s is NULL", what);
    if (gc_dtype_size(t->dtype) == 0)
        return gc_fail(ctx, GC_ERR_DTYPE, "%s has an unknown dtype (%d)", what, (int)t->dtype);
    int64_t n;
    gc_status st = gc_dims_check(ctx, t->rank, t->dims, &n);
    if (st != GC_OK)
        return st;
    int64_t maxoff = 0;
    for (int i = 0; i < t->rank; i++) {
        if (t->strides[i] < 0)
            return gc_fail(ctx, GC_ERR_LAYOUT, "%s has a negative stride in dim %d", what, i);
        int64_t term;
        if (t->dims[i] > 0 && (!gc_mul_ok(t->dims[i] - 1, t->strides[i], &term) ||
                               !gc_add_ok(maxoff, term, &maxoff)))
            return gc_fail(ctx, GC_ERR_OVERFLOW, "%s strides overflow", what);
    }
    int64_t bytes;
    if (!gc_mul_ok(maxoff + 1, (int64_t)gc_dtype_size(t->dtype), &bytes))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "%s spans more than 2^63 bytes", what);
    if (n > 0 && !t->data)
        return gc_fail(ctx, GC_ERR_NULL, "%s has no data", what);
    return GC_OK;
}

void gc_tensor_span(const gc_tensor *t, uintptr_t *lo, uintptr_t *hi)
{
    int64_t maxoff = 0;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] == 0) {
            *lo = *hi = (uintptr_t)t->data;
            return;
        }
        maxoff += (t->dims[i] - 1) * t->strides[i];
    }
    *lo = (uintptr_t)t->data;
    *hi = *lo + (uintptr_t)(maxoff + 1) * gc_dtype_size(t->dtype);
}

int gc_tensor_overlap(const gc_tensor *a, const gc_tensor *b)
{
    uintptr_t alo, ahi, blo, bhi;
    gc_tensor_span(a, &alo, &ahi);
    gc_tensor_span(b, &blo, &bhi);
    if (alo == ahi || blo == bhi)
        return 0;
    return alo < bhi && blo < ahi;
}

int gc_tensor_self_overlaps(const gc_tensor *t)
{
    /* Sort dims by stride; an element can be reached twice iff some non-trivial dim's stride is
     * smaller than the extent covered by the dims with smaller strides. */
    int idx[GC_MAX_RANK], n = 0;
    for (int i = 0; i < t->rank; i++) {
        if (t->dims[i] == 0)
            return 0;
        if (t->dims[i] > 1)
            idx[n++] = i;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && t->strides[idx[j]] < t->strides[idx[j - 1]]; j--) {
            int tmp = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = tmp;
        }
    int64_t extent = 1; /* elements spanned by the dims processed so far */
    for (int i = 0; i < n; i++) {
        int d = idx[i];
        if (t->strides[d] < extent)
            return 1;
        extent = t->strides[d] * (t->dims[d] - 1) + extent;
    }
    return 0;
}

gc_status gc_tensor_transpose(const gc_tensor *src, int dim0, int dim1, gc_tensor *out)
{
    if (!src || !out)
        return GC_ERR_NULL;
    if (dim0 < 0 || dim1 < 0 || dim0 >= src->rank || dim1 >= src->rank)
        return GC_ERR_ARG;
    gc_tensor v = *src;
    v.owned_ = NULL;
    v.alloc_ = (gc_allocator){0};
    int64_t d = v.dims[dim0], s = v.strides[dim0];
    v.dims[dim0] = v.dims[dim1];
    v.strides[dim0] = v.strides[dim1];
    v.dims[dim1] = d;
    v.strides[dim1] = s;
    *out = v;
    return GC_OK;
}

gc_status gc_tensor_narrow(const gc_tensor *src, int dim, int64_t start, int64_t length,
                           gc_tensor *out)
{
    if (!src || !out)
        return GC_ERR_NULL;
    if (dim < 0 || dim >= src->rank)
        return GC_ERR_ARG;
    if (start < 0 || length < 0 || start > src->dims[dim] || length > src->dims[dim] - start)
        return GC_ERR_SHAPE;
    gc_tensor v = *src;
    v.owned_ = NULL;
    v.alloc_ = (gc_allocator){0};
    if (length > 0)
        v.data = (char *)v.data + (size_t)(start * v.strides[dim]) * gc_dtype_size(v.dtype);
    v.dims[dim] = length;
    *out = v;
    return GC_OK;
}

gc_status gc_tensor_view(const gc_tensor *src, int rank, const int64_t *dims, gc_tensor *out)
{
    if (!src || !out || (rank > 0 && !dims))
        return GC_ERR_NULL;
    if (rank < 0 || rank > GC_MAX_RANK)
        return GC_ERR_RANK;
    if (!gc_tensor_is_contiguous(src))
        return GC_ERR_LAYOUT;
    int64_t n, m = 1;
    gc_status st = gc_tensor_numel(src, &n);
    if (st != GC_OK)
        return st;
    int infer = -1;
    int64_t nd[GC_MAX_RANK];
    for (int i = 0; i < rank; i++) {
        nd[i] = dims[i];
        if (dims[i] == -1) {
            if (infer >= 0)
                return GC_ERR_ARG;
            infer = i;
        } else if (dims[i] < 0) {
            return GC_ERR_SHAPE;
        } else if (!gc_mul_ok(m, dims[i], &m)) {
            return GC_ERR_OVERFLOW;
        }
    }
    if (infer >= 0) {
        if (m == 0 || n % m != 0)
            return GC_ERR_SHAPE;
        nd[infer] = n / m;
        m = n;
    }
    if (m != n)
        return GC_ERR_SHAPE;
    gc_tensor v = *src;
    v.owned_ = NULL;
    v.alloc_ = (gc_allocator){0};
    v.rank = rank;
    for (int i = 0; i < rank; i++)
        v.dims[i] = nd[i];
    gc_contiguous_strides(rank, v.dims, v.strides);
    *out = v;
    return GC_OK;
}

int gc_tensor_is_contiguous(const gc_tensor *t)
{
    if (!t)
        return 0;
    int64_t s = 1;
    for (int i = t->rank - 1; i >= 0; i--) {
        if (t->dims[i] == 0)
            return 1;
        if (t->dims[i] != 1 && t->strides[i] != s)
            return 0;
        s *= t->dims[i];
    }
    return 1;
}

/* Element-wise copy with conversion; walks dst in C order. */
gc_status gc_tensor_copy(const gc_tensor *src, gc_tensor *dst)
{
    if (!src || !dst)
        return GC_ERR_NULL;
    gc_status st = gc_tensor_check(NULL, src, "src");
    if (st == GC_OK)
        st = gc_tensor_check(NULL, dst, "dst");
    if (st != GC_OK)
        return st;
    if (src->rank != dst->rank)
        return GC_ERR_RANK;
    for (int i = 0; i < src->rank; i++)
        if (src->dims[i] != dst->dims[i])
            return GC_ERR_SHAPE;
    if (gc_tensor_overlap(src, dst))
        return GC_ERR_ALIAS;
    if (gc_tensor_self_overlaps(dst))
        return GC_ERR_LAYOUT;
    int64_t n;
    gc_tensor_numel(src, &n);
    if (n == 0)
        return GC_OK;
    int64_t idx[GC_MAX_RANK] = {0};
    int64_t so = 0, doff = 0;
    const int r = src->rank;
    for (int64_t e = 0; e < n; e++) {
        gc_store(dst->data, dst->dtype, doff, gc_load(src->data, src->dtype, so));
        for (int i = r - 1; i >= 0; i--) {
            if (++idx[i] < src->dims[i]) {
                so += src->strides[i];
                doff += dst->strides[i];
                break;
            }
            so -= (src->dims[i] - 1) * src->strides[i];
            doff -= (dst->dims[i] - 1) * dst->strides[i];
            idx[i] = 0;
        }
    }
    return GC_OK;
}

gc_status gc_tensor_contiguous(gc_context *ctx, const gc_tensor *src, gc_tensor *out)
{
    if (!src || !out)
        return gc_fail(ctx, GC_ERR_NULL, "NULL tensor");
    gc_status st = gc_tensor_check(ctx, src, "source tensor");
    if (st != GC_OK)
        return st;
    gc_tensor tmp;
    st = gc_tensor_create(ctx, &tmp, src->dtype, src->rank, src->dims);
    if (st != GC_OK)
        return st;
    st = gc_tensor_copy(src, &tmp);
    if (st != GC_OK) {
        gc_tensor_free(&tmp);
        return gc_fail(ctx, st, "copy failed");
    }
    *out = tmp;
    return GC_OK;
}
