/* args.c - option parsing and value parsers for the CLI (pure functions; see args.h). */
#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_seterr(cli_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *cli_quote(const char *s, char *buf, size_t n)
{
    enum { MAXSHOW = 48 };
    if (!buf || n == 0)
        return "";
    if (!s)
        s = "(null)";
    size_t used = 0, i = 0;
    for (; s[i] != '\0' && i < MAXSHOW && used + 1 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[used++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    buf[used] = '\0';
    if (s[i] != '\0' && used + 4 <= n) {
        memcpy(buf + used, "...", 4);
    }
    return buf;
}

static int cli_ascii_lower(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

static int cli_streq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (cli_ascii_lower((unsigned char)*a) != cli_ascii_lower((unsigned char)*b))
            return 0;
    return *a == '\0' && *b == '\0';
}

int cli_opt_index(const cli_opt *opts, int nopts, const char *name)
{
    for (int i = 0; opts && name && i < nopts; i++)
        if (opts[i].name && strcmp(opts[i].name, name) == 0)
            return i;
    return -1;
}

/* Find a long option by the first `len` bytes of name. */
static int cli_find_long(const cli_opt *opts, int nopts, const char *name, size_t len)
{
    for (int i = 0; i < nopts; i++)
        if (opts[i].name && strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return i;
    return -1;
}

static int cli_find_short(const cli_opt *opts, int nopts, char c)
{
    for (int i = 0; i < nopts; i++)
        if (c != 0 && opts[i].short_name == c)
            return i;
    return -1;
}

static int cli_parse_args_strict(int argc, char *const *argv, const cli_opt *opts, int nopts,
                                 int max_pos, cli_args *out, cli_err *err)
{
    char q[64];
    if (!out)
        return cli_seterr(err, CLI_USAGE, "internal error: no result for the parser");
    memset(out, 0, sizeof *out);
    if (nopts < 0 || nopts > CLI_MAX_OPTS || (nopts > 0 && !opts))
        return cli_seterr(err, CLI_USAGE, "internal error: bad option table");
    if (max_pos < 0)
        max_pos = 0;
    if (max_pos > CLI_MAX_POS)
        max_pos = CLI_MAX_POS;
    if (!argv || argc < 1)
        return CLI_OK;
    int options_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!a)
            break;
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (options_done || a[0] != '-' || a[1] == '\0') {
            if (out->npos >= max_pos) {
                if (max_pos == 0)
                    return cli_seterr(err, CLI_USAGE, "unexpected argument '%s' (this command takes none)",
                                      cli_quote(a, q, sizeof q));
                return cli_seterr(err, CLI_USAGE, "unexpected extra argument '%s'",
                                  cli_quote(a, q, sizeof q));
            }
            out->pos[out->npos++] = a;
            continue;
        }
        /* An option: --name[=value] or -c[value]. */
        int is_long = a[1] == '-';
        const char *name = is_long ? a + 2 : a + 1;
        const char *inline_val = NULL;
        size_t len;
        int k;
        if (is_long) {
            const char *eq = strchr(name, '=');
            len = eq ? (size_t)(eq - name) : strlen(name);
            if (eq)
                inline_val = eq + 1;
            if (len == 4 && strncmp(name, "help", 4) == 0) {
                if (inline_val)
                    return cli_seterr(err, CLI_USAGE, "option --help takes no value");
                out->help = 1;
                return CLI_OK;
            }
            k = cli_find_long(opts, nopts, name, len);
            if (k < 0) {
                char nm[64];
                size_t show = len < 40 ? len : 40;
                memcpy(nm, name, show);
                nm[show] = '\0';
                return cli_seterr(err, CLI_USAGE, "unknown option '--%s%s'",
                                  cli_quote(nm, q, sizeof q), len > show ? "..." : "");
            }
        } else {
            len = 1;
            if (name[1] != '\0')
                inline_val = name[1] == '=' ? name + 2 : name + 1;
            if (name[0] == 'h') {
                if (inline_val)
                    return cli_seterr(err, CLI_USAGE, "unknown option '%s'", cli_quote(a, q, sizeof q));
                out->help = 1;
                return CLI_OK;
            }
            k = cli_find_short(opts, nopts, name[0]);
            if (k < 0)
                return cli_seterr(err, CLI_USAGE, "unknown option '%s'", cli_quote(a, q, sizeof q));
        }
        char shown[64];
        if (is_long || !opts[k].short_name)
            snprintf(shown, sizeof shown, "--%s", opts[k].name);
        else
            snprintf(shown, sizeof shown, "-%c", opts[k].short_name);
        const char *val = inline_val;
        if (opts[k].takes_value) {
            if (!val) {
                if (i + 1 >= argc || !argv[i + 1])
                    return cli_seterr(err, CLI_USAGE, "option %s needs a value", shown);
                val = argv[++i];
            }
        } else {
            if (val)
                return cli_seterr(err, CLI_USAGE, "option %s takes no value", shown);
            val = "";
        }
        out->value[k] = val;
        out->count[k]++;
    }
    return CLI_OK;
}

int cli_parse_args(int argc, char *const *argv, const cli_opt *opts, int nopts, int max_pos,
                   cli_args *out, cli_err *err)
{
    int rc = cli_parse_args_strict(argc, argv, opts, nopts, max_pos, out, err);
    if (rc == CLI_OK || !argv)
        return rc;
    /* A usage error, but -h / --help anywhere before "--" still asks for the usage text. */
    for (int i = 1; i < argc && argv[i]; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            memset(out, 0, sizeof *out);
            out->help = 1;
            return CLI_OK;
        }
    }
    return rc;
}

int cli_parse_int64(const char *s, int64_t lo, int64_t hi, const char *what, int64_t *out,
                    cli_err *err)
{
    char q[64];
    if (!what)
        what = "value";
    if (!s || !out)
        return cli_seterr(err, CLI_USAGE, "%s is missing", what);
    const char *p = s;
    int neg = 0;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (*p < '0' || *p > '9')
        return cli_seterr(err, CLI_USAGE, "%s must be an integer, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    uint64_t v = 0;
    int overflow = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - 9) / 10)
            overflow = 1;
        else
            v = v * 10 + d;
    }
    if (*p != '\0')
        return cli_seterr(err, CLI_USAGE, "%s must be an integer, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    int64_t x = 0;
    if (!overflow) {
        if (neg) {
            if (v > (uint64_t)INT64_MAX + 1u)
                overflow = 1;
            else
                x = v == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)v;
        } else {
            if (v > (uint64_t)INT64_MAX)
                overflow = 1;
            else
                x = (int64_t)v;
        }
    }
    if (overflow || x < lo || x > hi)
        return cli_seterr(err, CLI_USAGE, "%s must be between %lld and %lld, not '%s'", what,
                          (long long)lo, (long long)hi, cli_quote(s, q, sizeof q));
    *out = x;
    return CLI_OK;
}

int cli_parse_threads(const char *s, int *out, cli_err *err)
{
    char q[64];
    int64_t v = 0;
    cli_err tmp;
    if (cli_parse_int64(s, INT64_MIN, INT64_MAX, "--threads", &v, &tmp) != CLI_OK)
        return cli_seterr(err, CLI_USAGE, "--threads must be a positive integer (1..1024), not '%s'",
                          cli_quote(s, q, sizeof q));
    if (v < 1)
        return cli_seterr(err, CLI_USAGE, "--threads must be a positive integer (1..1024), not %s",
                          cli_quote(s, q, sizeof q));
    if (v > 1024)
        return cli_seterr(err, CLI_USAGE, "--threads %s is too many (at most 1024)",
                          cli_quote(s, q, sizeof q));
    if (out)
        *out = (int)v;
    return CLI_OK;
}

int cli_parse_nonneg_double(const char *s, const char *what, double *out, cli_err *err)
{
    char q[64];
    if (!what)
        what = "value";
    if (!s || *s == '\0' || (*s != '+' && *s != '.' && (*s < '0' || *s > '9')))
        return cli_seterr(err, CLI_USAGE, "%s must be a non-negative number, not '%s'", what,
                          cli_quote(s, q, sizeof q));
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (!end || *end != '\0' || errno == ERANGE || !isfinite(v) || v < 0.0)
        return cli_seterr(err, CLI_USAGE, "%s must be a finite non-negative number, not '%s'",
                          what, cli_quote(s, q, sizeof q));
    if (out)
        *out = v;
    return CLI_OK;
}

int cli_parse_mode(const char *s, gc_mode *out, cli_err *err)
{
    char q[64];
    static const struct {
        const char *name;
        gc_mode mode;
    } names[] = {{"v", GC_MODE_VALID}, {"valid", GC_MODE_VALID}, {"f", GC_MODE_FULL},
                 {"full", GC_MODE_FULL}, {"s", GC_MODE_SAME},   {"same", GC_MODE_SAME}};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (cli_streq_nocase(s, names[i].name)) {
            if (out)
                *out = names[i].mode;
            return CLI_OK;
        }
    return cli_seterr(err, CLI_USAGE, "--mode must be V, F or S (valid, full, same), not '%s'",
                      cli_quote(s, q, sizeof q));
}

int cli_parse_dtype(const char *s, gc_dtype *out, cli_err *err)
{
    char q[64];
    gc_dtype d;
    if (s && (cli_streq_nocase(s, "f32") || cli_streq_nocase(s, "float32")))
        d = GC_DTYPE_F32;
    else if (s && (cli_streq_nocase(s, "f64") || cli_streq_nocase(s, "float64")))
        d = GC_DTYPE_F64;
    else
        return cli_seterr(err, CLI_USAGE, "--dtype must be f32 or f64, not '%s'",
                          cli_quote(s, q, sizeof q));
    if (out)
        *out = d;
    return CLI_OK;
}

int cli_parse_isa(const char *s, gc_isa *out, cli_err *err)
{
    char q[64];
    static const struct {
        const char *name;
        gc_isa isa;
    } names[] = {{"auto", GC_ISA_AUTO},
                 {"scalar", GC_ISA_SCALAR},
                 {"avx2", GC_ISA_AVX2},
                 {"avx512", GC_ISA_AVX512}};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++)
        if (cli_streq_nocase(s, names[i].name)) {
            if (out)
                *out = names[i].isa;
            return CLI_OK;
        }
    return cli_seterr(err, CLI_USAGE, "--isa must be auto, scalar, avx2 or avx512, not '%s'",
                      cli_quote(s, q, sizeof q));
}

int cli_parse_dims(const char *s, const char *what, int64_t *dims, int maxn, int *n, cli_err *err)
{
    char q[64];
    if (!what)
        what = "size list";
    if (!s || !dims || !n || maxn < 1)
        return cli_seterr(err, CLI_USAGE, "%s is missing", what);
    int count = 0;
    const char *p = s;
    for (;;) {
        if (*p < '0' || *p > '9')
            return cli_seterr(err, CLI_USAGE,
                              "%s must be sizes separated by commas (e.g. 3,3), not '%s'", what,
                              cli_quote(s, q, sizeof q));
        int64_t v = 0;
        for (; *p >= '0' && *p <= '9'; p++) {
            v = v * 10 + (*p - '0');
            if (v > INT32_MAX)
                return cli_seterr(err, CLI_USAGE, "%s: a size in '%s' is too large", what,
                                  cli_quote(s, q, sizeof q));
        }
        if (v < 1)
            return cli_seterr(err, CLI_USAGE, "%s: sizes must be positive, not 0 (in '%s')", what,
                              cli_quote(s, q, sizeof q));
        if (count >= maxn)
            return cli_seterr(err, CLI_USAGE, "%s: '%s' has more than %d sizes", what,
                              cli_quote(s, q, sizeof q), maxn);
        dims[count++] = v;
        if (*p == '\0')
            break;
        if (*p != ',' && *p != 'x' && *p != 'X')
            return cli_seterr(err, CLI_USAGE,
                              "%s must be sizes separated by commas (e.g. 3,3), not '%s'", what,
                              cli_quote(s, q, sizeof q));
        p++;
    }
    *n = count;
    return CLI_OK;
}

const char *cli_mode_letter(gc_mode mode)
{
    switch (mode) {
    case GC_MODE_VALID: return "V";
    case GC_MODE_FULL: return "F";
    case GC_MODE_SAME: return "S";
    }
    return "?";
}

const char *cli_dtype_short(gc_dtype dtype)
{
    switch (dtype) {
    case GC_DTYPE_F32: return "f32";
    case GC_DTYPE_F64: return "f64";
    }
    return "?";
}
