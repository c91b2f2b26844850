/* image.h - private interface between image.c (limits, channel conversion, dispatch) and the
 * codec files image_png.c and image_jpeg.c. */
#ifndef GC_IMAGE_H
#define GC_IMAGE_H

#include "base/internal.h"

#include <stdio.h>

/* Where a decoder puts its rows: the C x H x W float32 output and the conversion from the
 * decoder's interleaved samples (in_ch channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). */
typedef struct gc_image_dst {
    gc_tensor out;   /* owned while decoding; handed to the caller on success */
    int64_t w, h;
    int in_ch;       /* channels per decoded pixel */
    int out_ch;      /* channels of the tensor */
} gc_image_dst;

/* After the decoder has read the header: check w x h against the pixel limit (GC_ERR_LIMIT)
 * and sizes (GC_ERR_FORMAT for 0), choose out_ch from opts->channels, allocate d->out.
 * `fmt` names the format in messages ("png", "jpeg"). */
gc_status gc_image_dst_begin(gc_context *ctx, const char *fmt, int64_t w, int64_t h, int in_ch,
                             const gc_image_read_opts *opts, gc_image_dst *d);
/* Store decoded row y (w pixels of in_ch samples; 8-bit, or 16-bit big-endian if bits16). */
void gc_image_dst_put_row(gc_image_dst *d, int64_t y, const unsigned char *row, int bits16);

/* A normalised view of an image to write: rank 3, C x H x W. */
typedef struct gc_image_src {
    const gc_tensor *t;
    int64_t c, h, w;
    int64_t sc, sh, sw;   /* element strides */
} gc_image_src;

/* Row y as interleaved 8-bit (bits16 = 0) or 16-bit big-endian samples of the first
 * `out_ch` channels (out_ch <= c), values clamped to [0, 1], NaN as 0, rounded. */
void gc_image_src_get_row(const gc_image_src *s, int64_t y, int out_ch, int bits16,
                          unsigned char *row);

/* Codecs; each is compiled to a GC_ERR_UNSUPPORTED stub when its library is absent. */
gc_status gc_png_read_mem(gc_context *ctx, const unsigned char *buf, size_t size,
                          const gc_image_read_opts *opts, gc_tensor *out);
gc_status gc_jpeg_read_mem(gc_context *ctx, const unsigned char *buf, size_t size,
                           const gc_image_read_opts *opts, gc_tensor *out);
gc_status gc_png_write_file(gc_context *ctx, FILE *f, const char *path, const gc_image_src *s,
                            int bit_depth);
gc_status gc_jpeg_write_file(gc_context *ctx, FILE *f, const char *path, const gc_image_src *s,
                             int quality);

#endif /* GC_IMAGE_H */
