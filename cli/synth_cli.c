/* synth_cli.c - helpers of the synthesis commands: value parsers, the network from the
 * command line, image reading and resizing, the progress bar, stats files. */
#include "synth_cli.h"
#include "io/io_file.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int sc_lower(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

static int sc_streq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (sc_lower((unsigned char)*a) != sc_lower((unsigned char)*b))
            return 0;
    return *a == '\0' && *b == '\0';
}

int cli_parse_u64(const char *s, const char *what, uint64_t *out, cli_err *err)
{
    char q[64];
    if (!s || !*s)
        return cli_seterr(err, CLI_USAGE, "%s is empty", what);
    uint64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return cli_seterr(err, CLI_USAGE, "%s must be an integer 0..18446744073709551615, not '%s'",
                              what, cli_quote(s, q, sizeof q));
        const uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return cli_seterr(err, CLI_USAGE, "%s '%s' is too large", what, cli_quote(s, q, sizeof q));
        v = v * 10 + d;
    }
    *out = v;
    return CLI_OK;
}

int cli_parse_optimizer(const char *s, gc_synth_optimizer *out, cli_err *err)
{
    char q[64];
    if (s && sc_streq_nocase(s, "lbfgs"))
        *out = GC_SYNTH_OPTIMIZER_LBFGS;
    else if (s && sc_streq_nocase(s, "adam"))
        *out = GC_SYNTH_OPTIMIZER_ADAM;
    else
        return cli_seterr(err, CLI_USAGE, "--optimizer must be lbfgs or adam, not '%s'",
                          cli_quote(s, q, sizeof q));
    return CLI_OK;
}

int cli_parse_pool(const char *s, gc_synth_pool *out, cli_err *err)
{
    char q[64];
    if (s && sc_streq_nocase(s, "max"))
        *out = GC_SYNTH_POOL_MAX;
    else if (s && (sc_streq_nocase(s, "avg") || sc_streq_nocase(s, "average")))
        *out = GC_SYNTH_POOL_AVG;
    else
        return cli_seterr(err, CLI_USAGE, "--pool must be max or avg, not '%s'",
                          cli_quote(s, q, sizeof q));
    return CLI_OK;
}

int cli_parse_weight_list(const char *s, const char *what, double *w, int maxn, int *n,
                          cli_err *err)
{
    char q[64], item[128];
    int count = 0;
    const char *p = s ? s : "";
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof item)
            return cli_seterr(err, CLI_USAGE, "%s must be numbers separated by commas, not '%s'",
                              what, cli_quote(s, q, sizeof q));
        if (count >= maxn)
            return cli_seterr(err, CLI_USAGE, "%s has more than %d values", what, maxn);
        memcpy(item, p, len);
        item[len] = '\0';
        double v = 0;
        int rc = cli_parse_finite_double(item, what, &v, err);
        if (rc != CLI_OK)
            return rc;
        if (!(v > 0.0))
            return cli_seterr(err, CLI_USAGE, "%s: every weight must be > 0 (got '%s')", what,
                              cli_quote(item, q, sizeof q));
        w[count++] = v;
        if (!comma)
            break;
        p = comma + 1;
    }
    /* Only the ratios matter (the blend is a weighted mean, whose running sums multiply the
     * Grams by the weights). Weights in [1e-100, 1e100] are used as given; otherwise all are
     * divided by the largest, which becomes exactly 1, so that their sum cannot overflow
     * (1e308,1e308) nor lose its precision among subnormals (1e-320,1e-320): both then blend
     * exactly as 1,1. A weight too small beside the largest (a ratio below the smallest normal
     * double) is refused. */
    double wmax = 0.0, wmin = INFINITY;
    for (int i = 0; i < count; i++) {
        wmax = w[i] > wmax ? w[i] : wmax;
        wmin = w[i] < wmin ? w[i] : wmin;
    }
    if (count > 0 && (wmax > 1e100 || wmin < 1e-100)) {
        for (int i = 0; i < count; i++) {
            const double r = w[i] / wmax;
            if (!(r >= DBL_MIN))
                return cli_seterr(err, CLI_USAGE, "%s: the weight %.17g is too small beside %.17g "
                                  "(a ratio below %.3g)", what, w[i], wmax, DBL_MIN);
            w[i] = r;
        }
    }
    *n = count;
    return CLI_OK;
}

int cli_split_list(char *s, const char *what, char **items, int maxn, int *n, cli_err *err)
{
    int count = 0;
    char *p = s;
    for (;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (!*p)
            return cli_seterr(err, CLI_USAGE, "%s: an empty name in the list", what);
        if (count >= maxn)
            return cli_seterr(err, CLI_USAGE, "%s: more than %d items", what, maxn);
        items[count++] = p;
        if (!comma)
            break;
        p = comma + 1;
    }
    *n = count;
    return CLI_OK;
}

int cli_parse_size_wh(const char *s, int64_t *w, int64_t *h, cli_err *err)
{
    int64_t d[2];
    int n = 0;
    int rc = cli_parse_dims(s, "--size", d, 2, &n, err);
    if (rc != CLI_OK)
        return rc;
    if (n == 1)
        d[1] = d[0];
    if (d[0] > 65535 || d[1] > 65535)
        return cli_seterr(err, CLI_USAGE, "--size: at most 65535 x 65535");
    *w = d[0];
    *h = d[1];
    return CLI_OK;
}

int cli_synth_check_out_ext(const char *path, cli_err *err)
{
    char q[64];
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && (sc_streq_nocase(dot, ".png") || sc_streq_nocase(dot, ".jpg") ||
                sc_streq_nocase(dot, ".jpeg")))
        return CLI_OK;
    return cli_seterr(err, CLI_USAGE, "the output '%s' must end in .png, .jpg or .jpeg",
                      cli_quote(path, q, sizeof q));
}

/* ---- the network ------------------------------------------------------------------------ */

int cli_synth_layer_mask(const gc_synth_net *net, const char *list, const char *what,
                         uint32_t *mask, cli_err *err)
{
    char q[64], item[64];
    uint32_t m = 0;
    const char *p = list ? list : "";
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || len >= sizeof item)
            return cli_seterr(err, CLI_USAGE, "%s must be layer names separated by commas, not '%s'",
                              what, cli_quote(list, q, sizeof q));
        memcpy(item, p, len);
        item[len] = '\0';
        int l = gc_synth_net_layer_find(net, item);
        if (l < 0)
            return cli_seterr(err, CLI_USAGE, "%s: the network has no layer '%s' (it has %s..%s)",
                              what, cli_quote(item, q, sizeof q), gc_synth_net_layer_name(net, 0),
                              gc_synth_net_layer_name(net, gc_synth_net_layer_count(net) - 1));
        m |= 1u << l;
        if (!comma)
            break;
        p = comma + 1;
    }
    *mask = m;
    return CLI_OK;
}

int cli_synth_make_net(gc_context *ctx, const cli_synth_netopts *o, gc_dtype dtype,
                       gc_synth_net **net, uint32_t *style)
{
    cli_err err;
    char q[64];
    *net = NULL;
    *style = 0;
    gc_status st;
    if (!o->net || strcmp(o->net, "random") == 0) {
        gc_synth_random_desc rd = gc_synth_random_desc_default();
        rd.seed = o->seed;
        for (int c = 0; c < 4; c++)
            rd.center[c] = o->center[c];
        if (o->center_on && (st = gc_synth_random_desc_center(ctx, &rd, o->center_on)) != GC_OK)
            return cli_lib_error(ctx, st, "--net random: the centre");
        rd.zero_mean = o->zero_mean;
        if (o->filters > 0)
            rd.filters = o->filters;
        if (o->layers) {
            int64_t sizes[GC_SYNTH_MAX_LAYERS];
            int n = 0;
            if (cli_parse_dims(o->layers, "--layers (filter sizes of the random net)", sizes,
                               GC_SYNTH_MAX_LAYERS, &n, &err) != CLI_OK)
                return cli_error(CLI_USAGE, "%s", err.msg);
            rd.nscales = n;
            for (int i = 0; i < n; i++)
                rd.sizes[i] = sizes[i];
        }
        if ((st = gc_synth_net_create_random(ctx, &rd, dtype, net)) != GC_OK)
            return cli_error(CLI_USAGE, "--net random: %s", gc_context_last_error(ctx));
        return CLI_OK;
    }
    if (o->filters > 0)
        return cli_error(CLI_USAGE, "--filters applies to --net random only");
    int rc = cli_synth_check_weights(ctx, o->net);
    if (rc != CLI_OK)
        return rc;
    if ((st = gc_synth_net_load_vgg19(ctx, o->net, o->pool, dtype, net)) != GC_OK) {
        char prefix[128];
        snprintf(prefix, sizeof prefix, "cannot load the network '%s'", cli_quote(o->net, q, sizeof q));
        return cli_lib_error(ctx, st, prefix);
    }
    if (o->layers && cli_synth_layer_mask(*net, o->layers, "--layers", style, &err) != CLI_OK) {
        gc_synth_net_free(*net);
        *net = NULL;
        return cli_error(CLI_USAGE, "%s", err.msg);
    }
    return CLI_OK;
}

/* A synthesis run's common files, after the command's own inputs: the network's weights (a
 * path other than "random"), then the staging files of the output (*wout) and the statistics
 * (*wstats, when stats is set) and the snapshot names. */
int cli_synth_run_files(const cli_synth_netopts *net, const char *output, const char *stats,
                        int64_t save_every, int64_t iters, const char **wout, const char **wstats)
{
    int rc = CLI_OK;
    if (net->net && strcmp(net->net, "random") != 0)
        rc = cli_file_input(net->net);
    if (rc == CLI_OK)
        rc = cli_file_output(output, wout);
    if (rc == CLI_OK && stats)
        rc = cli_file_output(stats, wstats);
    if (rc == CLI_OK)
        rc = cli_file_snapshots(output, save_every, iters);
    return rc;
}

int cli_synth_check_weights(gc_context *ctx, const char *path)
{
    char q[64], prefix[160];
    gc_safetensors *st = NULL;
    gc_status s = gc_safetensors_read(ctx, path, &st);
    if (s != GC_OK) {
        snprintf(prefix, sizeof prefix, "cannot load the network '%s'", cli_quote(path, q, sizeof q));
        return cli_lib_error(ctx, s, prefix);
    }
    int rc = CLI_OK;
    for (int64_t i = 0; i < gc_safetensors_count(st) && rc == CLI_OK; i++) {
        gc_tensor t;
        const char *name = gc_safetensors_name(st, i);
        if (gc_safetensors_get(ctx, st, name, -1, NULL, &t) != GC_OK)
            continue; /* integer tensors: not weights; the loader names what it misses */
        snprintf(prefix, sizeof prefix, "the network '%s': the tensor", cli_quote(path, q, sizeof q));
        rc = cli_check_finite(&t, prefix, name, "(refusing non-finite weights)");
    }
    gc_safetensors_free(st);
    return rc;
}

/* ---- images ----------------------------------------------------------------------------- */

int cli_synth_read_image(gc_context *ctx, const char *path, const char *what, gc_tensor *out)
{
    char q[64], prefix[160];
    gc_image_read_opts ro = gc_image_read_opts_default();
    ro.channels = 3;
    gc_status st = gc_image_read(ctx, path, &ro, out);
    if (st == GC_OK)
        return CLI_OK;
    snprintf(prefix, sizeof prefix, "cannot read %s '%s'", what, cli_quote(path, q, sizeof q));
    return cli_lib_error(ctx, st, prefix);
}

int cli_synth_resize_to(gc_context *ctx, const gc_tensor *in, int64_t h, int64_t w, gc_tensor *out)
{
    const int64_t d[3] = {in->dims[0], h, w};
    gc_status st = gc_tensor_create(ctx, out, in->dtype, 3, d);
    if (st == GC_OK) {
        if (h == in->dims[1] && w == in->dims[2])
            st = gc_tensor_copy(in, out);
        else
            st = gc_image_resize(ctx, in,
                                 h * w < in->dims[1] * in->dims[2] ? GC_RESIZE_FILTER_AREA : GC_RESIZE_FILTER_BILINEAR,
                                 out);
    }
    if (st != GC_OK) {
        gc_tensor_free(out);
        return cli_lib_error(ctx, st, "cannot resize an image");
    }
    return CLI_OK;
}

int cli_synth_resize_long_side(gc_context *ctx, const gc_tensor *in, int64_t side, gc_tensor *out)
{
    const int64_t h = in->dims[1], w = in->dims[2];
    int64_t nh, nw;
    if (h >= w) {
        nh = side;
        nw = (int64_t)llround((double)w * (double)side / (double)h);
    } else {
        nw = side;
        nh = (int64_t)llround((double)h * (double)side / (double)w);
    }
    if (nh < 1)
        nh = 1;
    if (nw < 1)
        nw = 1;
    return cli_synth_resize_to(ctx, in, nh, nw, out);
}

/* ---- progress --------------------------------------------------------------------------- */

static void sc_fmt_time(double s, char *buf, size_t n)
{
    if (!(s >= 0.0) || s > 359999.0)
        snprintf(buf, n, "--");
    else if (s >= 3600.0)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600.0), (int)fmod(s / 60.0, 60.0));
    else if (s >= 60.0)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60.0), (int)fmod(s, 60.0));
    else
        snprintf(buf, n, "%.0fs", s);
}

int cli_synth_progress_fn(const gc_synth_progress *p, void *user)
{
    cli_synth_progress *pr = user;
    if (!isfinite(p->loss)) {
        cli_synth_progress_end(pr);
        cli_error(CLI_FAIL, "the loss is %s at iteration %lld: the network's features overflow "
                  "float32 (are its weights too large?); stopping", isnan(p->loss) ? "NaN" : "infinite",
                  (long long)p->iter);
        pr->failed = 1;
        return 1;
    }
    if (pr->save_every > 0 && (p->iter % pr->save_every == 0 || p->iter == p->iters)) {
        char path[4200], q[64];
        cli_snapshot_path(pr->out_path, p->iter, path, sizeof path);
        if (cli_snapshot_begin(p->iter, p->iters, path) != CLI_OK) {
            cli_synth_progress_end(pr);
            pr->failed = 1;
            return 1;
        }
        gc_status st = gc_image_write(pr->ctx, path, p->image, NULL);
        if (st != GC_OK) {
            cli_synth_progress_end(pr);
            char prefix[128];
            snprintf(prefix, sizeof prefix, "--save-every: cannot write '%s'", cli_quote(path, q, sizeof q));
            cli_lib_error(pr->ctx, st, prefix);
            pr->failed = 1;
            return 1;
        }
    }
    if (pr->quiet)
        return 0;
    const double rate = p->seconds > 0.0 ? (double)p->iter / p->seconds : 0.0;
    char eta[32], el[32];
    sc_fmt_time(rate > 0.0 ? (double)(p->iters - p->iter) / rate : -1.0, eta, sizeof eta);
    sc_fmt_time(p->seconds, el, sizeof el);
    if (pr->tty) {
        enum { BAR = 24 };
        char bar[BAR + 1];
        const int fill = p->iters > 0 ? (int)(BAR * p->iter / p->iters) : BAR;
        for (int i = 0; i < BAR; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[BAR] = '\0';
        fprintf(stderr, "\r[%s] %lld/%lld  loss %.4g  %.2f it/s  ETA %s   ", bar,
                (long long)p->iter, (long long)p->iters, p->loss, rate, eta);
        pr->bar_open = 1;
        fflush(stderr);
    } else {
        const int64_t every = p->iters >= 10 ? p->iters / 10 : 1;
        if (p->iter % every == 0 || p->iter == p->iters) {
            fprintf(stderr, "iter %lld/%lld  loss %.6g  %.2f it/s  elapsed %s  ETA %s\n",
                    (long long)p->iter, (long long)p->iters, p->loss, rate, el, eta);
            fflush(stderr);
        }
    }
    return 0;
}

void cli_synth_progress_end(cli_synth_progress *pr)
{
    if (pr->bar_open) {
        fputc('\n', stderr);
        fflush(stderr);
        pr->bar_open = 0;
    }
}

/* ---- files ------------------------------------------------------------------------------ */

int cli_write_text_file(const char *path, const char *text)
{
    char q[64], prefix[128];
    gc_context *ctx = NULL;
    if (gc_context_create(&ctx) != GC_OK)
        return cli_error(CLI_FAIL, "cannot create a context");
    gc_io_out o; /* io_file.h's rule: temporary + rename, or in place for a device or FIFO */
    gc_status st = gc_io_out_open(ctx, "text", path, &o);
    if (st == GC_OK) {
        st = gc_io_out_write(ctx, "text", path, &o, text, strlen(text));
        st = gc_io_out_finish(ctx, "text", path, &o, st);
    }
    int rc = CLI_OK;
    if (st != GC_OK) {
        snprintf(prefix, sizeof prefix, "cannot write '%s'", cli_quote(path, q, sizeof q));
        rc = cli_lib_error(ctx, st, prefix);
    }
    gc_context_free(ctx);
    return rc;
}

int cli_synth_stats_json(const char *path, const gc_context *ctx, const gc_synth_stats *st,
                         const gc_synth_net *net, int64_t w, int64_t h, uint64_t seed,
                         gc_synth_optimizer opt, const char *command)
{
    char text[2048], netdesc[768];
    gc_synth_random_desc rd;
    if (gc_synth_net_random_desc(net, &rd) == GC_OK) {
        int n = snprintf(netdesc, sizeof netdesc, "\"net\":\"random\",\"scales\":[");
        for (int i = 0; i < rd.nscales && n < (int)sizeof netdesc - 32; i++)
            n += snprintf(netdesc + n, sizeof netdesc - (size_t)n, "%s%lld", i ? "," : "",
                          (long long)rd.sizes[i]);
        snprintf(netdesc + n, sizeof netdesc - (size_t)n, "],\"filters\":%lld,\"net_seed\":%llu",
                 (long long)rd.filters, (unsigned long long)rd.seed);
    } else {
        snprintf(netdesc, sizeof netdesc, "\"net\":\"vgg19\"");
    }
    char n1[32], n2[32], n3[32], n4[32], n5[32]; /* JSON numbers: null for NaN / Inf */
    snprintf(text, sizeof text,
             "{\"command\":\"%s\",\"iters\":%lld,\"evals\":%lld,\"initial_loss\":%s,"
             "\"final_loss\":%s,\"loss_ratio\":%s,\"seconds\":%s,\"seconds_per_iter\":%s,"
             "\"threads\":%d,\"size\":[%lld,%lld],%s,\"seed\":%llu,\"optimizer\":\"%s\"}\n",
             command, (long long)st->iters, (long long)st->evals,
             cli_json_number(st->initial_loss, 9, n1, sizeof n1),
             cli_json_number(st->final_loss, 9, n2, sizeof n2),
             cli_json_number(st->final_loss > 0.0 ? st->initial_loss / st->final_loss : 0.0, 6, n3, sizeof n3),
             cli_json_number(st->seconds, 6, n4, sizeof n4),
             cli_json_number(st->iters > 0 ? st->seconds / (double)st->iters : 0.0, 6, n5, sizeof n5),
             gc_context_threads(ctx),
             (long long)w, (long long)h, netdesc, (unsigned long long)seed,
             opt == GC_SYNTH_OPTIMIZER_ADAM ? "adam" : "lbfgs");
    return cli_write_text_file(path, text);
}

int cli_synth_is_tty(void) { return isatty(fileno(stderr)); }
