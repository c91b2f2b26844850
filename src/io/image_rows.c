/* image_rows.c - what the codecs (image_png.c, image_jpeg.c) and the image API (image.c) share:
 * the pixel limit, and the row source and sink that convert channels and bit depth one row at
 * a time. */
#include "io/image.h"
#include "io/io_file.h"

#include <string.h>
#include <strings.h>

gc_status gc_context_set_max_pixels(gc_context *ctx, int64_t pixels)
{
    if (!ctx)
        return GC_ERR_NULL;
    if (pixels < 0)
        return gc_fail(ctx, GC_ERR_ARG, "image: pixel limit %lld is negative",
                       (long long)pixels);
    ctx->max_pixels = pixels;
    return GC_OK;
}

int64_t gc_context_max_pixels(const gc_context *ctx)
{
    return ctx && ctx->max_pixels > 0 ? ctx->max_pixels : GC_IMAGE_DEFAULT_MAX_PIXELS;
}

gc_status gc_image_dst_begin(gc_context *ctx, const char *fmt, int64_t w, int64_t h, int in_ch,
                             const gc_image_read_opts *opts, gc_image_dst *d)
{
    memset(&d->out, 0, sizeof d->out);
    if (w <= 0 || h <= 0)
        return gc_fail(ctx, GC_ERR_FORMAT, "%s: image has a zero size (%lld x %lld)", fmt,
                       (long long)w, (long long)h);
    const int64_t limit = opts->max_pixels > 0 ? opts->max_pixels : gc_context_max_pixels(ctx);
    int64_t pixels;
    if (!gc_mul_ok(w, h, &pixels) || pixels > limit)
        return gc_fail(ctx, GC_ERR_LIMIT,
                       "%s: image is %lld x %lld pixels (width x height), over the limit of %lld "
                       "pixels (raise it with gc_context_set_max_pixels)",
                       fmt, (long long)w, (long long)h, (long long)limit);
    if (in_ch < 1 || in_ch > 4)
        return gc_fail(ctx, GC_ERR_INTERNAL, "%s: decoder gave %d channels", fmt, in_ch);
    d->w = w;
    d->h = h;
    d->in_ch = in_ch;
    d->out_ch = opts->channels ? opts->channels : in_ch;
    const int64_t dims[3] = {d->out_ch, h, w};
    return gc_tensor_create(ctx, &d->out, GC_DTYPE_F32, 3, dims);
}

void gc_image_dst_put_row(gc_image_dst *d, int64_t y, const unsigned char *row, int bits16)
{
    const int64_t w = d->w, plane = d->h * d->w;
    const int in = d->in_ch, outc = d->out_ch;
    const int has_alpha = in == 2 || in == 4, colour = in >= 3;
    const float scale = bits16 ? 1.0f / 65535.0f : 1.0f / 255.0f;
    float *o = (float *)d->out.data + y * w;
    for (int64_t x = 0; x < w; x++) {
        float s[4];
        for (int c = 0; c < in; c++) {
            const unsigned char *p = row + (size_t)(x * in + c) * (bits16 ? 2u : 1u);
            unsigned v = bits16 ? (unsigned)p[0] << 8 | p[1] : p[0];
            s[c] = (float)v * scale;
        }
        float r, g, b, a = has_alpha ? s[in - 1] : 1.0f, gray;
        if (colour) {
            r = s[0];
            g = s[1];
            b = s[2];
            gray = (float)(0.299 * r + 0.587 * g + 0.114 * b);
        } else {
            r = g = b = gray = s[0];
        }
        switch (outc) {
        case 1:
            o[x] = gray;
            break;
        case 2:
            o[x] = gray;
            o[plane + x] = a;
            break;
        case 3:
            o[x] = r;
            o[plane + x] = g;
            o[2 * plane + x] = b;
            break;
        default:
            o[x] = r;
            o[plane + x] = g;
            o[2 * plane + x] = b;
            o[3 * plane + x] = a;
            break;
        }
    }
}

void gc_image_src_get_row(const gc_image_src *s, int64_t y, int out_ch, int bits16,
                          unsigned char *row)
{
    const double maxv = bits16 ? 65535.0 : 255.0;
    const gc_dtype dt = s->t->dtype;
    size_t k = 0;
    for (int64_t x = 0; x < s->w; x++) {
        for (int c = 0; c < out_ch; c++) {
            double v = gc_load(s->t->data, dt, c * s->sc + y * s->sh + x * s->sw);
            unsigned q;
            if (!(v > 0.0))
                q = 0;  /* also NaN */
            else if (v >= 1.0)
                q = (unsigned)maxv;
            else
                q = (unsigned)(v * maxv + 0.5);
            if (bits16) {
                row[k++] = (unsigned char)(q >> 8);
                row[k++] = (unsigned char)(q & 0xff);
            } else {
                row[k++] = (unsigned char)q;
            }
        }
    }
}
