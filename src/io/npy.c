/* npy.c - reading and writing NumPy .npy files (format versions 1.0, 2.0, 3.0).
 *
 * Layout: "\x93NUMPY", major, minor, header length (uint16 LE for 1.0, uint32 LE for 2.0/3.0),
 * then the header, a Python dict literal such as
 *     {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces and ending in '\n', then the raw elements.
 *
 * One header parser serves both readers: gc_npy_read_mem parses a buffer, gc_npy_read parses
 * the preamble of a file and checks the element count against the file's size (fstat) before
 * it allocates anything of the data's size. Every size is overflow-checked; nothing is
 * allocated from a number the file states until it has been compared with the bytes that are
 * actually there. Writing follows io_file.h's rule: a temporary file in the target's directory
 * renamed over it only once everything was written and closed (a device or FIFO is written in
 * place). */
#include "base/internal.h"
#include "io/io_file.h"
#include "io/npy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_SUPPORTED "gramconv reads float32 and float64: '<f4', '>f4', '<f8', '>f8'"

/* ---- small helpers ---------------------------------------------------------------------- */

static int npy_host_little(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void npy_swap_inplace(unsigned char *p, size_t n, size_t itemsize)
{
    if (itemsize == 4) {
        for (size_t i = 0; i < n; i++, p += 4) {
            uint32_t v;
            memcpy(&v, p, 4);
            v = __builtin_bswap32(v);
            memcpy(p, &v, 4);
        }
    } else {
        for (size_t i = 0; i < n; i++, p += 8) {
            uint64_t v;
            memcpy(&v, p, 8);
            v = __builtin_bswap64(v);
            memcpy(p, &v, 8);
        }
    }
}

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

typedef struct npy_info {
    gc_dtype dtype;
    size_t itemsize;
    int swap;                 /* the file's byte order differs from the host's */
    int fortran;
    int rank;
    int64_t dims[GC_MAX_RANK];
    int64_t numel;
    uint64_t data_offset;     /* bytes before the first element */
    uint64_t data_bytes;      /* numel * itemsize */
} npy_info;

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

    /* dtype */
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

    /* shape */
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
static gc_status npy_parse_preamble(gc_context *ctx, const unsigned char *p, size_t pre_len,
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
static gc_status npy_preamble_len(gc_context *ctx, const unsigned char *p, size_t avail,
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
    gc_status st = npy_preamble_len(ctx, p, size, size, &pre_len);
    if (st == GC_OK)
        st = npy_parse_preamble(ctx, p, pre_len, size, &info);
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

static gc_status npy_read_fd(gc_context *ctx, int fd, const char *path, gc_tensor *out)
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
    if ((st = npy_preamble_len(ctx, head, head_len, total, &pre_len)) != GC_OK)
        return st;

    /* The whole preamble (no longer than the file), under ctx's allocation limits. */
    void *pre;
    if ((st = gc_alloc(ctx, (int64_t)pre_len, 1, &pre)) != GC_OK)
        return st;
    npy_info info;
    st = npy_pread_exact(ctx, fd, path, pre, pre_len, 0);
    if (st == GC_OK)
        st = npy_parse_preamble(ctx, pre, pre_len, total, &info);
    gc_free(ctx, pre);
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
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return gc_fail(ctx, GC_ERR_IO, "npy: cannot stat '%s': %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode) || sb.st_size < 0)
        return gc_fail(ctx, GC_ERR_IO, "npy: cannot read '%s': not a regular file", path);
    const uint64_t total = (uint64_t)sb.st_size;
    unsigned char head[12];
    size_t head_len = total < sizeof head ? (size_t)total : sizeof head;
    gc_status st = npy_pread_exact(ctx, fd, path, head, head_len, 0);
    size_t pre_len = 0;
    if (st == GC_OK)
        st = npy_preamble_len(ctx, head, head_len, total, &pre_len);
    if (st != GC_OK)
        return st;
    void *pre;
    if ((st = gc_alloc(ctx, (int64_t)pre_len, 1, &pre)) != GC_OK)
        return st;
    npy_info info;
    st = npy_pread_exact(ctx, fd, path, pre, pre_len, 0);
    if (st == GC_OK)
        st = npy_parse_preamble(ctx, pre, pre_len, total, &info);
    gc_free(ctx, pre);
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

/* ---- writing ------------------------------------------------------------------------------ */

static gc_status npy_write_all(gc_context *ctx, int fd, const char *path, const void *src,
                               size_t n)
{
    const unsigned char *s = src;
    while (n > 0) {
        size_t chunk = n > ((size_t)1 << 30) ? (size_t)1 << 30 : n;
        ssize_t w = write(fd, s, chunk);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return gc_fail(ctx, GC_ERR_IO, "npy: cannot write '%s': %s", path, strerror(errno));
        }
        if (w == 0)
            return gc_fail(ctx, GC_ERR_IO, "npy: cannot write '%s': no progress", path);
        s += w;
        n -= (size_t)w;
    }
    return GC_OK;
}

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
static gc_status npy_write_data(gc_context *ctx, int fd, const char *path, const gc_tensor *t)
{
    int64_t n;
    gc_tensor_numel(t, &n);
    if (n == 0)
        return GC_OK;
    const size_t isz = gc_dtype_size(t->dtype);
    const int swap = !npy_host_little();
    if (gc_tensor_is_contiguous(t) && !swap)
        return npy_write_all(ctx, fd, path, t->data, (size_t)n * isz);

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
            st = npy_write_all(ctx, fd, path, b, (size_t)fill * isz);
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
    char mp[96];
    const char *qp = gc_io_msg_path(path, mp, sizeof mp);
    const int fd = fileno(o.f); /* unbuffered writes; the FILE only closes it */
    st = npy_write_all(ctx, fd, qp, header, header_len);
    if (st == GC_OK)
        st = npy_write_data(ctx, fd, qp, t);
    return gc_io_out_finish(ctx, "npy", path, &o, st);
}
