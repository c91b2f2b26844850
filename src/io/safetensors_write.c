/* safetensors_write.c - writing safetensors files: named float32/float64 tensors (any
 * strides) and an optional __metadata__ string map, atomically (temporary file + rename). */
#include "io/io_file.h"

#include <stdlib.h>
#include <string.h>

/* A growable text buffer for the JSON header (through the context's allocator). */
typedef struct stw_buf {
    gc_context *ctx;
    char *p;
    size_t n, cap;
    gc_status st;
} stw_buf;

static void stw_put(stw_buf *b, const char *s, size_t len)
{
    if (b->st != GC_OK)
        return;
    if (len > b->cap - b->n) {
        size_t ncap = b->cap ? b->cap : 256;
        while (len > ncap - b->n) {
            if (ncap > (size_t)INT64_MAX / 4) {
                b->st = gc_fail(b->ctx, GC_ERR_OVERFLOW, "safetensors: header too large");
                return;
            }
            ncap *= 2;
        }
        char *np;
        if ((b->st = gc_alloc(b->ctx, (int64_t)ncap, 1, (void **)&np)) != GC_OK)
            return;
        if (b->n)
            memcpy(np, b->p, b->n);
        gc_free(b->ctx, b->p);
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
}

static void stw_puts(stw_buf *b, const char *s) { stw_put(b, s, strlen(s)); }

/* 1 if s is valid UTF-8 (no overlongs, surrogates or values above U+10FFFF). */
static int stw_utf8_ok(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s, len, cp, min;
        if (c < 0x80) {
            s++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        for (unsigned i = 1; i < len; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        s += len;
    }
    return 1;
}

/* A JSON string literal: '"' and '\\' escaped, control characters as \u00XX. */
static void stw_string(stw_buf *b, const char *s)
{
    stw_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            stw_put(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof e, "\\u%04x", c);
            stw_put(b, e, 6);
        } else {
            stw_put(b, (const char *)&c, 1);
        }
    }
    stw_put(b, "\"", 1);
}

static int stw_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names and keys: non-NULL, non-empty, UTF-8, unique, and tensor names not "__metadata__". */
static gc_status stw_check_names(gc_context *ctx, const char **names, int64_t n,
                                 const char *what)
{
    for (int64_t i = 0; i < n; i++) {
        if (!names[i])
            return gc_fail(ctx, GC_ERR_NULL, "safetensors: %s %lld is NULL", what, (long long)i);
        if (!*names[i])
            return gc_fail(ctx, GC_ERR_ARG, "safetensors: %s %lld is empty", what, (long long)i);
        if (!stw_utf8_ok(names[i]))
            return gc_fail(ctx, GC_ERR_ARG, "safetensors: %s %lld is not valid UTF-8", what,
                           (long long)i);
        if (strcmp(what, "tensor name") == 0 && strcmp(names[i], "__metadata__") == 0)
            return gc_fail(ctx, GC_ERR_ARG,
                           "safetensors: a tensor cannot be called __metadata__");
    }
    if (n < 2)
        return GC_OK;
    qsort(names, (size_t)n, sizeof *names, stw_cmp_str);
    for (int64_t i = 1; i < n; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            return gc_fail(ctx, GC_ERR_ARG, "safetensors: the %s '%.80s' appears twice", what,
                           names[i]);
    return GC_OK;
}

/* The elements of t in C order, little-endian, through a bounded buffer. */
static gc_status stw_data(gc_context *ctx, gc_io_out *o, const char *path, const gc_tensor *t,
                          unsigned char *buf, size_t cap)
{
    int64_t n;
    gc_tensor_numel(t, &n);
    const size_t isz = gc_dtype_size(t->dtype);
    const uint16_t one = 1;
    unsigned char little;
    memcpy(&little, &one, 1);
    const unsigned char *src = t->data;
    int64_t idx[GC_MAX_RANK] = {0};
    int64_t so = 0;
    size_t fill = 0;
    for (int64_t e = 0; e < n; e++) {
        unsigned char *d = buf + fill;
        memcpy(d, src + (size_t)so * isz, isz);
        if (!little)
            for (size_t i = 0; i < isz / 2; i++) {
                unsigned char x = d[i];
                d[i] = d[isz - 1 - i];
                d[isz - 1 - i] = x;
            }
        fill += isz;
        if (fill + isz > cap || e + 1 == n) {
            gc_status st = gc_io_out_write(ctx, "safetensors", path, o, buf, fill);
            if (st != GC_OK)
                return st;
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
    return GC_OK;
}

gc_status gc_safetensors_write(gc_context *ctx, const char *path,
                               const gc_safetensors_entry *tensors, int64_t count,
                               const gc_safetensors_meta *meta, int64_t nmeta)
{
    gc_clear_error(ctx);
    if (!path)
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: path is NULL");
    if (!*path)
        return gc_fail(ctx, GC_ERR_ARG, "safetensors: path is empty");
    if (count < 0 || nmeta < 0)
        return gc_fail(ctx, GC_ERR_ARG, "safetensors: negative count (%lld tensors, %lld "
                       "metadata pairs)", (long long)count, (long long)nmeta);
    if ((count > 0 && !tensors) || (nmeta > 0 && !meta))
        return gc_fail(ctx, GC_ERR_NULL, "safetensors: %s array is NULL",
                       count > 0 && !tensors ? "tensor" : "metadata");
    gc_status st = GC_OK;
    for (int64_t i = 0; i < count && st == GC_OK; i++) {
        const gc_tensor *t = tensors[i].tensor;
        if (!t)
            return gc_fail(ctx, GC_ERR_NULL, "safetensors: tensor %lld is NULL", (long long)i);
        st = gc_tensor_check(ctx, t, "safetensors: tensor");
    }
    if (st != GC_OK)
        return st;
    for (int64_t i = 0; i < nmeta; i++)
        if (!meta[i].value || !stw_utf8_ok(meta[i].value))
            return gc_fail(ctx, meta[i].value ? GC_ERR_ARG : GC_ERR_NULL,
                           "safetensors: metadata value %lld is %s", (long long)i,
                           meta[i].value ? "not valid UTF-8" : "NULL");

    /* Name checks on sorted copies of the pointers. */
    const int64_t nn = count > nmeta ? count : nmeta;
    const char **names = NULL;
    if (nn > 0 && (st = gc_alloc(ctx, nn, sizeof *names, (void **)&names)) != GC_OK)
        return st;
    for (int64_t i = 0; i < count; i++)
        names[i] = tensors[i].name;
    st = stw_check_names(ctx, names, count, "tensor name");
    for (int64_t i = 0; i < nmeta && st == GC_OK; i++)
        names[i] = meta[i].key;
    if (st == GC_OK)
        st = stw_check_names(ctx, names, nmeta, "metadata key");
    gc_free(ctx, names);
    if (st != GC_OK)
        return st;

    /* The header. */
    stw_buf b = {ctx, NULL, 0, 0, GC_OK};
    stw_puts(&b, "{");
    if (nmeta > 0) {
        stw_puts(&b, "\"__metadata__\":{");
        for (int64_t i = 0; i < nmeta; i++) {
            if (i)
                stw_puts(&b, ",");
            stw_string(&b, meta[i].key);
            stw_puts(&b, ":");
            stw_string(&b, meta[i].value);
        }
        stw_puts(&b, "}");
    }
    uint64_t offset = 0;
    for (int64_t i = 0; i < count && b.st == GC_OK; i++) {
        const gc_tensor *t = tensors[i].tensor;
        int64_t n, bytes;
        if (gc_tensor_numel(t, &n) != GC_OK ||
            !gc_mul_ok(n, (int64_t)gc_dtype_size(t->dtype), &bytes) ||
            offset > (uint64_t)INT64_MAX - (uint64_t)bytes) {
            b.st = gc_fail(ctx, GC_ERR_OVERFLOW, "safetensors: data size overflows");
            break;
        }
        char num[48];
        if (nmeta > 0 || i > 0)
            stw_puts(&b, ",");
        stw_string(&b, tensors[i].name);
        stw_puts(&b, t->dtype == GC_DTYPE_F32 ? ":{\"dtype\":\"F32\",\"shape\":["
                                              : ":{\"dtype\":\"F64\",\"shape\":[");
        for (int d = 0; d < t->rank; d++) {
            snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t->dims[d]);
            stw_puts(&b, num);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
                 (unsigned long long)(offset + (uint64_t)bytes));
        stw_puts(&b, num);
        offset += (uint64_t)bytes;
    }
    stw_puts(&b, "}");
    while (b.st == GC_OK && b.n % 8 != 0)
        stw_puts(&b, " ");
    if (b.st != GC_OK) {
        gc_free(ctx, b.p);
        return b.st;
    }

    /* The file. */
    unsigned char *chunk = NULL;
    enum { STW_CHUNK = 1 << 16 };
    gc_io_out out;
    if ((st = gc_alloc(ctx, STW_CHUNK, 1, (void **)&chunk)) == GC_OK)
        st = gc_io_out_open(ctx, "safetensors", path, &out);
    if (st != GC_OK) {
        gc_free(ctx, chunk);
        gc_free(ctx, b.p);
        return st;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)(((uint64_t)b.n >> (8 * i)) & 0xff);
    st = gc_io_out_write(ctx, "safetensors", path, &out, len8, 8);
    if (st == GC_OK)
        st = gc_io_out_write(ctx, "safetensors", path, &out, b.p, b.n);
    for (int64_t i = 0; i < count && st == GC_OK; i++)
        st = stw_data(ctx, &out, path, tensors[i].tensor, chunk, STW_CHUNK);
    gc_free(ctx, chunk);
    gc_free(ctx, b.p);
    return gc_io_out_finish(ctx, "safetensors", path, &out, st);
}
