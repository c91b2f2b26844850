/* main.c - the gramconv CLI: the subcommand table and dispatch.
 *
 * Build with -DGC_CLI_NO_MAIN to link the CLI into a fuzzer or test that calls cli_main()
 * (or the parsers in args.h) directly. */
#include "cli.h"

#include <string.h>

#define CORR_USAGE(NAME, TORCH, RANKS)                                                         \
    "usage: gramconv " NAME " INPUT.npy KERNEL.npy [--mode V|F|S] [--method M] [--boundary B]\n" \
    "       [--fill-value V] [--threads N] -o OUT.npy\n"                                      \
    "\n"                                                                                       \
    "The " TORCH " of INPUT with KERNEL,\n"                                                   \
    "exactly as Torch7 computes it, written to OUT.npy. The ranks choose the behaviour:\n"    \
    RANKS                                                                                      \
    "\n"                                                                                       \
    "options:\n"                                                                               \
    "  -m, --mode M      V/valid (default): n-k+1 per dim, the kernel must fit;\n"             \
    "                    F/full: n+k-1 per dim; S/same: n per dim, SciPy's mode='same'.\n"      \
    "                    Any case (v, Valid, FULL).\n"                                         \
    "  --method M        auto (default): direct sums, or FFT where it is faster and exactness\n" \
    "                    allows (never for integer data, NaN/Inf or a wide dynamic range);\n" \
    "                    direct; fft (needs a build with FFTW3).\n"                            \
    "  --boundary B      values outside the input in modes F and S (V reads none):\n"          \
    "                    fill (default; --fill-value, default 0), wrap (circular),\n"          \
    "                    symm (mirror, edge repeated), reflect (mirror, edge not repeated),\n" \
    "                    replicate (the edge value). As SciPy's correlate2d boundary=.\n"     \
    "  --fill-value V    the constant for --boundary fill (a finite number)\n"                 \
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
    "180 degrees), and both in full mode; nn.SpatialConvolution(1,1,2,2):noBias() on the input\n"
    "seen as 1x2x2 with the kernel as its 1x1x2x2 weight (gc_conv2d_forward) = 88; and the Gram\n"
    "matrix of the input's two rows [1,5] and [3,4] (M x K = 2 x 2, --norm none):\n"
    "G = F F^T = [[26, 23], [23, 25]]. Exits 1 on any mismatch.\n";

static const char usage_bench[] =
    "usage: gramconv bench [OP] [--input DIMS --kernel DIMS] [--mode V|F|S] [--dtype f32|f64]\n"
    "                      [--method auto|direct|fft] [--threads N]\n"
    "                      [--isa auto|scalar|avx2|avx512] [--repeat N]\n"
    "       gramconv bench gram [--shape N,C,H,W] [--pass fwd|bwd|loss] [--dtype f32|f64|bf16]\n"
    "                      [--threads N] [--isa I] [--repeat N]\n"
    "       gramconv bench conv [--input N,C,H,W --weight O,C/G,KH,KW] [--stride SH,SW]\n"
    "                      [--pad PH,PW|same] [--dilation DH,DW] [--groups G]\n"
    "                      [--pass fwd|bwd_input|bwd_weight] [--dtype f32|f64|bf16]\n"
    "                      [--algo auto|direct|im2col|gemm|winograd|reference]\n"
    "                      [--threads N] [--isa I] [--repeat N]\n"
    "       gramconv bench peak [--dtype f32|f64|bf16] [--threads N] [--isa I]\n"
    "       gramconv bench synth [--size W,H] [--threads N] [--layers 3,5,..] [--filters N]\n"
    "                      [--optimizer lbfgs|adam] [--iters N] [--repeat N]\n"
    "\n"
    "bench synth: one texture-synthesis iteration (loss + gradient + optimiser step) of the\n"
    "random multi-scale network, timed as the difference of runs of N+1 and 1 iterations; the\n"
    "JSON line names the network (\"scales\", \"filters\", \"size\") and gives \"s_per_iter\".\n"
    "\n"
    "Times OP (xcorr2 (default), conv2, xcorr3, conv3, gram, conv) on random data and prints\n"
    "one JSON object per case on stdout:\n"
    "  {\"op\":..,\"shape\":\"input=HxW,kernel=KHxKW\",\"mode\":..,\"dtype\":..,\"threads\":..,\n"
    "   \"isa\":..,\"ms\":MEDIAN,\"gflops\":..,\"repeats\":N}\n"
    "gflops counts 2 x output elements x kernel spatial size x terms summed per output.\n"
    "Correlation lines also carry \"method\": direct or fft, the one that ran (--method\n"
    "auto (default) lets the library choose, as gc_corr does).\n"
    "`bench peak` measures this machine's FMA throughput (16 independent vector chains per\n"
    "thread): the ceiling to divide the other figures by; --dtype bf16 measures vdpbf16ps\n"
    "(AVX512-BF16; refused without it).\n"
    "\n"
    "options:\n"
    "  --input DIMS    input sizes, e.g. 1024,1024 or 64,56,56 (P,H,W); '1024x1024' works too\n"
    "  --kernel DIMS   kernel sizes, e.g. 3,3; P,KH,KW (plane-wise) or Q,P,KH,KW (summed)\n"
    "  --mode M        V (default), F or S; without --input the default suite runs V and F\n"
    "  --method M      correlation: auto (default), direct or fft\n"
    "  --dtype T       f32 (default) or f64\n"
    "  --threads N     1..1024 (default: all cores, or GC_NUM_THREADS)\n"
    "  --isa I         force a kernel path (default: the best this CPU has, or GC_ISA)\n"
    "  --repeat N      timed runs after one warm-up (default: enough for ~0.3 s, at least 5)\n"
    "\n"
    "Without --input, runs the default suite: xcorr2/conv2 on 1024x1024 with kernels 3, 5, 7\n"
    "in V and F, and 64x56x56 with 64x64x3x3; xcorr3/conv3 on 64x64x64 with 3x3x3 and 5x5x5,\n"
    "and 16x32x32x32 with 16x16x3x3x3.\n"
    "\n"
    "bench gram: --shape N,C,H,W (or C,H,W, or M,K) times the Gram matrix (norm hw): --pass fwd\n"
    "(default, gc_gram_forward), bwd (gc_gram_backward with a random dG) or loss\n"
    "(gc_gram_style_loss with its gradient). \"mode\" is the norm, \"pass\" is added. gflops\n"
    "counts the flops actually needed, per batch item: fwd C*(C+1)/2 * H*W * 2 (each symmetric\n"
    "pair once), bwd 2*C*C*H*W, loss fwd + bwd. --dtype bf16: float32 tensors with bf16\n"
    "precision (an error where the CPU or build has no bf16 path). Without --shape: the VGG-19\n"
    "feature maps of a 512x512 image, N=1: 64x512x512, 128x256x256, 256x128x128, 512x64x64,\n"
    "512x32x32, then 4x256x64x64.\n"
    "\n"
    "bench conv: times gc_conv2d_* (nn.SpatialConvolution; --algo forces an algorithm, default\n"
    "auto: the library's choice, \"algo\":\"auto\"; winograd skips the suite's 1x1 layer)\n"
    "on --input N,C,H,W with --weight O,C/G,KH,KW; --pass fwd (default, with bias), bwd_input or\n"
    "bwd_weight (weight gradient only). The workspace is allocated once, outside the timing.\n"
    "\"mode\" is the padding mode (zeros); \"pass\" and \"algo\" are added. gflops counts\n"
    "2 * N * O * OH * OW * C/G * KH * KW for every pass. --dtype bf16 (--pass fwd, stride 1):\n"
    "float32 tensors, the forward on bf16-rounded input and weights summed in float32 (an error\n"
    "where the CPU or build has no AVX512-BF16). Without --input: the VGG-19 3x3 layers at\n"
    "224x224, N=1, pad 1:\n"
    "3->64 @224, 64->64 @224, 128->128 @112, 256->256 @56, 512->512 @28, 512->512 @14; then a\n"
    "1x1 (256->256 @56) and a 5x5 (64->64 @56, pad 2).\n";

static const char usage_compare[] =
    "usage: gramconv compare A.npy B.npy [--rtol R] [--atol A] [--equal-nan]\n"
    "\n"
    "Compares two .npy arrays of one shape element by element, exactly as\n"
    "numpy.allclose(A, B, rtol, atol, equal_nan): a pair is close when b is finite and\n"
    "|a - b| <= atol + rtol * |b| (defaults rtol 1e-5, atol 1e-8), or when a == b (so +inf\n"
    "is close to +inf only: 5 vs inf and inf vs -inf are not). NaN is close to nothing, not\n"
    "even NaN, unless --equal-nan is given. Two float32 arrays are compared in float32\n"
    "arithmetic (as numpy does), other pairs in float64. The dtypes may differ. Prints the\n"
    "largest absolute and relative differences.\n"
    "Exit status: 0 close, 1 not close (or shapes differ), 2 error (unreadable file, usage).\n";

#define GRAM_OPTS                                                                              \
    "  --norm N          none: G = F F^T; hw (default): divided by H*W (K for M x K input,\n"   \
    "                    the seed, Gatys et al.); chw: divided by C*H*W (M*K; neural-style,\n"  \
    "                    the PyTorch tutorial)\n"                                              \
    "  --center          subtract each row's (channel's) mean first: the covariance form\n"     \
    "  --scale S         an extra finite factor (default 1)\n"                                 \
    "  -t, --threads N   threads to use, 1..1024 (default: all cores, or GC_NUM_THREADS)\n"

#define GRAM_INPUTS                                                                            \
    "INPUT is read as rows of vectors: M x K -> G: M x M; C x H x W -> C x C (each channel\n"  \
    "flattened); N x C x H x W -> N x C x C (one Gram per item). G = norm * scale * Fc Fc^T,\n" \
    "Fc = F (or F minus its row means with --center).\n"

#define GRAM_TAIL                                                                              \
    "\n"                                                                                       \
    "Files are float32 or float64 .npy; a mixed pair is computed and written as float64.\n"   \
    "Exit status: 0 success, 1 failure, 2 usage error.\n"

static const char usage_gram[] =
    "usage: gramconv gram INPUT.npy [--norm none|hw|chw] [--center] [--scale S]\n"
    "                     [--max-memory BYTES[K|M|G]] -o G.npy\n"
    "       mpirun -np P gramconv gram INPUT.npy [...] -o G.npy   (a build with MPI)\n"
    "\n"
    "The Gram matrix of INPUT (exactly symmetric: each pair summed once), written to G.npy.\n"
    GRAM_INPUTS
    "\n"
    "options:\n"
    GRAM_OPTS
    "  --max-memory B    read INPUT in bands of rows by file offsets so that the buffers stay\n"
    "                    within B bytes (K, M, G: powers of 1024); same result, same bits on\n"
    "                    one thread. Under mpirun each rank reads its own slice and the\n"
    "                    partial Grams are summed (MPI_Reduce); rank 0 writes G.npy\n"
    "  -o, --output F    the output .npy file (required); written only on success\n"
    "  -h, --help        this text\n"
    GRAM_TAIL;

static const char usage_gram_backward[] =
    "usage: gramconv gram-backward INPUT.npy GRAD_G.npy [--norm none|hw|chw] [--center]\n"
    "                              [--scale S] -o GRAD_INPUT.npy\n"
    "\n"
    "The gradient of the Gram matrix: given dL/dG (GRAD_G, G's shape, not necessarily\n"
    "symmetric), writes dL/dF = norm * scale * (dG + dG^T) Fc (minus its row means with\n"
    "--center), INPUT's shape.\n"
    GRAM_INPUTS
    "\n"
    "options:\n"
    GRAM_OPTS
    "  -o, --output F    the gradient .npy file (required); written only on success\n"
    "  -h, --help        this text\n"
    GRAM_TAIL;

static const char usage_style_loss[] =
    "usage: gramconv style-loss INPUT.npy TARGET_G.npy [--norm none|hw|chw] [--center]\n"
    "                           [--scale S] [--weight W] [-o GRAD_INPUT.npy]\n"
    "\n"
    "The fused style loss against a target Gram matrix T (G's shape), in one pass:\n"
    "  loss  = W * sum((G - T)^2) / numel(G)          (the mean squared error, times W)\n"
    "  dL/dF = W * 2 / numel(G) * norm * scale * ((G-T) + (G-T)^T) Fc\n"
    "Prints one line 'loss VALUE' (%.17g) on stdout; writes dL/dF only if -o is given.\n"
    GRAM_INPUTS
    "\n"
    "options:\n"
    GRAM_OPTS
    "  --weight W        the loss weight, a finite number (default 1)\n"
    "  -o, --output F    write the gradient dL/dF (INPUT's shape) here; only on success\n"
    "  -h, --help        this text\n"
    GRAM_TAIL;

static const char usage_spatialconv[] =
    "usage: gramconv spatialconv forward INPUT.npy WEIGHT.npy [--bias B.npy] [GEOMETRY]\n"
    "                            -o OUT.npy\n"
    "       gramconv spatialconv backward INPUT.npy WEIGHT.npy GRAD_OUTPUT.npy [--bias B.npy]\n"
    "                            [GEOMETRY] --grad-input GI.npy [--grad-weight GW.npy]\n"
    "                            [--grad-bias GB.npy]\n"
    "\n"
    "Torch's nn.SpatialConvolution (cross-correlation, no kernel flip) with PyTorch's options.\n"
    "INPUT is N x C x H x W (or C x H x W), WEIGHT O x C/G x KH x KW, the bias a vector of O\n"
    "(none: Torch's :noBias()). OUT is N x O x OH x OW (or O x OH x OW) with\n"
    "OH = floor((H + 2*PH - DH*(KH-1) - 1) / SH) + 1 (same for W); below 1 is an error.\n"
    "Torch7's nn.SpatialConvolution(nIn, nOut, kW, kH, dW, dH, padW, padH) is\n"
    "--stride dH,dW --pad padH,padW.\n"
    "\n"
    "backward writes plain gradients (zero start, scale 1): dL/dINPUT to --grad-input\n"
    "(required), dL/dWEIGHT to --grad-weight and dL/dbias (the sums of GRAD_OUTPUT; no --bias\n"
    "needed) to --grad-bias. Everything is computed before anything is written; if writing a\n"
    "later output fails, the outputs this run already wrote are removed again, so a failed\n"
    "run leaves no partial set.\n"
    "\n"
    "GEOMETRY (pairs are height first; one number means both: --stride 2 is 2,2):\n"
    "  --stride SH,SW    >= 1 (default 1)\n"
    "  --pad PH,PW       >= 0 on both sides (default 0); or --pad same: PyTorch's\n"
    "                    padding='same' (stride 1 only; total DH*(KH-1), the odd element after)\n"
    "  --dilation DH,DW  >= 1 (default 1)\n"
    "  --groups G        divides C and O (default 1)\n"
    "  --padding-mode M  zeros (default), reflect, replicate or circular (PyTorch's padding_mode)\n"
    "\n"
    "options:\n"
    "  --bias B.npy      the bias (forward: added; backward: checked only)\n"
    "  -o, --output F    forward's output .npy file (required for forward)\n"
    "  --grad-input F, --grad-weight F, --grad-bias F   backward's outputs (see above)\n"
    "  -t, --threads N   threads to use, 1..1024 (default: all cores, or GC_NUM_THREADS)\n"
    "  -h, --help        this text\n"
    "\n"
    "Files are float32 or float64 .npy; if any operand is float64, all are computed and written\n"
    "as float64. Exit status: 0 success, 1 failure, 2 usage error.\n";

static const cli_command cli_table[] = {
    {"xcorr2", "2-D cross-correlation, torch.xcorr2 (the CNN 'convolution')", usage_xcorr2,
     cli_cmd_corr},
    {"conv2", "2-D convolution, torch.conv2 (kernel turned 180 degrees)", usage_conv2,
     cli_cmd_corr},
    {"xcorr3", "3-D cross-correlation, torch.xcorr3", usage_xcorr3, cli_cmd_corr},
    {"conv3", "3-D convolution, torch.conv3", usage_conv3, cli_cmd_corr},
    {"gram", "Gram matrix G = F F^T of feature maps (norm none|hw|chw)", usage_gram,
     cli_cmd_gram},
    {"gram-backward", "gradient of the Gram matrix, dL/dF from dL/dG", usage_gram_backward,
     cli_cmd_gram},
    {"style-loss", "fused style loss against a target Gram, and its gradient", usage_style_loss,
     cli_cmd_gram},
    {"spatialconv", "nn.SpatialConvolution forward / backward (conv2d)", usage_spatialconv,
     cli_cmd_spatialconv},
    {"demo", "the seed's example (88 and 81), computed and checked", usage_demo, cli_cmd_demo},
    {"bench", "time an op on random data; one JSON line per case", usage_bench, cli_cmd_bench},
    {"compare", "compare two .npy arrays with tolerances (like numpy.allclose)", usage_compare,
     cli_cmd_compare},
    {"texture", "synthesise a texture like a sample image (Gram matching)", cli_usage_texture,
     cli_cmd_texture},
    {"style", "style transfer: a content image painted in style images", cli_usage_style,
     cli_cmd_style},
    {"gram-preset", "save a style image's Gram matrices for texture --preset",
     cli_usage_gram_preset, cli_cmd_gram_preset},
    {"image-to-npy", "read a PNG / JPEG into a C x H x W float32 .npy (values in [0, 1])",
     cli_usage_image_to_npy, cli_cmd_image},
    {"npy-to-image", "write a C x H x W .npy (values in [0, 1]) as PNG or JPEG",
     cli_usage_npy_to_image, cli_cmd_image},
    {"sample", "write a procedural texture sample (tileable mosaic) to try texture on",
     cli_usage_sample, cli_cmd_sample},
    {"texture-score", "how far an image is from a texture sample (no network; x noise)",
     cli_usage_texture_score, cli_cmd_texture_score},
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
        printf("  %-14s %s\n", t[i].name, t[i].summary);
    printf("\n"
           "examples:\n"
           "  gramconv demo\n"
           "  gramconv xcorr2 input.npy kernel.npy --mode full -o out.npy\n"
           "  gramconv bench xcorr2 --input 1024,1024 --kernel 3,3 --threads 1\n"
           "  gramconv gram features.npy --norm chw -o G.npy\n"
           "  gramconv spatialconv forward x.npy w.npy --bias b.npy --pad 1 -o y.npy\n"
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
    cli_install_signals();
    return cli_files_finish(c->run(c, argc - 1, argv + 1));
}

#ifndef GC_CLI_NO_MAIN
int main(int argc, char **argv) { return cli_main(argc, argv); }
#endif
