/* cmd_compare.c - `gramconv compare A.npy B.npy [--rtol R] [--atol A] [--equal-nan]`:
 * numpy.allclose for two .npy files, with the largest differences printed. Exit 0 close, 1 not
 * close, 2 error. */
#include "cli.h"

#include <math.h>
#include <string.h>

static const cli_opt compare_opts[] = {
    {"rtol", 0, 1},
    {"atol", 0, 1},
    {"equal-nan", 0, 0},
};
enum { OPT_RTOL, OPT_ATOL, OPT_EQUAL_NAN, NOPTS };

/* (float)v with IEEE overflow to +-inf, without the undefined out-of-range conversion */
static float cmp_to_f32(double v)
{
    const double lim = 0x1.ffffffp127; /* FLT_MAX + half an ulp: from here on, round to inf */
    if (v >= lim)
        return INFINITY;
    if (v <= -lim)
        return -INFINITY;
    return (float)v;
}

int cli_isclose(double a, double b, double rtol, double atol, int equal_nan, int f32)
{
    /* numpy: (|x - y| <= atol + rtol * |y|) & isfinite(y) | (x == y) [| isnan(x) & isnan(y)] */
    int close;
    if (f32) {
        const float x = cmp_to_f32(a), y = cmp_to_f32(b);
        const volatile float d = fabsf(x - y); /* float32 arithmetic, as numpy's */
        const volatile float t = cmp_to_f32(rtol) * fabsf(y);
        const volatile float tol = cmp_to_f32(atol) + t;
        close = (d <= tol && isfinite(y)) || x == y;
    } else {
        close = (fabs(a - b) <= atol + rtol * fabs(b) && isfinite(b)) || a == b;
    }
    return close || (equal_nan && isnan(a) && isnan(b));
}

int cli_compare_parse(int argc, char *const *argv, cli_compare_opts *out, cli_err *err)
{
    cli_args a;
    memset(out, 0, sizeof *out);
    out->rtol = 1e-5;
    out->atol = 1e-8;
    int rc = cli_parse_args(argc, argv, compare_opts, NOPTS, 2, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        out->help = 1;
        return CLI_OK;
    }
    if (a.value[OPT_RTOL] &&
        (rc = cli_parse_nonneg_double(a.value[OPT_RTOL], "--rtol", &out->rtol, err)) != CLI_OK)
        return rc;
    if (a.value[OPT_ATOL] &&
        (rc = cli_parse_nonneg_double(a.value[OPT_ATOL], "--atol", &out->atol, err)) != CLI_OK)
        return rc;
    out->equal_nan = a.count[OPT_EQUAL_NAN] > 0;
    if (a.npos < 2)
        return cli_seterr(err, CLI_USAGE, "needs two files: A.npy B.npy");
    out->a = a.pos[0];
    out->b = a.pos[1];
    return CLI_OK;
}

int cli_cmd_compare(const cli_command *cmd, int argc, char **argv)
{
    cli_compare_opts o;
    cli_err err;
    int rc = cli_compare_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(CLI_USAGE, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    gc_context *ctx = NULL;
    if (cli_make_context(1, GC_ISA_AUTO, &ctx) != CLI_OK)
        return CLI_USAGE;
    gc_tensor ta = {0}, tb = {0};
    rc = cli_read_npy(ctx, o.a, "file", &ta);
    if (rc == CLI_OK)
        rc = cli_read_npy(ctx, o.b, "file", &tb);
    if (rc != CLI_OK) {
        rc = CLI_USAGE; /* trouble, as diff/cmp report it: 2 */
    } else {
        char sa[96], sb[96];
        int same = ta.rank == tb.rank;
        for (int i = 0; same && i < ta.rank; i++)
            same = ta.dims[i] == tb.dims[i];
        cli_dims_str(ta.rank, ta.dims, sa, sizeof sa);
        cli_dims_str(tb.rank, tb.dims, sb, sizeof sb);
        if (!same) {
            printf("shapes differ: %s %s vs %s %s\n", sa, gc_dtype_name(ta.dtype), sb,
                   gc_dtype_name(tb.dtype));
            rc = CLI_FAIL;
        } else {
            int64_t n = 0, bad = 0, worst = -1;
            double max_abs = 0.0, max_rel = 0.0;
            const int f32 = ta.dtype == GC_DTYPE_F32 && tb.dtype == GC_DTYPE_F32;
            (void)gc_tensor_numel(&ta, &n);
            for (int64_t i = 0; i < n; i++) {
                double x = cli_elem(&ta, i), y = cli_elem(&tb, i);
                if (!cli_isclose(x, y, o.rtol, o.atol, o.equal_nan, f32)) {
                    bad++;
                    if (worst < 0)
                        worst = i;
                }
                if (x == y || (isnan(x) && isnan(y)))
                    continue; /* no difference to report */
                double d = fabs(x - y);
                if (isnan(d))
                    d = INFINITY; /* NaN against a number, or inf - inf */
                if (d > max_abs)
                    max_abs = d;
                if (y != 0.0 && isfinite(y) && d / fabs(y) > max_rel)
                    max_rel = d / fabs(y); /* over the nonzero expected values */
            }
            printf("%s: %s %s vs %s: max abs diff %.6g, max rel diff %.6g, %lld of %lld "
                   "elements outside rtol %g atol %g%s\n",
                   bad ? "differ" : "close", sa, gc_dtype_name(ta.dtype), gc_dtype_name(tb.dtype),
                   max_abs, max_rel, (long long)bad, (long long)n, o.rtol, o.atol,
                   o.equal_nan ? " (NaN equals NaN)" : "");
            if (worst >= 0)
                printf("first difference at flat index %lld: %.17g vs %.17g\n", (long long)worst,
                       cli_elem(&ta, worst), cli_elem(&tb, worst));
            rc = bad ? CLI_FAIL : CLI_OK;
        }
        int frc = cli_flush_stdout(CLI_OK);
        if (frc != CLI_OK)
            rc = CLI_USAGE;
    }
    gc_tensor_free(&tb);
    gc_tensor_free(&ta);
    gc_context_free(ctx);
    return rc;
}
