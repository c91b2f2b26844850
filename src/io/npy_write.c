/* npy_write.c - writing a tensor as a .npy file (version 1.0, or 2.0 for a long header):
 * C order, little-endian, the data at a multiple of 64 bytes. The file follows io_file.h's
 * rule: a temporary file in the target's directory renamed over it only once everything was
 * written and closed (a device or FIFO is written in place). */
#include "base/internal.h"
#include "io/io_file.h"
#include "io/npy.h"

#include <stdio.h>
#include <string.h>

/* The preamble for t into buf (cap bytes); sets *len. Data starts at a multiple of 64. */
static gc_status npy_make_header(gc_context *ctx, const gc_tensor *t, char *buf, size_t cap,
                                 size_t *len)
{
    char dict[512];
    size_t n = 0;
    int k = snprintf(dict, sizeof dict, "{'descr': '<f%zu', 'fortran_order': False, 'shape': (",
                     gc_dtype_size(t->dtype));
    if (k < 0 || (size_t)k >= sizeof dict)
        return gc_fail(ctx, GC_ERR_INTERNAL, "npy: header does not fit");
    n = (size_t)k;
    for (int i = 0; i < t->rank; i++) {
        k = snprintf(dict + n, sizeof dict - n, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
        if (k < 0 || (size_t)k >= sizeof dict - n)
            return gc_fail(ctx, GC_ERR_INTERNAL, "npy: header does not fit");
        n += (size_t)k;
    }
    k = snprintf(dict + n, sizeof dict - n, "%s), }", t->rank == 1 ? "," : "");
    if (k < 0 || (size_t)k >= sizeof dict - n)
        return gc_fail(ctx, GC_ERR_INTERNAL, "npy: header does not fit");
    n += (size_t)k;

    size_t prefix = 10;                    /* version 1.0: uint16 header length */
    size_t total = (prefix + n + 1 + 63) / 64 * 64;
    if (total - prefix > 65535) {          /* version 2.0: uint32 */
        prefix = 12;
        total = (prefix + n + 1 + 63) / 64 * 64;
    }
    if (total > cap)
        return gc_fail(ctx, GC_ERR_INTERNAL, "npy: header does not fit");
    size_t hlen = total - prefix;
    memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
    buf[6] = prefix == 10 ? 1 : 2;
    buf[7] = 0;
    buf[8] = (char)(hlen & 0xff);
    buf[9] = (char)((hlen >> 8) & 0xff);
    if (prefix == 12) {
        buf[10] = (char)((hlen >> 16) & 0xff);
        buf[11] = (char)((hlen >> 24) & 0xff);
    }
    memcpy(buf + prefix, dict, n);
    memset(buf + prefix + n, ' ', total - prefix - n - 1);
    buf[total - 1] = '\n';
    *len = total;
    return GC_OK;
}

/* The elements of t in C order, little-endian, through a bounded buffer. */
static gc_status npy_write_data(gc_context *ctx, gc_io_out *o, const char *path,
                                const gc_tensor *t)
{
    int64_t n;
    gc_tensor_numel(t, &n);
    if (n == 0)
        return GC_OK;
    const size_t isz = gc_dtype_size(t->dtype);
    const int swap = !npy_host_little();
    if (gc_tensor_is_contiguous(t) && !swap)
        return gc_io_out_write(ctx, "npy", path, o, t->data, (size_t)n * isz);

    enum { NPY_CHUNK = 1 << 16 };
    int64_t chunk_elems = NPY_CHUNK / (int64_t)isz;
    if (chunk_elems > n)
        chunk_elems = n;
    void *buf;
    gc_status st = gc_alloc(ctx, chunk_elems, isz, &buf);
    if (st != GC_OK)
        return st;
    unsigned char *b = buf;
    const unsigned char *src = t->data;
    int64_t idx[GC_MAX_RANK] = {0};
    int64_t so = 0, fill = 0;
    for (int64_t e = 0; e < n && st == GC_OK; e++) {
        memcpy(b + (size_t)fill * isz, src + (size_t)so * isz, isz);
        if (++fill == chunk_elems || e + 1 == n) {
            if (swap)
                npy_swap_inplace(b, (size_t)fill, isz);
            st = gc_io_out_write(ctx, "npy", path, o, b, (size_t)fill * isz);
            fill = 0;
        }
        for (int i = t->rank - 1; i >= 0; i--) {
            if (++idx[i] < t->dims[i]) {
                so += t->strides[i];
                break;
            }
            so -= (t->dims[i] - 1) * t->strides[i];
            idx[i] = 0;
        }
    }
    gc_free(ctx, buf);
    return st;
}

gc_status gc_npy_write(gc_context *ctx, const char *path, const gc_tensor *t)
{
    gc_clear_error(ctx);
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "npy: path is NULL");
    if (!t)
        return gc_fail(ctx, GC_ERR_NULL, "npy: tensor is NULL");
    if (!*path)
        return gc_fail(ctx, GC_ERR_ARG, "npy: path is empty");
    gc_status st = gc_tensor_check(ctx, t, "npy: tensor");
    if (st != GC_OK)
        return st;

    char header[1024];
    size_t header_len = 0;
    if ((st = npy_make_header(ctx, t, header, sizeof header, &header_len)) != GC_OK)
        return st;

    gc_io_out o;
    if ((st = gc_io_out_open(ctx, "npy", path, &o)) != GC_OK)
        return st;
    st = gc_io_out_write(ctx, "npy", path, &o, header, header_len);
    if (st == GC_OK)
        st = npy_write_data(ctx, &o, path, t);
    return gc_io_out_finish(ctx, "npy", path, &o, st);
}
