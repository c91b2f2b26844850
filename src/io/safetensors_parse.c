/* safetensors_parse.c - the safetensors header parser: a small strict JSON reader (UTF-8
 * checked, escapes and surrogate pairs decoded, no NUL in strings, numbers as non-negative
 * 63-bit integers, unknown values skipped up to a nesting depth) that fills a gc_safetensors
 * with names, dtypes, shapes, data_offsets and the __metadata__ map. Sizes and offsets are
 * checked against the file afterwards (safetensors.c). */
#include "io/safetensors.h"

#include <stdio.h>
#include <string.h>

#define ST_MAX_DEPTH 64 /* nesting of values we skip */

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

/* ---- the parser ------------------------------------------------------------------------------ */

typedef struct st_parser {
    gc_context *ctx;
    const unsigned char *s;
    size_t n, pos;
    gc_safetensors *st;
} st_parser;

static gc_status st_parse(st_parser *p);

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

gc_status st_parse_header(gc_context *ctx, const unsigned char *s, size_t n,
                          gc_safetensors *st)
{
    st_parser parser = {ctx, s, n, 0, st};
    return st_parse(&parser);
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

