/* npy_header.c - the .npy preamble: magic, version, header length, and the header, a Python
 * dict literal such as
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * parsed by a small lexer. Every size is overflow-checked, and the data size the header
 * states is checked against the file's before any reader allocates it (npy_read.c,
 * npy_file.c). */
#include "io/npy.h"

#include <string.h>

#define NPY_SUPPORTED "gramconv reads float32 and float64: '<f4', '>f4', '<f8', '>f8'"


/* Copy up to `max` bytes of s into buf (size >= max + 4) for a message: non-printable bytes
 * become '?', and "..." marks a cut. */
static const char *npy_snippet(char *buf, size_t bufsize, const char *s, size_t len)
{
    size_t max = bufsize - 4, n = len < max ? len : max, j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (n < len) {
        buf[j++] = '.';
        buf[j++] = '.';
        buf[j++] = '.';
    }
    buf[j] = '\0';
    return buf;
}

/* ---- header parsing --------------------------------------------------------------------- */


typedef struct npy_lexer {
    gc_context *ctx;
    const char *s;            /* the header text */
    size_t n, pos;
} npy_lexer;

static int npy_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int npy_is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (unsigned char)c >= 0x80;
}

static void npy_skip_ws(npy_lexer *lx)
{
    while (lx->pos < lx->n && npy_is_space(lx->s[lx->pos]))
        lx->pos++;
}

/* GC_ERR_FORMAT naming the position and what is there. */
static gc_status npy_expected(npy_lexer *lx, const char *what)
{
    char snip[32];
    if (lx->pos >= lx->n)
        return gc_fail(lx->ctx, GC_ERR_FORMAT,
                       "npy: malformed header: expected %s at byte %zu, found the end of the "
                       "header",
                       what, lx->pos);
    return gc_fail(lx->ctx, GC_ERR_FORMAT,
                   "npy: malformed header: expected %s at byte %zu, found '%s'", what, lx->pos,
                   npy_snippet(snip, sizeof snip, lx->s + lx->pos, lx->n - lx->pos));
}

static int npy_accept(npy_lexer *lx, char c)
{
    npy_skip_ws(lx);
    if (lx->pos < lx->n && lx->s[lx->pos] == c) {
        lx->pos++;
        return 1;
    }
    return 0;
}

/* A Python string literal ('...' or "...", no escapes); sets [*str, *str + *len). */
static gc_status npy_string(npy_lexer *lx, const char *what, const char **str, size_t *len)
{
    npy_skip_ws(lx);
    if (lx->pos >= lx->n || (lx->s[lx->pos] != '\'' && lx->s[lx->pos] != '"'))
        return npy_expected(lx, what);
    char q = lx->s[lx->pos];
    size_t start = lx->pos + 1, i = start;
    while (i < lx->n && lx->s[i] != q && lx->s[i] != '\\' && lx->s[i] != '\n')
        i++;
    if (i >= lx->n || lx->s[i] != q)
        return npy_expected(lx, "a closing quote");
    *str = lx->s + start;
    *len = i - start;
    lx->pos = i + 1;
    return GC_OK;
}

/* Skip one bracketed Python value ([...], (...), {...}) that we do not interpret, respecting
 * quotes; used for structured dtypes' descr lists. */
static gc_status npy_skip_bracketed(npy_lexer *lx)
{
    char stack[64];
    int depth = 0;
    size_t start = lx->pos;
    while (lx->pos < lx->n) {
        char c = lx->s[lx->pos];
        if (c == '\'' || c == '"') {
            const char *str;
            size_t len;
            gc_status st = npy_string(lx, "a string", &str, &len);
            if (st != GC_OK)
                return st;
            continue;
        }
        if (c == '[' || c == '(' || c == '{') {
            if (depth == (int)sizeof stack)
                return gc_fail(lx->ctx, GC_ERR_FORMAT,
                               "npy: malformed header: brackets nested deeper than %d",
                               (int)sizeof stack);
            stack[depth++] = c == '[' ? ']' : c == '(' ? ')' : '}';
        } else if (c == ']' || c == ')' || c == '}') {
            if (depth == 0 || stack[depth - 1] != c)
                return npy_expected(lx, "a matching bracket");
            depth--;
        }
        lx->pos++;
        if (depth == 0)
            return GC_OK;
    }
    lx->pos = start;
    return gc_fail(lx->ctx, GC_ERR_FORMAT,
                   "npy: malformed header: unclosed bracket at byte %zu", start);
}

/* A Python int literal: optional sign, decimal digits, optional L suffix (Python 2). Values
 * that do not fit in 64 bits are GC_ERR_OVERFLOW. */
static gc_status npy_int(npy_lexer *lx, int index, int64_t *value)
{
    npy_skip_ws(lx);
    size_t start = lx->pos;
    int neg = 0;
    if (lx->pos < lx->n && (lx->s[lx->pos] == '-' || lx->s[lx->pos] == '+')) {
        neg = lx->s[lx->pos] == '-';
        lx->pos++;
        npy_skip_ws(lx);
    }
    if (lx->pos >= lx->n || lx->s[lx->pos] < '0' || lx->s[lx->pos] > '9') {
        lx->pos = start;
        return npy_expected(lx, "an integer dimension");
    }
    int64_t v = 0;
    int overflow = 0;
    while (lx->pos < lx->n && lx->s[lx->pos] >= '0' && lx->s[lx->pos] <= '9') {
        int d = lx->s[lx->pos] - '0';
        if (!gc_mul_ok(v, 10, &v) || !gc_add_ok(v, neg ? -d : d, &v))
            overflow = 1;
        lx->pos++;
    }
    if (lx->pos < lx->n && (lx->s[lx->pos] == 'L' || lx->s[lx->pos] == 'l'))
        lx->pos++;
    if (lx->pos < lx->n && (npy_is_ident(lx->s[lx->pos]) || lx->s[lx->pos] == '.')) {
        lx->pos = start;
        npy_skip_ws(lx);
        return npy_expected(lx, "an integer dimension");
    }
    if (overflow) {
        char snip[32];
        return gc_fail(lx->ctx, GC_ERR_OVERFLOW,
                       "npy: shape dimension %d (%s) does not fit in 64 bits", index,
                       npy_snippet(snip, sizeof snip, lx->s + start, lx->pos - start));
    }
    *value = v;
    return GC_OK;
}

/* A shape tuple: "()", "(3,)", "(2, 3)", "(2, 3,)". More than GC_MAX_RANK dims are counted
 * (for the message) but not stored. */
static gc_status npy_shape(npy_lexer *lx, int *rank, int64_t *dims)
{
    npy_skip_ws(lx);
    if (lx->pos >= lx->n || lx->s[lx->pos] != '(')
        return npy_expected(lx, "a shape tuple '(...)'");
    lx->pos++;
    int count = 0, trailing_comma = 0;
    for (;;) {
        if (npy_accept(lx, ')'))
            break;
        int64_t v = 0;
        gc_status st = npy_int(lx, count, &v);
        if (st != GC_OK)
            return st;
        if (count < GC_MAX_RANK)
            dims[count] = v;
        else if (count == INT32_MAX / 2)
            return gc_fail(lx->ctx, GC_ERR_RANK, "npy: shape has too many dimensions");
        count++;
        trailing_comma = npy_accept(lx, ',');
        if (!trailing_comma) {
            if (npy_accept(lx, ')'))
                break;
            return npy_expected(lx, "',' or ')' in the shape tuple");
        }
    }
    if (count == 1 && !trailing_comma)
        return gc_fail(lx->ctx, GC_ERR_FORMAT,
                       "npy: malformed header: shape (%lld) is not a tuple (a 1-d shape is "
                       "written '(%lld,)')",
                       (long long)dims[0], (long long)dims[0]);
    *rank = count;
    return GC_OK;
}

/* The element type from the 'descr' value: *order 1 for little-endian, 0 for big; *itemsize
 * 4 or 8. */
static gc_status npy_dtype(gc_context *ctx, int structured, const char *descr, size_t descr_len,
                           int *order_out, size_t *itemsize_out)
{
    if (structured)
        return gc_fail(ctx, GC_ERR_DTYPE,
                       "npy: unsupported structured dtype (a list of fields) (" NPY_SUPPORTED ")");
    int order = -1; /* 1 little, 0 big */
    size_t itemsize = 0;
    if (descr_len == 3 && descr[1] == 'f' && (descr[2] == '4' || descr[2] == '8')) {
        if (descr[0] == '<')
            order = 1;
        else if (descr[0] == '>')
            order = 0;
        else if (descr[0] == '=')
            order = npy_host_little();
        itemsize = descr[2] == '4' ? 4 : 8;
    }
    if (order < 0) {
        char snip[40];
        return gc_fail(ctx, GC_ERR_DTYPE, "npy: unsupported dtype '%s' (" NPY_SUPPORTED ")",
                       npy_snippet(snip, sizeof snip, descr, descr_len));
    }
    *order_out = order;
    *itemsize_out = itemsize;
    return GC_OK;
}

/* The element count and data size of the shape, refusing a rank over GC_MAX_RANK, a negative
 * dimension and any overflow. */
static gc_status npy_sizes(gc_context *ctx, int rank, const int64_t *dims, size_t itemsize,
                           int64_t *numel_out, int64_t *bytes_out)
{
    if (rank > GC_MAX_RANK)
        return gc_fail(ctx, GC_ERR_RANK,
                       "npy: the array has %d dimensions (gramconv takes at most %d)", rank,
                       GC_MAX_RANK);
    int64_t numel = 1;
    for (int i = 0; i < rank; i++)
        if (dims[i] < 0)
            return gc_fail(ctx, GC_ERR_FORMAT, "npy: shape dimension %d is negative (%lld)", i,
                           (long long)dims[i]);
    for (int i = 0; i < rank; i++)
        if (!gc_mul_ok(numel, dims[i], &numel))
            return gc_fail(ctx, GC_ERR_OVERFLOW,
                           "npy: the shape's element count overflows 64 bits");
    int64_t bytes;
    if (!gc_mul_ok(numel, (int64_t)itemsize, &bytes))
        return gc_fail(ctx, GC_ERR_OVERFLOW,
                       "npy: the data size (%lld elements of %zu bytes) overflows 64 bits",
                       (long long)numel, itemsize);
    if ((uint64_t)bytes > (uint64_t)SIZE_MAX)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "npy: the data size (%lld bytes) exceeds size_t",
                       (long long)bytes);
    *numel_out = numel;
    *bytes_out = bytes;
    return GC_OK;
}

/* Parse the dict and fill *info (dtype, order, shape). */
static gc_status npy_parse_dict(gc_context *ctx, const char *text, size_t len, npy_info *info)
{
    npy_lexer lx = {ctx, text, len, 0};
    const char *descr = NULL;
    size_t descr_len = 0;
    int have_descr = 0, structured = 0, have_fortran = 0, have_shape = 0, fortran = 0;
    int rank = 0;
    int64_t dims[GC_MAX_RANK] = {0};
    gc_status st;

    npy_skip_ws(&lx);
    if (lx.pos >= lx.n || lx.s[lx.pos] != '{')
        return npy_expected(&lx, "'{' opening the header dict");
    lx.pos++;
    for (;;) {
        if (npy_accept(&lx, '}'))
            break;
        const char *key;
        size_t key_len;
        if ((st = npy_string(&lx, "a quoted key or '}'", &key, &key_len)) != GC_OK)
            return st;
        if (!npy_accept(&lx, ':'))
            return npy_expected(&lx, "':' after a key");
        npy_skip_ws(&lx);
        if (key_len == 5 && memcmp(key, "descr", 5) == 0) {
            if (have_descr)
                return gc_fail(ctx, GC_ERR_FORMAT, "npy: malformed header: 'descr' appears twice");
            have_descr = 1;
            if (lx.pos < lx.n && (lx.s[lx.pos] == '[' || lx.s[lx.pos] == '{' ||
                                  lx.s[lx.pos] == '(')) {
                structured = 1;
                if ((st = npy_skip_bracketed(&lx)) != GC_OK)
                    return st;
            } else if ((st = npy_string(&lx, "a dtype string", &descr, &descr_len)) != GC_OK) {
                return st;
            }
        } else if (key_len == 13 && memcmp(key, "fortran_order", 13) == 0) {
            if (have_fortran)
                return gc_fail(ctx, GC_ERR_FORMAT,
                               "npy: malformed header: 'fortran_order' appears twice");
            have_fortran = 1;
            if (lx.n - lx.pos >= 4 && memcmp(lx.s + lx.pos, "True", 4) == 0 &&
                (lx.n - lx.pos == 4 || !npy_is_ident(lx.s[lx.pos + 4]))) {
                fortran = 1;
                lx.pos += 4;
            } else if (lx.n - lx.pos >= 5 && memcmp(lx.s + lx.pos, "False", 5) == 0 &&
                       (lx.n - lx.pos == 5 || !npy_is_ident(lx.s[lx.pos + 5]))) {
                fortran = 0;
                lx.pos += 5;
            } else {
                return npy_expected(&lx, "True or False for 'fortran_order'");
            }
        } else if (key_len == 5 && memcmp(key, "shape", 5) == 0) {
            if (have_shape)
                return gc_fail(ctx, GC_ERR_FORMAT, "npy: malformed header: 'shape' appears twice");
            have_shape = 1;
            if ((st = npy_shape(&lx, &rank, dims)) != GC_OK)
                return st;
        } else {
            char snip[40];
            return gc_fail(ctx, GC_ERR_FORMAT,
                           "npy: malformed header: unknown key '%s' (expected 'descr', "
                           "'fortran_order', 'shape')",
                           npy_snippet(snip, sizeof snip, key, key_len));
        }
        if (!npy_accept(&lx, ',')) {
            if (npy_accept(&lx, '}'))
                break;
            return npy_expected(&lx, "',' or '}' in the header dict");
        }
    }
    npy_skip_ws(&lx);
    if (lx.pos < lx.n)
        return npy_expected(&lx, "only padding after the header dict");
    if (!have_descr || !have_fortran || !have_shape)
        return gc_fail(ctx, GC_ERR_FORMAT, "npy: malformed header: the key%s%s%s missing",
                       !have_descr ? " 'descr'" : "", !have_fortran ? " 'fortran_order'" : "",
                       !have_shape ? " 'shape'" : "");

    int order = -1; /* 1 little, 0 big */
    size_t itemsize = 0;
    if ((st = npy_dtype(ctx, structured, descr, descr_len, &order, &itemsize)) != GC_OK)
        return st;
    int64_t numel = 1, bytes = 0;
    if ((st = npy_sizes(ctx, rank, dims, itemsize, &numel, &bytes)) != GC_OK)
        return st;

    info->dtype = itemsize == 4 ? GC_DTYPE_F32 : GC_DTYPE_F64;
    info->itemsize = itemsize;
    info->swap = order != npy_host_little();
    info->fortran = fortran;
    info->rank = rank;
    for (int i = 0; i < rank; i++)
        info->dims[i] = dims[i];
    info->numel = numel;
    info->data_bytes = (uint64_t)bytes;
    return GC_OK;
}

/* Bytes of magic + version + header-length field for the version in the first 8 bytes, after
 * checking the magic and version. `avail` bytes are at p. */
static gc_status npy_prefix(gc_context *ctx, const unsigned char *p, size_t avail,
                            size_t *prefix_len, int *major)
{
    if (avail < NPY_MAGIC_LEN || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        if (avail < NPY_MAGIC_LEN && memcmp(p, NPY_MAGIC, avail) == 0)
            return gc_fail(ctx, GC_ERR_FORMAT,
                           "npy: truncated file (%zu bytes, shorter than the magic string)",
                           avail);
        char snip[16];
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "npy: not a .npy file (bad magic: starts with '%s', expected "
                       "'\\x93NUMPY')",
                       npy_snippet(snip, sizeof snip, (const char *)p, avail < 6 ? avail : 6));
    }
    if (avail < 8)
        return gc_fail(ctx, GC_ERR_FORMAT, "npy: truncated file (%zu bytes, no version)", avail);
    if (!((p[6] == 1 || p[6] == 2 || p[6] == 3) && p[7] == 0))
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "npy: unsupported format version %u.%u (gramconv reads 1.0, 2.0, 3.0)",
                       p[6], p[7]);
    *major = p[6];
    *prefix_len = p[6] == 1 ? 10 : 12;
    if (avail < *prefix_len)
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "npy: truncated file (%zu bytes, no header length)", avail);
    return GC_OK;
}

static uint64_t npy_header_len(const unsigned char *p, int major)
{
    if (major == 1)
        return (uint64_t)p[8] | (uint64_t)p[9] << 8;
    return (uint64_t)p[8] | (uint64_t)p[9] << 8 | (uint64_t)p[10] << 16 | (uint64_t)p[11] << 24;
}

/* Parse a whole preamble (prefix + header, `pre_len` bytes at p, already known to be complete)
 * of a file that is `total` bytes long, and check the data size against it. */
gc_status gc_npy_parse_preamble(gc_context *ctx, const unsigned char *p, size_t pre_len,
                                uint64_t total, npy_info *info)
{
    size_t prefix_len = 0;
    int major = 0;
    gc_status st = npy_prefix(ctx, p, pre_len, &prefix_len, &major);
    if (st != GC_OK)
        return st;
    uint64_t hlen = npy_header_len(p, major);
    if (hlen != pre_len - prefix_len)
        return GC_ERR_INTERNAL;
    st = npy_parse_dict(ctx, (const char *)p + prefix_len, (size_t)hlen, info);
    if (st != GC_OK)
        return st;
    info->data_offset = (uint64_t)pre_len;
    uint64_t avail = total - info->data_offset;
    if (avail < info->data_bytes)
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "npy: truncated data: the shape needs %llu bytes, the file has %llu",
                       (unsigned long long)info->data_bytes, (unsigned long long)avail);
    if (avail > info->data_bytes)
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "npy: file has %llu extra bytes after the %llu bytes of data the shape "
                       "needs",
                       (unsigned long long)(avail - info->data_bytes),
                       (unsigned long long)info->data_bytes);
    return GC_OK;
}

/* The preamble's length from its first bytes (`avail` of them at p), checked against the
 * `total` size of the file. */
gc_status gc_npy_preamble_len(gc_context *ctx, const unsigned char *p, size_t avail,
                              uint64_t total, size_t *pre_len)
{
    size_t prefix_len = 0;
    int major = 0;
    gc_status st = npy_prefix(ctx, p, avail, &prefix_len, &major);
    if (st != GC_OK)
        return st;
    uint64_t hlen = npy_header_len(p, major);
    if (hlen > total - prefix_len)
        return gc_fail(ctx, GC_ERR_FORMAT,
                       "npy: truncated header: the header length says %llu bytes, the file has "
                       "%llu after the length field",
                       (unsigned long long)hlen, (unsigned long long)(total - prefix_len));
    if (hlen > (uint64_t)SIZE_MAX - prefix_len)
        return gc_fail(ctx, GC_ERR_OVERFLOW, "npy: header length %llu is too large",
                       (unsigned long long)hlen);
    *pre_len = prefix_len + (size_t)hlen;
    return GC_OK;
}
