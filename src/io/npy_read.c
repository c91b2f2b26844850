/* npy_read.c - reading NumPy .npy files (format versions 1.0, 2.0, 3.0); writing is in
 * npy_write.c.
 *
 * Layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0),
 * then the header, a Python dict literal such as
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ending in '\n', then the raw elements.
 *
 * One header parser (npy_header.c) serves both readers: gc_npy_read_mem parses a buffer,
 * gc_npy_read parses the preamble of a file and checks the element count against the file's
 * size (fstat) before it allocates anything of the data's size. Every size is overflow-checked; nothing is
 * allocated from a number the file states until it has been compared with the bytes that are
 * actually there. */
#include "base/internal.h"
#include "io/io_file.h"
#include "io/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Elements from the raw file bytes `src` (unaligned is fine) into the C-contiguous tensor. */
static void npy_decode(const npy_info *info, const unsigned char *src, gc_tensor *t)
{
    unsigned char *dst = t->data;
    const size_t isz = info->itemsize;
    if (info->numel == 0)
        return;
    if (!info->fortran || info->rank < 2) {
        if ((const void *)src != (void *)dst)
            memcpy(dst, src, (size_t)info->data_bytes);
    } else {
        /* Walk the destination in C order; the source index follows Fortran strides. */
        int64_t fstride[GC_MAX_RANK];
        int64_t s = 1;
        for (int i = 0; i < info->rank; i++) {
            fstride[i] = s;
            s *= info->dims[i];
        }
        int64_t idx[GC_MAX_RANK] = {0};
        int64_t so = 0;
        for (int64_t e = 0; e < info->numel; e++) {
            memcpy(dst + (size_t)e * isz, src + (size_t)so * isz, isz);
            for (int i = info->rank - 1; i >= 0; i--) {
                if (++idx[i] < info->dims[i]) {
                    so += fstride[i];
                    break;
                }
                so -= (info->dims[i] - 1) * fstride[i];
                idx[i] = 0;
            }
        }
    }
    if (info->swap)
        npy_swap_inplace(dst, (size_t)info->numel, isz);
}

/* ---- reading ------------------------------------------------------------------------------ */

gc_status gc_npy_read_mem(gc_context *ctx, const void *buf, size_t size, gc_tensor *out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "npy: output tensor is NULL");
    memset(out, 0, sizeof *out);
    if (!buf && size > 0)
        return gc_fail(ctx, GC_ERR_NULL, "npy: buffer is NULL");
    static const unsigned char empty[1] = {0};
    const unsigned char *p = buf ? buf : empty;
    size_t pre_len;
    npy_info info;
    gc_status st = gc_npy_preamble_len(ctx, p, size, size, &pre_len);
    if (st == GC_OK)
        st = gc_npy_parse_preamble(ctx, p, pre_len, size, &info);
    if (st != GC_OK)
        return st;
    gc_tensor t;
    st = gc_tensor_create(ctx, &t, info.dtype, info.rank, info.dims);
    if (st != GC_OK)
        return st;
    npy_decode(&info, p + info.data_offset, &t);
    *out = t;
    return GC_OK;
}

/* Read exactly n bytes at offset `off`; GC_OK, or GC_ERR_FORMAT if the file ended first (it
 * changed after fstat), or GC_ERR_IO. */
static gc_status npy_pread_exact(gc_context *ctx, int fd, const char *path, void *dst, size_t n,
                                 uint64_t off)
{
    unsigned char *d = dst;
    size_t got = 0;
    while (got < n) {
        size_t want = n - got;
        if (want > ((size_t)1 << 30))
            want = (size_t)1 << 30;
        if (off + got > (uint64_t)INT64_MAX)
            return gc_fail(ctx, GC_ERR_OVERFLOW, "npy: file offset overflows");
        ssize_t r = pread(fd, d + got, want, (off_t)(off + got));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return gc_fail(ctx, GC_ERR_IO, "npy: cannot read '%s': %s", path, strerror(errno));
        }
        if (r == 0)
            return gc_fail(ctx, GC_ERR_FORMAT,
                           "npy: '%s' ended after %llu bytes, %llu expected (did it change "
                           "while being read?)",
                           path, (unsigned long long)(off + got),
                           (unsigned long long)(off + n));
        got += (size_t)r;
    }
    return GC_OK;
}

/* The checked preamble of an open .npy file: a regular file whose magic, header and size
 * agree (the data size then matches the file's size exactly). */
static gc_status npy_read_preamble(gc_context *ctx, int fd, const char *path, npy_info *info)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return gc_fail(ctx, GC_ERR_IO, "npy: cannot stat '%s': %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return gc_fail(ctx, GC_ERR_IO, "npy: cannot read '%s': %s", path, strerror(EISDIR));
    if (!S_ISREG(sb.st_mode))
        return gc_fail(ctx, GC_ERR_IO, "npy: cannot read '%s': not a regular file", path);
    if (sb.st_size < 0)
        return gc_fail(ctx, GC_ERR_IO, "npy: '%s' has a negative size", path);
    const uint64_t total = (uint64_t)sb.st_size;

    /* Magic, version and header length: at most 12 bytes. */
    unsigned char head[12];
    size_t head_len = total < sizeof head ? (size_t)total : sizeof head;
    gc_status st = npy_pread_exact(ctx, fd, path, head, head_len, 0);
    if (st != GC_OK)
        return st;
    size_t pre_len;
    if ((st = gc_npy_preamble_len(ctx, head, head_len, total, &pre_len)) != GC_OK)
        return st;

    /* The whole preamble (no longer than the file), under ctx's allocation limits. */
    void *pre;
    if ((st = gc_alloc(ctx, (int64_t)pre_len, 1, &pre)) != GC_OK)
        return st;
    st = npy_pread_exact(ctx, fd, path, pre, pre_len, 0);
    if (st == GC_OK)
        st = gc_npy_parse_preamble(ctx, pre, pre_len, total, info);
    gc_free(ctx, pre);
    return st;
}

static gc_status npy_read_fd(gc_context *ctx, int fd, const char *path, gc_tensor *out)
{
    npy_info info;
    gc_status st = npy_read_preamble(ctx, fd, path, &info);
    if (st != GC_OK)
        return st;

    /* The data size now matches the file's size exactly: allocate and read. */
    gc_tensor t;
    if ((st = gc_tensor_create(ctx, &t, info.dtype, info.rank, info.dims)) != GC_OK)
        return st;
    void *raw = t.data;
    if (info.fortran && info.rank >= 2 && info.numel > 0) {
        if ((st = gc_alloc(ctx, (int64_t)info.data_bytes, 1, &raw)) != GC_OK) {
            gc_tensor_free(&t);
            return st;
        }
    }
    st = npy_pread_exact(ctx, fd, path, raw, (size_t)info.data_bytes, info.data_offset);
    if (st == GC_OK) {
        unsigned char extra;
        ssize_t r;
        do
            r = pread(fd, &extra, 1, (off_t)(info.data_offset + info.data_bytes));
        while (r < 0 && errno == EINTR);
        if (r < 0)
            st = gc_fail(ctx, GC_ERR_IO, "npy: cannot read '%s': %s", path, strerror(errno));
        else if (r > 0)
            st = gc_fail(ctx, GC_ERR_FORMAT,
                         "npy: '%s' grew while being read (the file has extra bytes)", path);
    }
    if (st == GC_OK)
        npy_decode(&info, raw, &t);
    if (raw != t.data)
        gc_free(ctx, raw);
    if (st != GC_OK) {
        gc_tensor_free(&t);
        return st;
    }
    *out = t;
    return GC_OK;
}

/* For the streaming reader (npy_file.c; declared in npy.h): the checked preamble of an open
 * file, as npy_read_fd parses it, without reading the data. */
gc_status gc_npy_probe_fd(gc_context *ctx, int fd, const char *path, gc_npy_probe *probe)
{
    npy_info info;
    gc_status st = npy_read_preamble(ctx, fd, path, &info);
    if (st != GC_OK)
        return st;
    probe->dtype = info.dtype;
    probe->swap = info.swap;
    probe->fortran = info.fortran && info.rank >= 2;
    probe->rank = info.rank;
    for (int i = 0; i < GC_MAX_RANK; i++)
        probe->dims[i] = i < info.rank ? info.dims[i] : 0;
    probe->data_offset = info.data_offset;
    return GC_OK;
}

gc_status gc_npy_read(gc_context *ctx, const char *path, gc_tensor *out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "npy: output tensor is NULL");
    memset(out, 0, sizeof *out);
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "npy: path is NULL");
    char mp[96];
    int fd = gc_io_open_read(path); /* a FIFO is refused by the fstat, never waited on */
    if (fd < 0)
        return gc_fail(ctx, GC_ERR_IO, "npy: cannot open '%s': %s",
                       gc_io_msg_path(path, mp, sizeof mp), strerror(errno));
    gc_status st = npy_read_fd(ctx, fd, gc_io_msg_path(path, mp, sizeof mp), out);
    close(fd);
    return st;
}
