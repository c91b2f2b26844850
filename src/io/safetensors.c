/* safetensors.c - reading safetensors files: the header (parsed by safetensors_parse.c), every
 * bounds check on sizes and offsets, conversion to float32/float64, and lookup.
 *
 * Layout: 8 bytes little-endian N, N bytes of UTF-8 JSON (an object; trailing spaces allowed),
 * then the data. Each tensor is {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
 * offsets relative to the data start; "__metadata__" is a string -> string map. Nothing of a
 * size that the file states is allocated before it has been compared with what the file
 * actually holds: the header buffer is at most the file's size, the converted data at most
 * twice the data section (F16/BF16 -> float32). */
#include "io/io_file.h"
#include "io/safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define ST_MAX_HEADER 100000000ull /* the reference implementation's limit */

/* ---- where the bytes come from -------------------------------------------------------------- */

typedef struct st_source {
    const unsigned char *mem;  /* a buffer, or NULL for a file */
    int fd;
    const char *path;
    uint64_t total;
} st_source;

static gc_status st_src_read(gc_context *ctx, const st_source *s, uint64_t off, void *dst,
                             size_t n)
{
    if (off > s->total || n > s->total - off)
        return gc_fail(ctx, GC_ERR_INTERNAL, "safetensors: read beyond the end");
    if (s->mem) {
        memcpy(dst, s->mem + off, n);
        return GC_OK;
    }
    unsigned char *p = dst;
    while (n > 0) {
        ssize_t r = pread(s->fd, p, n > ((size_t)1 << 30) ? (size_t)1 << 30 : n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return gc_fail(ctx, GC_ERR_IO, "safetensors: cannot read '%s': %s", s->path,
                           strerror(errno));
        if (r == 0)
            return gc_fail(ctx, GC_ERR_FORMAT, "safetensors: '%s' shrank while being read",
                           s->path);
        p += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
    return GC_OK;
}

/* ---- checks after parsing --------------------------------------------------------------------- */

static int st_cmp_name(const void *a, const void *b)
{
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

static int st_cmp_offsets(const void *a, const void *b)
{
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* Shapes against byte counts, duplicate names, offsets tiling [0, data_bytes) exactly. */
static gc_status st_check(gc_context *ctx, gc_safetensors *st, uint64_t data_bytes)
{
    for (int64_t i = 0; i < st->count; i++) {
        st_tensor *t = &st->tensors[i];
        int64_t n = 1, bytes;
        for (int d = 0; d < t->rank; d++)
            if (!gc_mul_ok(n, t->dims[d], &n))
                return gc_fail(ctx, GC_ERR_OVERFLOW,
                               "safetensors: tensor '%.60s': the shape's element count overflows",
                               t->name);
        if (!gc_mul_ok(n, (int64_t)st_dtype_size(t->dtype), &bytes))
            return gc_fail(ctx, GC_ERR_OVERFLOW,
                           "safetensors: tensor '%.60s': its byte count overflows", t->name);
        t->numel = n;
        if (t->begin > t->end)
            return gc_fail(ctx, GC_ERR_FORMAT,
                           "safetensors: tensor '%.60s': data_offsets [%llu, %llu] are reversed",
                           t->name, (unsigned long long)t->begin, (unsigned long long)t->end);
        if (t->end - t->begin != (uint64_t)bytes)
            return gc_fail(ctx, GC_ERR_FORMAT,
                           "safetensors: tensor '%.60s': shape and dtype %s make %lld bytes, "
                           "data_offsets [%llu, %llu] give %llu",
                           t->name, st_dtype_str(t->dtype), (long long)bytes,
                           (unsigned long long)t->begin, (unsigned long long)t->end,
                           (unsigned long long)(t->end - t->begin));
        if (t->end > data_bytes)
            return gc_fail(ctx, GC_ERR_FORMAT,
                           "safetensors: tensor '%.60s': data_offsets end at %llu, past the "
                           "%llu bytes of data (truncated file?)",
                           t->name, (unsigned long long)t->end, (unsigned long long)data_bytes);
    }
    if (st->count == 0) {
        if (data_bytes != 0)
            return gc_fail(ctx, GC_ERR_FORMAT,
                           "safetensors: no tensors but %llu bytes of data",
                           (unsigned long long)data_bytes);
        return GC_OK;
    }
    st_tensor **idx;
    gc_status r = gc_alloc(ctx, st->count, sizeof *idx, (void **)&idx);
    if (r != GC_OK)
        return r;
    for (int64_t i = 0; i < st->count; i++)
        idx[i] = &st->tensors[i];
    qsort(idx, (size_t)st->count, sizeof *idx, st_cmp_name);
    for (int64_t i = 1; i < st->count && r == GC_OK; i++)
        if (strcmp(idx[i - 1]->name, idx[i]->name) == 0)
            r = gc_fail(ctx, GC_ERR_FORMAT, "safetensors: the tensor name '%.60s' appears twice",
                        idx[i]->name);
    if (r == GC_OK) {
        qsort(idx, (size_t)st->count, sizeof *idx, st_cmp_offsets);
        uint64_t at = 0;
        for (int64_t i = 0; i < st->count && r == GC_OK; i++) {
            if (idx[i]->begin != at)
                r = gc_fail(ctx, GC_ERR_FORMAT,
                            "safetensors: tensor '%.60s' starts at data byte %llu, expected %llu "
                            "(the data has a gap or tensors overlap)",
                            idx[i]->name, (unsigned long long)idx[i]->begin,
                            (unsigned long long)at);
            at = idx[i]->end;
        }
        if (r == GC_OK && at != data_bytes)
            r = gc_fail(ctx, GC_ERR_FORMAT,
                        "safetensors: the tensors cover %llu of the %llu data bytes (extra "
                        "bytes at the end)",
                        (unsigned long long)at, (unsigned long long)data_bytes);
    }
    gc_free(ctx, idx);
    return r;
}

/* ---- data conversion ---------------------------------------------------------------------- */

static int st_host_little(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static float st_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
    if (exp == 0x1F) {
        bits = sign | 0x7F800000u | (man << 13); /* Inf / NaN (payload kept) */
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    } else if (man == 0) {
        bits = sign;
    } else { /* subnormal: normalise */
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3FF) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static gc_status st_load(gc_context *ctx, const st_source *src, uint64_t data_start,
                         st_tensor *t)
{
    const uint64_t off = data_start + t->begin;
    const size_t bytes = (size_t)(t->end - t->begin);
    if (t->dtype == ST_F32 || t->dtype == ST_F64) {
        gc_status r = st_src_read(ctx, src, off, t->data, bytes);
        if (r != GC_OK || st_host_little())
            return r;
        unsigned char *p = t->data;
        for (int64_t i = 0; i < t->numel; i++) {
            if (t->dtype == ST_F32) {
                uint32_t v;
                memcpy(&v, p + 4 * i, 4);
                v = __builtin_bswap32(v);
                memcpy(p + 4 * i, &v, 4);
            } else {
                uint64_t v;
                memcpy(&v, p + 8 * i, 8);
                v = __builtin_bswap64(v);
                memcpy(p + 8 * i, &v, 8);
            }
        }
        return GC_OK;
    }
    /* F16 / BF16: in chunks through a small buffer */
    unsigned char chunk[8192];
    float *out = t->data;
    for (int64_t i = 0; i < t->numel;) {
        int64_t n = t->numel - i < (int64_t)(sizeof chunk / 2) ? t->numel - i
                                                               : (int64_t)(sizeof chunk / 2);
        gc_status r = st_src_read(ctx, src, off + (uint64_t)i * 2, chunk, (size_t)n * 2);
        if (r != GC_OK)
            return r;
        for (int64_t j = 0; j < n; j++) {
            uint16_t h = (uint16_t)(chunk[2 * j] | chunk[2 * j + 1] << 8);
            if (t->dtype == ST_F16) {
                out[i + j] = st_half_to_float(h);
            } else {
                uint32_t b = (uint32_t)h << 16;
                memcpy(&out[i + j], &b, 4);
            }
        }
        i += n;
    }
    return GC_OK;
}

/* ---- the whole read ------------------------------------------------------------------------ */

void gc_safetensors_free(gc_safetensors *st)
{
    if (!st)
        return;
    const gc_allocator a = st->alloc;
    void *ptrs[4] = {st->tensors, (void *)st->meta, st->strings, st->data};
    for (int i = 0; i < 4; i++)
        if (ptrs[i])
            a.free(ptrs[i], a.user);
    a.free(st, a.user);
}

static gc_status st_read(gc_context *ctx, const st_source *src, gc_safetensors **out)
{
    const char *what = src->mem ? "the buffer" : src->path;
    if (src->total < 8)
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "safetensors: %s%s%s is %llu bytes; a safetensors file starts with an "
                       "8-byte header length",
                       src->mem ? "" : "'", what, src->mem ? "" : "'",
                       (unsigned long long)src->total);
    unsigned char lenbuf[8];
    gc_status r = st_src_read(ctx, src, 0, lenbuf, 8);
    if (r != GC_OK)
        return r;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | lenbuf[i];
    if (hlen > src->total - 8)
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "safetensors: header length %llu is more than the %llu bytes that follow "
                       "it (truncated, or not a safetensors file)",
                       (unsigned long long)hlen, (unsigned long long)(src->total - 8));
    if (hlen > ST_MAX_HEADER)
        return gc_fail(ctx, GC_ERR_LIMIT, "safetensors: header length %llu is over the limit "
                       "of %llu bytes", (unsigned long long)hlen, ST_MAX_HEADER);
    if (hlen < 2)
        return gc_fail(ctx, GC_ERR_FORMAT, "safetensors: header length %llu is too small",
                       (unsigned long long)hlen);

    gc_safetensors *st;
    if ((r = gc_alloc(ctx, 1, sizeof *st, (void **)&st)) != GC_OK)
        return r;
    memset(st, 0, sizeof *st);
    st->alloc = *gc_ctx_allocator(ctx);
    unsigned char *header = NULL;
    r = gc_alloc(ctx, (int64_t)hlen, 1, (void **)&header);
    if (r == GC_OK)
        r = st_src_read(ctx, src, 8, header, (size_t)hlen);
    if (r == GC_OK && (r = gc_alloc(ctx, (int64_t)hlen + 1, 1, (void **)&st->strings)) == GC_OK)
        st->strings_cap = (size_t)hlen + 1;
    if (r == GC_OK) {
        r = st_parse_header(ctx, header, (size_t)hlen, st);
    }
    gc_free(ctx, header);
    const uint64_t data_start = 8 + hlen, data_bytes = src->total - data_start;
    if (r == GC_OK)
        r = st_check(ctx, st, data_bytes);
    /* One buffer for every convertible tensor, each at a multiple of 64 bytes. */
    int64_t total = 0;
    for (int64_t i = 0; i < st->count && r == GC_OK; i++) {
        st_tensor *t = &st->tensors[i];
        gc_dtype g = st_dtype_target(t->dtype);
        int64_t b;
        if (!g)
            continue;
        if (!gc_mul_ok(t->numel, (int64_t)gc_dtype_size(g), &b) || !gc_add_ok(b, 63, &b) ||
            !gc_add_ok(total, b / 64 * 64, &total))
            r = gc_fail(ctx, GC_ERR_OVERFLOW, "safetensors: converted size overflows");
    }
    if (r == GC_OK && total > 0)
        r = gc_alloc(ctx, total, 1, &st->data);
    int64_t at = 0;
    for (int64_t i = 0; i < st->count && r == GC_OK; i++) {
        st_tensor *t = &st->tensors[i];
        gc_dtype g = st_dtype_target(t->dtype);
        if (!g)
            continue;
        t->data = st->data ? (char *)st->data + at : NULL; /* NULL: every tensor is empty */
        at += ((int64_t)gc_dtype_size(g) * t->numel + 63) / 64 * 64;
        if (t->numel > 0)
            r = st_load(ctx, src, data_start, t);
    }
    if (r != GC_OK) {
        gc_safetensors_free(st);
        return r;
    }
    *out = st;
    return GC_OK;
}

gc_status gc_safetensors_read_mem(gc_context *ctx, const void *buf, size_t size,
                                  gc_safetensors **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: output pointer is NULL");
    *out = NULL;
    if (!buf && size)
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: buffer is NULL");
    st_source src = {buf ? buf : (const unsigned char *)"", -1, NULL, size};
    return st_read(ctx, &src, out);
}

gc_status gc_safetensors_read(gc_context *ctx, const char *path, gc_safetensors **out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: output pointer is NULL");
    *out = NULL;
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: path is NULL");
    int fd = gc_io_open_read(path); /* a FIFO is refused by the fstat, never waited on */
    if (fd < 0)
        return gc_fail(ctx, GC_ERR_IO, "safetensors: cannot open '%s': %s", path,
                       strerror(errno));
    struct stat sb;
    gc_status r = GC_OK;
    if (fstat(fd, &sb) != 0)
        r = gc_fail(ctx, GC_ERR_IO, "safetensors: cannot stat '%s': %s", path, strerror(errno));
    else if (S_ISDIR(sb.st_mode))
        r = gc_fail(ctx, GC_ERR_IO, "safetensors: cannot read '%s': %s", path,
                    strerror(EISDIR));
    else if (!S_ISREG(sb.st_mode) || sb.st_size < 0)
        r = gc_fail(ctx, GC_ERR_IO, "safetensors: cannot read '%s': not a regular file", path);
    if (r == GC_OK) {
        st_source src = {NULL, fd, path, (uint64_t)sb.st_size};
        r = st_read(ctx, &src, out);
        if (r != GC_OK && ctx && !strstr(ctx->error, path)) {
            char msg[sizeof ctx->error];
            snprintf(msg, sizeof msg, "%s", ctx->error);
            gc_fail(ctx, r, "%s (in '%s')", msg, path);
        }
    }
    close(fd);
    return r;
}

/* ---- lookup --------------------------------------------------------------------------------- */

int64_t gc_safetensors_count(const gc_safetensors *st) { return st ? st->count : 0; }

const char *gc_safetensors_name(const gc_safetensors *st, int64_t index)
{
    if (!st || index < 0 || index >= st->count)
        return NULL;
    return st->tensors[index].name;
}

static void st_shape_str(char *buf, size_t cap, int rank, const int64_t *dims)
{
    size_t n = 0;
    n += (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < rank && n < cap; i++) {
        if (dims[i] < 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s*", i ? ", " : "");
        else
            n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? ", " : "", (long long)dims[i]);
    }
    if (n < cap)
        snprintf(buf + n, cap - n, "]");
}

gc_status gc_safetensors_get(gc_context *ctx, const gc_safetensors *st, const char *name,
                             int rank, const int64_t *dims, gc_tensor *out)
{
    gc_clear_error(ctx);
    if (!out)
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: output tensor is NULL");
    memset(out, 0, sizeof *out);
    if (!st || !name)
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: %s is NULL", !st ? "file" : "name");
    const st_tensor *t = NULL;
    for (int64_t i = 0; i < st->count && !t; i++)
        if (strcmp(st->tensors[i].name, name) == 0)
            t = &st->tensors[i];
    if (!t)
        return gc_fail(ctx, GC_ERR_ARG, "safetensors: no tensor named '%.80s'", name);
    if (!st_dtype_target(t->dtype))
        return gc_fail(ctx, GC_ERR_DTYPE,
                       "safetensors: tensor '%.80s' has dtype %s; gramconv reads F32, F64, F16 "
                       "and BF16",
                       name, st_dtype_str(t->dtype));
    if (rank >= 0) {
        int bad = t->rank != rank;
        for (int i = 0; !bad && dims && i < rank; i++)
            bad = dims[i] >= 0 && dims[i] != t->dims[i];
        if (bad) {
            char have[160], want[160];
            st_shape_str(have, sizeof have, t->rank, t->dims);
            if (dims && rank <= GC_MAX_RANK)
                st_shape_str(want, sizeof want, rank, dims);
            else
                snprintf(want, sizeof want, "rank %d", rank);
            return gc_fail(ctx, t->rank != rank ? GC_ERR_RANK : GC_ERR_SHAPE,
                           "safetensors: tensor '%.80s' has shape %s, expected %s", name, have,
                           want);
        }
    }
    return gc_tensor_wrap(out, st_dtype_target(t->dtype), t->rank, t->dims, NULL, t->data);
}

int64_t gc_safetensors_metadata_count(const gc_safetensors *st) { return st ? st->nmeta : 0; }

gc_status gc_safetensors_metadata_at(const gc_safetensors *st, int64_t index, const char **key,
                                     const char **value)
{
    if (!st || !key || !value)
        return GC_ERR_NULL;
    if (index < 0 || index >= st->nmeta)
        return GC_ERR_ARG;
    *key = st->meta[2 * index];
    *value = st->meta[2 * index + 1];
    return GC_OK;
}

const char *gc_safetensors_metadata_get(const gc_safetensors *st, const char *key)
{
    if (!st || !key)
        return NULL;
    for (int64_t i = 0; i < st->nmeta; i++)
        if (strcmp(st->meta[2 * i], key) == 0)
            return st->meta[2 * i + 1];
    return NULL;
}
