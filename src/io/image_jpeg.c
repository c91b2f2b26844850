/* image_jpeg.c - JPEG reading and writing through libjpeg(-turbo) (GC_HAVE_JPEG), or
 * GC_ERR_UNSUPPORTED.
 *
 * Errors: our error manager formats libjpeg's message into the state and longjmps back to the
 * one setjmp in jpeg_decode / jpeg_encode; every resource lives in a state struct owned by the
 * caller, which releases it whatever happened. Warnings ("Corrupt JPEG data: premature end of
 * data segment", which libjpeg would otherwise paper over with grey) are treated as errors, so
 * a truncated file is refused; nothing is ever printed. A progress monitor stops files with
 * more than GC_IMAGE_MAX_JPEG_SCANS scans (a progressive file can otherwise make the decoder
 * spin over the whole coefficient buffer once per scan). The pixel limit is checked after
 * jpeg_read_header, before the decoder allocates anything of the image's size. libjpeg's own
 * memory is its allocator's (not the context's); it is bounded by the pixel limit and always
 * released by jpeg_destroy. */
#include "io/image.h"

#include <string.h>

#if defined(GC_HAVE_JPEG)
#include <jpeglib.h>
#include <setjmp.h>

typedef struct jpeg_state {
    struct jpeg_error_mgr err;        /* first: libjpeg's err pointer is cast back to us */
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    gc_context *ctx;
    struct jpeg_decompress_struct d;
    struct jpeg_compress_struct c;
    int have_d, have_c;
    unsigned char *row;
    gc_image_dst dst;
    gc_status status;                 /* set before the longjmp when the cause is not the data */
    char msg[JMSG_LENGTH_MAX + 64];
} jpeg_state;

static void jpeg_on_error(j_common_ptr cinfo)
{
    jpeg_state *s = (jpeg_state *)(void *)cinfo->err;
    if (!s->msg[0])
        cinfo->err->format_message(cinfo, s->msg);
    longjmp(s->jump, 1);
}

static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    if (level < 0) { /* a warning: corrupt or truncated data */
        jpeg_state *s = (jpeg_state *)(void *)cinfo->err;
        if (!s->msg[0])
            cinfo->err->format_message(cinfo, s->msg);
        longjmp(s->jump, 1);
    }
    /* trace messages (level >= 0): ignored */
}

static void jpeg_on_output(j_common_ptr cinfo) { (void)cinfo; }

static void jpeg_on_progress(j_common_ptr cinfo)
{
    if (!cinfo->is_decompressor)
        return;
    j_decompress_ptr d = (j_decompress_ptr)cinfo;
    if (d->input_scan_number > GC_IMAGE_MAX_JPEG_SCANS) {
        jpeg_state *s = (jpeg_state *)(void *)cinfo->err;
        s->status = gc_fail(s->ctx, GC_ERR_UNSUPPORTED,
                            "jpeg: the file has more than %d scans (refused: decoding it "
                            "would take very long)",
                            GC_IMAGE_MAX_JPEG_SCANS);
        longjmp(s->jump, 1);
    }
}

static void jpeg_init_err(jpeg_state *s)
{
    jpeg_std_error(&s->err);
    s->err.error_exit = jpeg_on_error;
    s->err.emit_message = jpeg_on_message;
    s->err.output_message = jpeg_on_output;
}

static gc_status jpeg_decode(jpeg_state *s, const unsigned char *buf, size_t size,
                             const gc_image_read_opts *opts)
{
    if (setjmp(s->jump)) {
        if (s->status != GC_OK)
            return s->status;
        return gc_fail(s->ctx, GC_ERR_FORMAT, "jpeg: cannot decode: %s", s->msg);
    }
    jpeg_create_decompress(&s->d);
    s->have_d = 1;
    s->progress.progress_monitor = jpeg_on_progress;
    s->d.progress = &s->progress;
    s->d.mem->max_memory_to_use = (long)(gc_ctx_max_alloc(s->ctx) > (uint64_t)0x7fffffff
                                             ? 0x7fffffff
                                             : gc_ctx_max_alloc(s->ctx));
    jpeg_mem_src(&s->d, (unsigned char *)(uintptr_t)buf, (unsigned long)size);
    jpeg_read_header(&s->d, TRUE);
    int ch;
    switch (s->d.jpeg_color_space) {
    case JCS_GRAYSCALE:
        s->d.out_color_space = JCS_GRAYSCALE;
        ch = 1;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        s->d.out_color_space = JCS_RGB;
        ch = 3;
        break;
    default:
        return s->status = gc_fail(s->ctx, GC_ERR_UNSUPPORTED,
                                   "jpeg: colour space %d with %d components (CMYK / YCCK?) is "
                                   "not supported; gray and colour (YCbCr, RGB) are",
                                   (int)s->d.jpeg_color_space, s->d.num_components);
    }
    /* The pixel limit, before anything of the image's size exists. */
    gc_status st = gc_image_dst_begin(s->ctx, "jpeg", (int64_t)s->d.image_width,
                                      (int64_t)s->d.image_height, ch, opts, &s->dst);
    if (st != GC_OK)
        return s->status = st;
    jpeg_start_decompress(&s->d);
    if (s->d.output_components != ch || (int64_t)s->d.output_width != s->dst.w ||
        (int64_t)s->d.output_height != s->dst.h)
        return s->status = gc_fail(s->ctx, GC_ERR_INTERNAL, "jpeg: unexpected output geometry");
    if ((st = gc_alloc(s->ctx, s->dst.w, (size_t)ch, (void **)&s->row)) != GC_OK)
        return s->status = st;
    while (s->d.output_scanline < s->d.output_height) {
        JSAMPROW rows[1] = {s->row};
        int64_t y = (int64_t)s->d.output_scanline;
        if (jpeg_read_scanlines(&s->d, rows, 1) != 1)
            return s->status = gc_fail(s->ctx, GC_ERR_FORMAT, "jpeg: cannot decode: no progress");
        gc_image_dst_put_row(&s->dst, y, s->row, 0);
    }
    jpeg_finish_decompress(&s->d);
    return GC_OK;
}

gc_status gc_jpeg_read_mem(gc_context *ctx, const unsigned char *buf, size_t size,
                           const gc_image_read_opts *opts, gc_tensor *out)
{
    jpeg_state *s;
    gc_status st = gc_alloc(ctx, 1, sizeof *s, (void **)&s);
    if (st != GC_OK)
        return st;
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    jpeg_init_err(s);
    s->d.err = &s->err;
    st = jpeg_decode(s, buf, size, opts);
    if (s->have_d)
        jpeg_destroy_decompress(&s->d);
    gc_free(ctx, s->row);
    if (st != GC_OK)
        gc_tensor_free(&s->dst.out);
    else
        *out = s->dst.out;
    gc_free(ctx, s);
    return st;
}

static gc_status jpeg_encode(jpeg_state *s, FILE *f, const gc_image_src *src, int quality)
{
    if (setjmp(s->jump)) {
        if (s->status != GC_OK)
            return s->status;
        return gc_fail(s->ctx, GC_ERR_IO, "jpeg: cannot write: %s", s->msg);
    }
    jpeg_create_compress(&s->c);
    s->have_c = 1;
    jpeg_stdio_dest(&s->c, f);
    const int ch = src->c >= 3 ? 3 : 1; /* no alpha in JPEG */
    s->c.image_width = (JDIMENSION)src->w;
    s->c.image_height = (JDIMENSION)src->h;
    s->c.input_components = ch;
    s->c.in_color_space = ch == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&s->c);
    jpeg_set_quality(&s->c, quality, TRUE);
    gc_status st = gc_alloc(s->ctx, src->w, (size_t)ch, (void **)&s->row);
    if (st != GC_OK)
        return s->status = st;
    jpeg_start_compress(&s->c, TRUE);
    for (int64_t y = 0; y < src->h; y++) {
        JSAMPROW rows[1] = {s->row};
        gc_image_src_get_row(src, y, ch, 0, s->row);
        jpeg_write_scanlines(&s->c, rows, 1);
    }
    jpeg_finish_compress(&s->c);
    return GC_OK;
}

gc_status gc_jpeg_write_file(gc_context *ctx, FILE *f, const char *path, const gc_image_src *src,
                             int quality)
{
    jpeg_state *s;
    gc_status st = gc_alloc(ctx, 1, sizeof *s, (void **)&s);
    if (st != GC_OK)
        return st;
    memset(s, 0, sizeof *s);
    s->ctx = ctx;
    jpeg_init_err(s);
    s->c.err = &s->err;
    st = jpeg_encode(s, f, src, quality);
    if (s->have_c)
        jpeg_destroy_compress(&s->c);
    gc_free(ctx, s->row);
    if (st == GC_ERR_IO)
        st = gc_fail(ctx, GC_ERR_IO, "jpeg: cannot write '%s': %s", path, s->msg);
    gc_free(ctx, s);
    return st;
}

#else /* !GC_HAVE_JPEG */

gc_status gc_jpeg_read_mem(gc_context *ctx, const unsigned char *buf, size_t size,
                           const gc_image_read_opts *opts, gc_tensor *out)
{
    (void)buf;
    (void)size;
    (void)opts;
    (void)out;
    return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                   "jpeg: this build has no JPEG support; install " GC_PKG_JPEG
                   " (scripts/install-deps.sh) and rebuild");
}

gc_status gc_jpeg_write_file(gc_context *ctx, FILE *f, const char *path, const gc_image_src *s,
                             int quality)
{
    (void)f;
    (void)s;
    (void)quality;
    return gc_fail(ctx, GC_ERR_UNSUPPORTED,
                   "jpeg: cannot write '%s': this build has no JPEG support; install " GC_PKG_JPEG
                   " (scripts/install-deps.sh) and rebuild",
                   path);
}

#endif
