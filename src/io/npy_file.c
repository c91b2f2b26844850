/* npy_file.c - reading pieces of a .npy file by offsets (gc_npy_open / gc_npy_file_read): the
 * streamed Gram reads bands of rows, MPI ranks read their own slices. The header is parsed
 * and checked by npy_read.c (gc_npy_probe_fd); C order only. */
#include "io/io_file.h"
#include "io/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct gc_npy_file {
    int fd;
    gc_npy_probe probe;
    int64_t numel;
    size_t esz;
    gc_allocator alloc;   /* what allocated this struct */
    char path[256];       /* for messages (cut if longer) */
};

gc_status gc_npy_open(gc_context *ctx, const char *path, gc_npy_file **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "npy_open: out is NULL");
    *out = NULL;
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "npy_open: path is NULL");
    int fd = gc_io_open_read(path); /* a FIFO is refused by the fstat, never waited on */
    if (fd < 0)
        return gc_fail(ctx, GC_ERR_IO, "npy: cannot open '%s': %s", path, strerror(errno));
    gc_npy_probe probe;
    gc_status st = gc_npy_probe_fd(ctx, fd, path, &probe);
    if (st == GC_OK && probe.fortran)
        st = gc_fail(ctx, GC_ERR_UNSUPPORTED,
                     "npy: '%s' is in Fortran order; reading it in pieces needs C order "
                     "(numpy.ascontiguousarray)", path);
    gc_npy_file *f = NULL;
    if (st == GC_OK)
        st = gc_alloc(ctx, 1, sizeof *f, (void **)&f);
    if (st != GC_OK) {
        close(fd);
        return st;
    }
    memset(f, 0, sizeof *f);
    f->fd = fd;
    f->probe = probe;
    f->esz = gc_dtype_size(probe.dtype);
    f->numel = 1;
    for (int i = 0; i < probe.rank; i++)
        f->numel *= probe.dims[i]; /* checked by the header parser against the file size */
    f->alloc = *gc_ctx_allocator(ctx);
    size_t n = strlen(path);
    if (n >= sizeof f->path)
        n = sizeof f->path - 1;
    memcpy(f->path, path, n);
    *out = f;
    return GC_OK;
}

void gc_npy_close(gc_npy_file *f)
{
    if (!f)
        return;
    close(f->fd);
    gc_allocator a = f->alloc;
    a.free(f, a.user);
}

gc_status gc_npy_file_shape(const gc_npy_file *f, gc_dtype *dtype, int *rank, int64_t *dims)
{
    if (!f || !dtype || !rank || !dims)
        return GC_ERR_NULL;
    *dtype = f->probe.dtype;
    *rank = f->probe.rank;
    for (int i = 0; i < GC_MAX_RANK; i++)
        dims[i] = f->probe.dims[i];
    return GC_OK;
}

gc_status gc_npy_file_read(gc_context *ctx, gc_npy_file *f, int64_t first, int64_t count,
                           void *dst)
{
    if (!f || (!dst && count > 0))
        return gc_fail(ctx, GC_ERR_NULL, "npy_file_read: NULL file or destination");
    if (first < 0 || count < 0 || first > f->numel || count > f->numel - first)
        return gc_fail(ctx, GC_ERR_ARG,
                       "npy_file_read: elements [%lld, %lld + %lld) are outside the %lld of '%s'",
                       (long long)first, (long long)first, (long long)count, (long long)f->numel,
                       f->path);
    unsigned char *d = dst;
    const uint64_t off = f->probe.data_offset + (uint64_t)first * f->esz;
    const size_t n = (size_t)count * f->esz;
    size_t got = 0;
    while (got < n) {
        size_t want = n - got;
        if (want > ((size_t)1 << 30))
            want = (size_t)1 << 30;
        ssize_t r = pread(f->fd, d + got, want, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return gc_fail(ctx, GC_ERR_IO, "npy: cannot read '%s': %s", f->path, strerror(errno));
        }
        if (r == 0)
            return gc_fail(ctx, GC_ERR_FORMAT, "npy: '%s' ended early (did it change while "
                           "being read?)", f->path);
        got += (size_t)r;
    }
    if (f->probe.swap) {
        if (f->esz == 4)
            for (size_t i = 0; i < n; i += 4) {
                uint32_t v;
                memcpy(&v, d + i, 4);
                v = __builtin_bswap32(v);
                memcpy(d + i, &v, 4);
            }
        else
            for (size_t i = 0; i < n; i += 8) {
                uint64_t v;
                memcpy(&v, d + i, 8);
                v = __builtin_bswap64(v);
                memcpy(d + i, &v, 8);
            }
    }
    return GC_OK;
}
