/* safetensors.c - reading safetensors files: the header parser (a small strict JSON reader),
 * every bounds check, conversion to float32/float64, and lookup.
 *
 * Layout: 8 bytes little-endian N, N bytes of UTF-8 JSON (an object; trailing spaces allowed),
 * then the data. Each tensor is {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
 * offsets relative to the data start; "__metadata__" is a string -> string map. Nothing of a
 * size that the file states is allocated before it has been compared with what the file
 * actually holds: the header buffer is at most the file's size, the converted data at most
 * twice the data section (F16/BF16 -> float32). */
#include "safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define ST_MAX_HEADER 100000000ull /* the reference implementation's limit */
#define ST_MAX_DEPTH 64            /* nesting of values we skip */

static const struct {
    const char *name;
    size_t size;
    gc_dtype target;
} st_dtypes[ST_NDTYPES] = {
    [ST_BOOL] = {"BOOL", 1, 0},       [ST_U8] = {"U8", 1, 0},
    [ST_I8] = {"I8", 1, 0},           [ST_F8_E5M2] = {"F8_E5M2", 1, 0},
    [ST_F8_E4M3] = {"F8_E4M3", 1, 0}, [ST_I16] = {"I16", 2, 0},
    [ST_U16] = {"U16", 2, 0},         [ST_F16] = {"F16", 2, GC_DTYPE_F32},
    [ST_BF16] = {"BF16", 2, GC_DTYPE_F32}, [ST_I32] = {"I32", 4, 0},
    [ST_U32] = {"U32", 4, 0},         [ST_F32] = {"F32", 4, GC_DTYPE_F32},
    [ST_F64] = {"F64", 8, GC_DTYPE_F64}, [ST_I64] = {"I64", 8, 0},
    [ST_U64] = {"U64", 8, 0},
};

size_t st_dtype_size(st_dtype d) { return st_dtypes[d].size; }
const char *st_dtype_str(st_dtype d) { return st_dtypes[d].name; }
gc_dtype st_dtype_target(st_dtype d) { return st_dtypes[d].target; }

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

/* ---- the parser ------------------------------------------------------------------------------ */

typedef struct st_parser {
    gc_context *ctx;
    const unsigned char *s;
    size_t n, pos;
    gc_safetensors *st;
} st_parser;

static const char *st_snippet(char *buf, size_t cap, const unsigned char *s, size_t len)
{
    size_t max = cap - 4, n = len < max ? len : max, j = 0;
    for (size_t i = 0; i < n; i++)
        buf[j++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
    if (n < len) {
        memcpy(buf + j, "...", 3);
        j += 3;
    }
    buf[j] = '\0';
    return buf;
}

static gc_status st_expected(st_parser *p, const char *what)
{
    char snip[24];
    if (p->pos >= p->n)
        return gc_fail(p->ctx, GC_ERR_FORMAT,
                       "safetensors: malformed header: expected %s at byte %zu, found the end of "
                       "the header",
                       what, p->pos);
    return gc_fail(p->ctx, GC_ERR_FORMAT,
                   "safetensors: malformed header: expected %s at byte %zu, found '%s'", what,
                   p->pos, st_snippet(snip, sizeof snip, p->s + p->pos, p->n - p->pos));
}

static void st_ws(st_parser *p)
{
    while (p->pos < p->n && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                             p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static int st_accept(st_parser *p, char c)
{
    st_ws(p);
    if (p->pos < p->n && p->s[p->pos] == (unsigned char)c) {
        p->pos++;
        return 1;
    }
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid (overlong forms,
 * surrogates and values above U+10FFFF are invalid). */
static size_t st_utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned min, cp;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static size_t st_put_utf8(unsigned char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int st_hex4(const unsigned char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

/* A JSON string. With keep, it is decoded into the arena and *out points at it (the decoded
 * form is never longer than the source, quotes included, so the arena, as large as the
 * header, cannot overflow). */
static gc_status st_string(st_parser *p, const char *what, int keep, const char **out)
{
    st_ws(p);
    if (p->pos >= p->n || p->s[p->pos] != '"')
        return st_expected(p, what);
    p->pos++;
    gc_safetensors *st = p->st;
    unsigned char *o = keep ? (unsigned char *)st->strings + st->strings_used : NULL;
    size_t k = 0;
    for (;;) {
        if (p->pos >= p->n)
            return gc_fail(p->ctx, GC_ERR_FORMAT,
                           "safetensors: malformed header: unterminated string");
        unsigned c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20)
            return gc_fail(p->ctx, GC_ERR_FORMAT,
                           "safetensors: malformed header: control character 0x%02x in a string "
                           "at byte %zu",
                           c, p->pos);
        if (c != '\\') {
            size_t len = st_utf8_len(p->s + p->pos, p->n - p->pos);
            if (len == 0)
                return gc_fail(p->ctx, GC_ERR_FORMAT,
                               "safetensors: malformed header: invalid UTF-8 at byte %zu",
                               p->pos);
            if (o)
                memcpy(o + k, p->s + p->pos, len);
            k += len;
            p->pos += len;
            continue;
        }
        if (p->pos + 1 >= p->n)
            return gc_fail(p->ctx, GC_ERR_FORMAT,
                           "safetensors: malformed header: unterminated string");
        unsigned e = p->s[p->pos + 1], cp;
        p->pos += 2;
        switch (e) {
        case '"': cp = '"'; break;
        case '\\': cp = '\\'; break;
        case '/': cp = '/'; break;
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u':
            if (p->n - p->pos < 4 || !st_hex4(p->s + p->pos, &cp))
                return gc_fail(p->ctx, GC_ERR_FORMAT,
                               "safetensors: malformed header: bad \\u escape at byte %zu",
                               p->pos - 2);
            p->pos += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p->n - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u' ||
                    !st_hex4(p->s + p->pos + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                    return gc_fail(p->ctx, GC_ERR_FORMAT,
                                   "safetensors: malformed header: unpaired surrogate at byte "
                                   "%zu",
                                   p->pos - 6);
                p->pos += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return gc_fail(p->ctx, GC_ERR_FORMAT,
                               "safetensors: malformed header: unpaired surrogate at byte %zu",
                               p->pos - 6);
            } else if (cp == 0) {
                return gc_fail(p->ctx, GC_ERR_FORMAT,
                               "safetensors: a string contains \\u0000 (byte %zu)", p->pos - 6);
            }
            break;
        default:
            return gc_fail(p->ctx, GC_ERR_FORMAT,
                           "safetensors: malformed header: bad escape '\\%c' at byte %zu",
                           (e >= 0x20 && e < 0x7f) ? (char)e : '?', p->pos - 2);
        }
        if (o)
            k += st_put_utf8(o + k, cp);
        else
            k += 1;
    }
    if (keep) {
        o[k] = '\0';
        *out = (const char *)o;
        st->strings_used += k + 1;
    }
    return GC_OK;
}

/* A non-negative JSON integer (no sign, fraction or exponent; as the reference
 * implementation's unsigned fields), at most INT64_MAX. */
static gc_status st_uint(st_parser *p, const char *what, int64_t *v)
{
    st_ws(p);
    size_t start = p->pos;
    if (p->pos < p->n && p->s[p->pos] == '-')
        return gc_fail(p->ctx, GC_ERR_FORMAT, "safetensors: %s is negative (byte %zu)", what,
                       start);
    if (p->pos >= p->n || p->s[p->pos] < '0' || p->s[p->pos] > '9')
        return st_expected(p, what);
    int64_t x = 0;
    int overflow = 0;
    while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
        if (!gc_mul_ok(x, 10, &x) || !gc_add_ok(x, p->s[p->pos] - '0', &x))
            overflow = 1;
        p->pos++;
    }
    if (p->pos < p->n && (p->s[p->pos] == '.' || p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos = start;
        return st_expected(p, what);
    }
    if (p->s[start] == '0' && p->pos - start > 1) {
        p->pos = start;
        return gc_fail(p->ctx, GC_ERR_FORMAT,
                       "safetensors: malformed header: number with a leading zero at byte %zu",
                       start);
    }
    if (overflow)
        return gc_fail(p->ctx, GC_ERR_OVERFLOW,
                       "safetensors: %s at byte %zu does not fit in 63 bits", what, start);
    *v = x;
    return GC_OK;
}

/* Skip any JSON value (for keys we do not interpret), nested at most ST_MAX_DEPTH deep. */
static gc_status st_skip(st_parser *p, int depth)
{
    if (depth > ST_MAX_DEPTH)
        return gc_fail(p->ctx, GC_ERR_FORMAT,
                       "safetensors: malformed header: values nested deeper than %d",
                       ST_MAX_DEPTH);
    st_ws(p);
    if (p->pos >= p->n)
        return st_expected(p, "a value");
    unsigned char c = p->s[p->pos];
    gc_status r;
    if (c == '"')
        return st_string(p, "a string", 0, NULL);
    if (c == '{' || c == '[') {
        const char close = c == '{' ? '}' : ']';
        p->pos++;
        if (st_accept(p, close))
            return GC_OK;
        do {
            if (c == '{') {
                if ((r = st_string(p, "a key", 0, NULL)) != GC_OK)
                    return r;
                if (!st_accept(p, ':'))
                    return st_expected(p, "':'");
            }
            if ((r = st_skip(p, depth + 1)) != GC_OK)
                return r;
        } while (st_accept(p, ','));
        return st_accept(p, close) ? GC_OK : st_expected(p, close == '}' ? "',' or '}'"
                                                                          : "',' or ']'");
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t len = strlen(words[i]);
        if (p->n - p->pos >= len && memcmp(p->s + p->pos, words[i], len) == 0) {
            p->pos += len;
            return GC_OK;
        }
    }
    /* a number: -? digits (. digits)? ([eE] [+-]? digits)? */
    size_t start = p->pos;
    if (p->s[p->pos] == '-')
        p->pos++;
    size_t d0 = p->pos;
    while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
        p->pos++;
    if (p->pos == d0) {
        p->pos = start;
        return st_expected(p, "a value");
    }
    if (p->pos < p->n && p->s[p->pos] == '.') {
        p->pos++;
        size_t f0 = p->pos;
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
        if (p->pos == f0)
            return st_expected(p, "a digit");
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
            p->pos++;
        size_t e0 = p->pos;
        while (p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
            p->pos++;
        if (p->pos == e0)
            return st_expected(p, "a digit");
    }
    return GC_OK;
}

/* Grow an array of `elem`-byte items (through the context's allocator) to hold one more. */
static gc_status st_grow(gc_context *ctx, void **arr, int64_t count, int64_t *cap, size_t elem)
{
    if (count < *cap)
        return GC_OK;
    int64_t ncap = *cap ? *cap * 2 : 16;
    void *n;
    gc_status st = gc_alloc(ctx, ncap, elem, &n);
    if (st != GC_OK)
        return st;
    if (count)
        memcpy(n, *arr, (size_t)count * elem);
    gc_free(ctx, *arr);
    *arr = n;
    *cap = ncap;
    return GC_OK;
}

static gc_status st_parse_metadata(st_parser *p)
{
    gc_safetensors *st = p->st;
    st_ws(p);
    if (!st_accept(p, '{'))
        return st_expected(p, "'{' (__metadata__ is an object of strings)");
    if (st_accept(p, '}'))
        return GC_OK;
    do {
        const char *k, *v;
        gc_status r = st_string(p, "a metadata key", 1, &k);
        if (r != GC_OK)
            return r;
        if (!st_accept(p, ':'))
            return st_expected(p, "':'");
        st_ws(p);
        if (p->pos < p->n && p->s[p->pos] != '"')
            return gc_fail(p->ctx, GC_ERR_FORMAT,
                           "safetensors: __metadata__ value of '%.60s' is not a string", k);
        if ((r = st_string(p, "a metadata value", 1, &v)) != GC_OK)
            return r;
        for (int64_t i = 0; i < st->nmeta; i++)
            if (strcmp(st->meta[2 * i], k) == 0)
                return gc_fail(p->ctx, GC_ERR_FORMAT,
                               "safetensors: __metadata__ has the key '%.60s' twice", k);
        int64_t cap2 = st->meta_cap;
        if ((r = st_grow(p->ctx, (void **)&st->meta, 2 * st->nmeta, &cap2, sizeof(char *))) !=
            GC_OK)
            return r;
        st->meta_cap = cap2;
        st->meta[2 * st->nmeta] = k;
        st->meta[2 * st->nmeta + 1] = v;
        st->nmeta++;
    } while (st_accept(p, ','));
    return st_accept(p, '}') ? GC_OK : st_expected(p, "',' or '}'");
}

static gc_status st_parse_tensor(st_parser *p, st_tensor *t)
{
    if (!st_accept(p, '{'))
        return st_expected(p, "'{' (a tensor's description)");
    if (st_accept(p, '}'))
        return gc_fail(p->ctx, GC_ERR_FORMAT, "safetensors: tensor '%.60s' has no fields",
                       t->name);
    do {
        const char *key;
        size_t mark = p->st->strings_used;
        gc_status r = st_string(p, "a field name", 1, &key);
        if (r != GC_OK)
            return r;
        if (!st_accept(p, ':'))
            return st_expected(p, "':'");
        int which = strcmp(key, "dtype") == 0 ? 1 : strcmp(key, "shape") == 0 ? 2
                    : strcmp(key, "data_offsets") == 0 ? 3 : 0;
        p->st->strings_used = mark; /* the key itself is not kept */
        int *have = which == 1 ? &t->have_dtype : which == 2 ? &t->have_shape
                    : which == 3 ? &t->have_offsets : NULL;
        if (have && *have)
            return gc_fail(p->ctx, GC_ERR_FORMAT,
                           "safetensors: tensor '%.60s' has the field '%s' twice", t->name,
                           which == 1 ? "dtype" : which == 2 ? "shape" : "data_offsets");
        if (have)
            *have = 1;
        if (which == 1) {
            const char *d;
            mark = p->st->strings_used;
            if ((r = st_string(p, "a dtype string", 1, &d)) != GC_OK)
                return r;
            int found = -1;
            for (int i = 0; i < ST_NDTYPES; i++)
                if (strcmp(d, st_dtypes[i].name) == 0)
                    found = i;
            if (found < 0)
                return gc_fail(p->ctx, GC_ERR_DTYPE,
                               "safetensors: tensor '%.60s' has the unknown dtype '%.20s'",
                               t->name, d);
            p->st->strings_used = mark;
            t->dtype = (st_dtype)found;
        } else if (which == 2) {
            if (!st_accept(p, '['))
                return st_expected(p, "'[' (a shape)");
            t->rank = 0;
            if (!st_accept(p, ']')) {
                do {
                    int64_t v;
                    if ((r = st_uint(p, "a shape dimension", &v)) != GC_OK)
                        return r;
                    if (t->rank == GC_MAX_RANK)
                        return gc_fail(p->ctx, GC_ERR_RANK,
                                       "safetensors: tensor '%.60s' has more than %d "
                                       "dimensions",
                                       t->name, GC_MAX_RANK);
                    t->dims[t->rank++] = v;
                } while (st_accept(p, ','));
                if (!st_accept(p, ']'))
                    return st_expected(p, "',' or ']'");
            }
        } else if (which == 3) {
            int64_t b, e;
            if (!st_accept(p, '['))
                return st_expected(p, "'[' (data_offsets)");
            if ((r = st_uint(p, "a data offset", &b)) != GC_OK)
                return r;
            if (!st_accept(p, ','))
                return st_expected(p, "',' (data_offsets has two numbers)");
            if ((r = st_uint(p, "a data offset", &e)) != GC_OK)
                return r;
            if (!st_accept(p, ']'))
                return st_expected(p, "']' (data_offsets has two numbers)");
            t->begin = (uint64_t)b;
            t->end = (uint64_t)e;
        } else if ((r = st_skip(p, 1)) != GC_OK) {
            return r;
        }
    } while (st_accept(p, ','));
    if (!st_accept(p, '}'))
        return st_expected(p, "',' or '}'");
    if (!t->have_dtype || !t->have_shape || !t->have_offsets)
        return gc_fail(p->ctx, GC_ERR_FORMAT, "safetensors: tensor '%.60s' has no '%s'",
                       t->name, !t->have_dtype ? "dtype" : !t->have_shape ? "shape"
                                                                          : "data_offsets");
    return GC_OK;
}

static gc_status st_parse(st_parser *p)
{
    gc_safetensors *st = p->st;
    int have_meta = 0;
    if (!st_accept(p, '{'))
        return st_expected(p, "'{' (the header is a JSON object)");
    if (!st_accept(p, '}')) {
        do {
            const char *name;
            gc_status r = st_string(p, "a tensor name", 1, &name);
            if (r != GC_OK)
                return r;
            if (!st_accept(p, ':'))
                return st_expected(p, "':'");
            if (strcmp(name, "__metadata__") == 0) {
                if (have_meta)
                    return gc_fail(p->ctx, GC_ERR_FORMAT,
                                   "safetensors: the header has __metadata__ twice");
                have_meta = 1;
                if ((r = st_parse_metadata(p)) != GC_OK)
                    return r;
                continue;
            }
            if ((r = st_grow(p->ctx, (void **)&st->tensors, st->count, &st->cap,
                             sizeof(st_tensor))) != GC_OK)
                return r;
            st_tensor *t = &st->tensors[st->count];
            memset(t, 0, sizeof *t);
            t->name = name;
            st->count++;
            if ((r = st_parse_tensor(p, t)) != GC_OK)
                return r;
        } while (st_accept(p, ','));
        if (!st_accept(p, '}'))
            return st_expected(p, "',' or '}'");
    }
    st_ws(p);
    if (p->pos != p->n)
        return gc_fail(p->ctx, GC_ERR_FORMAT,
                       "safetensors: malformed header: %zu bytes after the JSON object (from "
                       "byte %zu)",
                       p->n - p->pos, p->pos);
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
        st_parser p = {ctx, header, (size_t)hlen, 0, st};
        r = st_parse(&p);
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
        t->data = (char *)st->data + at;
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
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
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
