/* util.c - shared helpers of the CLI: error lines, contexts, reading .npy, small formatting. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* Replace anything that would break the one-line rule (newlines, control bytes). */
static void cli_one_line(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            *s = '?';
    }
}

int cli_error(int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_one_line(msg);
    fflush(stdout);
    fprintf(stderr, "gramconv: %s\n", msg);
    fflush(stderr);
    return code;
}

int cli_lib_error(const gc_context *ctx, gc_status status, const char *prefix)
{
    const char *detail = gc_context_last_error(ctx);
    if (!detail || !*detail)
        detail = gc_status_str(status);
    if (!prefix || !*prefix)
        return cli_error(CLI_FAIL, "%s", detail);
    size_t n = strlen(prefix);
    if (strncmp(detail, prefix, n) == 0 && detail[n] == ':' && detail[n + 1] == ' ')
        return cli_error(CLI_FAIL, "%s", detail);
    return cli_error(CLI_FAIL, "%s: %s", prefix, detail);
}

int cli_print_usage(const cli_command *cmd)
{
    fputs(cmd->usage, stdout);
    return cli_flush_stdout(CLI_OK);
}

int cli_flush_stdout(int code)
{
    if (fflush(stdout) != 0 || ferror(stdout))
        return cli_error(CLI_FAIL, "cannot write to standard output: %s", strerror(errno));
    return code;
}

int cli_make_context(int threads, gc_isa isa, gc_context **out)
{
    *out = NULL;
    gc_context *ctx = NULL;
    gc_status st = gc_context_create(&ctx);
    if (st != GC_OK)
        return cli_lib_error(NULL, st, "cannot create a context");
    if (threads > 0 && (st = gc_context_set_threads(ctx, threads)) != GC_OK) {
        int rc = cli_lib_error(ctx, st, "--threads");
        gc_context_free(ctx);
        return rc;
    }
    if (isa != GC_ISA_AUTO && (st = gc_context_set_isa(ctx, isa)) != GC_OK) {
        int rc = cli_lib_error(ctx, st, "--isa");
        gc_context_free(ctx);
        return rc;
    }
    *out = ctx;
    return CLI_OK;
}

int cli_read_npy(gc_context *ctx, const char *path, const char *what, gc_tensor *out)
{
    char q[64], prefix[160];
    gc_status st = gc_npy_read(ctx, path, out);
    if (st == GC_OK)
        return CLI_OK;
    snprintf(prefix, sizeof prefix, "cannot read %s '%s'", what, cli_quote(path, q, sizeof q));
    return cli_lib_error(ctx, st, prefix);
}

int cli_check_output_path(const char *path)
{
    char q[64];
    if (!path || !*path)
        return cli_error(CLI_USAGE, "the output file name (-o) is empty");
    size_t n = strlen(path);
    if (path[n - 1] == '/')
        return cli_error(CLI_USAGE, "the output '%s' names a directory, not a file",
                         cli_quote(path, q, sizeof q));
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return cli_error(CLI_FAIL, "the output '%s' is a directory", cli_quote(path, q, sizeof q));
    const char *slash = strrchr(path, '/');
    if (!slash)
        return CLI_OK; /* the current directory */
    if (slash == path)
        return CLI_OK; /* "/name" */
    char dir[4096], q2[64];
    size_t dn = (size_t)(slash - path);
    if (dn >= sizeof dir)
        return CLI_OK; /* let the writer decide */
    memcpy(dir, path, dn);
    dir[dn] = '\0';
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return cli_error(CLI_FAIL, "cannot write '%s': directory '%s' does not exist",
                         cli_quote(path, q, sizeof q), cli_quote(dir, q2, sizeof q2));
    return CLI_OK;
}

int cli_to_f64(gc_context *ctx, const gc_tensor *t, gc_tensor *out)
{
    gc_status st = gc_tensor_create(ctx, out, GC_DTYPE_F64, t->rank, t->dims);
    if (st == GC_OK)
        st = gc_tensor_copy(t, out);
    if (st != GC_OK) {
        gc_tensor_free(out);
        return cli_lib_error(ctx, st, "cannot convert to float64");
    }
    return CLI_OK;
}

const char *cli_dims_str(int rank, const int64_t *dims, char *buf, size_t n)
{
    size_t used = 0;
    if (n == 0)
        return "";
    buf[0] = '\0';
    if (rank == 0) {
        snprintf(buf, n, "scalar");
        return buf;
    }
    for (int i = 0; i < rank && used < n; i++) {
        int w = snprintf(buf + used, n - used, i ? "x%lld" : "%lld", (long long)dims[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

double cli_elem(const gc_tensor *t, int64_t i)
{
    if (t->dtype == GC_DTYPE_F32)
        return (double)((const float *)t->data)[i];
    return ((const double *)t->data)[i];
}
