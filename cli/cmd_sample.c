/* cmd_sample.c - `gramconv sample -o OUT.png [--size W,H] [--cells N] [--seed S]`: a texture
 * sample the project makes itself (no download), for the README's texture command: a
 * tileable Voronoi mosaic, coloured cells with dark grout and a little grain. */
#include "synth_cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const cli_opt sm_opts[] = {
    {"output", 'o', 1}, {"size", 0, 1}, {"cells", 0, 1}, {"seed", 0, 1},
};
enum { SM_OUTPUT, SM_SIZE, SM_CELLS, SM_SEED, SM_NOPTS };

/* splitmix64 -> [0, 1) */
static double sm_uniform(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (double)((z ^ (z >> 31)) >> 11) * (1.0 / 9007199254740992.0);
}

/* squared distance on the torus (so the sample tiles) */
static double sm_dist2(double ax, double ay, double bx, double by, double w, double h)
{
    double dx = fabs(ax - bx), dy = fabs(ay - by);
    dx = fmin(dx, w - dx);
    dy = fmin(dy, h - dy);
    return dx * dx + dy * dy;
}

int cli_cmd_sample(const cli_command *cmd, int argc, char **argv)
{
    cli_args a;
    cli_err err;
    char q[64];
    int rc = cli_parse_args(argc, argv, sm_opts, SM_NOPTS, 0, &a, &err);
    if (rc != CLI_OK)
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    if (a.help)
        return cli_print_usage(cmd);
    int64_t w = 128, h = 128, cells = 40;
    uint64_t seed = 1;
    if ((a.value[SM_SIZE] && (rc = cli_parse_size_wh(a.value[SM_SIZE], &w, &h, &err)) != CLI_OK) ||
        (a.value[SM_CELLS] && (rc = cli_parse_int64(a.value[SM_CELLS], 1, 4096, "--cells", &cells, &err)) != CLI_OK) ||
        (a.value[SM_SEED] && (rc = cli_parse_u64(a.value[SM_SEED], "--seed", &seed, &err)) != CLI_OK))
        return cli_error(rc, "%s: %s", cmd->name, err.msg);
    const char *out = a.value[SM_OUTPUT];
    if (!out || !*out)
        return cli_error(CLI_USAGE, "%s: the output file is missing (-o OUT.png)", cmd->name);
    if (cli_synth_check_out_ext(out, &err) != CLI_OK)
        return cli_error(CLI_USAGE, "%s: %s", cmd->name, err.msg);
    const char *wout = NULL;
    if ((rc = cli_file_output(out, &wout)) != CLI_OK)
        return rc;
    gc_context *ctx = NULL;
    if ((rc = cli_make_context(1, GC_ISA_AUTO, &ctx)) != CLI_OK)
        return rc;
    double px[4096], py[4096], col[4096][3];
    uint64_t s = seed;
    for (int64_t i = 0; i < cells; i++) {
        px[i] = sm_uniform(&s) * (double)w;
        py[i] = sm_uniform(&s) * (double)h;
        const double v = 0.45 + 0.45 * sm_uniform(&s);
        col[i][0] = v * (0.6 + 0.4 * sm_uniform(&s));
        col[i][1] = v * (0.4 + 0.5 * sm_uniform(&s));
        col[i][2] = v * (0.2 + 0.4 * sm_uniform(&s));
    }
    gc_tensor img = {0};
    const int64_t dims[3] = {3, h, w};
    gc_status st = gc_tensor_create(ctx, &img, GC_DTYPE_F32, 3, dims);
    if (st == GC_OK) {
        float *p = img.data;
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                double d1 = INFINITY, d2 = INFINITY;
                int64_t best = 0;
                for (int64_t i = 0; i < cells; i++) {
                    const double d = sm_dist2((double)x + 0.5, (double)y + 0.5, px[i], py[i], (double)w, (double)h);
                    if (d < d1) {
                        d2 = d1;
                        d1 = d;
                        best = i;
                    } else if (d < d2) {
                        d2 = d;
                    }
                }
                const double edge = cells > 1 ? sqrt(d2) - sqrt(d1) : 1e9;
                const double shade = fmin(1.0, fmax(0.15, edge / 2.5));
                for (int c = 0; c < 3; c++) {
                    const double grain = 0.06 * (sm_uniform(&s) - 0.5);
                    p[(c * h + y) * w + x] = (float)(col[best][c] * shade + grain);
                }
            }
        st = gc_image_write(ctx, wout, &img, NULL);
    }
    if (st != GC_OK) {
        snprintf(err.msg, sizeof err.msg, "cannot write '%s'", cli_quote(out, q, sizeof q));
        rc = cli_lib_error(ctx, st, err.msg);
    } else {
        printf("wrote %s (%lld x %lld, %lld cells, seed %llu)\n", out, (long long)w, (long long)h,
               (long long)cells, (unsigned long long)seed);
    }
    gc_tensor_free(&img);
    gc_context_free(ctx);
    return rc == CLI_OK ? cli_flush_stdout(CLI_OK) : rc;
}

const char cli_usage_sample[] =
    "usage: gramconv sample -o OUT.png [--size W,H] [--cells N] [--seed S]\n"
    "\n"
    "Write a texture sample made here (no download): a seamlessly tiling mosaic of N coloured\n"
    "cells (Voronoi, default 40) with dark grout and grain, W x H (default 128 x 128), from the\n"
    "seed (default 1). For example:\n"
    "  gramconv sample -o sample.png && gramconv texture sample.png -o texture.png\n";
