/* image.c - the image API: options, format detection, reading, and the atomic write around the PNG / JPEG
 * codecs (image_png.c, image_jpeg.c; rows and the pixel limit: image_rows.c). */
#include "io/image.h"
#include "io/io_file.h"

#include <string.h>
#include <strings.h>

int gc_image_supported(gc_image_format format)
{
#if defined(GC_HAVE_PNG)
    if (format == GC_IMAGE_FORMAT_PNG)
        return 1;
#endif
#if defined(GC_HAVE_JPEG)
    if (format == GC_IMAGE_FORMAT_JPEG)
        return 1;
#endif
    (void)format;
    return 0;
}

gc_image_read_opts gc_image_read_opts_default(void)
{
    gc_image_read_opts o = {0, 0};
    return o;
}

gc_image_write_opts gc_image_write_opts_default(void)
{
    gc_image_write_opts o = {GC_IMAGE_FORMAT_AUTO, 0, 0};
    return o;
}

/* ---- decoding into C x H x W -------------------------------------------------------------- */

static gc_status image_check_opts(gc_context *ctx, const gc_image_read_opts *o)
{
    if (o->channels < 0 || o->channels > 4)
        return gc_fail(ctx, GC_ERR_ARG, "image: channels %d is not 0 (as stored), 1, 2, 3 or 4",
                       o->channels);
    if (o->max_pixels < 0)
        return gc_fail(ctx, GC_ERR_ARG, "image: max_pixels %lld is negative",
                       (long long)o->max_pixels);
    return GC_OK;
}

static gc_image_format image_sniff(const unsigned char *b, size_t n)
{
    if (n >= 8 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0)
        return GC_IMAGE_FORMAT_PNG;
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
        return GC_IMAGE_FORMAT_JPEG;
    return GC_IMAGE_FORMAT_AUTO;
}

static gc_status image_read_buf(gc_context *ctx, const char *name, const unsigned char *buf,
                                size_t size, const gc_image_read_opts *opts, gc_tensor *out)
{
    gc_image_read_opts o = opts ? *opts : gc_image_read_opts_default();
    gc_status st = image_check_opts(ctx, &o);
    if (st != GC_OK)
        return st;
    switch (image_sniff(buf, size)) {
    case GC_IMAGE_FORMAT_PNG:
        return gc_png_read_mem(ctx, buf, size, &o, out);
    case GC_IMAGE_FORMAT_JPEG:
        return gc_jpeg_read_mem(ctx, buf, size, &o, out);
    default:
        if (size == 0)
            return gc_fail(ctx, GC_ERR_FORMAT, "image: %s is empty", name);
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "image: %s is neither PNG nor JPEG (unknown first bytes)", name);
    }
}

gc_status gc_image_read_mem(gc_context *ctx, const void *buf, size_t size,
                            const gc_image_read_opts *opts, gc_tensor *out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "image: output tensor is NULL");
    memset(out, 0, sizeof *out);
    if (!buf && size)
        return gc_fail(ctx, GC_ERR_NULL, "image: buffer is NULL");
    return image_read_buf(ctx, "the buffer", buf ? buf : (const void *)"", size, opts, out);
}

gc_status gc_image_read(gc_context *ctx, const char *path, const gc_image_read_opts *opts,
                        gc_tensor *out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "image: output tensor is NULL");
    memset(out, 0, sizeof *out);
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "image: path is NULL");
    if (opts) {
        gc_status st = image_check_opts(ctx, opts);
        if (st != GC_OK)
            return st;
    }
    void *buf;
    size_t size;
    gc_status st = gc_io_read_file(ctx, "image", path, &buf, &size);
    if (st != GC_OK)
        return st;
    char name[300];
    snprintf(name, sizeof name, "'%s'", path);
    st = image_read_buf(ctx, name, buf, size, opts, out);
    gc_free(ctx, buf);
    if (st != GC_OK && ctx) {
        /* Name the file in the decoder's message if it does not already. */
        if (!strstr(ctx->error, path)) {
            char msg[sizeof ctx->error];
            snprintf(msg, sizeof msg, "%s", ctx->error);
            gc_fail(ctx, st, "%s (in '%s')", msg, path);
        }
    }
    return st;
}

/* ---- encoding ------------------------------------------------------------------------------ */

static int image_ext_is(const char *path, const char *ext)
{
    size_t n = strlen(path), e = strlen(ext);
    return n > e && strcasecmp(path + n - e, ext) == 0;
}

gc_status gc_image_write(gc_context *ctx, const char *path, const gc_tensor *image,
                         const gc_image_write_opts *opts)
{
    gc_clear_error(ctx);
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "image: path is NULL");
    if (!image)
        return gc_fail(ctx, GC_ERR_NULL, "image: tensor is NULL");
    if (!*path)
        return gc_fail(ctx, GC_ERR_ARG, "image: path is empty");
    gc_image_write_opts o = opts ? *opts : gc_image_write_opts_default();
    gc_status st = gc_tensor_check(ctx, image, "image");
    if (st != GC_OK)
        return st;
    gc_image_src s;
    s.t = image;
    if (image->rank == 2) {
        s.c = 1;
        s.sc = 0;
        s.h = image->dims[0];
        s.w = image->dims[1];
        s.sh = image->strides[0];
        s.sw = image->strides[1];
    } else if (image->rank == 3) {
        s.c = image->dims[0];
        s.h = image->dims[1];
        s.w = image->dims[2];
        s.sc = image->strides[0];
        s.sh = image->strides[1];
        s.sw = image->strides[2];
    } else {
        return gc_fail(ctx, GC_ERR_RANK,
                       "image: tensor has rank %d; an image is C x H x W (C 1..4) or H x W",
                       image->rank);
    }
    if (s.c < 1 || s.c > 4)
        return gc_fail(ctx, GC_ERR_SHAPE,
                       "image: %lld channels; an image has 1 (gray), 2 (gray+alpha), 3 (RGB) or "
                       "4 (RGBA)",
                       (long long)s.c);
    if (s.h < 1 || s.w < 1 || s.h > 65535 || s.w > 65535)
        return gc_fail(ctx, s.h < 1 || s.w < 1 ? GC_ERR_EMPTY : GC_ERR_SHAPE,
                       "image: %lld x %lld pixels; each side must be 1..65535", (long long)s.h,
                       (long long)s.w);
    gc_image_format fmt = o.format;
    if (fmt == GC_IMAGE_FORMAT_AUTO) {
        if (image_ext_is(path, ".png"))
            fmt = GC_IMAGE_FORMAT_PNG;
        else if (image_ext_is(path, ".jpg") || image_ext_is(path, ".jpeg"))
            fmt = GC_IMAGE_FORMAT_JPEG;
        else
            return gc_fail(ctx, GC_ERR_ARG,
                           "image: cannot tell the format of '%s' from its extension (use .png, "
                           ".jpg or .jpeg)",
                           path);
    } else if (fmt != GC_IMAGE_FORMAT_PNG && fmt != GC_IMAGE_FORMAT_JPEG) {
        return gc_fail(ctx, GC_ERR_ARG, "image: unknown format value %d", (int)fmt);
    }
    if (fmt == GC_IMAGE_FORMAT_JPEG && (o.quality < 0 || o.quality > 100))
        return gc_fail(ctx, GC_ERR_ARG, "image: JPEG quality %d is outside 1..100", o.quality);
    if (fmt == GC_IMAGE_FORMAT_PNG && o.bit_depth != 0 && o.bit_depth != 8 && o.bit_depth != 16)
        return gc_fail(ctx, GC_ERR_ARG, "image: PNG bit depth %d is not 8 or 16", o.bit_depth);
    if (fmt == GC_IMAGE_FORMAT_JPEG && o.bit_depth != 0 && o.bit_depth != 8)
        return gc_fail(ctx, GC_ERR_ARG, "image: JPEG bit depth %d is not 8", o.bit_depth);
    if (!gc_image_supported(fmt))
        return gc_fail(ctx, GC_ERR_UNSUPPORTED, "image: this build has no %s support; install %s "
                       "(scripts/install-deps.sh) and rebuild", fmt == GC_IMAGE_FORMAT_PNG ? "PNG" : "JPEG",
                       fmt == GC_IMAGE_FORMAT_PNG ? GC_PKG_PNG : GC_PKG_JPEG);

    gc_io_out out;
    if ((st = gc_io_out_open(ctx, "image", path, &out)) != GC_OK)
        return st;
    if (fmt == GC_IMAGE_FORMAT_PNG)
        st = gc_png_write_file(ctx, out.f, path, &s, o.bit_depth ? o.bit_depth : 8);
    else
        st = gc_jpeg_write_file(ctx, out.f, path, &s, o.quality ? o.quality : 90);
    return gc_io_out_finish(ctx, "image", path, &out, st);
}
