/* image_resize.c - resampling image tensors: bilinear (PyTorch align_corners=False) and area
 * (adaptive average pooling), plain loops with float64 sums. */
#include "base/internal.h"

#include <math.h>

/* A C x H x W view of an image tensor of rank 2 (C = 1) or 3. */
typedef struct rs_view {
    int64_t c, h, w, sc, sh, sw;
} rs_view;

static void rs_view_of(const gc_tensor *t, rs_view *v)
{
    if (t->rank == 2) {
        v->c = 1;
        v->sc = 0;
        v->h = t->dims[0];
        v->w = t->dims[1];
        v->sh = t->strides[0];
        v->sw = t->strides[1];
    } else {
        v->c = t->dims[0];
        v->h = t->dims[1];
        v->w = t->dims[2];
        v->sc = t->strides[0];
        v->sh = t->strides[1];
        v->sw = t->strides[2];
    }
}

/* Source coordinate of output index i (PyTorch area_pixel_compute_source_index, align_corners
 * False): (i + 0.5) * in / out - 0.5, clamped at 0; gives the two taps and the weight of the
 * second. */
static void rs_taps(int64_t i, int64_t in, int64_t out, int64_t *i0, int64_t *i1, double *l1)
{
    double scale = (double)in / (double)out;
    double src = scale * ((double)i + 0.5) - 0.5;
    if (src < 0)
        src = 0;
    int64_t a = (int64_t)src;
    if (a > in - 1)
        a = in - 1;
    *i0 = a;
    *i1 = a + (a < in - 1 ? 1 : 0);
    *l1 = src - (double)a;
}

/* out[c][y][x] = bilinear sample of in[c] at the mapped (y, x).   in: C x H x W, out: C x OH x OW */
static void rs_bilinear(const gc_tensor *src, const rs_view *a, gc_tensor *dst, const rs_view *b)
{
    for (int64_t y = 0; y < b->h; y++) {
        int64_t y0, y1;
        double ly;
        rs_taps(y, a->h, b->h, &y0, &y1, &ly);
        for (int64_t x = 0; x < b->w; x++) {
            int64_t x0, x1;
            double lx;
            rs_taps(x, a->w, b->w, &x0, &x1, &lx);
            for (int64_t c = 0; c < b->c; c++) {
                const int64_t base = c * a->sc;
                double p00 = gc_load(src->data, src->dtype, base + y0 * a->sh + x0 * a->sw);
                double p01 = gc_load(src->data, src->dtype, base + y0 * a->sh + x1 * a->sw);
                double p10 = gc_load(src->data, src->dtype, base + y1 * a->sh + x0 * a->sw);
                double p11 = gc_load(src->data, src->dtype, base + y1 * a->sh + x1 * a->sw);
                double v = (1 - ly) * ((1 - lx) * p00 + lx * p01) + ly * ((1 - lx) * p10 + lx * p11);
                gc_store(dst->data, dst->dtype, c * b->sc + y * b->sh + x * b->sw, v);
            }
        }
    }
}

/* out[c][y][x] = mean of in[c][floor(y*H/OH) .. ceil((y+1)*H/OH))[same for x].
 * in: C x H x W, out: C x OH x OW */
static void rs_area(const gc_tensor *src, const rs_view *a, gc_tensor *dst, const rs_view *b)
{
    for (int64_t y = 0; y < b->h; y++) {
        const int64_t ys = y * a->h / b->h, ye = ((y + 1) * a->h + b->h - 1) / b->h;
        for (int64_t x = 0; x < b->w; x++) {
            const int64_t xs = x * a->w / b->w, xe = ((x + 1) * a->w + b->w - 1) / b->w;
            for (int64_t c = 0; c < b->c; c++) {
                double sum = 0;
                for (int64_t i = ys; i < ye; i++)
                    for (int64_t j = xs; j < xe; j++)
                        sum += gc_load(src->data, src->dtype, c * a->sc + i * a->sh + j * a->sw);
                gc_store(dst->data, dst->dtype, c * b->sc + y * b->sh + x * b->sw,
                         sum / (double)((ye - ys) * (xe - xs)));
            }
        }
    }
}

gc_status gc_image_resize(gc_context *ctx, const gc_tensor *src, gc_resize_filter filter,
                          gc_tensor *dst)
{
    gc_clear_error(ctx);
    if (!src || !dst)
        return gc_fail(ctx, GC_ERR_NULL, "resize: %s is NULL", !src ? "src" : "dst");
    gc_status st = gc_tensor_check(ctx, src, "resize: src");
    if (st == GC_OK)
        st = gc_tensor_check(ctx, dst, "resize: dst");
    if (st != GC_OK)
        return st;
    if (filter != GC_RESIZE_FILTER_BILINEAR && filter != GC_RESIZE_FILTER_AREA)
        return gc_fail(ctx, GC_ERR_ARG, "resize: unknown filter %d", (int)filter);
    if ((src->rank != 2 && src->rank != 3) || dst->rank != src->rank)
        return gc_fail(ctx, GC_ERR_RANK,
                       "resize: src rank %d, dst rank %d; both must be C x H x W or H x W",
                       src->rank, dst->rank);
    if (src->dtype != dst->dtype)
        return gc_fail(ctx, GC_ERR_DTYPE, "resize: src is %s, dst is %s",
                       gc_dtype_name(src->dtype), gc_dtype_name(dst->dtype));
    rs_view a, b;
    rs_view_of(src, &a);
    rs_view_of(dst, &b);
    if (a.c != b.c)
        return gc_fail(ctx, GC_ERR_SHAPE, "resize: src has %lld channels, dst %lld",
                       (long long)a.c, (long long)b.c);
    if (a.c == 0 || a.h == 0 || a.w == 0 || b.h == 0 || b.w == 0)
        return gc_fail(ctx, GC_ERR_EMPTY, "resize: empty image (%lld x %lld -> %lld x %lld)",
                       (long long)a.h, (long long)a.w, (long long)b.h, (long long)b.w);
    int64_t t1, t2;
    if (!gc_mul_ok(b.h + 1, a.h, &t1) || !gc_mul_ok(b.w + 1, a.w, &t2))
        return gc_fail(ctx, GC_ERR_OVERFLOW, "resize: sizes overflow");
    if (gc_tensor_self_overlaps(dst))
        return gc_fail(ctx, GC_ERR_LAYOUT, "resize: dst has overlapping elements (stride 0?)");
    if (gc_tensor_overlap(src, dst))
        return gc_fail(ctx, GC_ERR_ALIAS, "resize: dst overlaps src");
    if (filter == GC_RESIZE_FILTER_BILINEAR)
        rs_bilinear(src, &a, dst, &b);
    else
        rs_area(src, &a, dst, &b);
    return GC_OK;
}
