/* image_png.c - PNG reading and writing through libpng (GC_HAVE_PNG), or GC_ERR_UNSUPPORTED.
 *
 * Errors: libpng reports errors by calling our error function, which stores the message and
 * longjmps back to the one setjmp in png_decode / png_encode; those functions keep every
 * resource in a state struct that lives in their caller, which frees what is there whatever
 * happened (no local variable is used after the longjmp). Warnings are stored, never printed.
 * libpng's own allocations go through the context's allocator (and its limit). The pixel
 * limit is checked right after the header (IHDR), before any image-sized allocation. */
#include "io/image.h"

#include <string.h>

#if defined(GC_HAVE_PNG)
#include <png.h>
#include <setjmp.h>

typedef struct png_state {
    gc_context *ctx;
    png_structp png;
    png_infop info;
    const unsigned char *src;   /* reading: the bytes and how far libpng has read */
    size_t size, pos;
    FILE *f;                    /* writing */
    unsigned char *rows;        /* decoded rows (the whole image if interlaced), or one row */
    gc_image_dst dst;
    gc_status status;           /* set before png_error when the cause is not the data */
    gc_status alloc_status;     /* what our allocator reported (GC_ERR_NOMEM / GC_ERR_LIMIT) */
    char msg[200];
} png_state;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_state *s = png_get_error_ptr(png);
    if (!s->msg[0])
        snprintf(s->msg, sizeof s->msg, "%s", msg ? msg : "unknown libpng error");
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* benign (e.g. "iCCP: known incorrect sRGB profile"): not an error, not printed */
}

static png_voidp png_on_malloc(png_structp png, png_alloc_size_t size)
{
    png_state *s = png_get_mem_ptr(png);
    void *p = NULL;
    if (size > (png_alloc_size_t)INT64_MAX) {
        s->alloc_status = GC_ERR_OVERFLOW;
        return NULL;
    }
    gc_status st = gc_alloc(s->ctx, (int64_t)size, 1, &p);
    if (st != GC_OK) {
        s->alloc_status = st;
        return NULL;
    }
    return p;
}

static void png_on_free(png_structp png, png_voidp ptr)
{
    png_state *s = png_get_mem_ptr(png);
    gc_free(s->ctx, ptr);
}

static void png_on_read(png_structp png, png_bytep data, size_t len)
{
    png_state *s = png_get_io_ptr(png);
    if (len > s->size - s->pos)
        png_error(png, "truncated file (it ends inside a chunk)");
    memcpy(data, s->src + s->pos, len);
    s->pos += len;
}

/* The status for a libpng error: our allocator's if it failed, else the data's fault. */
static gc_status png_fail(png_state *s, const char *verb)
{
    if (s->status != GC_OK)
        return s->status;
    if (s->alloc_status != GC_OK)
        return gc_fail(s->ctx, s->alloc_status == GC_ERR_LIMIT ? GC_ERR_LIMIT : GC_ERR_NOMEM,
                       "png: cannot %s: %s (%s)", verb, s->msg,
                       s->alloc_status == GC_ERR_LIMIT ? "over the allocation limit"
                                                       : "out of memory");
    return gc_fail(s->ctx, GC_ERR_FORMAT, "png: cannot %s: %s", verb, s->msg);
}

/* Decode into s->dst. Returns GC_OK or the failure's status (message recorded). */
static gc_status png_decode(png_state *s, const gc_image_read_opts *opts)
{
    if (setjmp(png_jmpbuf(s->png)))
        return png_fail(s, "decode");
    png_set_read_fn(s->png, s, png_on_read);
    png_set_user_limits(s->png, 0x7fffffffu, 0x7fffffffu); /* our own pixel limit decides */
    png_read_info(s->png, s->info);
    png_uint_32 w = 0, h = 0;
    int depth = 0, ctype = 0, interlace = 0;
    png_get_IHDR(s->png, s->info, &w, &h, &depth, &ctype, &interlace, NULL, NULL);

    if (ctype == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(s->png);
    if (ctype == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(s->png);
    if (png_get_valid(s->png, s->info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(s->png);
    const int passes = png_set_interlace_handling(s->png);
    png_read_update_info(s->png, s->info);
    const int ch = png_get_channels(s->png, s->info);
    const int bits16 = png_get_bit_depth(s->png, s->info) == 16;
    const size_t rowbytes = png_get_rowbytes(s->png, s->info);

    gc_status st = gc_image_dst_begin(s->ctx, "png", (int64_t)w, (int64_t)h, ch, opts, &s->dst);
    if (st != GC_OK)
        return s->status = st;
    if ((size_t)w * (size_t)ch * (bits16 ? 2u : 1u) != rowbytes)
        return s->status = gc_fail(s->ctx, GC_ERR_INTERNAL, "png: unexpected row size %zu",
                                   rowbytes);
    const int64_t nrows = passes > 1 ? (int64_t)h : 1;
    int64_t bytes;
    if (!gc_mul_ok(nrows, (int64_t)rowbytes, &bytes))
        return s->status = gc_fail(s->ctx, GC_ERR_OVERFLOW, "png: image size overflows");
    if ((st = gc_alloc(s->ctx, bytes, 1, (void **)&s->rows)) != GC_OK)
        return s->status = st;
    for (int pass = 0; pass < passes; pass++)
        for (png_uint_32 y = 0; y < h; y++) {
            unsigned char *row = s->rows + (passes > 1 ? (size_t)y * rowbytes : 0);
            png_read_row(s->png, row, NULL);
            if (passes == 1)
                gc_image_dst_put_row(&s->dst, y, row, bits16);
        }
    if (passes > 1)
        for (png_uint_32 y = 0; y < h; y++)
            gc_image_dst_put_row(&s->dst, y, s->rows + (size_t)y * rowbytes, bits16);
    png_read_end(s->png, NULL); /* the chunks after the image: CRCs, IEND */
    return GC_OK;
}

gc_status gc_png_read_mem(gc_context *ctx, const unsigned char *buf, size_t size,
                          const gc_image_read_opts *opts, gc_tensor *out)
{
    png_state s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.src = buf;
    s.size = size;
    s.png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, &s, png_on_error, png_on_warning, &s,
                                     png_on_malloc, png_on_free);
    if (!s.png)
        return gc_fail(ctx, GC_ERR_NOMEM, "png: cannot create a libpng reader (out of memory)");
    s.info = png_create_info_struct(s.png);
    gc_status st;
    if (!s.info)
        st = gc_fail(ctx, GC_ERR_NOMEM, "png: cannot create a libpng info struct");
    else
        st = png_decode(&s, opts);
    png_destroy_read_struct(&s.png, s.info ? &s.info : NULL, NULL);
    gc_free(ctx, s.rows);
    if (st != GC_OK) {
        gc_tensor_free(&s.dst.out);
        return st;
    }
    *out = s.dst.out;
    return GC_OK;
}

static void png_on_write(png_structp png, png_bytep data, size_t len)
{
    png_state *s = png_get_io_ptr(png);
    if (fwrite(data, 1, len, s->f) != len)
        png_error(png, "write error");
}

static void png_on_flush(png_structp png)
{
    png_state *s = png_get_io_ptr(png);
    if (fflush(s->f) != 0)
        png_error(png, "write error (flush)");
}

static gc_status png_encode(png_state *s, const gc_image_src *src, int bit_depth)
{
    if (setjmp(png_jmpbuf(s->png)))
        return png_fail(s, "write");
    static const int types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                 PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_write_fn(s->png, s, png_on_write, png_on_flush);
    png_set_IHDR(s->png, s->info, (png_uint_32)src->w, (png_uint_32)src->h, bit_depth,
                 types[src->c], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(s->png, s->info);
    const int bits16 = bit_depth == 16;
    gc_status st = gc_alloc(s->ctx, src->w * src->c, bits16 ? 2 : 1, (void **)&s->rows);
    if (st != GC_OK)
        return s->status = st;
    for (int64_t y = 0; y < src->h; y++) {
        gc_image_src_get_row(src, y, (int)src->c, bits16, s->rows);
        png_write_row(s->png, s->rows);
    }
    png_write_end(s->png, NULL);
    return GC_OK;
}

gc_status gc_png_write_file(gc_context *ctx, FILE *f, const char *path, const gc_image_src *src,
                            int bit_depth)
{
    png_state s;
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.f = f;
    s.png = png_create_write_struct_2(PNG_LIBPNG_VER_STRING, &s, png_on_error, png_on_warning,
                                      &s, png_on_malloc, png_on_free);
    if (!s.png)
        return gc_fail(ctx, GC_ERR_NOMEM, "png: cannot create a libpng writer (out of memory)");
    s.info = png_create_info_struct(s.png);
    gc_status st;
    if (!s.info)
        st = gc_fail(ctx, GC_ERR_NOMEM, "png: cannot create a libpng info struct");
    else
        st = png_encode(&s, src, bit_depth);
    png_destroy_write_struct(&s.png, s.info ? &s.info : NULL);
    gc_free(ctx, s.rows);
    if (st != GC_OK && st != GC_ERR_NOMEM && st != GC_ERR_LIMIT && strstr(s.msg, "write error"))
        st = gc_fail(ctx, GC_ERR_IO, "png: cannot write '%s': %s", path, s.msg);
    return st;
}

#else /* !GC_HAVE_PNG */

gc_status gc_png_read_mem(gc_context *ctx, const unsigned char *buf, size_t size,
                          const gc_image_read_opts *opts, gc_tensor *out)
{
    (void)buf;
    (void)size;
    (void)opts;
    (void)out;
    return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                   "png: this build has no PNG support; install " GC_PKG_PNG
                   " (scripts/install-deps.sh) and rebuild");
}

gc_status gc_png_write_file(gc_context *ctx, FILE *f, const char *path, const gc_image_src *s,
                            int bit_depth)
{
    (void)f;
    (void)s;
    (void)bit_depth;
    return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                   "png: cannot write '%s': this build has no PNG support; install " GC_PKG_PNG
                   " (scripts/install-deps.sh) and rebuild",
                   path);
}

#endif
