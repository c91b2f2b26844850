/* src/io/ - layer 2, beside the ops: files in and out. The one writer (io_file.c), .npy
 * (npy_header.c, npy_read.c, npy_write.c, pieces by offset in npy_file.c), safetensors
 * (safetensors*.c) and images (image.c with its row source and sink image_rows.c, the
 * libpng / libjpeg-turbo codecs, image_resize.c). It includes base/ only. */
/* io_file.h - private file helpers for the .npy, image and safetensors readers and writers:
 * opening an input without blocking on a FIFO, a whole-file read under the context's
 * allocation limit, and an output that is written under a short temporary name in its
 * target's directory and renamed over the target only once complete: the one writer of the
 * library's files (.npy, images, safetensors) and the CLI's text files. The CLI's staged sets
 * of outputs (cli/util.c) take their staging files from gc_io_temp_create and are written
 * through gc_io_out_open like any other path.
 *
 * What an output path may name (the write rule, docs/RELIABILITY.md):
 *   - nothing yet, or a regular file: a temporary "gramconv.tmp.<pid>.<6 hex>" is created in
 *     the same directory, written, flushed, fsync'ed, closed and renamed over the target;
 *   - a symbolic link: followed to what it finally names (the kernel's lookup, so /dev/stdout
 *     works too), which is then treated as above and below (for a file the temporary lives in
 *     the file's directory and the rename replaces the file; the link stays a link); a
 *     dangling link (a chain of at most 40) creates its final target;
 *   - a character device or a FIFO: written in place (opened for writing, no temporary, no
 *     rename, never replaced); a write error such as ENOSPC is reported;
 *   - a directory, a block device or a socket: refused (GC_ERR_IO), nothing touched.
 * Temporaries in flight are listed in a fixed table that gc_io_temp_unlink_all() empties
 * with async-signal-safe calls only (for a signal handler). */
#ifndef GC_IO_FILE_H
#define GC_IO_FILE_H

#include "base/internal.h"

#include <stdio.h>

/* open(path, O_RDONLY) that cannot block: O_NONBLOCK for the open (a FIFO with no writer
 * would wait forever), then the flag cleared again. Returns the fd, or -1 with errno set.
 * The caller's fstat refuses what is not a regular file. */
int gc_io_open_read(const char *path);

/* Read the regular file `path` into a new buffer from gc_alloc (free with gc_free); `what`
 * prefixes messages ("image", "safetensors"). Directories, unreadable files and files larger
 * than the context's allocation limit are refused with a message. */
gc_status gc_io_read_file(gc_context *ctx, const char *what, const char *path, void **buf,
                          size_t *size);

/* `path` cut to at most n - 1 characters for a message (the middle replaced by "..."), so
 * that a long name never pushes the reason out of the 256-byte error buffer. */
const char *gc_io_msg_path(const char *path, char *buf, size_t n);

/* Where a write to `path` goes (the rule above). */
typedef enum { GC_IO_NEW, GC_IO_REPLACE, GC_IO_INPLACE } gc_io_kind;
/* Resolve `path`: *target (from gc_alloc, free with gc_free) is the file to write (symbolic
 * links followed), *kind how. Refusals (directory, block device, socket, a link loop, a
 * lookup error other than "does not exist") are reported with `what` as the prefix. */
gc_status gc_io_resolve(gc_context *ctx, const char *what, const char *path, char **target,
                        gc_io_kind *kind);
/* Create a fresh temporary "gramconv.tmp.<pid>.<6 hex><suffix>" exclusively in the directory
 * of `target` (mode 0666 less the umask), listed in the signal table: *tmp (gc_alloc) its
 * name, *fd open for writing, *slot its table entry (-1: not listed, the table being full).
 * suffix: "" or a short extension such as ".png" (at most 23 characters). */
gc_status gc_io_temp_create(gc_context *ctx, const char *what, const char *target,
                            const char *suffix, char **tmp, int *fd, int *slot);
/* Drop a temporary from the signal table (it was renamed or removed). */
void gc_io_temp_untrack(int slot);
/* List an existing file the caller created as a temporary; returns its slot or -1. */
int gc_io_temp_track(const char *name);
/* unlink() every listed temporary; async-signal-safe. */
void gc_io_temp_unlink_all(void);

typedef struct gc_io_out {
    FILE *f;        /* write here (binary) */
    char *tmp;      /* the temporary name (gc_alloc); NULL when written in place */
    char *target;   /* the file the rename replaces / the device written (gc_alloc) */
    int slot;       /* the temporary's signal-table entry, or -1 */
} gc_io_out;

/* Open the output for `path` by the rule above. */
gc_status gc_io_out_open(gc_context *ctx, const char *what, const char *path, gc_io_out *o);
/* Append n bytes to the output, in pieces of at most 1 GiB, straight to its file descriptor
 * (write(2), retried on EINTR; whatever the FILE holds is flushed first): the writers of
 * .npy, safetensors and text files call it once per piece they hold. A failure is reported as
 * "<what>: cannot write '<path>': <reason>"; the caller then passes the status to
 * gc_io_out_finish, which removes the temporary. */
gc_status gc_io_out_write(gc_context *ctx, const char *what, const char *path, gc_io_out *o,
                          const void *data, size_t n);
/* If st is GC_OK: flush, fsync, close and rename over the target (any failure is reported and
 * the temporary removed); otherwise close and remove the temporary. Returns the final status
 * and always releases o. */
gc_status gc_io_out_finish(gc_context *ctx, const char *what, const char *path, gc_io_out *o,
                           gc_status st);

#endif /* GC_IO_FILE_H */
