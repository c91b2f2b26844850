/* main.c - the gramconv CLI: the subcommand table and dispatch.
 *
 * Build with -DGC_CLI_NO_MAIN to link the CLI into a fuzzer or test that calls cli_main()
 * (or the parsers in args.h) directly. */
#include "cli.h"

#include <string.h>

#define CORR_USAGE(NAME, TORCH, RANKS)                                                         \
    "usage: gramconv " NAME " INPUT.npy KERNEL.npy [--mode V|F|S] [--threads N] -o OUT.npy\n"  \
    "\n"                                                                                       \
    "The " TORCH " of INPUT with KERNEL,\n"                                                   \
    "exactly as Torch7 computes it, written to OUT.npy. The ranks choose the behaviour:\n"    \
    RANKS                                                                                      \
    "\n"                                                                                       \
    "options:\n"                                                                               \
    "  -m, --mode M      V/valid (default): n-k+1 per dim, the kernel must fit;\n"             \
    "                    F/full: n+k-1 per dim; S/same: n per dim, SciPy's mode='same'.\n"      \
    "                    Any case (v, Valid, FULL).\n"                                         \
    "  -t, --threads N   threads to use, 1..1024 (default: all cores, or GC_NUM_THREADS)\n"    \
    "  -o, --output F    the output .npy file (required); written only on success\n"           \
    "  -h, --help        this text\n"                                                          \
    "\n"                                                                                       \
    "INPUT and KERNEL are float32 or float64 .npy files; the output has the input's dtype\n"   \
    "(a mixed float32/float64 pair is computed and written as float64).\n"                     \
    "Options may come before or after the files; --opt=value and --opt value both work.\n"    \
    "Exit status: 0 success, 1 failure, 2 usage error.\n"

#define RANKS_2D                                                                               \
    "  input HxW     kernel kHxkW      -> output H'xW'    (one plane)\n"                         \
    "  input pxHxW   kernel pxkHxkW    -> output pxH'xW'  (plane i with kernel i, no sum)\n"     \
    "  input pxHxW   kernel qxpxkHxkW  -> output qxH'xW'  (out[j] = sum_i of in[i], k[j][i])\n"
#define RANKS_3D                                                                               \
    "  input DxHxW    kernel kDxkHxkW      -> output D'xH'xW'    (one volume)\n"                \
    "  input pxDxHxW  kernel pxkDxkHxkW    -> output pxD'xH'xW'  (volume i with kernel i)\n"    \
    "  input pxDxHxW  kernel qxpxkDxkHxkW  -> output qxD'xH'xW'  (sum over the p inputs)\n"

static const char usage_xcorr2[] =
    CORR_USAGE("xcorr2", "2-D cross-correlation (torch.xcorr2, nn.SpatialConvolution's op)", RANKS_2D);
static const char usage_conv2[] =
    CORR_USAGE("conv2", "2-D convolution (torch.conv2: the kernel turned 180 degrees)", RANKS_2D);
static const char usage_xcorr3[] =
    CORR_USAGE("xcorr3", "3-D cross-correlation (torch.xcorr3)", RANKS_3D);
static const char usage_conv3[] =
    CORR_USAGE("conv3", "3-D convolution (torch.conv3: the kernel flipped in D, H and W)", RANKS_3D);

static const char usage_demo[] =
    "usage: gramconv demo\n"
    "\n"
    "Runs the seed's example through the library and prints each result next to its expected\n"
    "value with 'ok' or 'MISMATCH': input [[1,5],[3,4]], kernel [[5,6],[7,8]] (float64);\n"
    "xcorr2 valid = 88 (what CNNs call convolution), conv2 valid = 81 (the kernel turned\n"
    "180 degrees), and both in full mode. Exits 1 on any mismatch.\n";

static const char usage_bench[] =
    "usage: gramconv bench [OP] [--input DIMS --kernel DIMS] [--mode V|F|S] [--dtype f32|f64]\n"
    "                      [--threads N] [--isa auto|scalar|avx2|avx512] [--repeat N]\n"
    "\n"
    "Times OP (xcorr2 (default), conv2, xcorr3, conv3) on random data and prints one JSON\n"
    "object per case on stdout:\n"
    "  {\"op\":..,\"shape\":\"input=HxW,kernel=KHxKW\",\"mode\":..,\"dtype\":..,\"threads\":..,\n"
    "   \"isa\":..,\"ms\":MEDIAN,\"gflops\":..,\"repeats\":N}\n"
    "gflops counts 2 x output elements x kernel spatial size x terms summed per output.\n"
    "\n"
    "options:\n"
    "  --input DIMS    input sizes, e.g. 1024,1024 or 64,56,56 (P,H,W); '1024x1024' works too\n"
    "  --kernel DIMS   kernel sizes, e.g. 3,3; P,KH,KW (plane-wise) or Q,P,KH,KW (summed)\n"
    "  --mode M        V (default), F or S; without --input the default suite runs V and F\n"
    "  --dtype T       f32 (default) or f64\n"
    "  --threads N     1..1024 (default: all cores, or GC_NUM_THREADS)\n"
    "  --isa I         force a kernel path (default: the best this CPU has, or GC_ISA)\n"
    "  --repeat N      timed runs after one warm-up (default: enough for ~0.3 s, at least 5)\n"
    "\n"
    "Without --input, runs the default suite: xcorr2/conv2 on 1024x1024 with kernels 3, 5, 7\n"
    "in V and F, and 64x56x56 with 64x64x3x3; xcorr3/conv3 on 64x64x64 with 3x3x3 and 5x5x5,\n"
    "and 16x32x32x32 with 16x16x3x3x3.\n";

static const char usage_compare[] =
    "usage: gramconv compare A.npy B.npy [--rtol R] [--atol A]\n"
    "\n"
    "Compares two .npy arrays of one shape element by element, like numpy.allclose(A, B):\n"
    "|a - b| <= atol + rtol * |b| (defaults rtol 1e-5, atol 1e-8; NaN equals NaN). The dtypes\n"
    "may differ. Prints the largest absolute and relative differences.\n"
    "Exit status: 0 close, 1 not close (or shapes differ), 2 error (unreadable file, usage).\n";

static const cli_command cli_table[] = {
    {"xcorr2", "2-D cross-correlation, torch.xcorr2 (the CNN 'convolution')", usage_xcorr2,
     cli_cmd_corr},
    {"conv2", "2-D convolution, torch.conv2 (kernel turned 180 degrees)", usage_conv2,
     cli_cmd_corr},
    {"xcorr3", "3-D cross-correlation, torch.xcorr3", usage_xcorr3, cli_cmd_corr},
    {"conv3", "3-D convolution, torch.conv3", usage_conv3, cli_cmd_corr},
    {"demo", "the seed's example (88 and 81), computed and checked", usage_demo, cli_cmd_demo},
    {"bench", "time an op on random data; one JSON line per case", usage_bench, cli_cmd_bench},
    {"compare", "compare two .npy arrays with tolerances (like numpy.allclose)", usage_compare,
     cli_cmd_compare},
};

const cli_command *cli_commands(int *count)
{
    if (count)
        *count = (int)(sizeof cli_table / sizeof cli_table[0]);
    return cli_table;
}

const cli_command *cli_find_command(const char *name)
{
    int n = 0;
    const cli_command *t = cli_commands(&n);
    for (int i = 0; name && i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    return NULL;
}

static int cli_print_help(void)
{
    int n = 0;
    const cli_command *t = cli_commands(&n);
    printf("gramconv %s - Torch7-exact cross-correlation / convolution and Gram matrices\n"
           "\n"
           "usage: gramconv SUBCOMMAND [ARGS...]\n"
           "       gramconv SUBCOMMAND --help\n"
           "       gramconv --version | --help\n"
           "\n"
           "subcommands:\n",
           gc_version());
    for (int i = 0; i < n; i++)
        printf("  %-9s %s\n", t[i].name, t[i].summary);
    printf("\n"
           "examples:\n"
           "  gramconv demo\n"
           "  gramconv xcorr2 input.npy kernel.npy --mode full -o out.npy\n"
           "  gramconv bench xcorr2 --input 1024,1024 --kernel 3,3 --threads 1\n"
           "\n"
           "Exit status: 0 success, 1 failure, 2 usage error; errors are one line on stderr.\n");
    return cli_flush_stdout(CLI_OK);
}

int cli_main(int argc, char **argv)
{
    char q[64];
    if (argc < 2 || !argv || !argv[1])
        return cli_error(CLI_USAGE, "no subcommand given (try 'gramconv --help')");
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        if (argc > 2 && argv[2])
            return cli_error(CLI_USAGE, "unexpected argument '%s' after %s",
                             cli_quote(argv[2], q, sizeof q), sub);
        return cli_print_help();
    }
    if (strcmp(sub, "help") == 0) {
        if (argc < 3 || !argv[2])
            return cli_print_help();
        const cli_command *c = cli_find_command(argv[2]);
        if (!c)
            return cli_error(CLI_USAGE, "unknown subcommand '%s' (try 'gramconv --help')",
                             cli_quote(argv[2], q, sizeof q));
        if (argc > 3 && argv[3])
            return cli_error(CLI_USAGE, "unexpected argument '%s'", cli_quote(argv[3], q, sizeof q));
        return cli_print_usage(c);
    }
    if (strcmp(sub, "--version") == 0 || strcmp(sub, "-V") == 0 || strcmp(sub, "version") == 0) {
        if (argc > 2 && argv[2])
            return cli_error(CLI_USAGE, "unexpected argument '%s' after %s",
                             cli_quote(argv[2], q, sizeof q), sub);
        printf("gramconv %s\n", gc_version());
        return cli_flush_stdout(CLI_OK);
    }
    const cli_command *c = cli_find_command(sub);
    if (!c) {
        if (sub[0] == '-')
            return cli_error(CLI_USAGE, "unknown option '%s' (options go after the subcommand; "
                                        "try 'gramconv --help')",
                             cli_quote(sub, q, sizeof q));
        return cli_error(CLI_USAGE, "unknown subcommand '%s' (try 'gramconv --help')",
                         cli_quote(sub, q, sizeof q));
    }
    return c->run(c, argc - 1, argv + 1);
}

#ifndef GC_CLI_NO_MAIN
int main(int argc, char **argv) { return cli_main(argc, argv); }
#endif
