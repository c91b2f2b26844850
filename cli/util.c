/* util.c - shared helpers of the CLI: error lines, contexts, reading .npy, small formatting,
 * the files of a run (collisions, staging, the final commit) and the signal handlers. */
#if !defined(_XOPEN_SOURCE)
#define _XOPEN_SOURCE 700 /* realpath */
#endif
#include "cli.h"
#include "io/io_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char small[1024], *msg = small;
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small) { /* never cut a message (its reason comes last) */
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            msg = big;
        }
    }
    va_end(ap2);
    cli_one_line(msg);
    fflush(stdout);
    fprintf(stderr, "gramconv: %s\n", msg);
    fflush(stderr);
    if (msg != small)
        free(msg);
    return code;
}

static const char *cli_unstage(const char *msg, char *buf, size_t n);

int cli_lib_error(const gc_context *ctx, gc_status status, const char *prefix)
{
    char unstaged[1024];
    const char *detail = gc_context_last_error(ctx);
    if (!detail || !*detail)
        detail = gc_status_str(status);
    detail = cli_unstage(detail, unstaged, sizeof unstaged);
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

int cli_check_finite(const gc_tensor *t, const char *what, const char *name, const char *hint)
{
    char q[64];
    int64_t n = 0;
    if (!t || !t->data || gc_tensor_numel(t, &n) != GC_OK)
        return CLI_OK;
    int64_t idx[GC_MAX_RANK] = {0};
    for (int64_t e = 0; e < n; e++) {
        int64_t off = 0;
        for (int i = 0; i < t->rank; i++)
            off += idx[i] * t->strides[i];
        const double v = t->dtype == GC_DTYPE_F64 ? ((const double *)t->data)[off]
                                                  : (double)((const float *)t->data)[off];
        if (!isfinite(v))
            return cli_error(CLI_FAIL, "%s '%s' holds %s at flat index %lld %s", what,
                             cli_quote(name, q, sizeof q), isnan(v) ? "NaN" : "an infinite value",
                             (long long)e, hint ? hint : "");
        for (int i = t->rank - 1; i >= 0; i--) {
            if (++idx[i] < t->dims[i])
                break;
            idx[i] = 0;
        }
    }
    return CLI_OK;
}

/* ---- JSON numbers ------------------------------------------------------------------------- */

const char *cli_json_number(double v, int digits, char *buf, size_t n)
{
    if (!buf || n == 0)
        return "";
    if (!isfinite(v)) { /* JSON has no NaN or Infinity */
        snprintf(buf, n, "null");
        return buf;
    }
    if (digits < 1)
        digits = 1;
    if (digits > 17)
        digits = 17;
    if (v == 0.0)
        v = 0.0; /* -0 as 0 */
    snprintf(buf, n, "%.*g", digits, v);
    return buf;
}

/* ---- the files of a run ------------------------------------------------------------------- */

enum { CLI_MAX_FILES = 48 };

typedef struct cli_file {
    char *path;        /* as given */
    char *norm;        /* realpath of its directory + "/" + its name (NULL: unknown) */
    char *target;      /* outputs: where the commit renames to (links followed) */
    char *stage;       /* outputs: the staging file, or NULL (written in place) */
    int slot;          /* the staging file's signal-table entry */
    int exists, output, chardev;
    dev_t dev;
    ino_t ino;
} cli_file;

static cli_file cli_files[CLI_MAX_FILES];
static int cli_nfiles;

/* --save-every snapshots: "<prefix><k><suffix>" for k = every, 2 every, ... up to `upto`, and
 * `final` when it was written. Plain storage, read by the signal handler. */
static char cli_snap_prefix[4200], cli_snap_suffix[64];
static volatile sig_atomic_t cli_decided; /* the run's outcome is settled (cli_run_decided) */
static volatile sig_atomic_t cli_snap_on;
static volatile int64_t cli_snap_every, cli_snap_upto, cli_snap_final;

static char *cli_strdup(const char *s)
{
    size_t n = strlen(s);
    char *p = malloc(n + 1);
    if (p)
        memcpy(p, s, n + 1);
    return p;
}

/* The lexical name of path: realpath(its directory) + "/" + its last component. */
static char *cli_normalise(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    char dirbuf[PATH_MAX], real[PATH_MAX];
    if (slash) {
        size_t dn = (size_t)(slash - path);
        if (dn >= sizeof dirbuf)
            return NULL;
        memcpy(dirbuf, path, dn);
        dirbuf[dn] = '\0';
        if (dn == 0)
            strcpy(dirbuf, "/");
    } else {
        strcpy(dirbuf, ".");
    }
    if (!realpath(dirbuf, real))
        return NULL;
    size_t rn = strlen(real), bn = strlen(base);
    char *out = malloc(rn + bn + 2);
    if (!out)
        return NULL;
    memcpy(out, real, rn);
    size_t k = rn;
    if (k == 0 || out[k - 1] != '/')
        out[k++] = '/';
    memcpy(out + k, base, bn + 1);
    return out;
}

static void cli_file_fill(cli_file *f, const char *path)
{
    struct stat sb;
    f->norm = cli_normalise(path);
    if (stat(path, &sb) == 0) {
        f->exists = 1;
        f->dev = sb.st_dev;
        f->ino = sb.st_ino;
        f->chardev = S_ISCHR(sb.st_mode);
        char real[PATH_MAX];
        if (realpath(path, real)) { /* links followed: compare what is really named */
            free(f->norm);
            f->norm = cli_strdup(real);
        }
    }
}

/* 1 if a and b name one file: the same device and inode where both exist, else the same
 * normalised name. */
static int cli_same_file(const cli_file *a, const cli_file *b)
{
    if (a->exists && b->exists)
        return a->dev == b->dev && a->ino == b->ino;
    if (a->exists != b->exists)
        return 0;
    return a->norm && b->norm && strcmp(a->norm, b->norm) == 0;
}

static const char *cli_role(const cli_file *f) { return f->output ? "output" : "input"; }

static int cli_file_collides(const cli_file *nf, int code)
{
    char q[64], q2[64];
    for (int i = 0; i < cli_nfiles; i++) {
        const cli_file *f = &cli_files[i];
        if (!f->output && !nf->output)
            continue; /* two inputs may be one file */
        if (f->output && nf->output && f->chardev && nf->chardev)
            continue; /* a character device (/dev/null) takes any number of writes */
        if (cli_same_file(f, nf))
            return cli_error(code, "the %s '%s' and the %s '%s' name the same file; refusing "
                             "to overwrite it", cli_role(f), cli_quote(f->path, q, sizeof q),
                             cli_role(nf), cli_quote(nf->path, q2, sizeof q2));
    }
    return CLI_OK;
}

/* msg with every staging file's name replaced by its output's (the library names the file
 * it was given); msg itself when none occurs or the result does not fit. */
static const char *cli_unstage(const char *msg, char *buf, size_t n)
{
    const char *cur = msg;
    for (int i = 0; i < cli_nfiles; i++) {
        const cli_file *f = &cli_files[i];
        const char *hit = f->stage ? strstr(cur, f->stage) : NULL;
        if (!hit)
            continue;
        char tmp[1024];
        const size_t head = (size_t)(hit - cur), sl = strlen(f->stage);
        const int k = snprintf(tmp, sizeof tmp, "%.*s%s%s", (int)head, cur, f->path, hit + sl);
        if (k < 0 || (size_t)k >= sizeof tmp || (size_t)k >= n)
            continue;
        memcpy(buf, tmp, (size_t)k + 1);
        cur = buf;
    }
    return cur;
}

static int cli_env_rank(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return atoi(v);
    }
    return 0;
}

int cli_file_input(const char *path)
{
    if (!path || !*path || cli_nfiles >= CLI_MAX_FILES)
        return CLI_OK;
    cli_file *f = &cli_files[cli_nfiles];
    memset(f, 0, sizeof *f);
    f->slot = -1;
    f->path = cli_strdup(path);
    cli_file_fill(f, path);
    int rc = cli_file_collides(f, CLI_USAGE);
    if (rc != CLI_OK) {
        free(f->path);
        free(f->norm);
        memset(f, 0, sizeof *f);
        return rc;
    }
    cli_nfiles++;
    return CLI_OK;
}

int cli_file_output(const char *path, const char **write_path)
{
    *write_path = path;
    int rc = cli_check_output_path(path);
    if (rc != CLI_OK)
        return rc;
    if (cli_env_rank() != 0)
        return CLI_OK; /* under mpirun only rank 0 writes */
    if (cli_nfiles >= CLI_MAX_FILES)
        return cli_error(CLI_USAGE, "too many files named on the command line");
    gc_context *ctx = NULL;
    if (gc_context_create(&ctx) != GC_OK)
        return cli_error(CLI_FAIL, "cannot create a context");
    cli_file *f = &cli_files[cli_nfiles];
    memset(f, 0, sizeof *f);
    f->slot = -1;
    f->output = 1;
    f->path = cli_strdup(path);
    char *target = NULL;
    gc_io_kind kind = GC_IO_NEW;
    gc_status st = gc_io_resolve(ctx, "output", path, &target, &kind);
    if (st != GC_OK)
        rc = cli_lib_error(ctx, st, NULL); /* "output: cannot write 'PATH': reason" */
    if (rc == CLI_OK) {
        f->target = cli_strdup(target);
        cli_file_fill(f, target);
        rc = cli_file_collides(f, CLI_USAGE);
    }
    if (rc == CLI_OK && kind != GC_IO_INPLACE) {
        /* the staging file, created now: an unwritable directory fails before any work */
        const char *base = strrchr(target, '/');
        base = base ? base + 1 : target;
        const char *dot = strrchr(base, '.');
        char suffix[24] = "";
        if (dot && strlen(dot) < sizeof suffix)
            strcpy(suffix, dot); /* the writers tell the format by the extension */
        char *tmp = NULL;
        int fd = -1;
        st = gc_io_temp_create(ctx, "output", target, suffix, &tmp, &fd, &f->slot);
        if (st == GC_OK) {
            close(fd);
            f->stage = cli_strdup(tmp);
            if (!f->stage) {
                unlink(tmp);
                gc_io_temp_untrack(f->slot);
                f->slot = -1;
                rc = cli_error(CLI_FAIL, "out of memory");
            }
        } else {
            rc = cli_lib_error(ctx, st, NULL);
        }
        gc_free(ctx, tmp);
    }
    gc_free(ctx, target);
    gc_context_free(ctx);
    if (rc != CLI_OK) {
        free(f->path);
        free(f->norm);
        free(f->target);
        memset(f, 0, sizeof *f);
        return rc;
    }
    cli_nfiles++;
    *write_path = f->stage ? f->stage : path;
    return CLI_OK;
}

/* digits of v (>= 0) into p; returns the count. Async-signal-safe. */
static size_t cli_utoa(int64_t v, char *p)
{
    char d[24];
    size_t n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < sizeof d);
    for (size_t i = 0; i < n; i++)
        p[i] = d[n - 1 - i];
    return n;
}

/* "<prefix><k><suffix>" into buf (cap bytes); 0 if it does not fit. Async-signal-safe. */
static int cli_snap_name(int64_t k, char *buf, size_t cap)
{
    size_t pn = strlen(cli_snap_prefix), sn = strlen(cli_snap_suffix);
    if (pn + sn + 24 > cap)
        return 0;
    memcpy(buf, cli_snap_prefix, pn);
    size_t dn = cli_utoa(k, buf + pn);
    memcpy(buf + pn + dn, cli_snap_suffix, sn + 1);
    return 1;
}

static void cli_snap_unlink_all(void)
{
    if (!cli_snap_on)
        return;
    char name[sizeof cli_snap_prefix + 96];
    const int64_t every = cli_snap_every, upto = cli_snap_upto, fin = cli_snap_final;
    for (int64_t k = every; every > 0 && k <= upto; k += every)
        if (cli_snap_name(k, name, sizeof name))
            unlink(name);
    if (fin > 0 && cli_snap_name(fin, name, sizeof name))
        unlink(name);
}

void cli_snapshot_path(const char *out, int64_t iter, char *buf, size_t n)
{
    const char *dot = strrchr(out, '.');
    const char *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash))
        dot = out + strlen(out);
    snprintf(buf, n, "%.*s_%lld%s", (int)(dot - out), out, (long long)iter, dot);
}

int cli_file_snapshots(const char *out, int64_t every, int64_t iters)
{
    char q[64], q2[64];
    if (every <= 0 || cli_env_rank() != 0)
        return CLI_OK;
    const char *dot = strrchr(out, '.');
    const char *slash = strrchr(out, '/');
    if (!dot || (slash && dot < slash))
        dot = out + strlen(out);
    const size_t pn = (size_t)(dot - out);
    if (pn + 2 > sizeof cli_snap_prefix || strlen(dot) >= sizeof cli_snap_suffix)
        return cli_error(CLI_USAGE, "--save-every: the output name '%s' is too long",
                         cli_quote(out, q, sizeof q));
    memcpy(cli_snap_prefix, out, pn);
    cli_snap_prefix[pn] = '_';
    cli_snap_prefix[pn + 1] = '\0';
    strcpy(cli_snap_suffix, dot);
    cli_snap_every = every;
    cli_snap_upto = 0;
    cli_snap_final = 0;
    /* Does a named file match "<normalised prefix><k><suffix>" for a k that will be written? */
    char probe[sizeof cli_snap_prefix + 32];
    memcpy(probe, cli_snap_prefix, pn + 1);
    memcpy(probe + pn + 1, "1", 2);
    strcat(probe, cli_snap_suffix);
    char *pnorm = cli_normalise(probe); /* ".../name_1.ext" */
    if (!pnorm)
        return CLI_OK; /* the directory is missing: the output check reports it */
    const size_t full = strlen(pnorm), sn = strlen(cli_snap_suffix);
    const size_t head = full - sn - 1; /* up to and with the '_' */
    for (int i = 0; i < cli_nfiles; i++) {
        const char *names[2] = {cli_files[i].norm, NULL};
        char *lex = cli_normalise(cli_files[i].path);
        names[1] = lex;
        for (int j = 0; j < 2; j++) {
            const char *nm = names[j];
            if (!nm || strncmp(nm, pnorm, head) != 0)
                continue;
            const char *d = nm + head, *e = d;
            while (*e >= '0' && *e <= '9')
                e++;
            if (e == d || (*d == '0') || (size_t)(e - d) > 18 || strcmp(e, cli_snap_suffix) != 0)
                continue;
            const int64_t k = strtoll(d, NULL, 10);
            if (k >= 1 && k <= iters && (k % every == 0 || k == iters)) {
                char snap[4300];
                cli_snapshot_path(out, k, snap, sizeof snap);
                free(lex);
                free(pnorm);
                return cli_error(CLI_USAGE, "--save-every would overwrite the %s '%s' with the "
                                 "snapshot '%s'", cli_role(&cli_files[i]),
                                 cli_quote(cli_files[i].path, q, sizeof q),
                                 cli_quote(snap, q2, sizeof q2));
            }
        }
        free(lex);
    }
    free(pnorm);
    cli_snap_on = 1;
    return CLI_OK;
}

int cli_snapshot_begin(int64_t k, int64_t iters, const char *path)
{
    char q[64], q2[64];
    cli_file f;
    memset(&f, 0, sizeof f);
    cli_file_fill(&f, path);
    int clash = -1;
    for (int i = 0; i < cli_nfiles && clash < 0; i++)
        if (cli_same_file(&cli_files[i], &f) && !(cli_files[i].output && f.chardev))
            clash = i;
    free(f.norm);
    if (clash >= 0)
        return cli_error(CLI_FAIL, "--save-every: the snapshot '%s' is the %s '%s'; not "
                         "overwriting it", cli_quote(path, q, sizeof q), cli_role(&cli_files[clash]),
                         cli_quote(cli_files[clash].path, q2, sizeof q2));
    if (cli_snap_every <= 0)
        return CLI_OK; /* not this rank's (mpirun), or snapshots not announced */
    if (k % cli_snap_every == 0)
        cli_snap_upto = k;
    else if (k == iters)
        cli_snap_final = k;
    return CLI_OK;
}

static void cli_files_release(void)
{
    for (int i = 0; i < cli_nfiles; i++) {
        gc_io_temp_untrack(cli_files[i].slot);
        free(cli_files[i].path);
        free(cli_files[i].norm);
        free(cli_files[i].target);
        free(cli_files[i].stage);
    }
    memset(cli_files, 0, sizeof cli_files);
    cli_nfiles = 0;
    cli_snap_on = 0;
}

void cli_run_decided(void) { cli_decided = 1; }

int cli_files_finish(int rc)
{
    char q[64];
    cli_decided = 1;
    if (rc == CLI_OK) {
        for (int i = 0; i < cli_nfiles && rc == CLI_OK; i++) {
            cli_file *f = &cli_files[i];
            if (f->output && f->stage && rename(f->stage, f->target) != 0) {
                rc = cli_error(CLI_FAIL, "cannot write '%s' (rename from the staging file): %s",
                               cli_quote(f->path, q, sizeof q), strerror(errno));
                /* the outputs already renamed are removed: no partial set */
                for (int j = 0; j < i; j++)
                    if (cli_files[j].output && cli_files[j].stage)
                        unlink(cli_files[j].target);
            }
        }
    }
    if (rc != CLI_OK) {
        for (int i = 0; i < cli_nfiles; i++)
            if (cli_files[i].stage)
                unlink(cli_files[i].stage);
        cli_snap_unlink_all();
    }
    cli_files_release();
    return rc;
}

/* ---- signals ------------------------------------------------------------------------------ */

static void cli_put(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static void cli_on_signal(int sig)
{
    static atomic_int once;
    if (atomic_exchange(&once, 1))
        return;
    const int saved = errno;
    gc_io_temp_unlink_all();          /* the library's temporaries and the staging files */
    cli_snap_unlink_all();            /* snapshots this run wrote */
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM"
                     : sig == SIGHUP ? "SIGHUP" : NULL;
    /* SIGPIPE (a reader gone) dies silently, as other tools do; so does a run whose outcome
     * was settled (mpirun stops the other ranks with SIGTERM once one has exited non-zero) */
    if (name && !cli_decided) {
        cli_put("gramconv: interrupted by ");
        cli_put(name);
        cli_put("; the run's files were removed, nothing was written\n");
    }
    errno = saved;
    signal(sig, SIG_DFL); /* die of the signal, so that the caller sees it (exit 128 + N) */
    raise(sig);
}

void cli_install_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction sa, old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue; /* ignored by the caller (nohup, a background job): keep it so */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = cli_on_signal;
        sigfillset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
    /* Past `ulimit -f`, a write fails with EFBIG and is reported like any other write error
     * (one line, exit 1, temporaries removed) instead of the process being killed. */
    signal(SIGXFSZ, SIG_IGN);
}
