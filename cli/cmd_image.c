/* cmd_image.c - `gramconv image-to-npy` and `gramconv npy-to-image`: convert between PNG / JPEG
 * images and C x H x W float32 .npy arrays (values in [0, 1]), so images can be used with the
 * array commands. Both write their output atomically (gc_npy_write / gc_image_write). */
#include "cli.h"

#include <string.h>

const char cli_usage_image_to_npy[] =
    "usage: gramconv image-to-npy IN.(png|jpg) -o OUT.npy [--channels N] [--max-pixels N]\n"
    "\n"
    "Read a PNG (8/16-bit gray, gray+alpha, RGB, RGBA, palette) or JPEG (baseline or\n"
    "progressive) and write it as a float32 C x H x W .npy with values in [0, 1].\n"
    "\n"
    "  -o, --output FILE   the .npy to write\n"
    "  --channels N        0: as stored (default); 1 gray; 2 gray+alpha; 3 RGB; 4 RGBA\n"
    "  --max-pixels N      refuse images with more than N pixels (default 67108864)\n"
    "  -h, --help          this text\n";

const char cli_usage_npy_to_image[] =
    "usage: gramconv npy-to-image IN.npy -o OUT.(png|jpg) [--quality Q] [--bit-depth 8|16]\n"
    "\n"
    "Write a C x H x W (C = 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) or H x W .npy as an image;\n"
    "values are clamped to [0, 1]. The format comes from the extension (.png, .jpg, .jpeg).\n"
    "\n"
    "  -o, --output FILE   the image to write\n"
    "  --quality Q         JPEG quality 1..100 (default 90)\n"
    "  --bit-depth B       PNG bits per sample, 8 (default) or 16\n"
    "  -h, --help          this text\n";

static const cli_opt image_opts[] = {
    {"output", 'o', 1},
    {"channels", 0, 1},
    {"max-pixels", 0, 1},
    {"quality", 0, 1},
    {"bit-depth", 0, 1},
};
enum { OPT_OUTPUT, OPT_CHANNELS, OPT_MAX_PIXELS, OPT_QUALITY, OPT_BIT_DEPTH, NOPTS };

int cli_image_parse(int argc, char *const *argv, cli_image_opts *out, cli_err *err)
{
    memset(out, 0, sizeof *out);
    if (argc < 1 || !argv[0])
        return cli_seterr(err, CLI_USAGE, "no subcommand");
    out->to_image = strcmp(argv[0], "npy-to-image") == 0;
    out->read = gc_image_read_opts_default();
    out->write = gc_image_write_opts_default();
    cli_args a;
    int rc = cli_parse_args(argc, argv, image_opts, NOPTS, 1, &a, err);
    if (rc != CLI_OK)
        return rc;
    if (a.help) {
        out->help = 1;
        return CLI_OK;
    }
    int64_t v;
    const int wrong = out->to_image ? (a.value[OPT_CHANNELS] ? OPT_CHANNELS
                                       : a.value[OPT_MAX_PIXELS] ? OPT_MAX_PIXELS : -1)
                                    : (a.value[OPT_QUALITY] ? OPT_QUALITY
                                       : a.value[OPT_BIT_DEPTH] ? OPT_BIT_DEPTH : -1);
    if (wrong >= 0)
        return cli_seterr(err, CLI_USAGE, "--%s is not an option of %s", image_opts[wrong].name,
                          out->to_image ? "npy-to-image" : "image-to-npy");
    if (a.value[OPT_CHANNELS]) {
        if ((rc = cli_parse_int64(a.value[OPT_CHANNELS], 0, 4, "--channels", &v, err)) != CLI_OK)
            return rc;
        out->read.channels = (int)v;
    }
    if (a.value[OPT_MAX_PIXELS]) {
        if ((rc = cli_parse_int64(a.value[OPT_MAX_PIXELS], 1, INT64_MAX, "--max-pixels", &v,
                                  err)) != CLI_OK)
            return rc;
        out->read.max_pixels = v;
    }
    if (a.value[OPT_QUALITY]) {
        if ((rc = cli_parse_int64(a.value[OPT_QUALITY], 1, 100, "--quality", &v, err)) != CLI_OK)
            return rc;
        out->write.quality = (int)v;
    }
    if (a.value[OPT_BIT_DEPTH]) {
        if ((rc = cli_parse_int64(a.value[OPT_BIT_DEPTH], 8, 16, "--bit-depth", &v, err)) !=
            CLI_OK)
            return rc;
        if (v != 8 && v != 16)
            return cli_seterr(err, CLI_USAGE, "--bit-depth must be 8 or 16");
        out->write.bit_depth = (int)v;
    }
    if (a.npos < 1)
        return cli_seterr(err, CLI_USAGE, "needs an input file");
    if (!a.value[OPT_OUTPUT] || !*a.value[OPT_OUTPUT])
        return cli_seterr(err, CLI_USAGE, "needs -o OUTPUT");
    out->input = a.pos[0];
    out->output = a.value[OPT_OUTPUT];
    return CLI_OK;
}

int cli_cmd_image(const cli_command *cmd, int argc, char **argv)
{
    cli_image_opts o;
    cli_err err;
    int rc = cli_image_parse(argc, argv, &o, &err);
    if (rc != CLI_OK)
        return cli_error(CLI_USAGE, "%s: %s", cmd->name, err.msg);
    if (o.help)
        return cli_print_usage(cmd);
    const char *wout = NULL;
    if ((rc = cli_file_input(o.input)) != CLI_OK || (rc = cli_file_output(o.output, &wout)) != CLI_OK)
        return rc;
    gc_context *ctx = NULL;
    if (cli_make_context(1, GC_ISA_AUTO, &ctx) != CLI_OK)
        return CLI_FAIL;
    gc_tensor t = {0};
    gc_status st;
    if (o.to_image) {
        rc = cli_read_npy(ctx, o.input, "array", &t);
        if (rc == CLI_OK && (st = gc_image_write(ctx, wout, &t, &o.write)) != GC_OK)
            rc = cli_lib_error(ctx, st, "cannot write the image");
    } else {
        if ((st = gc_image_read(ctx, o.input, &o.read, &t)) != GC_OK)
            rc = cli_lib_error(ctx, st, "cannot read the image");
        else if ((st = gc_npy_write(ctx, wout, &t)) != GC_OK)
            rc = cli_lib_error(ctx, st, "cannot write the array");
    }
    gc_tensor_free(&t);
    gc_context_free(ctx);
    return rc == CLI_OK ? CLI_OK : CLI_FAIL;
}
