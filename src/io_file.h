/* io_file.h - private file helpers for the image and safetensors readers and writers:
 * a whole-file read under the context's allocation limit, and an output file that is written
 * under a temporary name beside its target and renamed over it only once complete. */
#ifndef GC_IO_FILE_H
#define GC_IO_FILE_H

#include "internal.h"

#include <stdio.h>

/* Read the regular file `path` into a new buffer from gc_alloc (free with gc_free); `what`
 * prefixes messages ("image", "safetensors"). Directories, unreadable files and files larger
 * than the context's allocation limit are refused with a message. */
gc_status gc_io_read_file(gc_context *ctx, const char *what, const char *path, void **buf,
                          size_t *size);

typedef struct gc_io_out {
    FILE *f;        /* write here (binary) */
    char *tmp;      /* the temporary name, from gc_alloc */
} gc_io_out;

/* Create path + ".tmp.<pid>.<random>" exclusively and open it for writing. */
gc_status gc_io_out_open(gc_context *ctx, const char *what, const char *path, gc_io_out *o);
/* If st is GC_OK: flush, fsync, close and rename over `path` (any failure is reported and the
 * temporary removed); otherwise close and remove the temporary. Returns the final status and
 * always releases o. */
gc_status gc_io_out_finish(gc_context *ctx, const char *what, const char *path, gc_io_out *o,
                           gc_status st);

#endif /* GC_IO_FILE_H */
